/**
 * Hit/no-hit matching in the browser: the analyst loads the network's matching key from a local
 * file (it is read here and never uploaded), types the numbers of a case, and the page computes
 * their keyed digests with WebCrypto (keyed-digest.ts, identical to `enlace match digest`). Only
 * the digests go to POST /v1/match; the answer is mapped back to the numbers here, and each hit
 * links to what the answer says of its alert.
 */
import { useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { AlertRefJson } from '@enlace/client';

import { feedClient } from '../api.js';
import { useShell } from '../app.js';
import { DigestInputError, keyedDigestHex, parseMatchingKey } from './keyed-digest.js';
import type { BrowserMatchingKey, IdentifierKind } from './keyed-digest.js';

interface Hit {
  readonly value: string;
  readonly line: number;
  readonly alerts: readonly AlertRefJson[];
}

export function MatchPanel(props: {
  readonly country: string | undefined;
  readonly onHits: (alerts: readonly AlertRefJson[]) => void;
  readonly open: (alertId: string) => void;
}): ReactNode {
  const { t } = useTranslation('fiu');
  const { failed } = useShell();
  const [key, setKey] = useState<BrowserMatchingKey | undefined>();
  const [keyProblem, setKeyProblem] = useState<string | undefined>();
  const [kind, setKind] = useState<IdentifierKind>('doc');
  const [country, setCountry] = useState(props.country ?? '');
  const [values, setValues] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const [result, setResult] = useState<{ queried: number; hits: readonly Hit[] } | undefined>();
  const [busy, setBusy] = useState(false);

  const explain = (e: unknown, where?: string): string => {
    if (!(e instanceof DigestInputError)) return failed(e);
    const text = t(`digestIssue.${e.issue}`, { detail: e.detail ?? '' });
    return where === undefined ? text : `${where}: ${text}`;
  };

  const loadKey = async (file: File | undefined): Promise<void> => {
    setKey(undefined);
    setKeyProblem(undefined);
    if (file === undefined) return;
    try {
      setKey(await parseMatchingKey(await file.text()));
    } catch (e) {
      setKeyProblem(explain(e));
    }
  };

  const match = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setProblem(undefined);
    setResult(undefined);
    if (key === undefined) return;
    const lines = values
      .split(/\r?\n/)
      .map((v, i) => ({ value: v.trim(), line: i + 1 }))
      .filter((l) => l.value !== '');
    setBusy(true);
    try {
      const digested: Array<{ value: string; line: number; digest: string }> = [];
      for (const l of lines) {
        try {
          digested.push({ ...l, digest: await keyedDigestHex(key, kind, country, l.value) });
        } catch (e) {
          // The line and the reason, never the value: the message may be copied elsewhere.
          setProblem(explain(e, t('match.line', { line: l.line })));
          return;
        }
      }
      const answer = await feedClient.match({
        keyId: key.keyId,
        digests: [...new Set(digested.map((d) => d.digest))],
      });
      const alertsOf = new Map(answer.hits.map((h) => [h.digest, h.alerts]));
      const hits = digested
        .filter((d) => alertsOf.has(d.digest))
        .map((d) => ({ value: d.value, line: d.line, alerts: alertsOf.get(d.digest)! }));
      props.onHits(hits.flatMap((h) => h.alerts));
      setResult({ queried: digested.length, hits });
    } catch (e) {
      setProblem(failed(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <p>{t('match.explain')}</p>
      <form className="match-form" onSubmit={(e) => void match(e)}>
        <div className="field">
          <label htmlFor="match-key">{t('match.keyFile')}</label>
          <input
            id="match-key"
            type="file"
            accept=".json,application/json"
            onChange={(e) => void loadKey(e.target.files?.[0])}
            {...(keyProblem !== undefined && { 'aria-invalid': true, 'aria-describedby': 'match-key-error' })}
          />
          {key !== undefined && (
            <small data-testid="match-key-loaded">
              {t('match.keyLoaded', { keyId: key.keyId, network: key.network })}
            </small>
          )}
          {keyProblem !== undefined && (
            <p className="error" id="match-key-error" role="alert">
              {keyProblem}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="match-kind">{t('match.kind')}</label>
          <select id="match-kind" value={kind} onChange={(e) => setKind(e.target.value as IdentifierKind)}>
            <option value="doc">{t('match.kindDoc')}</option>
            <option value="acct">{t('match.kindAcct')}</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="match-country">{t('match.country')}</label>
          <input
            id="match-country"
            value={country}
            onChange={(e) => setCountry(e.target.value)}
            maxLength={2}
          />
        </div>
        <div className="field">
          <label htmlFor="match-values">{t('match.values')}</label>
          <textarea id="match-values" rows={5} value={values} onChange={(e) => setValues(e.target.value)} />
        </div>
        <button type="submit" disabled={key === undefined || busy}>
          {t('match.submit')}
        </button>
      </form>
      {problem !== undefined && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {result !== undefined && (
        <div role="status" className="hits" data-testid="match-result">
          <p>{t('match.summary', { hits: result.hits.length, count: result.queried })}</p>
          <ul>
            {result.hits.map((h) => (
              <li key={h.line}>
                {t('match.hitLine', { line: h.line, value: h.value })}
                <ul>
                  {h.alerts.map((a) => (
                    <li key={a.alertId}>
                      <a
                        href={`/console/alerts/${a.alertId}`}
                        onClick={(e) => {
                          e.preventDefault();
                          props.open(a.alertId);
                        }}
                      >
                        {a.alertId}
                      </a>{' '}
                      {t('match.alertFrom', { origin: a.origin, network: a.network, kind: a.kind })}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}
