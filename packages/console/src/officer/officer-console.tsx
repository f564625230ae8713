/**
 * The officer console of a node: inbox and outbox, an alert's page, the compose forms (route,
 * document, network; supersede opens the form of the alert's kind prefilled), the map of routes.
 */
import { lazy, Suspense, useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { AlertDetailJson } from '@enlace/client';

import { nodeClient } from '../api.js';
import { useShell } from '../app.js';
import { AlertDetail } from './alert-detail.js';
import { AlertList } from './alert-list.js';
import { Archive } from './archive.js';
import './officer.css';
import { useFocalPoint } from './compose-core.js';
import { ComposeDocument } from './compose-document.js';
import { ComposeNetwork } from './compose-network.js';
import { ComposeRoute } from './compose-route.js';
import { Requests } from './requests/requests.js';

// The map (d3-geo and the borders) is its own chunk, loaded when the map opens.
const RouteMap = lazy(() => import('./route-map.js').then((m) => ({ default: m.RouteMap })));

type Tab =
  'inbox' | 'outbox' | 'archive' | 'map' | 'requests' | 'compose' | 'compose/document' | 'compose/network';

function tabOf(path: string): Tab {
  if (path.startsWith('outbox')) return 'outbox';
  if (path.startsWith('map')) return 'map';
  if (path.startsWith('requests')) return 'requests';
  if (path === 'archive') return 'archive';
  if (path === 'compose/document') return 'compose/document';
  if (path === 'compose/network') return 'compose/network';
  if (path.startsWith('compose')) return 'compose';
  return 'inbox';
}

/** The form of the alert's kind, prefilled from the alert it replaces. */
function Supersede(props: { readonly id: string }): ReactNode {
  const { t } = useTranslation('officer');
  const { failed } = useShell();
  const [original, setOriginal] = useState<AlertDetailJson | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    nodeClient.alerts.get(props.id).then(setOriginal, (e: unknown) => setError(failed(e)));
  }, [props.id]);
  if (error !== undefined)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (original === undefined) return <p>{t('loading')}</p>;
  if (original.kind === 'document') return <ComposeDocument supersedes={original} />;
  if (original.kind === 'network') return <ComposeNetwork supersedes={original} />;
  return <ComposeRoute supersedes={original} />;
}

export function OfficerConsole(): ReactNode {
  const { t } = useTranslation('officer');
  const { path, navigate } = useShell();
  const { t: rfi } = useTranslation('rfi');
  const focalPoint = useFocalPoint();
  const tab = tabOf(path);
  const alertId = /^alerts\/([0-9a-f-]{36})$/.exec(path)?.[1];
  const supersedeId = /^alerts\/([0-9a-f-]{36})\/supersede$/.exec(path)?.[1];
  const tabs: readonly (readonly [Tab, string, string])[] = [
    ['inbox', '', t('nav.inbox')],
    ['outbox', 'outbox', t('nav.outbox')],
    ['archive', 'archive', t('nav.archive')],
    ['map', 'map', t('nav.map')],
    ['requests', 'requests', rfi('inbox.title')],
    // Publishing speaks as the country: only its focal points (the node refuses others).
    ...(focalPoint
      ? ([
          ['compose', 'compose', t('nav.composeRoute')],
          ['compose/document', 'compose/document', t('nav.composeDocument')],
          ['compose/network', 'compose/network', t('nav.composeNetwork')],
        ] as const)
      : []),
  ];
  const page = alertId ?? supersedeId;
  return (
    <>
      <nav className="tabs" aria-label={t('nav.label')}>
        {tabs.map(([name, to, label]) => (
          <a
            key={name}
            href={`/console/${to}`}
            aria-current={page === undefined && tab === name ? 'page' : undefined}
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
      ) : supersedeId !== undefined && focalPoint ? (
        <Supersede key={supersedeId} id={supersedeId} />
      ) : tab === 'requests' ? (
        <Requests />
      ) : tab === 'compose' && focalPoint ? (
        <ComposeRoute />
      ) : tab === 'compose/document' && focalPoint ? (
        <ComposeDocument />
      ) : tab === 'compose/network' && focalPoint ? (
        <ComposeNetwork />
      ) : tab === 'archive' ? (
        <Archive />
      ) : tab === 'map' ? (
        <Suspense fallback={<p>{t('map.loading')}</p>}>
          <RouteMap />
        </Suspense>
      ) : (
        <AlertList key={tab === 'outbox' ? 'outbox' : 'inbox'} box={tab === 'outbox' ? 'outbox' : 'inbox'} />
      )}
    </>
  );
}
