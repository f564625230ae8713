/** Public keys with their validity and revocation; administrators revoke behind the confirmation. */
import { useCallback, useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { KeyJson } from '@enlace/client';

import { registryClient } from '../api.js';
import { useShell } from '../app.js';
import { formatInstant } from '../format.js';
import { ConfirmDialog } from './confirm-dialog.js';

export function Keys(props: { readonly mayDecide: boolean }): ReactNode {
  const { t, i18n } = useTranslation('admin');
  const { failed } = useShell();
  const [keys, setKeys] = useState<readonly KeyJson[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [revoking, setRevoking] = useState<string | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const at = (text: string | undefined) => formatInstant(text, i18n.language);

  const load = useCallback(async () => {
    try {
      setKeys((await registryClient.keys.list()).items);
    } catch (e) {
      setError(failed(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">{t('keys.title')}</h2>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {done !== undefined && <p role="status">{done}</p>}
      <table className="alerts" data-testid="keys">
        <thead>
          <tr>
            <th scope="col">{t('keys.kid')}</th>
            <th scope="col">{t('keys.country')}</th>
            <th scope="col">{t('keys.use')}</th>
            <th scope="col">{t('keys.validFrom')}</th>
            <th scope="col">{t('keys.validTo')}</th>
            <th scope="col">{t('keys.revoked')}</th>
            {props.mayDecide && <th scope="col">{t('countries.decide')}</th>}
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.kid}>
              <td>{k.kid}</td>
              <td>{k.country}</td>
              <td>{t(`keys.uses.${k.use}`)}</td>
              <td>{at(k.notBefore)}</td>
              <td>{k.notAfter === undefined ? t('keys.open') : at(k.notAfter)}</td>
              <td>{k.revokedAt === undefined ? '' : `${at(k.revokedAt)} · ${k.revocationReason ?? ''}`}</td>
              {props.mayDecide && (
                <td>
                  {k.revokedAt === undefined && (
                    <button type="button" onClick={() => setRevoking(k.kid)}>
                      {t('keys.revoke', { kid: k.kid })}
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {revoking !== undefined && (
        <ConfirmDialog
          title={t('keys.confirm', { kid: revoking })}
          confirmLabel={t('keys.confirmButton', { kid: revoking })}
          onClose={() => setRevoking(undefined)}
          onConfirm={async (why) => {
            try {
              await registryClient.keys.revoke(revoking, why);
              setDone(t('keys.done', { kid: revoking }));
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
