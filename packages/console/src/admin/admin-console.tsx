/**
 * The administrator console (registry): countries and their status history with the decisions
 * (suspend, reinstate, withdraw), memberships, the focal-point directory, keys, the policy's rules
 * with their legal basis, and the audit trail, one page each. Decisions are shown to
 * administrators only; an auditor reads everything and the registry refuses the rest anyway.
 */
import { useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { NetworkJson } from '@enlace/client';

import { registryClient } from '../api.js';
import { useShell } from '../app.js';
import { AuditTrail } from './audit-trail.js';
import { Countries } from './countries.js';
import { FocalPoints } from './focal-points.js';
import { Keys } from './keys.js';
import { Memberships } from './memberships.js';
import { PolicyRules } from './policy-rules.js';
import './admin.css';

const PAGES = ['', 'memberships', 'focal-points', 'keys', 'policy', 'audit'] as const;
type AdminPage = (typeof PAGES)[number];

export function AdminConsole(): ReactNode {
  const { t } = useTranslation('admin');
  const { session, path, navigate, failed } = useShell();
  const [networks, setNetworks] = useState<readonly NetworkJson[]>([]);
  const mayDecide = session.roles.includes('administrator');
  const page: AdminPage = PAGES.find((p) => p !== '' && path.startsWith(p)) ?? '';

  useEffect(() => {
    registryClient.networks.list().then(
      (r) => setNetworks(r.items),
      (e: unknown) => void failed(e),
    );
  }, []);

  return (
    <>
      <nav aria-label={t('nav.label')}>
        <ul className="admin-tabs">
          {PAGES.map((p) => (
            <li key={p}>
              <a
                href={`/console/${p}`}
                aria-current={p === page ? 'page' : undefined}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(p);
                }}
              >
                {t(`nav.${p === '' ? 'countries' : p}`)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {page === '' && <Countries mayDecide={mayDecide} />}
      {page === 'memberships' && <Memberships networks={networks} />}
      {page === 'focal-points' && <FocalPoints networks={networks} />}
      {page === 'keys' && <Keys mayDecide={mayDecide} />}
      {page === 'policy' && <PolicyRules />}
      {page === 'audit' && <AuditTrail />}
    </>
  );
}
