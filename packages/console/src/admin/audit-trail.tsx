/**
 * The registry's audit trail, newest first: filters by actor, action, entity and dates (the
 * registry's own query), and paging by stream sequence (`before`), so a page never repeats or
 * skips a record however many share an instant.
 */
import { useEffect, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { AuditQuery, AuditRecordJson } from '@enlace/client';

import { registryClient } from '../api.js';
import { useShell } from '../app.js';
import { formatInstant } from '../format.js';

export const AUDIT_PAGE = 25;

/** A date input (yyyy-mm-dd) as the instant it starts, UTC; `end` gives the next day's start. */
function dayInstant(day: string, end: boolean): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const at = Date.parse(`${day}T00:00:00Z`) + (end ? 86_400_000 : 0);
  return new Date(at).toISOString();
}

export function AuditTrail(): ReactNode {
  const { t, i18n } = useTranslation('admin');
  const { failed } = useShell();
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [entity, setEntity] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [pages, setPages] = useState<readonly (number | undefined)[]>([undefined]);
  const [records, setRecords] = useState<readonly AuditRecordJson[]>([]);
  const [error, setError] = useState<string | undefined>();

  const query = (before: number | undefined): AuditQuery => {
    const from = dayInstant(since, false);
    const to = dayInstant(until, true);
    return {
      limit: AUDIT_PAGE,
      ...(actor.trim() !== '' && { actor: actor.trim() }),
      ...(action.trim() !== '' && { action: action.trim() }),
      ...(entity.trim() !== '' && { entity: entity.trim() }),
      ...(from !== undefined && { since: from }),
      ...(to !== undefined && { until: to }),
      ...(before !== undefined && { before }),
    };
  };

  const show = async (stack: readonly (number | undefined)[]): Promise<void> => {
    try {
      setRecords((await registryClient.audit(query(stack[stack.length - 1]))).items);
      setPages(stack);
      setError(undefined);
    } catch (e) {
      setError(failed(e));
    }
  };
  useEffect(() => {
    void show([undefined]);
  }, []);

  const oldest = records[records.length - 1]?.sequence;
  const field = (id: string, label: string, value: string, set: (v: string) => void, type = 'text') => (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type={type} value={value} onChange={(e) => set(e.target.value)} />
    </div>
  );

  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">{t('audit.title')}</h2>
      <form
        className="admin-filters"
        role="search"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          void show([undefined]);
        }}
      >
        {field('audit-actor', t('audit.actor'), actor, setActor)}
        {field('audit-action', t('audit.action'), action, setAction)}
        {field('audit-entity', t('audit.entity'), entity, setEntity)}
        {field('audit-since', t('audit.since'), since, setSince, 'date')}
        {field('audit-until', t('audit.until'), until, setUntil, 'date')}
        <button type="submit">{t('filters.apply')}</button>
      </form>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <p role="status">{t('audit.page', { page: pages.length, count: records.length })}</p>
      <table className="alerts" data-testid="audit">
        <thead>
          <tr>
            <th scope="col">{t('audit.at')}</th>
            <th scope="col">{t('audit.actor')}</th>
            <th scope="col">{t('audit.action')}</th>
            <th scope="col">{t('audit.entity')}</th>
            <th scope="col">{t('audit.outcome')}</th>
            <th scope="col">{t('audit.why')}</th>
          </tr>
        </thead>
        <tbody>
          {records.map((r) => (
            <tr key={r.id} data-action={r.action}>
              <td>{formatInstant(r.at, i18n.language)}</td>
              <td>
                {r.actor} ({r.roles.join(', ')})
              </td>
              <td>{r.action}</td>
              <td>
                {r.entity} {r.entityId}
              </td>
              <td>{r.outcome === 'ok' ? t('audit.ok') : t('audit.rejected', { code: r.code ?? '' })}</td>
              <td>
                {r.reason}
                {r.decision !== undefined && ` (${r.decision})`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav aria-label={t('audit.paging')}>
        <button type="button" disabled={pages.length <= 1} onClick={() => void show(pages.slice(0, -1))}>
          {t('audit.newer')}
        </button>
        <button
          type="button"
          disabled={records.length < AUDIT_PAGE || oldest === undefined}
          onClick={() => void show([...pages, oldest])}
        >
          {t('audit.older')}
        </button>
      </nav>
    </section>
  );
}
