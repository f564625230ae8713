/**
 * The map of routes (OAS 2006, Topic II.15): every route alert of the inbox drawn as a line
 * through its waypoints over country borders, border crossings marked formal (hollow square) or
 * informal (filled), coloured by recency (and patterned, for readers who do not see colour),
 * filterable by dates and network; a click or Enter on a route opens the alert. It opens on the
 * region. Borders are Natural Earth's (world-atlas, public domain), bundled and drawn as SVG with
 * d3-geo: no tile server, no outside request (the CSP forbids one). A table of the same routes and
 * waypoints is the text alternative (route-table.tsx).
 *
 * The time from having the routes to their first paint is written on the svg as `data-draw-ms`
 * (the browser suite reports it for 1,000 routes).
 */
import { geoMercator, geoPath } from 'd3-geo';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import world from 'world-atlas/countries-110m.json';

import type { AlertSummaryJson } from '@enlace/client';

import { nodeClient } from '../api.js';
import { useShell } from '../app.js';
import { enumWord } from '../format.js';
import { RouteTable, instantIn, recencyOf } from './route-table.js';
import type { Recency, RouteLine, Waypoint } from './route-table.js';
import './route-map.css';

const WIDTH = 960;
const HEIGHT = 560;
/** Most routes drawn (the newest). */
const MAX_ROUTES = 2000;
/** Alert bodies fetched at once. */
const PARALLEL = 8;
/** The region the map opens on: Mexico to Panama and the Caribbean members. */
const REGION_CORNERS: ReadonlyArray<[number, number]> = [
  [-118, 33],
  [-68, 7],
];

const topology = world as unknown as Topology<{ countries: GeometryCollection }>;
const countries = feature(topology, topology.objects.countries);

function waypointsOf(alert: Record<string, unknown>): Waypoint[] {
  const route = alert['route'] as { waypoints?: unknown } | undefined;
  if (!Array.isArray(route?.waypoints)) return [];
  return (route.waypoints as Record<string, unknown>[]).flatMap((w) => {
    const c = w['coordinates'] as { latitude?: number; longitude?: number } | undefined;
    if (typeof c?.latitude !== 'number' || typeof c.longitude !== 'number') return [];
    const crossing = enumWord(String(w['crossing'] ?? ''), 'CROSSING_TYPE');
    return [
      {
        place: String(w['place'] ?? ''),
        country: String(w['country'] ?? ''),
        lat: c.latitude,
        lon: c.longitude,
        crossing: crossing === 'formal' || crossing === 'informal' ? crossing : '',
      },
    ];
  });
}

/** The readable route alerts of the inbox, newest first, with their waypoints. */
async function loadRoutes(): Promise<RouteLine[]> {
  const summaries: AlertSummaryJson[] = [];
  for await (const s of nodeClient.alerts.all({ box: 'inbox', kind: 'route', limit: 500 })) {
    if (s.bodyReadable) summaries.push(s);
    if (summaries.length >= MAX_ROUTES) break;
  }
  const lines: (RouteLine | undefined)[] = new Array(summaries.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < summaries.length) {
      const i = next++;
      const s = summaries[i]!;
      const waypoints = waypointsOf((await nodeClient.alerts.get(s.id)).alert);
      if (waypoints.length > 0)
        lines[i] = { id: s.id, title: s.title, network: s.network, issuedAt: s.issuedAt, waypoints };
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return lines.filter((l) => l !== undefined);
}

/** A short line of the legend, drawn as the map draws it. */
function Swatch(props: { readonly recency: Recency }): ReactNode {
  return (
    <svg className="map-key" viewBox="0 0 32 12" aria-hidden="true" focusable="false">
      <path className={`route route-${props.recency}`} d="M2 6 H30" />
    </svg>
  );
}

export function RouteMap(): ReactNode {
  const { t, i18n } = useTranslation('rfi');
  const { navigate, failed } = useShell();
  const [routes, setRoutes] = useState<readonly RouteLine[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [network, setNetwork] = useState('');
  const svg = useRef<SVGSVGElement>(null);
  const drawStart = useRef(0);
  const [now] = useState(() => Date.now());

  useEffect(() => {
    let live = true;
    loadRoutes().then(
      (found) => {
        if (!live) return;
        drawStart.current = performance.now();
        setRoutes(found);
      },
      (e: unknown) => live && setError(failed(e)),
    );
    return () => {
      live = false;
    };
  }, []);

  // Opens on the region, widened to take in every route loaded (not only those shown, so that a
  // filter does not move the map).
  const projection = useMemo(() => {
    const points = [
      ...REGION_CORNERS,
      ...(routes ?? []).flatMap((r) => r.waypoints.map((w) => [w.lon, w.lat] as [number, number])),
    ];
    return geoMercator().fitExtent(
      [
        [20, 20],
        [WIDTH - 20, HEIGHT - 20],
      ],
      { type: 'MultiPoint', coordinates: points },
    );
  }, [routes]);
  const path = useMemo(() => geoPath(projection), [projection]);
  const borders = useMemo(
    () => countries.features.map((f, i) => <path key={String(f.id ?? i)} d={path(f) ?? ''} />),
    [path],
  );
  const networks = useMemo(() => [...new Set((routes ?? []).map((r) => r.network))].sort(), [routes]);
  const shown = useMemo(
    () =>
      (routes ?? []).filter(
        (r) =>
          (network === '' || r.network === network) &&
          (since === '' || r.issuedAt.slice(0, 10) >= since) &&
          (until === '' || r.issuedAt.slice(0, 10) <= until),
      ),
    [routes, network, since, until],
  );
  const drawn = useMemo(
    () =>
      shown.map((r) => {
        const d = path({ type: 'LineString', coordinates: r.waypoints.map((w) => [w.lon, w.lat]) });
        const recency = recencyOf(r.issuedAt, now);
        return (
          <a
            key={r.id}
            href={`/console/alerts/${r.id}`}
            onClick={(e) => {
              e.preventDefault();
              navigate(`alerts/${r.id}`);
            }}
            data-route-id={r.id}
            data-recency={recency}
            aria-label={t('map.routeLabel', {
              title: r.title,
              issued: instantIn(i18n.language)(r.issuedAt),
            })}
          >
            <path className={`route route-${recency}`} d={d ?? ''} />
            {r.waypoints.map((w, i) => {
              const xy = projection([w.lon, w.lat]);
              if (xy === null) return null;
              return w.crossing !== '' ? (
                <rect
                  key={i}
                  className={`crossing crossing-${w.crossing}`}
                  x={xy[0] - 4}
                  y={xy[1] - 4}
                  width={8}
                  height={8}
                />
              ) : (
                <circle key={i} className="waypoint" cx={xy[0]} cy={xy[1]} r={3} />
              );
            })}
          </a>
        );
      }),
    [shown, path, projection, now, i18n.language],
  );

  // Time to draw: from having the routes to React's commit (`data-commit-ms`), then to the frame
  // after they were painted (`data-draw-ms`).
  useLayoutEffect(() => {
    if (routes === undefined || drawStart.current === 0) return;
    const start = drawStart.current;
    drawStart.current = 0;
    svg.current?.setAttribute('data-commit-ms', String(Math.round(performance.now() - start)));
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        svg.current?.setAttribute('data-draw-ms', String(Math.round(performance.now() - start)));
      }),
    );
  }, [routes]);

  if (error !== undefined)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (routes === undefined) return <p>{t('map.loading')}</p>;
  return (
    <section aria-labelledby="map-title">
      <h2 id="map-title">{t('map.title')}</h2>
      <form className="map-filters" aria-label={t('map.filters')} onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="map-since">{t('map.since')}</label>
          <input id="map-since" type="date" value={since} onChange={(e) => setSince(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="map-until">{t('map.until')}</label>
          <input id="map-until" type="date" value={until} onChange={(e) => setUntil(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="map-network">{t('map.network')}</label>
          <select id="map-network" value={network} onChange={(e) => setNetwork(e.target.value)}>
            <option value="">{t('map.anyNetwork')}</option>
            {networks.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
        <p role="status" data-testid="map-count">
          {t('map.shown', { shown: shown.length, total: routes.length })}
        </p>
      </form>
      <a className="skip-to-table" href="#route-table">
        {t('map.table')}
      </a>
      <svg
        ref={svg}
        className="map"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="group"
        aria-label={t('map.label', { count: shown.length })}
        data-testid="route-map"
      >
        <g className="countries" aria-hidden="true">
          {borders}
        </g>
        {drawn}
      </svg>
      <ul className="map-legend" aria-label={t('map.legend')}>
        {(['recent', 'older', 'old'] as const).map((r) => (
          <li key={r}>
            <Swatch recency={r} />
            {t(`map.${r}`)}
          </li>
        ))}
        <li>
          <svg className="map-key" viewBox="0 0 12 12" aria-hidden="true" focusable="false">
            <rect className="crossing crossing-formal" x={2} y={2} width={8} height={8} />
          </svg>
          {t('map.formal')}
        </li>
        <li>
          <svg className="map-key" viewBox="0 0 12 12" aria-hidden="true" focusable="false">
            <rect className="crossing crossing-informal" x={2} y={2} width={8} height={8} />
          </svg>
          {t('map.informal')}
        </li>
        <li>
          <svg className="map-key" viewBox="0 0 12 12" aria-hidden="true" focusable="false">
            <circle className="waypoint" cx={6} cy={6} r={3} />
          </svg>
          {t('map.waypoint')}
        </li>
      </ul>
      <p className="map-note">{t('map.deFacto')}</p>
      {shown.length === 0 ? <p>{t('map.none')}</p> : <RouteTable id="route-table" routes={shown} now={now} />}
    </section>
  );
}
