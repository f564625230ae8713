/**
 * The directory of focal points (OAS 2006, IV.5: directories of points of contact), searched by
 * country, network and role on the registry's own filters.
 */
import { useEffect, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { FocalPointJson, NetworkJson } from '@enlace/client';

import { registryClient } from '../api.js';
import { useShell } from '../app.js';

export function FocalPoints(props: { readonly networks: readonly NetworkJson[] }): ReactNode {
  const { t } = useTranslation('admin');
  const { failed } = useShell();
  const [items, setItems] = useState<readonly FocalPointJson[]>([]);
  const [roles, setRoles] = useState<readonly string[]>([]);
  const [country, setCountry] = useState('');
  const [network, setNetwork] = useState('');
  const [role, setRole] = useState('');
  const [error, setError] = useState<string | undefined>();

  const load = async (): Promise<void> => {
    try {
      const found = (
        await registryClient.focalPoints.list({
          ...(country.trim() !== '' && { country: country.trim().toUpperCase() }),
          ...(network !== '' && { network }),
          ...(role !== '' && { role }),
        })
      ).items;
      setItems(found);
      setRoles((old) => [...new Set([...old, ...found.map((f) => f.role)])].sort());
      setError(undefined);
    } catch (e) {
      setError(failed(e));
    }
  };
  useEffect(() => {
    void load();
  }, []);

  return (
    <section aria-labelledby="focal-points-title">
      <h2 id="focal-points-title">{t('focalPoints.title')}</h2>
      <form
        className="admin-filters"
        role="search"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          void load();
        }}
      >
        <div className="field">
          <label htmlFor="fp-country">{t('filters.country')}</label>
          <input id="fp-country" value={country} onChange={(e) => setCountry(e.target.value)} maxLength={2} />
        </div>
        <div className="field">
          <label htmlFor="fp-network">{t('filters.network')}</label>
          <select id="fp-network" value={network} onChange={(e) => setNetwork(e.target.value)}>
            <option value="">{t('filters.any')}</option>
            {props.networks.map((n) => (
              <option key={n.id} value={n.id}>
                {n.id}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="fp-role">{t('filters.role')}</label>
          <select id="fp-role" value={role} onChange={(e) => setRole(e.target.value)}>
            <option value="">{t('filters.any')}</option>
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">{t('filters.search')}</button>
      </form>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <p role="status">{t('focalPoints.count', { count: items.length })}</p>
      <table className="alerts" data-testid="focal-points">
        <thead>
          <tr>
            <th scope="col">{t('focalPoints.name')}</th>
            <th scope="col">{t('focalPoints.agency')}</th>
            <th scope="col">{t('focalPoints.role')}</th>
            <th scope="col">{t('focalPoints.country')}</th>
            <th scope="col">{t('focalPoints.networks')}</th>
            <th scope="col">{t('focalPoints.contact')}</th>
            <th scope="col">{t('focalPoints.active')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((f) => (
            <tr key={f.id}>
              <td>{f.name}</td>
              <td>{f.agency}</td>
              <td>{f.role}</td>
              <td>{f.country}</td>
              <td>{f.networks.join(', ')}</td>
              <td>
                {t(`channel.${f.contact.channel}`)}: {f.contact.address}
              </td>
              <td>
                {f.active ? t('yes') : t('focalPoints.inactive', { reason: f.deactivationReason ?? '' })}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
