/**
 * This country's archive: the alerts its officers dismissed from the inbox, searchable and paged
 * (the node's list with dismissed=true), each one brought back with "Undo dismiss".
 */
import { useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { AlertSummaryJson } from '@enlace/client';

import { nodeClient } from '../api.js';
import { useShell } from '../app.js';
import { formatInstant } from '../format.js';
import { useFocalPoint } from './compose-core.js';

export function Archive(): ReactNode {
  const { t, i18n } = useTranslation('officer');
  const { failed, navigate } = useShell();
  const focalPoint = useFocalPoint();
  const [q, setQ] = useState('');
  const [applied, setApplied] = useState('');
  const [items, setItems] = useState<readonly AlertSummaryJson[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [status, setStatus] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);

  const load = async (cursor?: string): Promise<void> => {
    setLoading(true);
    try {
      const page = await nodeClient.alerts.list({
        box: 'inbox',
        dismissed: 'true',
        ...(applied.trim() !== '' && { q: applied.trim() }),
        ...(cursor !== undefined && { cursor }),
      });
      setItems((old) => (cursor === undefined ? page.items : [...old, ...page.items]));
      setNext(page.next);
    } catch (e) {
      setStatus(failed(e));
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    void load();
  }, [applied]);

  const undo = async (alert: AlertSummaryJson): Promise<void> => {
    try {
      await nodeClient.alerts.undismiss(alert.id);
      setItems((old) => old.filter((a) => a.id !== alert.id));
      setStatus(t('archive.restored', { title: alert.title !== '' ? alert.title : alert.id }));
    } catch (e) {
      setStatus(failed(e));
    }
  };

  return (
    <section aria-labelledby="archive-title">
      <h2 id="archive-title">{t('archive.title')}</h2>
      <p>{t('archive.explain')}</p>
      <form
        role="search"
        className="inline"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(q);
        }}
      >
        <label htmlFor="archive-q">{t('archive.search')}</label>
        <input
          id="archive-q"
          type="search"
          maxLength={200}
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
        <button type="submit">{t('archive.apply')}</button>
      </form>
      <p role="status">{status}</p>
      {!loading && items.length === 0 ? (
        <p>{t('archive.empty')}</p>
      ) : (
        <table aria-labelledby="archive-title">
          <thead>
            <tr>
              <th scope="col">{t('list.columns.title')}</th>
              <th scope="col">{t('list.columns.origin')}</th>
              <th scope="col">{t('list.columns.issued')}</th>
              {focalPoint && <th scope="col">{t('archive.actions')}</th>}
            </tr>
          </thead>
          <tbody>
            {items.map((alert) => (
              <tr key={alert.id}>
                <td>
                  <a
                    href={`/console/alerts/${alert.id}`}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate(`alerts/${alert.id}`);
                    }}
                  >
                    {alert.title !== '' ? alert.title : t('restrictedTitle')}
                  </a>
                </td>
                <td>{alert.origin}</td>
                <td>{formatInstant(alert.issuedAt, i18n.language)}</td>
                {focalPoint && (
                  <td>
                    <button
                      type="button"
                      aria-label={t('archive.undoFor', {
                        title: alert.title !== '' ? alert.title : t('restrictedTitle'),
                      })}
                      onClick={() => void undo(alert)}
                    >
                      {t('archive.undo')}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next !== undefined && (
        <button type="button" disabled={loading} onClick={() => void load(next)}>
          {t('archive.older')}
        </button>
      )}
    </section>
  );
}
