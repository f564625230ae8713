/**
 * Compose and publish (or supersede with) a route alert: the shared header of compose-core and
 * its waypoints. The node validates the draft with the schema's own rules, and each violation it
 * answers is shown next to its field (e.g. route.waypoints[0].coordinates.latitude).
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { AlertDetailJson } from '@enlace/client';

import { useShell } from '../app.js';
import { ENUM_VALUES } from '../format.js';
import { ComposeForm, FieldError, arr, obj, str, useViolations } from './compose-core.js';

interface WaypointDraft {
  place: string;
  country: string;
  latitude: string;
  longitude: string;
  crossing: string;
}

const blank = (country: string): WaypointDraft => ({
  place: '',
  country,
  latitude: '',
  longitude: '',
  crossing: 'CROSSING_TYPE_NONE',
});

/** The route part of the proto3 JSON draft. */
export function routeBodyOf(waypoints: readonly WaypointDraft[]): Record<string, unknown> {
  return {
    route: {
      waypoints: waypoints.map((w) => ({
        place: w.place,
        country: w.country.trim().toUpperCase(),
        crossing: w.crossing,
        ...(w.latitude.trim() !== '' || w.longitude.trim() !== ''
          ? { coordinates: { latitude: Number(w.latitude), longitude: Number(w.longitude) } }
          : {}),
      })),
    },
  };
}

function waypointsOf(original: AlertDetailJson | undefined, country: string): WaypointDraft[] {
  const given = arr(obj(original?.alert['route'])['waypoints']).map((w) => {
    const at = obj(w['coordinates']);
    return {
      place: str(w['place']),
      country: str(w['country']),
      latitude: str(at['latitude']),
      longitude: str(at['longitude']),
      crossing: str(w['crossing']) || 'CROSSING_TYPE_NONE',
    };
  });
  return given.length > 0 ? given : [blank(country), blank(country)];
}

function Waypoints(props: {
  readonly waypoints: readonly WaypointDraft[];
  set(i: number, field: keyof WaypointDraft, value: string): void;
  add(): void;
}): ReactNode {
  const { t, i18n } = useTranslation('officer');
  const { described } = useViolations();
  return (
    <fieldset>
      <legend>{t('compose.route.waypoints')}</legend>
      {props.waypoints.map((w, i) => {
        const p = `route.waypoints[${i}]`;
        const n = i + 1;
        return (
          <div className="waypoint-row" key={i}>
            <label htmlFor={`w${i}-place`}>{t('compose.route.place', { n })}</label>
            <input
              id={`w${i}-place`}
              value={w.place}
              onChange={(e) => props.set(i, 'place', e.target.value)}
              {...described(`${p}.place`)}
            />
            <FieldError path={`${p}.place`} />
            <label htmlFor={`w${i}-country`}>{t('compose.route.country', { n })}</label>
            <input
              id={`w${i}-country`}
              size={3}
              maxLength={2}
              value={w.country}
              onChange={(e) => props.set(i, 'country', e.target.value)}
              {...described(`${p}.country`)}
            />
            <FieldError path={`${p}.country`} />
            <label htmlFor={`w${i}-lat`}>{t('compose.route.latitude', { n })}</label>
            <input
              id={`w${i}-lat`}
              inputMode="decimal"
              size={9}
              value={w.latitude}
              onChange={(e) => props.set(i, 'latitude', e.target.value)}
              {...described(`${p}.coordinates.latitude`)}
            />
            <FieldError path={`${p}.coordinates.latitude`} />
            <label htmlFor={`w${i}-lon`}>{t('compose.route.longitude', { n })}</label>
            <input
              id={`w${i}-lon`}
              inputMode="decimal"
              size={9}
              value={w.longitude}
              onChange={(e) => props.set(i, 'longitude', e.target.value)}
              {...described(`${p}.coordinates.longitude`)}
            />
            <FieldError path={`${p}.coordinates.longitude`} />
            <label htmlFor={`w${i}-crossing`}>{t('compose.route.crossing', { n })}</label>
            <select
              id={`w${i}-crossing`}
              value={w.crossing}
              onChange={(e) => props.set(i, 'crossing', e.target.value)}
              {...described(`${p}.crossing`)}
            >
              {ENUM_VALUES.crossing.map((value) => (
                <option key={value} value={value}>
                  {t(`compose.route.crossings.${value}`, { lng: i18n.language })}
                </option>
              ))}
            </select>
            <FieldError path={`${p}.crossing`} />
          </div>
        );
      })}
      <FieldError path="route.waypoints" />
      <FieldError path="route" />
      <button type="button" onClick={props.add}>
        {t('compose.route.addWaypoint')}
      </button>
    </fieldset>
  );
}

export function ComposeRoute(props: { readonly supersedes?: AlertDetailJson }): ReactNode {
  const { session } = useShell();
  const [waypoints, setWaypoints] = useState<WaypointDraft[]>(() =>
    waypointsOf(props.supersedes, session.country ?? ''),
  );
  return (
    <ComposeForm
      kind="route"
      bodyPrefix="route"
      bodyJson={() => routeBodyOf(waypoints)}
      {...(props.supersedes !== undefined && { supersedes: props.supersedes })}
    >
      <Waypoints
        waypoints={waypoints}
        set={(i, field, value) =>
          setWaypoints((old) => old.map((w, j) => (j === i ? { ...w, [field]: value } : w)))
        }
        add={() => setWaypoints((old) => [...old, blank(old[old.length - 1]?.country ?? '')])}
      />
    </ComposeForm>
  );
}
