/**
 * One alert for people: the handling code as a banner saying what the officer may do, the
 * grading in words, the body (waypoints; the network's members and links; document patterns and
 * detections), how it was verified, the receipts received, and its history (what it replaces,
 * what replaced it, its retraction and why). Actions as the reader's role and the alert allow:
 * acknowledge and forward (disabled, with the reason, for H2 and H3) an alert received; retract
 * and supersede (the form of its kind, prefilled) one this country published.
 */
import { useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { AlertDetailJson } from '@enlace/client';

import { nodeClient } from '../api.js';
import { useShell } from '../app.js';
import { enumWord, formatInstant, formatNumber, gradingInWords, handlingWords } from '../format.js';
import { arr, obj, str, useFocalPoint } from './compose-core.js';
import './officer.css';
import { ConsentPanel } from './requests/consent-panel.js';

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : []);

interface HistoryEntry {
  readonly relation: 'replaces' | 'replacedBy' | 'retracts' | 'retractedBy';
  readonly id: string;
  readonly alert?: AlertDetailJson;
}

/** The alerts this one is linked to by supersede and retract, each fetched once (unreadable ones by id only). */
async function historyOf(alert: AlertDetailJson): Promise<HistoryEntry[]> {
  const links: [HistoryEntry['relation'], string | undefined][] = [
    ['replaces', alert.supersedesId],
    ['replacedBy', alert.supersededBy],
    ['retracts', alert.retractsId],
    ['retractedBy', alert.retractedBy],
  ];
  return Promise.all(
    links
      .filter((l): l is [HistoryEntry['relation'], string] => l[1] !== undefined)
      .map(async ([relation, id]) => {
        try {
          return { relation, id, alert: await nodeClient.alerts.get(id) };
        } catch {
          return { relation, id };
        }
      }),
  );
}

function RouteBody(props: { readonly route: Record<string, unknown> }): ReactNode {
  const { t, i18n } = useTranslation('officer');
  const lng = i18n.language;
  const waypoints = arr(props.route['waypoints']);
  if (waypoints.length === 0) return null;
  const modes = strings(props.route['transportModes']);
  return (
    <section aria-labelledby="waypoints">
      <h3 id="waypoints">{t('detail.waypoints')}</h3>
      <ol data-testid="waypoints">
        {waypoints.map((w, i) => {
          const crossing = str(w['crossing']);
          const mode = str(w['transportMode']);
          return (
            <li key={i}>
              {str(w['place'])} ({str(w['country'])})
              {crossing !== '' &&
                crossing !== 'CROSSING_TYPE_NONE' &&
                ` — ${t('detail.crossing', { kind: enumWord(crossing, 'CROSSING_TYPE', lng) })}`}
              {mode !== '' && `, ${t('detail.by', { mode: enumWord(mode, 'TRANSPORT_MODE', lng) })}`}
            </li>
          );
        })}
      </ol>
      <dl className="facts">
        {modes.length > 0 && (
          <>
            <dt>{t('detail.transportModes')}</dt>
            <dd>{modes.map((m) => enumWord(m, 'TRANSPORT_MODE', lng)).join(', ')}</dd>
          </>
        )}
        {str(props.route['firstObserved']) !== '' && (
          <>
            <dt>{t('detail.firstObserved')}</dt>
            <dd>{formatInstant(str(props.route['firstObserved']), lng)}</dd>
          </>
        )}
        {str(props.route['lastObserved']) !== '' && (
          <>
            <dt>{t('detail.lastObserved')}</dt>
            <dd>{formatInstant(str(props.route['lastObserved']), lng)}</dd>
          </>
        )}
        {str(props.route['estimatedMigrants']) !== '' && (
          <>
            <dt>{t('detail.estimatedMigrants')}</dt>
            <dd>{formatNumber(Number(props.route['estimatedMigrants']), lng)}</dd>
          </>
        )}
      </dl>
    </section>
  );
}

function DocumentBody(props: { readonly document: Record<string, unknown> }): ReactNode {
  const { t, i18n } = useTranslation('officer');
  const lng = i18n.language;
  const d = props.document;
  if (Object.keys(d).length === 0) return null;
  const patterns = strings(d['numberPatterns']);
  const features = strings(d['compromisedFeatures']);
  const digests = arr(d['numberDigests']).length;
  const detections = arr(d['detections']);
  return (
    <section aria-labelledby="document">
      <h3 id="document">{t('detail.document')}</h3>
      <dl className="facts" data-testid="document">
        <dt>{t('detail.documentType')}</dt>
        <dd>{enumWord(str(d['documentType']), 'DOCUMENT_TYPE', lng)}</dd>
        <dt>{t('detail.issuingCountry')}</dt>
        <dd>{str(d['issuingCountry'])}</dd>
        <dt>{t('detail.fraudType')}</dt>
        <dd>{enumWord(str(d['fraudType']), 'FRAUD_TYPE', lng)}</dd>
        {str(d['series']) !== '' && (
          <>
            <dt>{t('detail.series')}</dt>
            <dd>{str(d['series'])}</dd>
          </>
        )}
        {patterns.length > 0 && (
          <>
            <dt>{t('detail.patterns')}</dt>
            <dd>
              <ul className="inline-list" data-testid="patterns">
                {patterns.map((p) => (
                  <li key={p}>
                    <code>{p}</code>
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
        {features.length > 0 && (
          <>
            <dt>{t('detail.features')}</dt>
            <dd>{features.map((f) => enumWord(f, 'SECURITY_FEATURE', lng)).join(', ')}</dd>
          </>
        )}
        {digests > 0 && (
          <>
            <dt>{t('detail.digests')}</dt>
            <dd>{t('detail.digestCount', { n: formatNumber(digests, lng) })}</dd>
          </>
        )}
      </dl>
      {detections.length > 0 && (
        <>
          <h4>{t('detail.detections')}</h4>
          <ul data-testid="detections">
            {detections.map((x, i) => (
              <li key={i}>
                {t('detail.detection', {
                  place: str(x['place']),
                  country: str(x['country']),
                  point: enumWord(str(x['point']), 'DETECTION_POINT', lng),
                  date: formatInstant(str(x['detectedAt']), lng),
                  n: formatNumber(Number(x['quantity'] ?? 0), lng),
                })}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function NetworkBody(props: { readonly network: Record<string, unknown> }): ReactNode {
  const { t, i18n } = useTranslation('officer');
  const lng = i18n.language;
  const n = props.network;
  const entities = arr(n['entities']);
  if (entities.length === 0) return null;
  const links = arr(n['links']);
  const countries = strings(n['countriesOfOperation']);
  const corridors = arr(obj(n['financial'])['corridors']);
  return (
    <section aria-labelledby="network">
      <h3 id="network">{t('detail.network')}</h3>
      <h4>{t('detail.entities')}</h4>
      <ul data-testid="entities">
        {entities.map((e, i) => (
          <li key={i}>
            <strong>{str(e['pseudonym'])}</strong>:{' '}
            {strings(e['roles'])
              .map((r) => enumWord(r, 'ENTITY_ROLE', lng))
              .join(', ')}
            {strings(e['countries']).length > 0 && ` (${strings(e['countries']).join(', ')})`}
          </li>
        ))}
      </ul>
      {links.length > 0 && (
        <>
          <h4>{t('detail.links')}</h4>
          <ul data-testid="links">
            {links.map((l, i) => (
              <li key={i}>
                {str(l['from'])} {enumWord(str(l['relation']), 'LINK_RELATION', lng)} {str(l['to'])}
              </li>
            ))}
          </ul>
        </>
      )}
      <dl className="facts">
        {countries.length > 0 && (
          <>
            <dt>{t('detail.countriesOfOperation')}</dt>
            <dd>{countries.join(', ')}</dd>
          </>
        )}
        {corridors.length > 0 && (
          <>
            <dt>{t('detail.corridors')}</dt>
            <dd>{corridors.map((c) => `${str(c['fromCountry'])} → ${str(c['toCountry'])}`).join(', ')}</dd>
          </>
        )}
      </dl>
      {str(n['modusOperandi']) !== '' && (
        <>
          <h4>{t('detail.modusOperandi')}</h4>
          <p>{str(n['modusOperandi'])}</p>
        </>
      )}
    </section>
  );
}

function History(props: { readonly entries: readonly HistoryEntry[] }): ReactNode {
  const { t, i18n } = useTranslation('officer');
  const { navigate } = useShell();
  if (props.entries.length === 0) return null;
  return (
    <section aria-labelledby="history">
      <h3 id="history">{t('detail.history')}</h3>
      <ul data-testid="history">
        {props.entries.map((entry) => {
          const header = obj(entry.alert?.alert['header']);
          return (
            <li key={`${entry.relation}-${entry.id}`}>
              {t(`detail.historyRelation.${entry.relation}`)}{' '}
              <a
                href={`/console/alerts/${entry.id}`}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(`alerts/${entry.id}`);
                }}
              >
                {entry.alert !== undefined && entry.alert.title !== '' ? entry.alert.title : entry.id}
              </a>
              {entry.alert !== undefined && `, ${formatInstant(entry.alert.issuedAt, i18n.language)}`}
              {entry.relation === 'retractedBy' && str(header['summary']) !== '' && (
                <>
                  {' '}
                  — {t('detail.reason')}: <q>{str(header['summary'])}</q>
                </>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

export function AlertDetail(props: { readonly id: string }): ReactNode {
  const { t, i18n } = useTranslation('officer');
  const { failed, navigate, session } = useShell();
  const focalPoint = useFocalPoint();
  const [alert, setAlert] = useState<AlertDetailJson | undefined>();
  const [history, setHistory] = useState<readonly HistoryEntry[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const [to, setTo] = useState('');
  const [retracting, setRetracting] = useState(false);
  const [reason, setReason] = useState('');
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    let live = true;
    setError(undefined);
    nodeClient.alerts.get(props.id).then(
      async (found) => {
        if (!live) return;
        setAlert(found);
        const entries = await historyOf(found);
        if (live) setHistory(entries);
      },
      (e: unknown) => live && setError(failed(e)),
    );
    return () => {
      live = false;
    };
  }, [props.id, reloads]);

  if (error !== undefined)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (alert === undefined || alert.id !== props.id) return <p>{t('loading')}</p>;
  const lng = i18n.language;
  const header = obj(alert.alert['header']);
  // What the reader must heed, in the reader's language (the node's `notices` say the same in English).
  const notices = [
    ...(alert.handling === 'H1' ? [t('notices.h1')] : []),
    ...(alert.handling === 'H2' ? [t('notices.h2')] : []),
    ...(alert.bodyRestricted
      ? [t('notices.headerOnly')]
      : alert.restricted && !alert.bodyReadable
        ? [t('notices.otherRecipients')]
        : []),
    ...(alert.retractedBy !== undefined ? [t('notices.retracted')] : []),
    ...(alert.supersededBy !== undefined ? [t('notices.superseded')] : []),
    ...(alert.expired === true ? [t('notices.expired', { at: formatInstant(alert.expiresAt, lng) })] : []),
  ];
  const handling = handlingWords(alert.handling, lng);
  const restricted = alert.handling === 'H2' || alert.handling === 'H3';
  // Retract and supersede speak for the country that published it: its own focal points only.
  const own = alert.box === 'outbox' && alert.origin === session.country && focalPoint;
  const isRetraction = alert.retractsId !== undefined;
  const closed = alert.retractedBy !== undefined || alert.supersededBy !== undefined || isRetraction;

  const act = async (run: () => Promise<string>): Promise<void> => {
    setDone(undefined);
    try {
      setDone(await run());
    } catch (e) {
      setDone(failed(e));
    }
  };
  const forward = () =>
    act(async () => {
      await nodeClient.alerts.forward(alert.id, { to });
      return t('detail.forwarded', { to });
    });
  const ack = () =>
    act(async () => {
      await nodeClient.alerts.ack(alert.id, { status: 'read' });
      return t('detail.acknowledged');
    });
  const dismissed = alert.dismissed !== undefined && alert.dismissed !== false ? alert.dismissed : undefined;
  const dismiss = () =>
    act(async () => {
      if (dismissed === undefined) await nodeClient.alerts.dismiss(alert.id);
      else await nodeClient.alerts.undismiss(alert.id);
      setReloads((n) => n + 1);
      return dismissed === undefined ? t('detail.dismissedDone') : t('detail.undismissedDone');
    });
  const retract = () =>
    act(async () => {
      await nodeClient.alerts.retract(alert.id, { reason: reason.trim() });
      setRetracting(false);
      setReason('');
      setReloads((n) => n + 1);
      return t('detail.retracted');
    });

  return (
    <article className="alert" aria-labelledby="alert-title">
      <p>
        <a
          href={alert.box === 'outbox' ? '/console/outbox' : '/console/'}
          onClick={(e) => {
            e.preventDefault();
            navigate(alert.box === 'outbox' ? 'outbox' : '');
          }}
        >
          ← {alert.box === 'outbox' ? t('list.outbox') : t('list.inbox')}
        </a>
      </p>
      {handling !== undefined && (
        <div className={`banner handling-${alert.handling}`} role="note" data-testid="handling-banner">
          <strong>{handling.title}.</strong> {handling.may}
          {alert.handling === 'H3' && str(header['handlingNote']) !== '' && (
            <> {str(header['handlingNote'])}</>
          )}
        </div>
      )}
      <h2 id="alert-title">{alert.title !== '' ? alert.title : t('restrictedTitle')}</h2>
      {(alert.retractedBy !== undefined || alert.supersededBy !== undefined) && (
        <p className="banner warn" role="note" data-testid="closed-banner">
          {alert.retractedBy !== undefined ? t('detail.isRetracted') : t('detail.isSuperseded')}
        </p>
      )}
      <dl className="facts">
        <dt>{t('detail.origin')}</dt>
        <dd>{alert.origin}</dd>
        <dt>{t('detail.kind')}</dt>
        <dd>{t(`kinds.${alert.kind as 'route'}`, { defaultValue: alert.kind })}</dd>
        <dt>{t('detail.networkId')}</dt>
        <dd>{alert.network}</dd>
        <dt>{t('detail.issued')}</dt>
        <dd>{formatInstant(alert.issuedAt, lng)}</dd>
        {alert.expiresAt !== undefined && (
          <>
            <dt>{t('detail.expires')}</dt>
            <dd>{formatInstant(alert.expiresAt, lng)}</dd>
          </>
        )}
        <dt>{t('detail.grading')}</dt>
        <dd data-testid="grading">{gradingInWords(obj(header['grading']), lng)}</dd>
        <dt>TLP</dt>
        <dd>{alert.tlp}</dd>
        {alert.recipients.length > 0 && (
          <>
            <dt>{t('detail.recipients')}</dt>
            <dd data-testid="recipients">{alert.recipients.join(', ')}</dd>
          </>
        )}
      </dl>
      {notices.length > 0 && (
        <ul className="notices" aria-label={t('detail.notices')} data-testid="notices">
          {notices.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {str(header['summary']) !== '' && <p className="summary">{str(header['summary'])}</p>}

      <RouteBody route={obj(alert.alert['route'])} />
      <DocumentBody document={obj(alert.alert['document'])} />
      <NetworkBody network={obj(alert.alert['network'])} />
      <History entries={history} />

      <section aria-labelledby="verification">
        <h3 id="verification">{t('detail.verification')}</h3>
        <dl className="facts" data-testid="verification">
          <dt>{t('detail.verdict')}</dt>
          <dd>{t('detail.verified')}</dd>
          <dt>{t('detail.origin')}</dt>
          <dd>{alert.origin}</dd>
          <dt>{t('detail.key')}</dt>
          <dd>{alert.verification.kid}</dd>
          <dt>{t('detail.registryRevision')}</dt>
          <dd>{formatNumber(alert.verification.registryRevision, lng)}</dd>
          <dt>{t('detail.verifiedAt')}</dt>
          <dd>{formatInstant(alert.verification.verifiedAt, lng)}</dd>
          <dt>{t('detail.checks')}</dt>
          <dd>{alert.verification.checks.join(', ')}</dd>
          {alert.verification.forwardedBy !== undefined && (
            <>
              <dt>{t('detail.forwardedBy')}</dt>
              <dd>{alert.verification.forwardedBy}</dd>
            </>
          )}
        </dl>
      </section>
      <section aria-labelledby="receipts">
        <h3 id="receipts">{t('detail.receipts')}</h3>
        {alert.receipts.length === 0 ? (
          <p>{t('detail.noReceipts')}</p>
        ) : (
          <ul data-testid="receipts">
            {alert.receipts.map((r) => (
              <li key={`${r.from}-${r.status}`}>
                {t('detail.receipt', {
                  from: r.from,
                  status: t(`detail.receiptStatus.${r.status}`),
                  at: formatInstant(r.at, lng),
                })}
              </li>
            ))}
          </ul>
        )}
      </section>
      {dismissed !== undefined && (
        <p className="banner" role="note">
          {t('detail.isDismissed', { by: dismissed.by, at: formatInstant(dismissed.at, lng) })}
        </p>
      )}
      <div className="actions">
        {alert.box === 'inbox' && focalPoint && (
          <button type="button" onClick={() => void ack()}>
            {t('detail.acknowledge')}
          </button>
        )}
        {alert.box === 'inbox' && focalPoint && (
          <button type="button" onClick={() => void dismiss()}>
            {dismissed === undefined ? t('detail.dismiss') : t('detail.undismiss')}
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
            <label htmlFor="forward-to">{t('detail.forwardTo')}</label>
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
              {t('detail.forward')}
            </button>
          </form>
        )}
        {restricted && alert.box === 'inbox' && focalPoint && (
          <span id="forward-reason" className="reason">
            {t('detail.forwardDisabled', { reason: handling?.title ?? alert.handling })}
          </span>
        )}
        {own && !closed && (
          <button type="button" onClick={() => navigate(`alerts/${alert.id}/supersede`)}>
            {t('detail.supersede')}
          </button>
        )}
        {own && !closed && !retracting && (
          <button type="button" onClick={() => setRetracting(true)}>
            {t('detail.retract')}
          </button>
        )}
        {done !== undefined && <span role="status">{done}</span>}
      </div>
      {own && retracting && (
        <form
          className="confirm"
          aria-labelledby="retract-title"
          onSubmit={(e) => {
            e.preventDefault();
            void retract();
          }}
        >
          <h3 id="retract-title">{t('detail.retractTitle')}</h3>
          <p>{t('detail.retractExplain')}</p>
          <label htmlFor="retract-reason">{t('detail.retractReason')}</label>
          <textarea
            id="retract-reason"
            rows={2}
            maxLength={2000}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
          <button type="submit" disabled={reason.trim() === ''}>
            {t('detail.retractConfirm')}
          </button>
          <button type="button" onClick={() => setRetracting(false)}>
            {t('detail.cancel')}
          </button>
        </form>
      )}
      <ConsentPanel alert={alert} />
    </article>
  );
}
