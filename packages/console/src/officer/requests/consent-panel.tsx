/**
 * Consent to onward use on an alert's page (the third-party rule, issue 12): a country that
 * received the alert asks its originator (purpose: forward to a third country, or judicial use,
 * with a reason); the originator's officer sees what was asked and grants or refuses; once
 * granted, the forward to that country, and that country only, is offered here.
 */
import { useEffect, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { AlertSummaryJson, FieldViolation, RequestMessageJson, ThreadDetailJson } from '@enlace/client';

import { nodeClient } from '../../api.js';
import { useShell } from '../../app.js';
import { formatInstant } from '../../format.js';
import { FieldError, described, violationsOf } from './field-errors.js';
import { VictimReminder } from './requests.js';
import './requests.css';

interface Asked {
  readonly thread: ThreadDetailJson;
  readonly request: RequestMessageJson;
  readonly purpose: 'forward' | 'judicial_use';
  readonly toCountry: string;
}

const consentOf = (
  m: RequestMessageJson,
): { alertId: string; purpose: string; toCountry: string } | undefined => {
  const c = m['consent'] as { alertId?: unknown; purpose?: unknown; toCountry?: unknown } | undefined;
  return typeof c?.alertId === 'string'
    ? { alertId: c.alertId, purpose: String(c.purpose), toCountry: String(c.toCountry ?? '') }
    : undefined;
};

/** Every consent thread of this node about `alertId` (asked of it, or asked by it). */
async function consentsAbout(alertId: string, box: 'inbox' | 'outbox'): Promise<Asked[]> {
  const found: Asked[] = [];
  let cursor: string | undefined;
  do {
    const page = await nodeClient.requests.list({
      box,
      type: 'consent',
      limit: 100,
      ...(cursor && { cursor }),
    });
    for (const summary of page.items) {
      const thread = await nodeClient.requests.get(summary.id);
      for (const m of thread.messages) {
        const c = m.type === 'consent' ? consentOf(m) : undefined;
        if (c?.alertId === alertId)
          found.push({
            thread,
            request: m,
            purpose: c.purpose === 'judicial_use' ? 'judicial_use' : 'forward',
            toCountry: c.toCountry,
          });
      }
    }
    cursor = page.next;
  } while (cursor !== undefined);
  return found;
}

export function ConsentPanel(props: { readonly alert: AlertSummaryJson }): ReactNode {
  const { t } = useTranslation('rfi');
  const locale = useTranslation().i18n.language;
  const { session, failed } = useShell();
  const { alert } = props;
  const own = alert.origin === session.country;
  const focalPoint = session.roles.includes('focal-point');
  const [asked, setAsked] = useState<readonly Asked[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [tick, setTick] = useState(0);
  const [purpose, setPurpose] = useState<'forward' | 'judicial_use'>('forward');
  const [to, setTo] = useState('');
  const [reason, setReason] = useState('');
  const [violations, setViolations] = useState<readonly FieldViolation[]>([]);
  const [done, setDone] = useState<string | undefined>();

  useEffect(() => {
    let live = true;
    if (alert.handling === 'H0') return;
    consentsAbout(alert.id, own ? 'inbox' : 'outbox').then(
      (a) => live && setAsked(a),
      (e: unknown) => live && setError(failed(e)),
    );
    return () => {
      live = false;
    };
  }, [alert.id, own, tick]);

  const ask = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setViolations([]);
    setDone(undefined);
    try {
      await nodeClient.alerts.requestConsent(alert.id, {
        purpose,
        reason,
        ...(purpose === 'forward' && { to: to.trim().toUpperCase() }),
      });
      setReason('');
      setDone(t('consent.asked'));
      setTick(tick + 1);
    } catch (err) {
      const found = violationsOf(err);
      setViolations(found);
      setDone(found.length > 0 ? t('form.notSent', { count: found.length }) : failed(err));
    }
  };
  const decide = async (id: string, granted: boolean): Promise<void> => {
    setDone(undefined);
    try {
      await nodeClient.consents.decide(id, { granted });
      setDone(t(granted ? 'consent.granted' : 'consent.refused'));
      setTick(tick + 1);
    } catch (err) {
      setDone(failed(err));
    }
  };
  const forward = async (country: string): Promise<void> => {
    setDone(undefined);
    try {
      await nodeClient.alerts.forward(alert.id, { to: country });
      setDone(t('consent.forwarded', { country }));
    } catch (err) {
      setDone(failed(err));
    }
  };
  const state = (a: Asked): string =>
    a.thread.consent === undefined
      ? t('consent.pending')
      : a.thread.consent.granted
        ? t('consent.stateGranted')
        : t('consent.stateRefused');
  const what = (a: Asked): string =>
    a.purpose === 'forward'
      ? t('consent.purposeForwardTo', { country: a.toCountry })
      : t('consent.purposeJudicial');

  // H0 may be shared onward as it is: there is nothing to ask.
  if (alert.handling === 'H0') return null;
  return (
    <section className="consent" aria-labelledby="consent-title">
      <h3 id="consent-title">{t('consent.title')}</h3>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {asked !== undefined && asked.length > 0 && (
        <ul aria-label={own ? t('consent.askedOfUs') : t('consent.askedByUs')}>
          {asked.map((a) => (
            <li key={a.request.id} data-consent-id={a.request.id}>
              {own ? t('consent.fromCountry', { country: a.request.from }) : ''} {what(a)} ·{' '}
              {formatInstant(a.request.issuedAt, locale)} · <strong>{state(a)}</strong>
              {a.request.body !== undefined && <span className="text"> — {a.request.body.text}</span>}
              {own && focalPoint && a.thread.consent === undefined && (
                <span className="actions">
                  {' '}
                  <button type="button" onClick={() => void decide(a.request.id, true)}>
                    {t('consent.grant', { country: a.toCountry || a.request.from })}
                  </button>{' '}
                  <button type="button" onClick={() => void decide(a.request.id, false)}>
                    {t('consent.refuse', { country: a.toCountry || a.request.from })}
                  </button>
                </span>
              )}
              {!own && focalPoint && a.thread.consent?.granted === true && a.purpose === 'forward' && (
                <>
                  {' '}
                  <button type="button" onClick={() => void forward(a.toCountry)}>
                    {t('consent.forward', { country: a.toCountry })}
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {!own && focalPoint && (
        <form className="rfi" noValidate onSubmit={(e) => void ask(e)} aria-label={t('consent.ask')}>
          <VictimReminder id="consent-reminder" />
          <fieldset>
            <legend>{t('consent.purpose')}</legend>
            <label className="inline">
              <input
                type="radio"
                name="consent-purpose"
                checked={purpose === 'forward'}
                onChange={() => setPurpose('forward')}
              />
              {t('consent.purposeForward')}
            </label>
            <label className="inline">
              <input
                type="radio"
                name="consent-purpose"
                checked={purpose === 'judicial_use'}
                onChange={() => setPurpose('judicial_use')}
              />
              {t('consent.purposeJudicial')}
            </label>
          </fieldset>
          {purpose === 'forward' && (
            <div className="field">
              <label htmlFor="consent-consent-tocountry">{t('consent.toCountry')}</label>
              <input
                id="consent-consent-tocountry"
                value={to}
                maxLength={2}
                size={4}
                onChange={(e) => setTo(e.target.value)}
                {...described(violations, 'to', 'consent-to-error')}
              />
              <FieldError id="consent-to-error" violations={violations} field="to" />
            </div>
          )}
          <div className="field">
            <label htmlFor="consent-consent-reason">{t('consent.reason')}</label>
            <textarea
              id="consent-consent-reason"
              value={reason}
              rows={3}
              onChange={(e) => setReason(e.target.value)}
              {...described(violations, 'reason', 'consent-reason-error')}
            />
            <FieldError id="consent-reason-error" violations={violations} field="reason" />
          </div>
          <FieldError id="consent-form-error" violations={violations} field="" />
          <button type="submit">{t('consent.ask')}</button>
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
