/**
 * The map's text alternative: every route drawn, with its recency, network and waypoints (border
 * crossings named formal or informal), each title a link to the alert: reachable by keyboard.
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import { useShell } from '../app.js';

export interface Waypoint {
  readonly place: string;
  readonly country: string;
  readonly lat: number;
  readonly lon: number;
  /** 'formal', 'informal' or '' (no border crossing). */
  readonly crossing: string;
}
export interface RouteLine {
  readonly id: string;
  readonly title: string;
  readonly network: string;
  readonly issuedAt: string;
  readonly waypoints: readonly Waypoint[];
}
/** A date formatter per language, made once (a thousand rows would otherwise make a thousand). */
const formatters = new Map<string, (iso: string) => string>();
export function instantIn(locale: string): (iso: string) => string {
  let format = formatters.get(locale);
  if (format === undefined) {
    const f = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
    format = (iso) => {
      const date = new Date(iso);
      return Number.isNaN(date.getTime()) ? iso : `${f.format(date)} UTC`;
    };
    formatters.set(locale, format);
  }
  return format;
}

export type Recency = 'recent' | 'older' | 'old';

/** Recent: issued within 7 days of `now`; older: within 60; old: before. */
export function recencyOf(issuedAt: string, now: number): Recency {
  const days = (now - Date.parse(issuedAt)) / 86_400_000;
  return days < 7 ? 'recent' : days < 60 ? 'older' : 'old';
}

/** Rows shown at first and added by each "more" (a thousand rows at once slow the first draw). */
export const TABLE_PAGE = 100;

export function RouteTable(props: {
  readonly id: string;
  readonly routes: readonly RouteLine[];
  readonly now: number;
}): ReactNode {
  const { t, i18n } = useTranslation('rfi');
  const { navigate } = useShell();
  const [rows, setRows] = useState(TABLE_PAGE);
  const crossing = (w: Waypoint): string =>
    w.crossing === 'formal'
      ? `, ${t('map.formal')}`
      : w.crossing === 'informal'
        ? `, ${t('map.informal')}`
        : '';
  const left = props.routes.length - rows;
  return (
    <>
      <table id={props.id} className="alerts" aria-label={t('map.table')} tabIndex={-1}>
        <thead>
          <tr>
            <th scope="col">{t('map.route')}</th>
            <th scope="col">{t('map.issued')}</th>
            <th scope="col">{t('map.age')}</th>
            <th scope="col">{t('map.network')}</th>
            <th scope="col">{t('map.waypoints')}</th>
          </tr>
        </thead>
        <tbody>
          {props.routes.slice(0, rows).map((r) => (
            <tr key={r.id} data-table-route-id={r.id}>
              <td>
                <a
                  href={`/console/alerts/${r.id}`}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(`alerts/${r.id}`);
                  }}
                >
                  {r.title}
                </a>
              </td>
              <td>{instantIn(i18n.language)(r.issuedAt)}</td>
              <td>{t(`map.${recencyOf(r.issuedAt, props.now)}`)}</td>
              <td>{r.network}</td>
              <td>
                <ol className="waypoints-inline" aria-label={t('map.waypoints')}>
                  {r.waypoints.map((w, i) => (
                    <li key={i}>
                      {w.place} ({w.country}
                      {crossing(w)})
                    </li>
                  ))}
                </ol>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {left > 0 && (
        <button type="button" onClick={() => setRows(rows + TABLE_PAGE)}>
          {t('map.more', { count: Math.min(left, TABLE_PAGE), left })}
        </button>
      )}
    </>
  );
}
