/**
 * Compose and publish a route alert. Handling code and grading are required in the form; the
 * node validates the draft with the schema's own rules, and each violation it answers is shown
 * next to its field (by the same field path, e.g. route.waypoints[0].coordinates.latitude).
 */
import { useState } from 'react';
import type { FormEvent, ReactNode } from 'react';

import { EnlaceHttpError } from '@enlace/client';
import type { FieldViolation } from '@enlace/client';

import { nodeClient } from '../api.js';
import { useShell } from '../app.js';
import { HANDLING_WORDS } from '../format.js';

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

/** The proto3 JSON draft the form describes. */
export function routeDraftOf(form: {
  title: string;
  summary: string;
  network: string;
  handling: string;
  reliability: string;
  credibility: string;
  /** YYYY-MM-DD: the alert expires at the end of that day (UTC). */
  expires: string;
  waypoints: readonly WaypointDraft[];
}): Record<string, unknown> {
  return {
    header: {
      network: form.network,
      kind: 'ALERT_KIND_ROUTE',
      ...(form.expires !== '' && { expiresAt: `${form.expires}T23:59:59Z` }),
      handling: `HANDLING_CODE_${form.handling}`,
      tlp: 'TLP_MARKING_AMBER',
      grading: {
        sourceReliability: `SOURCE_RELIABILITY_${form.reliability}`,
        informationCredibility: `INFORMATION_CREDIBILITY_${form.credibility}`,
      },
      title: form.title,
      summary: form.summary,
    },
    route: {
      waypoints: form.waypoints.map((w) => ({
        place: w.place,
        country: w.country.toUpperCase(),
        crossing: w.crossing,
        ...(w.latitude.trim() !== '' || w.longitude.trim() !== ''
          ? { coordinates: { latitude: Number(w.latitude), longitude: Number(w.longitude) } }
          : {}),
      })),
    },
  };
}

export function ComposeRoute(): ReactNode {
  const { session, navigate, failed } = useShell();
  const [title, setTitle] = useState('');
  const [summary, setSummary] = useState('');
  const [network, setNetwork] = useState('trafficking-liaison');
  const [handling, setHandling] = useState('');
  const [reliability, setReliability] = useState('');
  const [credibility, setCredibility] = useState('');
  const [expires, setExpires] = useState(() =>
    new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10),
  );
  const [waypoints, setWaypoints] = useState<WaypointDraft[]>([
    blank(session.country ?? ''),
    blank(session.country ?? ''),
  ]);
  const [violations, setViolations] = useState<readonly FieldViolation[]>([]);
  const [message, setMessage] = useState<string | undefined>();

  const errorAt = (path: string): string | undefined =>
    violations
      .filter((v) => v.path === path)
      .map((v) => v.message)
      .join('; ') || undefined;
  const described = (path: string) => {
    const error = errorAt(path);
    return error === undefined ? {} : { 'aria-invalid': true, 'aria-describedby': `err-${path}` };
  };
  const FieldError = ({ path }: { path: string }): ReactNode => {
    const error = errorAt(path);
    return error === undefined ? null : (
      <span className="field-error" id={`err-${path}`} data-error-for={path}>
        {error}
      </span>
    );
  };
  const setWaypoint = (i: number, field: keyof WaypointDraft, value: string): void =>
    setWaypoints((old) => old.map((w, j) => (j === i ? { ...w, [field]: value } : w)));

  const publish = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setViolations([]);
    setMessage(undefined);
    try {
      const published = await nodeClient.alerts.publish(
        routeDraftOf({ title, summary, network, handling, reliability, credibility, expires, waypoints }),
      );
      navigate(`alerts/${published.id}`);
    } catch (e) {
      if (e instanceof EnlaceHttpError && e.violations.length > 0) {
        setViolations(e.violations);
        setMessage(`Not published: ${e.violations.length} field(s) to correct.`);
      } else setMessage(failed(e));
    }
  };

  return (
    <form className="compose" onSubmit={(e) => void publish(e)} aria-labelledby="compose-title" noValidate>
      <h2 id="compose-title">New route alert</h2>
      <label htmlFor="c-title">Title</label>
      <input
        id="c-title"
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        {...described('header.title')}
      />
      <FieldError path="header.title" />
      <label htmlFor="c-summary">Summary</label>
      <textarea id="c-summary" rows={3} value={summary} onChange={(e) => setSummary(e.target.value)} />
      <FieldError path="header.summary" />
      <label htmlFor="c-network">Network</label>
      <input
        id="c-network"
        value={network}
        onChange={(e) => setNetwork(e.target.value)}
        {...described('header.network')}
      />
      <FieldError path="header.network" />
      <label htmlFor="c-handling">Handling code</label>
      <select id="c-handling" value={handling} onChange={(e) => setHandling(e.target.value)} required>
        <option value="">choose…</option>
        {Object.entries(HANDLING_WORDS).map(([code, words]) => (
          <option key={code} value={code}>
            {words.title}
          </option>
        ))}
      </select>
      <label htmlFor="c-reliability">Source reliability</label>
      <select
        id="c-reliability"
        value={reliability}
        onChange={(e) => setReliability(e.target.value)}
        required
      >
        <option value="">choose…</option>
        {['A', 'B', 'C', 'D', 'E', 'F'].map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <label htmlFor="c-credibility">Information credibility</label>
      <select
        id="c-credibility"
        value={credibility}
        onChange={(e) => setCredibility(e.target.value)}
        required
      >
        <option value="">choose…</option>
        {['1', '2', '3', '4', '5', '6'].map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
      <label htmlFor="c-expires">Expires</label>
      <input
        id="c-expires"
        type="date"
        value={expires}
        onChange={(e) => setExpires(e.target.value)}
        {...described('header.expiresAt')}
      />
      <FieldError path="header.expiresAt" />
      <fieldset>
        <legend>Waypoints</legend>
        {waypoints.map((w, i) => {
          const p = `route.waypoints[${i}]`;
          return (
            <div className="waypoint-row" key={i}>
              <label htmlFor={`w${i}-place`}>Place {i + 1}</label>
              <input
                id={`w${i}-place`}
                value={w.place}
                onChange={(e) => setWaypoint(i, 'place', e.target.value)}
                {...described(`${p}.place`)}
              />
              <FieldError path={`${p}.place`} />
              <label htmlFor={`w${i}-country`}>Country {i + 1}</label>
              <input
                id={`w${i}-country`}
                size={3}
                maxLength={2}
                value={w.country}
                onChange={(e) => setWaypoint(i, 'country', e.target.value)}
                {...described(`${p}.country`)}
              />
              <FieldError path={`${p}.country`} />
              <label htmlFor={`w${i}-lat`}>Latitude {i + 1}</label>
              <input
                id={`w${i}-lat`}
                inputMode="decimal"
                size={9}
                value={w.latitude}
                onChange={(e) => setWaypoint(i, 'latitude', e.target.value)}
                {...described(`${p}.coordinates.latitude`)}
              />
              <FieldError path={`${p}.coordinates.latitude`} />
              <label htmlFor={`w${i}-lon`}>Longitude {i + 1}</label>
              <input
                id={`w${i}-lon`}
                inputMode="decimal"
                size={9}
                value={w.longitude}
                onChange={(e) => setWaypoint(i, 'longitude', e.target.value)}
                {...described(`${p}.coordinates.longitude`)}
              />
              <FieldError path={`${p}.coordinates.longitude`} />
              <label htmlFor={`w${i}-crossing`}>Crossing {i + 1}</label>
              <select
                id={`w${i}-crossing`}
                value={w.crossing}
                onChange={(e) => setWaypoint(i, 'crossing', e.target.value)}
                {...described(`${p}.crossing`)}
              >
                <option value="CROSSING_TYPE_NONE">no border crossing</option>
                <option value="CROSSING_TYPE_FORMAL">formal crossing</option>
                <option value="CROSSING_TYPE_INFORMAL">informal crossing</option>
              </select>
              <FieldError path={`${p}.crossing`} />
            </div>
          );
        })}
        <FieldError path="route.waypoints" />
        <button
          type="button"
          onClick={() => setWaypoints((old) => [...old, blank(old[old.length - 1]?.country ?? '')])}
        >
          Add a waypoint
        </button>
      </fieldset>
      {violations
        .filter(
          (v) =>
            !v.path.startsWith('route.waypoints') &&
            !['header.title', 'header.summary', 'header.network', 'header.expiresAt'].includes(v.path),
        )
        .map((v) => (
          <p className="field-error" key={`${v.path}-${v.code}`}>
            {v.path === '' ? 'The alert' : v.path}: {v.message}
          </p>
        ))}
      <button type="submit" disabled={handling === '' || reliability === '' || credibility === ''}>
        Publish
      </button>
      {message !== undefined && (
        <p className="error" role="alert">
          {message}
        </p>
      )}
    </form>
  );
}
