/**
 * Requests for information (issue 12's API): the inbox of threads asked of this country and the
 * outbox of those it asked, with the API's filters; a thread with all its messages and receipts,
 * reply, close and withdraw; and the new-request form, which reminds the writer that no victim
 * may be identified. The node's 400 violations are shown next to their fields.
 */
import { useEffect, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type {
  FieldViolation,
  RequestCreateJson,
  RequestPriority,
  ThreadDetailJson,
  ThreadListQuery,
  ThreadStatus,
  ThreadSummaryJson,
} from '@enlace/client';

import { nodeClient } from '../../api.js';
import { useShell } from '../../app.js';
import { formatInstant } from '../../format.js';
import { FieldError, described, violationsOf } from './field-errors.js';
import './requests.css';

const STATUSES: readonly ThreadStatus[] = ['open', 'answered', 'closed', 'withdrawn'];
const PRIORITIES: readonly RequestPriority[] = ['routine', 'urgent', 'threat_to_life'];
const HANDLINGS = ['H0', 'H1', 'H2', 'H3'] as const;
const TLPS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;
const THREAD = /^requests\/([0-9a-f-]{36})$/;

/** The requests area of the officer console, by path: `requests`, `requests/new`, `requests/<id>`. */
export function Requests(): ReactNode {
  const { path } = useShell();
  const id = THREAD.exec(path)?.[1];
  if (id !== undefined) return <ThreadView key={id} id={id} />;
  if (path === 'requests/new') return <NewRequest />;
  return <RequestInbox />;
}

function useLocale(): string {
  return useTranslation().i18n.language;
}

function RequestInbox(): ReactNode {
  const { t } = useTranslation('rfi');
  const locale = useLocale();
  const { navigate, failed, session } = useShell();
  const [box, setBox] = useState<'inbox' | 'outbox'>('inbox');
  const [status, setStatus] = useState<'' | ThreadStatus>('');
  const [priority, setPriority] = useState<'' | RequestPriority>('');
  const [overdue, setOverdue] = useState(false);
  const [country, setCountry] = useState('');
  const [items, setItems] = useState<readonly ThreadSummaryJson[] | undefined>();
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [violations, setViolations] = useState<readonly FieldViolation[]>([]);
  const [tick, setTick] = useState(0);

  const query: ThreadListQuery = {
    box,
    limit: 50,
    ...(status !== '' && { status }),
    ...(priority !== '' && { priority }),
    ...(overdue && { overdue: true }),
    ...(country.trim() !== '' && { country: country.trim().toUpperCase() }),
  };
  const key = JSON.stringify(query);
  useEffect(() => {
    let live = true;
    setError(undefined);
    setViolations([]);
    nodeClient.requests.list(query).then(
      (page) => {
        if (!live) return;
        setItems(page.items);
        setNext(page.next);
      },
      (e: unknown) => {
        if (!live) return;
        setViolations(violationsOf(e));
        setError(failed(e));
      },
    );
    return () => {
      live = false;
    };
  }, [key, tick]);

  const more = async (): Promise<void> => {
    if (next === undefined) return;
    try {
      const page = await nodeClient.requests.list({ ...query, cursor: next });
      setItems([...(items ?? []), ...page.items]);
      setNext(page.next);
    } catch (e) {
      setError(failed(e));
    }
  };

  return (
    <section aria-labelledby="rfi-title">
      <h2 id="rfi-title">{t('inbox.title')}</h2>
      <nav className="tabs" aria-label={t('inbox.boxes')}>
        {(['inbox', 'outbox'] as const).map((b) => (
          <button
            key={b}
            type="button"
            aria-pressed={box === b}
            onClick={() => {
              setBox(b);
              setItems(undefined);
            }}
          >
            {t(`inbox.${b}`)}
          </button>
        ))}
        {session.roles.includes('focal-point') && (
          <a
            href="/console/requests/new"
            onClick={(e) => {
              e.preventDefault();
              navigate('requests/new');
            }}
          >
            {t('inbox.new')}
          </a>
        )}
      </nav>
      <form
        className="rfi-filters"
        role="search"
        aria-label={t('inbox.filters')}
        onSubmit={(e) => e.preventDefault()}
      >
        <div className="field">
          <label htmlFor="rfi-field-status">{t('field.status')}</label>
          <select
            id="rfi-field-status"
            value={status}
            onChange={(e) => setStatus(e.target.value as ThreadStatus | '')}
          >
            <option value="">{t('any')}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`status.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="rfi-field-priority">{t('field.priority')}</label>
          <select
            id="rfi-field-priority"
            value={priority}
            onChange={(e) => setPriority(e.target.value as RequestPriority | '')}
          >
            <option value="">{t('any')}</option>
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {t(`priority.${p}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="rfi-field-country">{t('field.country')}</label>
          <input
            id="rfi-field-country"
            value={country}
            maxLength={2}
            size={4}
            onChange={(e) => setCountry(e.target.value)}
            {...described(violations, 'country', 'filter-country-error')}
          />
          <FieldError id="filter-country-error" violations={violations} field="country" />
        </div>
        <label className="inline">
          <input type="checkbox" checked={overdue} onChange={(e) => setOverdue(e.target.checked)} />
          {t('inbox.overdueOnly')}
        </label>
        <button type="button" onClick={() => setTick(tick + 1)}>
          {t('inbox.refresh')}
        </button>
      </form>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {items === undefined ? (
        <p>{t('loading')}</p>
      ) : items.length === 0 ? (
        <p>{t('inbox.empty')}</p>
      ) : (
        <table className="alerts" aria-label={t(`inbox.${box}`)}>
          <thead>
            <tr>
              <th scope="col">{t('field.subject')}</th>
              <th scope="col">{t('field.type')}</th>
              <th scope="col">{t('field.from')}</th>
              <th scope="col">{t('field.to')}</th>
              <th scope="col">{t('field.priority')}</th>
              <th scope="col">{t('field.due')}</th>
              <th scope="col">{t('field.status')}</th>
              <th scope="col">{t('field.last')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((th) => (
              <tr key={th.id} data-thread-id={th.id}>
                <td>
                  <a
                    href={`/console/requests/${th.id}`}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate(`requests/${th.id}`);
                    }}
                  >
                    {th.subject ?? t('thread.unreadable')}
                  </a>
                </td>
                <td>{t(`type.${th.type}`)}</td>
                <td>{th.from}</td>
                <td>{th.to.join(', ')}</td>
                <td className={`badge-priority-${th.priority}`}>{t(`priority.${th.priority}`)}</td>
                <td>{th.dueAt !== undefined ? formatInstant(th.dueAt, locale) : '—'}</td>
                <td>
                  {t(`status.${th.status}`)}{' '}
                  {th.overdue && <span className="badge-overdue">{t('overdue')}</span>}
                </td>
                <td>{formatInstant(th.lastAt, locale)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next !== undefined && (
        <button type="button" onClick={() => void more()}>
          {t('inbox.more')}
        </button>
      )}
    </section>
  );
}

/** The reminder every request form shows (issue 12: no victim may be identified). */
export function VictimReminder(props: { readonly id: string }): ReactNode {
  const { t } = useTranslation('rfi');
  return (
    <p id={props.id} className="victim-reminder" role="note">
      {t('victimReminder')}
    </p>
  );
}

/** When the node's free-text screen flagged something: the writer confirms, or edits. */
function ScreenConfirm(props: {
  readonly violations: readonly FieldViolation[];
  readonly checked: boolean;
  onChange(value: boolean): void;
}): ReactNode {
  const { t } = useTranslation('rfi');
  if (!props.violations.some((v) => v.code === 'may_identify_person') && !props.checked) return null;
  return (
    <label className="inline">
      <input type="checkbox" checked={props.checked} onChange={(e) => props.onChange(e.target.checked)} />
      {t('confirmNoVictim')}
    </label>
  );
}

function NewRequest(): ReactNode {
  const { t } = useTranslation('rfi');
  const { navigate, failed } = useShell();
  const [to, setTo] = useState('');
  const [subject, setSubject] = useState('');
  const [text, setText] = useState('');
  const [priority, setPriority] = useState<RequestPriority>('routine');
  const [due, setDue] = useState('');
  const [handling, setHandling] = useState<(typeof HANDLINGS)[number]>('H1');
  const [tlp, setTlp] = useState<(typeof TLPS)[number]>('amber');
  const [alertIds, setAlertIds] = useState('');
  const [series, setSeries] = useState('');
  const [confirm, setConfirm] = useState(false);
  const [violations, setViolations] = useState<readonly FieldViolation[]>([]);
  const [message, setMessage] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const list = (v: string): string[] =>
    v
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter((s) => s !== '');

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setViolations([]);
    setMessage(undefined);
    const ids = list(alertIds);
    const docs = list(series);
    const body: RequestCreateJson = {
      to: list(to).map((c) => c.toUpperCase()),
      subject,
      text,
      priority,
      handling,
      tlp,
      ...(due !== '' && { dueAt: new Date(due).toISOString() }),
      ...((ids.length > 0 || docs.length > 0) && {
        references: { alertIds: ids, documentSeries: docs },
      }),
      ...(confirm && { confirmNoVictimIdentified: true }),
    };
    try {
      const sent = await nodeClient.requests.create(body);
      navigate(`requests/${sent.threadId}`);
    } catch (err) {
      const found = violationsOf(err);
      setViolations(found);
      setMessage(found.length > 0 ? t('form.notSent', { count: found.length }) : failed(err));
    } finally {
      setBusy(false);
    }
  };

  const field = (name: string): { id: string; props: ReturnType<typeof described> } => ({
    id: `rfi-${name}-error`,
    props: described(violations, name, `rfi-${name}-error`),
  });

  return (
    <section aria-labelledby="new-rfi-title">
      <h2 id="new-rfi-title">{t('form.title')}</h2>
      <VictimReminder id="rfi-reminder" />
      <form className="rfi" noValidate onSubmit={(e) => void submit(e)} aria-describedby="rfi-reminder">
        <div className="field">
          <label htmlFor="rfi-form-to">{t('form.to')}</label>
          <input
            id="rfi-form-to"
            value={to}
            onChange={(e) => setTo(e.target.value)}
            placeholder="GT, HN"
            required
            {...field('to').props}
          />
          <FieldError id={field('to').id} violations={violations} field="to" />
        </div>
        <div className="field">
          <label htmlFor="rfi-field-subject">{t('field.subject')}</label>
          <input
            id="rfi-field-subject"
            value={subject}
            maxLength={200}
            onChange={(e) => setSubject(e.target.value)}
            required
            {...field('subject').props}
          />
          <FieldError id={field('subject').id} violations={violations} field="subject" />
        </div>
        <div className="field">
          <label htmlFor="rfi-form-text">{t('form.text')}</label>
          <textarea
            id="rfi-form-text"
            value={text}
            rows={6}
            maxLength={10_000}
            onChange={(e) => setText(e.target.value)}
            required
            {...field('text').props}
          />
          <FieldError id={field('text').id} violations={violations} field="text" />
        </div>
        <fieldset>
          <legend>{t('form.priorityAndDue')}</legend>
          <div className="field">
            <label htmlFor="rfi-field-priority">{t('field.priority')}</label>
            <select
              id="rfi-field-priority"
              value={priority}
              onChange={(e) => setPriority(e.target.value as RequestPriority)}
            >
              {PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {t(`priority.${p}`)}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="rfi-form-due">{t('form.due')}</label>
            <input
              id="rfi-form-due"
              type="datetime-local"
              value={due}
              onChange={(e) => setDue(e.target.value)}
              {...field('dueAt').props}
            />
            <FieldError id={field('dueAt').id} violations={violations} field="dueAt" />
          </div>
        </fieldset>
        <fieldset>
          <legend>{t('form.marking')}</legend>
          <div className="field">
            <label htmlFor="rfi-form-handling">{t('form.handling')}</label>
            <select
              id="rfi-form-handling"
              value={handling}
              onChange={(e) => setHandling(e.target.value as (typeof HANDLINGS)[number])}
            >
              {HANDLINGS.map((h) => (
                <option key={h} value={h}>
                  {t(`handling.${h}`)}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="rfi-tlp">TLP</label>
            <select
              id="rfi-tlp"
              value={tlp}
              onChange={(e) => setTlp(e.target.value as (typeof TLPS)[number])}
            >
              {TLPS.map((v) => (
                <option key={v} value={v}>
                  {`TLP:${v.toUpperCase()}`}
                </option>
              ))}
            </select>
          </div>
        </fieldset>
        <fieldset>
          <legend>{t('form.references')}</legend>
          <div className="field">
            <label htmlFor="rfi-form-alertids">{t('form.alertIds')}</label>
            <input
              id="rfi-form-alertids"
              value={alertIds}
              onChange={(e) => setAlertIds(e.target.value)}
              {...field('references.alertIds').props}
            />
            <FieldError
              id={field('references.alertIds').id}
              violations={violations}
              field="references.alertIds"
            />
          </div>
          <div className="field">
            <label htmlFor="rfi-form-documentseries">{t('form.documentSeries')}</label>
            <input
              id="rfi-form-documentseries"
              value={series}
              onChange={(e) => setSeries(e.target.value)}
              {...field('references.documentSeries').props}
            />
            <FieldError
              id={field('references.documentSeries').id}
              violations={violations}
              field="references.documentSeries"
            />
          </div>
        </fieldset>
        <ScreenConfirm violations={violations} checked={confirm} onChange={setConfirm} />
        <FieldError id="rfi-form-error" violations={violations} field="" />
        <button type="submit" disabled={busy}>
          {t('form.send')}
        </button>
        {message !== undefined && (
          <p className="error" role="alert">
            {message}
          </p>
        )}
      </form>
    </section>
  );
}

function ThreadView(props: { readonly id: string }): ReactNode {
  const { t } = useTranslation('rfi');
  const locale = useLocale();
  const { failed, session } = useShell();
  const [thread, setThread] = useState<ThreadDetailJson | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [text, setText] = useState('');
  const [confirm, setConfirm] = useState(false);
  const [violations, setViolations] = useState<readonly FieldViolation[]>([]);
  const [done, setDone] = useState<string | undefined>();
  const [tick, setTick] = useState(0);

  useEffect(() => {
    nodeClient.requests.get(props.id).then(setThread, (e: unknown) => setError(failed(e)));
  }, [props.id, tick]);

  if (error !== undefined)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (thread === undefined) return <p>{t('loading')}</p>;
  const focalPoint = session.roles.includes('focal-point');
  const ended = thread.status === 'closed' || thread.status === 'withdrawn';
  const opener = thread.from === session.country;

  const act = async (action: 'reply' | 'close' | 'withdraw'): Promise<void> => {
    setViolations([]);
    setDone(undefined);
    const body = {
      ...(text !== '' && { text }),
      ...(confirm && { confirmNoVictimIdentified: true }),
    };
    try {
      if (action === 'reply') await nodeClient.requests.reply(thread.id, { text, ...body });
      else if (action === 'close') await nodeClient.requests.close(thread.id, body);
      else await nodeClient.requests.withdraw(thread.id, body);
      setText('');
      setConfirm(false);
      setDone(t(`thread.done.${action}`));
      setTick(tick + 1);
    } catch (e) {
      const found = violationsOf(e);
      setViolations(found);
      setDone(found.length > 0 ? t('form.notSent', { count: found.length }) : failed(e));
    }
  };

  return (
    <section aria-labelledby="thread-title">
      <h2 id="thread-title">{thread.subject ?? t('thread.unreadable')}</h2>
      <dl className="facts">
        <dt>{t('field.type')}</dt>
        <dd>{t(`type.${thread.type}`)}</dd>
        <dt>{t('field.from')}</dt>
        <dd>{thread.from}</dd>
        <dt>{t('field.to')}</dt>
        <dd>{thread.to.join(', ')}</dd>
        <dt>{t('field.priority')}</dt>
        <dd>{t(`priority.${thread.priority}`)}</dd>
        {thread.dueAt !== undefined && (
          <>
            <dt>{t('field.due')}</dt>
            <dd>{formatInstant(thread.dueAt, locale)}</dd>
          </>
        )}
        <dt>{t('field.status')}</dt>
        <dd data-testid="thread-status">
          {t(`status.${thread.status}`)}{' '}
          {thread.overdue && <span className="badge-overdue">{t('overdue')}</span>}
        </dd>
      </dl>
      <h3>{t('thread.messages', { count: thread.messages.length })}</h3>
      <ol className="rfi-messages">
        {thread.messages.map((m) => (
          <li key={m.id} data-message-id={m.id}>
            <p>
              <strong>{t(`messageType.${m.type}`)}</strong> ·{' '}
              {t('thread.fromTo', { from: m.from, to: m.to.join(', ') })} ·{' '}
              {formatInstant(m.issuedAt, locale)} · {m.handling} · TLP:{m.tlp.toUpperCase()}
            </p>
            {m.body !== undefined ? (
              <>
                {m.body.subject !== '' && m.body.subject !== thread.subject && <p>{m.body.subject}</p>}
                <p className="text">{m.body.text}</p>
                {Object.entries(m.body.references).some(([, v]) => v.length > 0) && (
                  <p>
                    {t('form.references')}:{' '}
                    {Object.entries(m.body.references)
                      .flatMap(([, v]) => v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))))
                      .join(', ')}
                  </p>
                )}
              </>
            ) : (
              <p>{t('thread.unreadable')}</p>
            )}
            {Array.isArray(m['receipts']) && (m['receipts'] as unknown[]).length > 0 && (
              <p className="receipts">
                {t('thread.receipts')}:{' '}
                {(m['receipts'] as { from: string; status: string; at: string }[])
                  .map(
                    (r) =>
                      `${r.from} ${t(`receipt.${r.status}`, { defaultValue: r.status })} ${formatInstant(r.at, locale)}`,
                  )
                  .join('; ')}
              </p>
            )}
          </li>
        ))}
      </ol>
      {focalPoint && !ended && thread.type === 'information' && (
        <form
          className="rfi"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void act('reply');
          }}
        >
          <VictimReminder id="reply-reminder" />
          <div className="field">
            <label htmlFor="rfi-thread-reply">{t('thread.reply')}</label>
            <textarea
              id="rfi-thread-reply"
              value={text}
              rows={4}
              onChange={(e) => setText(e.target.value)}
              {...described(violations, 'text', 'reply-text-error')}
            />
            <FieldError id="reply-text-error" violations={violations} field="text" />
          </div>
          <ScreenConfirm violations={violations} checked={confirm} onChange={setConfirm} />
          <FieldError id="reply-form-error" violations={violations} field="" />
          <div className="actions">
            <button type="submit">{t('thread.send')}</button>
            <button type="button" onClick={() => void act('close')}>
              {t('thread.close')}
            </button>
            {opener && (
              <button type="button" onClick={() => void act('withdraw')}>
                {t('thread.withdraw')}
              </button>
            )}
          </div>
        </form>
      )}
      {done !== undefined && (
        <p role="status" data-testid="rfi-status">
          {done}
        </p>
      )}
    </section>
  );
}
