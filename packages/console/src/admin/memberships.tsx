/** Memberships: which country belongs to which network in which role, from when until when. */
import { useEffect, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { MembershipJson, NetworkJson } from '@enlace/client';

import { registryClient } from '../api.js';
import { useShell } from '../app.js';
import { formatInstant } from '../format.js';

export function Memberships(props: { readonly networks: readonly NetworkJson[] }): ReactNode {
  const { t, i18n } = useTranslation('admin');
  const { failed } = useShell();
  const [items, setItems] = useState<readonly MembershipJson[]>([]);
  const [country, setCountry] = useState('');
  const [network, setNetwork] = useState('');
  const [error, setError] = useState<string | undefined>();

  const load = async (): Promise<void> => {
    try {
      setItems(
        (
          await registryClient.memberships.list({
            ...(country.trim() !== '' && { country: country.trim().toUpperCase() }),
            ...(network !== '' && { network }),
          })
        ).items,
      );
      setError(undefined);
    } catch (e) {
      setError(failed(e));
    }
  };
  useEffect(() => {
    void load();
  }, []);

  return (
    <section aria-labelledby="memberships-title">
      <h2 id="memberships-title">{t('memberships.title')}</h2>
      <form
        className="admin-filters"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          void load();
        }}
      >
        <div className="field">
          <label htmlFor="membership-country">{t('filters.country')}</label>
          <input
            id="membership-country"
            value={country}
            onChange={(e) => setCountry(e.target.value)}
            maxLength={2}
          />
        </div>
        <div className="field">
          <label htmlFor="membership-network">{t('filters.network')}</label>
          <select id="membership-network" value={network} onChange={(e) => setNetwork(e.target.value)}>
            <option value="">{t('filters.any')}</option>
            {props.networks.map((n) => (
              <option key={n.id} value={n.id}>
                {n.id}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">{t('filters.apply')}</button>
      </form>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <table className="alerts" data-testid="memberships">
        <thead>
          <tr>
            <th scope="col">{t('memberships.country')}</th>
            <th scope="col">{t('memberships.network')}</th>
            <th scope="col">{t('memberships.role')}</th>
            <th scope="col">{t('memberships.from')}</th>
            <th scope="col">{t('memberships.until')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((m) => (
            <tr key={m.id}>
              <td>{m.country}</td>
              <td>{m.network}</td>
              <td>{m.role}</td>
              <td>{formatInstant(m.validFrom, i18n.language)}</td>
              <td>
                {m.validUntil === undefined
                  ? t('memberships.current')
                  : `${formatInstant(m.validUntil, i18n.language)}${m.endReason === undefined ? '' : ` · ${m.endReason}`}`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
