/**
 * The administrator console (registry): countries with their status and its history, suspend,
 * reinstate and withdraw behind a confirmation with reason and decision reference (buttons only
 * for administrators; the registry refuses anyone else anyway), and the keys with their validity.
 */
import { useCallback, useEffect, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';

import type { CountryJson, CountryStatusChange, KeyJson } from '@enlace/client';

import { registryClient } from '../api.js';
import { useShell } from '../app.js';
import { formatInstant } from '../format.js';

const statusOf = (c: CountryJson): string => c.statusHistory[c.statusHistory.length - 1]?.status ?? 'unknown';

export function AdminConsole(): ReactNode {
  const { session, failed } = useShell();
  const [countries, setCountries] = useState<readonly CountryJson[]>([]);
  const [keys, setKeys] = useState<readonly KeyJson[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [pending, setPending] = useState<{ code: string; change: CountryStatusChange } | undefined>();
  const [reason, setReason] = useState('');
  const [decision, setDecision] = useState('');
  const [done, setDone] = useState<string | undefined>();
  const mayDecide = session.roles.includes('administrator');

  const load = useCallback(async () => {
    try {
      setCountries((await registryClient.countries.list()).items);
      setKeys((await registryClient.keys.list()).items);
    } catch (e) {
      setError(failed(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const confirm = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (pending === undefined) return;
    try {
      await registryClient.countries.changeStatus(pending.code, pending.change, {
        reason,
        ...(decision.trim() !== '' && { decision: decision.trim() }),
      });
      setDone(`${pending.code}: ${pending.change} recorded.`);
      setPending(undefined);
      setReason('');
      setDecision('');
      await load();
    } catch (e) {
      setDone(failed(e));
    }
  };

  return (
    <>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {done !== undefined && <p role="status">{done}</p>}
      <section aria-labelledby="countries-title">
        <h2 id="countries-title">Countries</h2>
        <table className="alerts" data-testid="countries">
          <thead>
            <tr>
              <th scope="col">Code</th>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">History</th>
              {mayDecide && <th scope="col">Decide</th>}
            </tr>
          </thead>
          <tbody>
            {countries.map((c) => (
              <tr key={c.code} data-country={c.code}>
                <td>{c.code}</td>
                <td>{c.names.en}</td>
                <td>{statusOf(c)}</td>
                <td>
                  {c.statusHistory.map((h, i) => (
                    <div key={i}>
                      {h.status} from {formatInstant(h.effectiveAt)}
                      {h.reason !== undefined && ` — ${h.reason}`}
                      {h.decision !== undefined && ` (${h.decision})`}
                    </div>
                  ))}
                </td>
                {mayDecide && (
                  <td>
                    {(statusOf(c) === 'suspended'
                      ? ['reinstate', 'withdraw']
                      : statusOf(c) === 'withdrawn'
                        ? []
                        : ['suspend', 'withdraw']
                    ).map((change) => (
                      <button
                        key={change}
                        type="button"
                        onClick={() => setPending({ code: c.code, change: change as CountryStatusChange })}
                      >
                        {change[0]!.toUpperCase() + change.slice(1)} {c.code}
                      </button>
                    ))}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {pending !== undefined && (
        <form className="confirm" onSubmit={(e) => void confirm(e)} aria-labelledby="confirm-title">
          <h3 id="confirm-title">
            {pending.change} {pending.code}?
          </h3>
          <label htmlFor="reason">Reason</label>
          <input id="reason" value={reason} onChange={(e) => setReason(e.target.value)} required />
          <label htmlFor="decision">Decision reference</label>
          <input id="decision" value={decision} onChange={(e) => setDecision(e.target.value)} />
          <button type="submit" disabled={reason.trim() === ''}>
            Confirm {pending.change}
          </button>
          <button type="button" onClick={() => setPending(undefined)}>
            Cancel
          </button>
        </form>
      )}
      <section aria-labelledby="keys-title">
        <h2 id="keys-title">Keys</h2>
        <table className="alerts">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Country</th>
              <th scope="col">Use</th>
              <th scope="col">Valid from</th>
              <th scope="col">Valid to</th>
              <th scope="col">Revoked</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.kid}>
                <td>{k.kid}</td>
                <td>{k.country}</td>
                <td>{k.use}</td>
                <td>{formatInstant(k.notBefore)}</td>
                <td>{formatInstant(k.notAfter)}</td>
                <td>
                  {k.revokedAt !== undefined
                    ? `${formatInstant(k.revokedAt)} ${k.revocationReason ?? ''}`
                    : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
