/**
 * The FIU console (feed service): the analyst's feeds with their state, a form to define one,
 * and hit/no-hit matching with digests computed in this browser. `alerts/<id>` shows what a
 * match hit says about an alert.
 */
import { useCallback, useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { AlertRefJson, FeedStatusJson } from '@enlace/client';

import { feedClient } from '../api.js';
import { useShell } from '../app.js';
import { FeedForm } from './feed-form.js';
import { FeedList } from './feed-list.js';
import { HitAlert } from './hit-alert.js';
import { MatchPanel } from './match-panel.js';
import './fiu.css';

/** The feeds' counters move as alerts arrive: read them again this often while the page is open. */
const REFRESH_MS = 2000;

export function FiuConsole(): ReactNode {
  const { t } = useTranslation('fiu');
  const { session, failed, path, navigate } = useShell();
  const [feeds, setFeeds] = useState<readonly FeedStatusJson[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [hits, setHits] = useState<ReadonlyMap<string, AlertRefJson>>(new Map());
  const mayManage = session.roles.includes('fiu-analyst') || session.roles.includes('administrator');

  const load = useCallback(async () => {
    try {
      setFeeds((await feedClient.feeds.list()).feeds);
      setError(undefined);
    } catch (e) {
      setError(failed(e));
    }
  }, []);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  const alertId = /^alerts\/([0-9a-f-]{36})$/.exec(path)?.[1];
  if (alertId !== undefined)
    return <HitAlert alertId={alertId} alert={hits.get(alertId)} onBack={() => navigate('')} />;

  return (
    <>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <section aria-labelledby="feeds-title">
        <h2 id="feeds-title">{t('feeds.title')}</h2>
        <FeedList feeds={feeds} mayManage={mayManage} onChanged={load} />
      </section>
      {mayManage && (
        <section aria-labelledby="feed-form-title">
          <h2 id="feed-form-title">{t('form.title')}</h2>
          <FeedForm onCreated={load} />
        </section>
      )}
      <section aria-labelledby="match-title">
        <h2 id="match-title">{t('match.title')}</h2>
        <MatchPanel
          country={session.country}
          onHits={(refs) => setHits(new Map(refs.map((r) => [r.alertId, r])))}
          open={(id) => navigate(`alerts/${id}`)}
        />
      </section>
    </>
  );
}
