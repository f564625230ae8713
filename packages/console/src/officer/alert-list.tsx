/**
 * The inbox or outbox: every filter the node's list API has (free text, kind, network, origin,
 * handling, grading, issued between two dates), keyset paging ("Older alerts"), the filters
 * remembered in this browser (the filters only: never a token or an alert), a "new since you
 * last looked" mark, and, in the inbox, new verified alerts as they arrive (server-sent events).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { AlertListQuery, AlertSummaryJson } from '@enlace/client';

import { nodeClient } from '../api.js';
import { useShell } from '../app.js';
import {
  CREDIBILITY_CODES,
  HANDLING_CODES,
  RELIABILITY_CODES,
  formatInstant,
  formatNumber,
} from '../format.js';

export type Filters = {
  q: string;
  kind: string;
  network: string;
  origin: string;
  handling: string;
  reliability: string;
  credibility: string;
  /** YYYY-MM-DD, inclusive. */
  since: string;
  /** YYYY-MM-DD, inclusive. */
  until: string;
};
export const NO_FILTERS: Filters = {
  q: '',
  kind: '',
  network: '',
  origin: '',
  handling: '',
  reliability: '',
  credibility: '',
  since: '',
  until: '',
};
const PAGE = 25;

/** The list API's query for the filters as typed. */
export function queryOf(box: 'inbox' | 'outbox', f: Filters): AlertListQuery {
  const dayAfter = (day: string): string =>
    new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();
  return {
    box,
    // Dismissed alerts leave the inbox for the archive (archive.tsx).
    ...(box === 'inbox' && { dismissed: 'false' as const }),
    ...(f.q.trim() !== '' && { q: f.q.trim() }),
    ...(f.kind !== '' && { kind: f.kind as 'route' }),
    ...(f.network.trim() !== '' && { network: f.network.trim() }),
    ...(f.origin.trim() !== '' && { origin: f.origin.trim().toUpperCase() }),
    ...(f.handling !== '' && { handling: f.handling as 'H0' }),
    ...(f.reliability !== '' && { reliability: f.reliability as 'A' }),
    ...(f.credibility !== '' && { credibility: f.credibility as '1' }),
    ...(f.since !== '' && { since: new Date(`${f.since}T00:00:00Z`).toISOString() }),
    ...(f.until !== '' && { until: dayAfter(f.until) }),
    limit: PAGE,
  };
}

/** Whether a live alert belongs in the list as filtered (free text is the server's to judge). */
export function matches(alert: AlertSummaryJson, f: Filters): boolean {
  const day = alert.issuedAt.slice(0, 10);
  return (
    f.q.trim() === '' &&
    (f.kind === '' || alert.kind === f.kind) &&
    (f.network.trim() === '' || alert.network === f.network.trim()) &&
    (f.origin.trim() === '' || alert.origin === f.origin.trim().toUpperCase()) &&
    (f.handling === '' || alert.handling === f.handling) &&
    (f.reliability === '' || alert.grading?.[0] === f.reliability) &&
    (f.credibility === '' || alert.grading?.[1] === f.credibility) &&
    (f.since === '' || day >= f.since) &&
    (f.until === '' || day <= f.until)
  );
}

// What this browser remembers, per box: the filters an officer applied, and when the list was
// last looked at. Nothing else (the session is an HttpOnly cookie the page cannot read).
const filtersKey = (box: string): string => `enlace.officer.filters.${box}`;
const lookedKey = (box: string): string => `enlace.officer.lastLooked.${box}`;

function stored(key: string): string | undefined {
  try {
    return window.localStorage.getItem(key) ?? undefined;
  } catch {
    return undefined; // Storage refused (private mode): nothing remembered.
  }
}
function store(key: string, value: string | undefined): void {
  try {
    if (value === undefined) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch {
    // Not remembered; the list still works.
  }
}

/** The remembered filters, keeping only known fields with string values. */
export function rememberedFilters(text: string | undefined): Filters {
  if (text === undefined) return NO_FILTERS;
  try {
    const given = JSON.parse(text) as Record<string, unknown>;
    const out: Filters = { ...NO_FILTERS };
    for (const name of Object.keys(NO_FILTERS) as (keyof Filters)[])
      if (typeof given[name] === 'string') out[name] = given[name];
    return out;
  } catch {
    return NO_FILTERS;
  }
}

export function AlertList(props: { readonly box: 'inbox' | 'outbox' }): ReactNode {
  const { t, i18n } = useTranslation('officer');
  const { navigate, failed } = useShell();
  const [filters, setFilters] = useState<Filters>(() => rememberedFilters(stored(filtersKey(props.box))));
  const [draft, setDraft] = useState<Filters>(filters);
  const [items, setItems] = useState<readonly (AlertSummaryJson & { live?: boolean })[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [live, setLive] = useState<'connecting' | 'live' | 'stopped'>('connecting');
  // When the officer last looked at this box, as it stood when the page opened.
  const [lastLooked, setLastLooked] = useState<string | undefined>(() => stored(lookedKey(props.box)));
  const newest = useRef<string | undefined>(undefined);

  const load = useCallback(
    async (cursor?: string) => {
      setLoading(true);
      setError(undefined);
      try {
        const page = await nodeClient.alerts.list({
          ...queryOf(props.box, filters),
          ...(cursor !== undefined && { cursor }),
        });
        setItems((old) => (cursor === undefined ? page.items : [...old, ...page.items]));
        setNext(page.next);
      } catch (e) {
        setError(failed(e));
      } finally {
        setLoading(false);
      }
    },
    [props.box, filters],
  );

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => {
    for (const a of items)
      if (newest.current === undefined || a.receivedAt > newest.current) newest.current = a.receivedAt;
  }, [items]);

  // Leaving the list (another page, another tab, closing it) counts as having looked.
  useEffect(() => {
    const looked = (): void => {
      if (newest.current !== undefined) store(lookedKey(props.box), newest.current);
    };
    window.addEventListener('pagehide', looked);
    return () => {
      window.removeEventListener('pagehide', looked);
      looked();
    };
  }, [props.box]);

  useEffect(() => {
    if (props.box !== 'inbox') return;
    const events = new EventSource(nodeClient.alerts.eventsUrl());
    events.addEventListener('open', () => setLive('live'));
    events.addEventListener('error', () => {
      if (events.readyState === EventSource.CLOSED) setLive('stopped');
    });
    events.addEventListener('alert', (event) => {
      const alert = JSON.parse((event as MessageEvent<string>).data) as AlertSummaryJson;
      if (!matches(alert, filters)) return;
      setItems((old) => (old.some((a) => a.id === alert.id) ? old : [{ ...alert, live: true }, ...old]));
    });
    return () => events.close();
  }, [props.box, filters]);

  const apply = (next: Filters): void => {
    setFilters(next);
    const empty = (Object.keys(NO_FILTERS) as (keyof Filters)[]).every((k) => next[k] === '');
    store(filtersKey(props.box), empty ? undefined : JSON.stringify(next));
  };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    apply({ ...draft });
  };
  const field = (name: keyof Filters) => ({
    id: `filter-${name}`,
    name,
    value: draft[name],
    onChange: (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [name]: e.target.value })),
  });
  const unseen = (a: AlertSummaryJson): boolean => lastLooked !== undefined && a.receivedAt > lastLooked;
  const unseenCount = items.filter(unseen).length;
  const lng = i18n.language;

  return (
    <section aria-labelledby="list-title">
      <h2 id="list-title">
        {props.box === 'inbox' ? t('list.inbox') : t('list.outbox')}
        {props.box === 'inbox' && (
          <span className={`live live-${live}`} data-testid="live-status" role="status">
            {t(`list.live.${live}`)}
          </span>
        )}
        {unseenCount > 0 && (
          <span className="badge" data-testid="unseen-count">
            {t('list.unseenCount', { n: formatNumber(unseenCount, lng) })}
          </span>
        )}
      </h2>
      <form className="filters" onSubmit={submit} role="search" aria-label={t('list.filters')}>
        <label htmlFor="filter-q">{t('list.search')}</label>
        <input {...field('q')} type="search" placeholder={t('list.searchPlaceholder')} />
        <label htmlFor="filter-kind">{t('list.kind')}</label>
        <select {...field('kind')}>
          <option value="">{t('list.any')}</option>
          {(['route', 'document', 'network'] as const).map((k) => (
            <option key={k} value={k}>
              {t(`kinds.${k}`)}
            </option>
          ))}
        </select>
        <label htmlFor="filter-handling">{t('list.handling')}</label>
        <select {...field('handling')}>
          <option value="">{t('list.any')}</option>
          {HANDLING_CODES.map((h) => (
            <option key={h} value={h}>
              {h}
            </option>
          ))}
        </select>
        <label htmlFor="filter-reliability">{t('list.reliability')}</label>
        <select {...field('reliability')}>
          <option value="">{t('list.any')}</option>
          {RELIABILITY_CODES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <label htmlFor="filter-credibility">{t('list.credibility')}</label>
        <select {...field('credibility')}>
          <option value="">{t('list.any')}</option>
          {CREDIBILITY_CODES.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
        <label htmlFor="filter-origin">{t('list.origin')}</label>
        <input {...field('origin')} size={3} maxLength={2} />
        <label htmlFor="filter-network">{t('list.network')}</label>
        <input {...field('network')} size={18} />
        <label htmlFor="filter-since">{t('list.since')}</label>
        <input {...field('since')} type="date" />
        <label htmlFor="filter-until">{t('list.until')}</label>
        <input {...field('until')} type="date" />
        <button type="submit">{t('list.apply')}</button>
        <button
          type="button"
          onClick={() => {
            setDraft(NO_FILTERS);
            apply(NO_FILTERS);
          }}
        >
          {t('list.clear')}
        </button>
        {unseenCount > 0 && (
          <button
            type="button"
            onClick={() => {
              const at = newest.current ?? new Date().toISOString();
              store(lookedKey(props.box), at);
              setLastLooked(at);
            }}
          >
            {t('list.markSeen')}
          </button>
        )}
      </form>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <table className="alerts" data-testid="alert-table">
        <caption className="visually-hidden">
          {props.box === 'inbox' ? t('list.inbox') : t('list.outbox')}
        </caption>
        <thead>
          <tr>
            <th scope="col">{t('list.columns.title')}</th>
            <th scope="col">{t('list.columns.origin')}</th>
            <th scope="col">{t('list.columns.kind')}</th>
            <th scope="col">{t('list.columns.handling')}</th>
            <th scope="col">{t('list.columns.grading')}</th>
            <th scope="col">{t('list.columns.network')}</th>
            <th scope="col">{t('list.columns.issued')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((alert) => (
            <tr
              key={alert.id}
              className={alert.live === true ? 'new' : unseen(alert) ? 'unseen' : undefined}
              data-alert-id={alert.id}
            >
              <td>
                <a
                  href={`/console/alerts/${alert.id}`}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(`alerts/${alert.id}`);
                  }}
                >
                  {alert.title !== '' ? alert.title : t('restrictedTitle')}
                </a>
                {alert.live === true && <span className="badge">{t('list.new')}</span>}
                {alert.live !== true && unseen(alert) && <span className="badge">{t('list.unseen')}</span>}
                {alert.retractedBy !== undefined && <span className="badge warn">{t('list.retracted')}</span>}
                {alert.supersededBy !== undefined && (
                  <span className="badge warn">{t('list.superseded')}</span>
                )}
              </td>
              <td>{alert.origin}</td>
              <td>{t(`kinds.${alert.kind as 'route'}`, { defaultValue: alert.kind })}</td>
              <td>
                <span className={`handling handling-${alert.handling}`}>{alert.handling}</span>
              </td>
              <td>{alert.grading ?? '—'}</td>
              <td>{alert.network}</td>
              <td>{formatInstant(alert.issuedAt, lng)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && items.length === 0 && <p data-testid="empty">{t('list.empty')}</p>}
      {loading && <p>{t('loading')}</p>}
      {next !== undefined && !loading && (
        <button type="button" onClick={() => void load(next)}>
          {t('list.older')}
        </button>
      )}
    </section>
  );
}
