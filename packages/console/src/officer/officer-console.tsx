/** The officer console of a node: inbox and outbox, an alert's page, the map of routes. */
import { lazy, Suspense } from 'react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import { useShell } from '../app.js';
import { AlertDetail } from './alert-detail.js';
import { AlertList } from './alert-list.js';
import { ComposeRoute } from './compose-route.js';
import { Requests } from './requests/requests.js';

// The map (d3-geo and the borders) is its own chunk, loaded when the map opens.
const RouteMap = lazy(() => import('./route-map.js').then((m) => ({ default: m.RouteMap })));

export function OfficerConsole(): ReactNode {
  const { path, navigate } = useShell();
  const { session } = useShell();
  const { t: rfi } = useTranslation('rfi');
  const tab = path.startsWith('outbox')
    ? 'outbox'
    : path.startsWith('requests')
      ? 'requests'
      : path.startsWith('map')
        ? 'map'
        : path.startsWith('compose')
          ? 'compose'
          : 'inbox';
  const alertId = /^alerts\/([0-9a-f-]{36})$/.exec(path)?.[1];
  return (
    <>
      <nav className="tabs" aria-label="Officer console">
        {(
          [
            ['inbox', '', 'Inbox'],
            ['outbox', 'outbox', 'Outbox'],
            ['map', 'map', 'Map of routes'],
            ['requests', 'requests', rfi('inbox.title')],
            // Publishing speaks as the country: only its focal points (the node refuses others).
            ...(session.roles.includes('focal-point')
              ? ([['compose', 'compose', 'New route alert']] as const)
              : []),
          ] as const
        ).map(([name, to, label]) => (
          <a
            key={name}
            href={`/console/${to}`}
            aria-current={alertId === undefined && tab === name ? 'page' : undefined}
            onClick={(e) => {
              e.preventDefault();
              navigate(to);
            }}
          >
            {label}
          </a>
        ))}
      </nav>
      {alertId !== undefined ? (
        <AlertDetail id={alertId} />
      ) : tab === 'requests' ? (
        <Requests />
      ) : tab === 'compose' ? (
        <ComposeRoute />
      ) : tab === 'map' ? (
        <Suspense fallback={<p>Loading the map…</p>}>
          <RouteMap />
        </Suspense>
      ) : (
        <AlertList key={tab} box={tab} />
      )}
    </>
  );
}
