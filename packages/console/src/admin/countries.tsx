/**
 * Countries with their status and full status history (who decided, when, why, on which
 * decision); suspend, reinstate and withdraw behind the confirmation dialog, for administrators
 * only (the registry refuses anyone else as well).
 */
import { useCallback, useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { CountryJson, CountryStatusChange, CountryStatusName } from '@enlace/client';

import { registryClient } from '../api.js';
import { useShell } from '../app.js';
import { formatInstant } from '../format.js';
import { ConfirmDialog } from './confirm-dialog.js';

const statusOf = (c: CountryJson): CountryStatusName | undefined =>
  c.statusHistory[c.statusHistory.length - 1]?.status;

/** What may follow a status. */
const CHANGES: Readonly<Record<CountryStatusName, readonly CountryStatusChange[]>> = {
  member: ['suspend', 'withdraw'],
  observer: ['suspend', 'withdraw'],
  suspended: ['reinstate', 'withdraw'],
  withdrawn: [],
};

export function Countries(props: { readonly mayDecide: boolean }): ReactNode {
  const { t, i18n } = useTranslation('admin');
  const { failed } = useShell();
  const [countries, setCountries] = useState<readonly CountryJson[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [pending, setPending] = useState<{ code: string; change: CountryStatusChange } | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const lang = i18n.language as 'en' | 'es' | 'fr' | 'pt';

  const load = useCallback(async () => {
    try {
      setCountries((await registryClient.countries.list()).items);
    } catch (e) {
      setError(failed(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section aria-labelledby="countries-title">
      <h2 id="countries-title">{t('countries.title')}</h2>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {done !== undefined && <p role="status">{done}</p>}
      <table className="alerts" data-testid="countries">
        <thead>
          <tr>
            <th scope="col">{t('countries.code')}</th>
            <th scope="col">{t('countries.name')}</th>
            <th scope="col">{t('countries.status')}</th>
            <th scope="col">{t('countries.history')}</th>
            {props.mayDecide && <th scope="col">{t('countries.decide')}</th>}
          </tr>
        </thead>
        <tbody>
          {countries.map((c) => {
            const status = statusOf(c);
            return (
              <tr key={c.code} data-country={c.code}>
                <td>{c.code}</td>
                <td>{c.names[lang] ?? c.names.en}</td>
                <td data-testid="country-status">{status === undefined ? '' : t(`status.${status}`)}</td>
                <td>
                  <ol className="history">
                    {c.statusHistory.map((h, i) => (
                      <li key={i}>
                        {t('countries.change', {
                          status: t(`status.${h.status}`),
                          at: formatInstant(h.effectiveAt, i18n.language),
                        })}
                        {h.actor !== undefined && ` · ${t('countries.by', { actor: h.actor })}`}
                        {h.reason !== undefined && ` · ${t('countries.reason', { reason: h.reason })}`}
                        {h.decision !== undefined &&
                          ` · ${t('countries.decision', { decision: h.decision })}`}
                      </li>
                    ))}
                  </ol>
                </td>
                {props.mayDecide && (
                  <td>
                    {(status === undefined ? [] : CHANGES[status]).map((change) => (
                      <button key={change} type="button" onClick={() => setPending({ code: c.code, change })}>
                        {t(`countries.${change}`, { code: c.code })}
                      </button>
                    ))}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {pending !== undefined && (
        <ConfirmDialog
          title={t(`countries.confirm.${pending.change}`, { code: pending.code })}
          confirmLabel={t(`countries.confirm.button.${pending.change}`, { code: pending.code })}
          onClose={() => setPending(undefined)}
          onConfirm={async (why) => {
            try {
              await registryClient.countries.changeStatus(pending.code, pending.change, why);
              setDone(t(`countries.done.${pending.change}`, { code: pending.code }));
              await load();
              return undefined;
            } catch (e) {
              return failed(e);
            }
          }}
        />
      )}
    </section>
  );
}
