/** The access policy's rules, each with the conference decisions it rests on. */
import { useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { PolicyRuleJson } from '@enlace/client';

import { registryClient } from '../api.js';
import { useShell } from '../app.js';
import { formatInstant } from '../format.js';

export function PolicyRules(): ReactNode {
  const { t, i18n } = useTranslation('admin');
  const { failed } = useShell();
  const [rules, setRules] = useState<readonly PolicyRuleJson[]>([]);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    registryClient.policy.rules().then(
      (r) => setRules(r.items),
      (e: unknown) => setError(failed(e)),
    );
  }, []);
  const all = t('policy.all');
  return (
    <section aria-labelledby="policy-title">
      <h2 id="policy-title">{t('policy.title')}</h2>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <table className="alerts" data-testid="policy-rules">
        <thead>
          <tr>
            <th scope="col">{t('policy.rule')}</th>
            <th scope="col">{t('policy.effect')}</th>
            <th scope="col">{t('policy.scope')}</th>
            <th scope="col">{t('policy.inForce')}</th>
            <th scope="col">{t('policy.basis')}</th>
          </tr>
        </thead>
        <tbody>
          {rules.map((r) => (
            <tr key={r.id}>
              <td>
                <strong>{r.id}</strong>
                {r.description !== undefined && <div>{r.description}</div>}
              </td>
              <td>{t('policy.effectOf', { effect: r.effect, action: r.action })}</td>
              <td>
                {t('policy.scopeOf', {
                  networks: r.networks?.join(', ') ?? all,
                  kinds: r.kinds?.join(', ') ?? all,
                  roles: r.roles?.join(', ') ?? all,
                  countries: r.countries?.join(', ') ?? all,
                })}
              </td>
              <td>
                {r.validFrom === undefined && r.validUntil === undefined
                  ? t('policy.always')
                  : `${formatInstant(r.validFrom, i18n.language)} – ${formatInstant(r.validUntil, i18n.language)}`}
              </td>
              <td>
                <ul className="history">
                  {r.basis.map((b, i) => (
                    <li key={i}>
                      <strong>
                        {b.conference}, {b.decision}
                      </strong>
                      : {b.text}
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
