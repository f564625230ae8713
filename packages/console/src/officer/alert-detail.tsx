/**
 * One alert for people: the handling code as a banner saying what the officer may do, the
 * grading in words, the body (waypoints, entities and links, document patterns), how it was
 * verified, receipts, and its retraction or replacement. Forward is disabled, with the reason,
 * for H2 and H3.
 */
import { useEffect, useState } from 'react';
import type { ReactNode } from 'react';

import type { AlertDetailJson } from '@enlace/client';

import { nodeClient } from '../api.js';
import { useShell } from '../app.js';
import { HANDLING_WORDS, enumWord, formatInstant, gradingInWords } from '../format.js';
import { ConsentPanel } from './requests/consent-panel.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

export function AlertDetail(props: { readonly id: string }): ReactNode {
  const { failed, navigate, session } = useShell();
  const [alert, setAlert] = useState<AlertDetailJson | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const [to, setTo] = useState('');

  useEffect(() => {
    setAlert(undefined);
    nodeClient.alerts.get(props.id).then(setAlert, (e: unknown) => setError(failed(e)));
  }, [props.id]);

  if (error !== undefined)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (alert === undefined) return <p>Loading…</p>;
  const header = obj(alert.alert['header']);
  const route = obj(alert.alert['route']);
  const document = obj(alert.alert['document']);
  const network = obj(alert.alert['network']);
  const handling = HANDLING_WORDS[alert.handling];
  const restricted = alert.handling === 'H2' || alert.handling === 'H3';
  const focalPoint = session.roles.includes('focal-point');
  const forward = async (): Promise<void> => {
    try {
      await nodeClient.alerts.forward(alert.id, { to });
      setDone(`Forwarded to ${to}.`);
    } catch (e) {
      setDone(failed(e));
    }
  };
  const ack = async (): Promise<void> => {
    try {
      await nodeClient.alerts.ack(alert.id, { status: 'read' });
      setDone('Acknowledged to the originator.');
    } catch (e) {
      setDone(failed(e));
    }
  };

  return (
    <article className="alert" aria-labelledby="alert-title">
      <p>
        <a
          href="/console/"
          onClick={(e) => {
            e.preventDefault();
            navigate(alert.box === 'outbox' ? 'outbox' : '');
          }}
        >
          ← {alert.box === 'outbox' ? 'Outbox' : 'Inbox'}
        </a>
      </p>
      {handling !== undefined && (
        <div className={`banner handling-${alert.handling}`} role="note" data-testid="handling-banner">
          <strong>{handling.title}.</strong> {handling.may}
        </div>
      )}
      <h2 id="alert-title">{alert.title !== '' ? alert.title : '(restricted: title not readable here)'}</h2>
      <dl className="facts">
        <dt>Origin</dt>
        <dd>{alert.origin}</dd>
        <dt>Kind</dt>
        <dd>{alert.kind}</dd>
        <dt>Network</dt>
        <dd>{alert.network}</dd>
        <dt>Issued</dt>
        <dd>{formatInstant(alert.issuedAt)}</dd>
        {alert.expiresAt !== undefined && (
          <>
            <dt>Expires</dt>
            <dd>{formatInstant(alert.expiresAt)}</dd>
          </>
        )}
        <dt>Grading</dt>
        <dd>{gradingInWords(obj(header['grading']))}</dd>
        <dt>TLP</dt>
        <dd>{alert.tlp}</dd>
      </dl>
      {alert.notices.length > 0 && (
        <ul className="notices">
          {alert.notices.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {str(header['summary']) !== '' && <p className="summary">{str(header['summary'])}</p>}

      {arr(route['waypoints']).length > 0 && (
        <section aria-labelledby="waypoints">
          <h3 id="waypoints">Waypoints</h3>
          <ol data-testid="waypoints">
            {arr(route['waypoints']).map((w, i) => (
              <li key={i}>
                {str(w['place'])} ({str(w['country'])})
                {enumWord(str(w['crossing']), 'CROSSING_TYPE') !== 'none' &&
                  str(w['crossing']) !== '' &&
                  ` — ${enumWord(str(w['crossing']), 'CROSSING_TYPE')} crossing`}
                {str(w['transportMode']) !== '' &&
                  `, by ${enumWord(str(w['transportMode']), 'TRANSPORT_MODE')}`}
              </li>
            ))}
          </ol>
        </section>
      )}
      {Object.keys(document).length > 0 && (
        <section aria-labelledby="document">
          <h3 id="document">Document</h3>
          <dl className="facts">
            {Object.entries(document)
              .filter(([, v]) => typeof v === 'string' || typeof v === 'number')
              .map(([k, v]) => (
                <div key={k}>
                  <dt>{k}</dt>
                  <dd>{str(v)}</dd>
                </div>
              ))}
          </dl>
        </section>
      )}
      {arr(network['entities']).length > 0 && (
        <section aria-labelledby="network">
          <h3 id="network">Network</h3>
          <ul>
            {arr(network['entities']).map((e, i) => (
              <li key={i}>
                {str(e['pseudonym'])}:{' '}
                {(Array.isArray(e['roles']) ? (e['roles'] as string[]) : [])
                  .map((r) => enumWord(r, 'ENTITY_ROLE'))
                  .join(', ')}
              </li>
            ))}
          </ul>
          <ul>
            {arr(network['links']).map((l, i) => (
              <li key={i}>
                {str(l['from'])} {enumWord(str(l['relation']), 'LINK_RELATION')} {str(l['to'])}
              </li>
            ))}
          </ul>
          {str(network['modusOperandi']) !== '' && <p>{str(network['modusOperandi'])}</p>}
        </section>
      )}

      <section aria-labelledby="verification">
        <h3 id="verification">Verification</h3>
        <dl className="facts" data-testid="verification">
          <dt>Verdict</dt>
          <dd>verified</dd>
          <dt>Origin</dt>
          <dd>{alert.origin}</dd>
          <dt>Key</dt>
          <dd>{alert.verification.kid}</dd>
          <dt>Registry revision</dt>
          <dd>{alert.verification.registryRevision}</dd>
          <dt>Verified at</dt>
          <dd>{formatInstant(alert.verification.verifiedAt)}</dd>
          <dt>Checks</dt>
          <dd>{alert.verification.checks.join(', ')}</dd>
          {alert.verification.forwardedBy !== undefined && (
            <>
              <dt>Forwarded by</dt>
              <dd>{alert.verification.forwardedBy}</dd>
            </>
          )}
        </dl>
      </section>
      <section aria-labelledby="receipts">
        <h3 id="receipts">Receipts</h3>
        {alert.receipts.length === 0 ? (
          <p>None yet.</p>
        ) : (
          <ul>
            {alert.receipts.map((r) => (
              <li key={`${r.from}-${r.status}`}>
                {r.from}: {r.status}, {formatInstant(r.at)}
              </li>
            ))}
          </ul>
        )}
      </section>
      <div className="actions">
        {alert.box === 'inbox' && (
          <button type="button" onClick={() => void ack()}>
            Acknowledge
          </button>
        )}
        {alert.box === 'inbox' && focalPoint && (
          <form
            className="inline"
            onSubmit={(e) => {
              e.preventDefault();
              void forward();
            }}
          >
            <label htmlFor="forward-to">Forward to</label>
            <input
              id="forward-to"
              size={3}
              maxLength={2}
              value={to}
              disabled={restricted}
              onChange={(e) => setTo(e.target.value.toUpperCase())}
            />
            <button
              type="submit"
              disabled={restricted || to.length !== 2}
              aria-describedby={restricted ? 'forward-reason' : undefined}
            >
              Forward
            </button>
          </form>
        )}
        {restricted && focalPoint && (
          <span id="forward-reason" className="reason">
            Forwarding is disabled: {handling?.title ?? alert.handling}.
          </span>
        )}
        {done !== undefined && <span role="status">{done}</span>}
      </div>
      <ConsentPanel alert={alert} />
    </article>
  );
}
