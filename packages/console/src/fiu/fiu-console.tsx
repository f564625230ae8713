/**
 * The FIU console (feed service): the analyst's feeds with their state (running, paused,
 * pending, delivered, last error) and hit/no-hit matching of keyed digests.
 */
import { useEffect, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';

import type { FeedStatusJson, MatchResultJson } from '@enlace/client';

import { feedClient } from '../api.js';
import { useShell } from '../app.js';

export function FiuConsole(): ReactNode {
  const { failed } = useShell();
  const [feeds, setFeeds] = useState<readonly FeedStatusJson[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [keyId, setKeyId] = useState('');
  const [digests, setDigests] = useState('');
  const [result, setResult] = useState<MatchResultJson | undefined>();

  useEffect(() => {
    feedClient.feeds.list().then(
      (r) => setFeeds(r.feeds),
      (e: unknown) => setError(failed(e)),
    );
  }, []);

  const match = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setError(undefined);
    try {
      setResult(
        await feedClient.match({
          keyId: keyId.trim(),
          digests: digests.split(/\s+/).filter((d) => d !== ''),
        }),
      );
    } catch (e) {
      setError(failed(e));
    }
  };

  return (
    <>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <section aria-labelledby="feeds-title">
        <h2 id="feeds-title">Feeds</h2>
        {feeds.length === 0 ? (
          <p>No feeds yet.</p>
        ) : (
          <table className="alerts" data-testid="feeds">
            <thead>
              <tr>
                <th scope="col">Feed</th>
                <th scope="col">State</th>
                <th scope="col">Pending</th>
                <th scope="col">Delivered</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {feeds.map((f) => (
                <tr key={f.feed.id}>
                  <td>{f.feed.name}</td>
                  <td>{f.paused ? 'paused' : f.running ? 'running' : 'stopped'}</td>
                  <td>{f.pending ?? ''}</td>
                  <td>{f.counters?.delivered ?? 0}</td>
                  <td>
                    {JSON.stringify(f.sink ?? {}).includes('lastError')
                      ? String((f.sink as { lastError?: unknown }).lastError)
                      : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="match-title">
        <h2 id="match-title">Hit/no-hit matching</h2>
        <p>Only keyed digests are sent (enlace match digest computes them), never the numbers themselves.</p>
        <form onSubmit={(e) => void match(e)}>
          <label htmlFor="key-id">Matching key id</label>
          <input id="key-id" value={keyId} onChange={(e) => setKeyId(e.target.value)} required />
          <label htmlFor="digests">Digests (hex, one per line)</label>
          <textarea id="digests" rows={5} value={digests} onChange={(e) => setDigests(e.target.value)} />
          <button type="submit">Match</button>
        </form>
        {result !== undefined && (
          <div role="status">
            <p>
              {result.matched} of {result.queried} matched.
            </p>
            <ul>
              {result.hits.map((h) => (
                <li key={h.digest}>
                  {h.digest.slice(0, 16)}…:{' '}
                  {h.alerts.map((a) => `${a.origin} ${a.kind} ${a.alertId}`).join('; ')}
                </li>
              ))}
            </ul>
          </div>
        )}
      </section>
    </>
  );
}
