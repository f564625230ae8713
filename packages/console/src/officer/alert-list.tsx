/**
 * The inbox or outbox: the API's filters and free-text search, keyset paging ("Older alerts"),
 * and, in the inbox, new verified alerts as they arrive (server-sent events from the node).
 */
import { useCallback, useEffect, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';

import type { AlertListQuery, AlertSummaryJson } from '@enlace/client';

import { nodeClient } from '../api.js';
import { useShell } from '../app.js';
import { formatInstant } from '../format.js';

type Filters = {
  q: string;
  kind: string;
  network: string;
  origin: string;
  handling: string;
  since: string;
};
const NO_FILTERS: Filters = { q: '', kind: '', network: '', origin: '', handling: '', since: '' };

function queryOf(box: 'inbox' | 'outbox', f: Filters): AlertListQuery {
  return {
    box,
    ...(f.q.trim() !== '' && { q: f.q.trim() }),
    ...(f.kind !== '' && { kind: f.kind as 'route' }),
    ...(f.network.trim() !== '' && { network: f.network.trim() }),
    ...(f.origin.trim() !== '' && { origin: f.origin.trim().toUpperCase() }),
    ...(f.handling !== '' && { handling: f.handling as 'H0' }),
    ...(f.since !== '' && { since: new Date(`${f.since}T00:00:00Z`).toISOString() }),
    limit: 25,
  };
}

/** Whether a live alert belongs in the list as filtered (free text is the server's to judge). */
function matches(alert: AlertSummaryJson, f: Filters): boolean {
  return (
    f.q.trim() === '' &&
    (f.kind === '' || alert.kind === f.kind) &&
    (f.network.trim() === '' || alert.network === f.network.trim()) &&
    (f.origin.trim() === '' || alert.origin === f.origin.trim().toUpperCase()) &&
    (f.handling === '' || alert.handling === f.handling)
  );
}

export function AlertList(props: { readonly box: 'inbox' | 'outbox' }): ReactNode {
  const { navigate, failed } = useShell();
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [items, setItems] = useState<readonly (AlertSummaryJson & { live?: boolean })[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [live, setLive] = useState<'connecting' | 'live' | 'stopped'>('connecting');

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

  const apply = (event: FormEvent): void => {
    event.preventDefault();
    setFilters({ ...draft });
  };
  const field = (name: keyof Filters) => ({
    id: `filter-${name}`,
    name,
    value: draft[name],
    onChange: (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [name]: e.target.value })),
  });

  return (
    <section aria-labelledby="list-title">
      <h2 id="list-title">
        {props.box === 'inbox' ? 'Inbox' : 'Outbox'}
        {props.box === 'inbox' && (
          <span className={`live live-${live}`} data-testid="live-status" role="status">
            {live === 'live' ? 'live' : live === 'connecting' ? 'connecting…' : 'live updates stopped'}
          </span>
        )}
      </h2>
      <form className="filters" onSubmit={apply} role="search">
        <label htmlFor="filter-q">Search</label>
        <input {...field('q')} type="search" placeholder="place, document series, modus operandi" />
        <label htmlFor="filter-kind">Kind</label>
        <select {...field('kind')}>
          <option value="">any</option>
          <option value="route">route</option>
          <option value="document">document</option>
          <option value="network">network</option>
        </select>
        <label htmlFor="filter-handling">Handling</label>
        <select {...field('handling')}>
          <option value="">any</option>
          {['H0', 'H1', 'H2', 'H3'].map((h) => (
            <option key={h} value={h}>
              {h}
            </option>
          ))}
        </select>
        <label htmlFor="filter-origin">Origin</label>
        <input {...field('origin')} size={3} maxLength={2} />
        <label htmlFor="filter-network">Network</label>
        <input {...field('network')} size={18} />
        <label htmlFor="filter-since">Issued since</label>
        <input {...field('since')} type="date" />
        <button type="submit">Apply</button>
        <button
          type="button"
          onClick={() => {
            setDraft(NO_FILTERS);
            setFilters(NO_FILTERS);
          }}
        >
          Clear
        </button>
      </form>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <table className="alerts" data-testid="alert-table">
        <thead>
          <tr>
            <th scope="col">Title</th>
            <th scope="col">Origin</th>
            <th scope="col">Kind</th>
            <th scope="col">Handling</th>
            <th scope="col">Network</th>
            <th scope="col">Issued</th>
          </tr>
        </thead>
        <tbody>
          {items.map((alert) => (
            <tr key={alert.id} className={alert.live === true ? 'new' : undefined} data-alert-id={alert.id}>
              <td>
                <a
                  href={`/console/alerts/${alert.id}`}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(`alerts/${alert.id}`);
                  }}
                >
                  {alert.title !== '' ? alert.title : '(restricted: title not readable here)'}
                </a>
                {alert.live === true && <span className="badge">new</span>}
                {alert.retractedBy !== undefined && <span className="badge warn">retracted</span>}
              </td>
              <td>{alert.origin}</td>
              <td>{alert.kind}</td>
              <td>
                <span className={`handling handling-${alert.handling}`}>{alert.handling}</span>
              </td>
              <td>{alert.network}</td>
              <td>{formatInstant(alert.issuedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && items.length === 0 && <p data-testid="empty">No alerts.</p>}
      {loading && <p>Loading…</p>}
      {next !== undefined && !loading && (
        <button type="button" onClick={() => void load(next)}>
          Older alerts
        </button>
      )}
    </section>
  );
}
