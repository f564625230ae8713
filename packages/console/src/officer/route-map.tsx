/**
 * The map of routes (OAS 2006, Topic II.15): every route alert of the inbox drawn as a line
 * through its waypoints over country borders, crossings marked formal or informal, coloured by
 * recency; a click opens the alert. Borders are Natural Earth's (world-atlas, public domain),
 * bundled and drawn as SVG with d3-geo: no tile server, no outside request (the CSP forbids
 * one). A table of the same routes and waypoints is the text alternative.
 */
import { geoMercator, geoPath } from 'd3-geo';
import { useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import world from 'world-atlas/countries-110m.json';

import { nodeClient } from '../api.js';
import { useShell } from '../app.js';
import { enumWord, formatInstant } from '../format.js';

interface Waypoint {
  readonly place: string;
  readonly country: string;
  readonly lat: number;
  readonly lon: number;
  readonly crossing: string;
}
interface RouteLine {
  readonly id: string;
  readonly title: string;
  readonly issuedAt: string;
  readonly waypoints: readonly Waypoint[];
}

const WIDTH = 960;
const HEIGHT = 560;
/** Most routes drawn (the newest). */
const MAX_ROUTES = 200;
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
    return [
      {
        place: String(w['place'] ?? ''),
        country: String(w['country'] ?? ''),
        lat: c.latitude,
        lon: c.longitude,
        crossing: enumWord(String(w['crossing'] ?? ''), 'CROSSING_TYPE'),
      },
    ];
  });
}

export function RouteMap(): ReactNode {
  const { navigate, failed } = useShell();
  const [routes, setRoutes] = useState<readonly RouteLine[] | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    let live = true;
    (async () => {
      const found: RouteLine[] = [];
      for await (const summary of nodeClient.alerts.all({ box: 'inbox', kind: 'route', limit: 100 })) {
        if (!summary.bodyReadable) continue;
        const detail = await nodeClient.alerts.get(summary.id);
        const waypoints = waypointsOf(detail.alert);
        if (waypoints.length > 0)
          found.push({ id: summary.id, title: summary.title, issuedAt: summary.issuedAt, waypoints });
        if (found.length >= MAX_ROUTES) break;
      }
      if (live) setRoutes(found);
    })().catch((e: unknown) => live && setError(failed(e)));
    return () => {
      live = false;
    };
  }, []);

  const projection = useMemo(() => {
    // Opens on the region, widened to take in every route drawn.
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
  const path = geoPath(projection);
  const newest = routes?.[0]?.issuedAt;

  if (error !== undefined)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (routes === undefined) return <p>Loading routes…</p>;
  const age = (issuedAt: string): string => {
    const days = newest === undefined ? 0 : (Date.parse(newest) - Date.parse(issuedAt)) / 86_400_000;
    return days < 7 ? 'recent' : days < 60 ? 'older' : 'old';
  };
  return (
    <section aria-labelledby="map-title">
      <h2 id="map-title">Map of routes</h2>
      <svg
        className="map"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`Map of ${routes.length} route alerts`}
        data-testid="route-map"
      >
        <g className="countries">
          {countries.features.map((f, i) => (
            <path key={String(f.id ?? i)} d={path(f) ?? ''} />
          ))}
        </g>
        {routes.map((r) => {
          const d = path({ type: 'LineString', coordinates: r.waypoints.map((w) => [w.lon, w.lat]) });
          return (
            <a
              key={r.id}
              href={`/console/alerts/${r.id}`}
              onClick={(e) => {
                e.preventDefault();
                navigate(`alerts/${r.id}`);
              }}
              data-route-id={r.id}
              aria-label={r.title}
            >
              <path className={`route route-${age(r.issuedAt)}`} d={d ?? ''} />
              {r.waypoints.map((w, i) => {
                const xy = projection([w.lon, w.lat]);
                if (xy === null) return null;
                return w.crossing === 'informal' || w.crossing === 'formal' ? (
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
        })}
      </svg>
      <p className="legend">
        <span className="key key-recent">recent</span> <span className="key key-older">older</span>{' '}
        <span className="key key-old">old</span> · squares: border crossings (filled: informal) · Borders:
        Natural Earth (public domain), which draws de facto boundaries.
      </p>
      <table className="alerts" aria-label="Routes and their waypoints">
        <thead>
          <tr>
            <th scope="col">Route</th>
            <th scope="col">Issued</th>
            <th scope="col">Waypoints</th>
          </tr>
        </thead>
        <tbody>
          {routes.map((r) => (
            <tr key={r.id}>
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
              <td>{formatInstant(r.issuedAt)}</td>
              <td>
                {r.waypoints
                  .map(
                    (w) =>
                      `${w.place} (${w.country}${w.crossing !== 'none' && w.crossing !== '' ? `, ${w.crossing} crossing` : ''})`,
                  )
                  .join(' → ')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
