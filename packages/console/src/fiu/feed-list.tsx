/**
 * The analyst's feeds: state (running, paused while the country is suspended, retrying, stopped),
 * pending count, delivered, last error; replay from the beginning, STIX 2.1 export download, and
 * delete behind a second click. Actions are shown to roles that may take them only.
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { FeedStatusJson } from '@enlace/client';

import { feedClient } from '../api.js';
import { useShell } from '../app.js';
import { formatInstant } from '../format.js';

type FeedState = 'running' | 'paused' | 'retrying' | 'stopped';

export function feedState(f: FeedStatusJson): FeedState {
  if (f.paused) return 'paused';
  if (f.sink?.retrying === true) return 'retrying';
  return f.running ? 'running' : 'stopped';
}

/** Saves a text as a file in the browser (no outside request: a blob URL of the page's own origin). */
function download(text: string, filename: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function FeedList(props: {
  readonly feeds: readonly FeedStatusJson[];
  readonly mayManage: boolean;
  readonly onChanged: () => Promise<void>;
}): ReactNode {
  const { t, i18n } = useTranslation('fiu');
  const { failed } = useShell();
  const [message, setMessage] = useState<string | undefined>();
  const [deleting, setDeleting] = useState<string | undefined>();
  const number = new Intl.NumberFormat(i18n.language);

  const act = async (what: () => Promise<string>): Promise<void> => {
    try {
      setMessage(await what());
      await props.onChanged();
    } catch (e) {
      setMessage(failed(e));
    }
  };

  const exportStix = (f: FeedStatusJson) =>
    act(async () => {
      const stream = await feedClient.feeds.export(f.feed.id, { format: 'stix' });
      let text = '';
      for await (const chunk of stream) text += chunk;
      download(text, stream.filename ?? `${f.feed.name}.stix.json`, 'application/json');
      return t('feeds.exported', { name: f.feed.name });
    });

  if (props.feeds.length === 0) return <p>{t('feeds.none')}</p>;
  return (
    <>
      {message !== undefined && <p role="status">{message}</p>}
      <table className="alerts" data-testid="feeds">
        <caption className="visually-hidden">{t('feeds.caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('feeds.name')}</th>
            <th scope="col">{t('feeds.sink')}</th>
            <th scope="col">{t('feeds.state')}</th>
            <th scope="col">{t('feeds.pending')}</th>
            <th scope="col">{t('feeds.delivered')}</th>
            <th scope="col">{t('feeds.lastError')}</th>
            <th scope="col">{t('feeds.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {props.feeds.map((f) => (
            <tr key={f.feed.id} data-feed={f.feed.name}>
              <td>{f.feed.name}</td>
              <td>
                {f.feed.sink.type === 'file'
                  ? `file: ${f.feed.sink.directory}`
                  : f.feed.sink.type === 'nats'
                    ? `nats: ${f.feed.sink.subject}`
                    : `webhook: ${f.feed.sink.url}`}
              </td>
              <td data-testid="feed-state">{t(`state.${feedState(f)}`)}</td>
              <td>{f.pending === undefined ? '' : number.format(f.pending)}</td>
              <td data-testid="feed-delivered">{number.format(f.counters?.delivered ?? 0)}</td>
              <td>
                {f.sink?.lastError !== undefined &&
                  `${formatInstant(f.sink.lastError.at, i18n.language)}: ${f.sink.lastError.message}`}
              </td>
              <td className="feed-actions">
                <button type="button" onClick={() => void exportStix(f)}>
                  {t('feeds.export', { name: f.feed.name })}
                </button>
                {props.mayManage && (
                  <>
                    <button
                      type="button"
                      onClick={() =>
                        void act(async () => {
                          await feedClient.feeds.replay(f.feed.id, { from: 'beginning' });
                          return t('feeds.replayed', { name: f.feed.name });
                        })
                      }
                    >
                      {t('feeds.replay', { name: f.feed.name })}
                    </button>
                    {deleting === f.feed.id ? (
                      <button
                        type="button"
                        className="danger"
                        onClick={() =>
                          void act(async () => {
                            setDeleting(undefined);
                            await feedClient.feeds.delete(f.feed.id);
                            return t('feeds.deleted', { name: f.feed.name });
                          })
                        }
                      >
                        {t('feeds.confirmDelete', { name: f.feed.name })}
                      </button>
                    ) : (
                      <button type="button" onClick={() => setDeleting(f.feed.id)}>
                        {t('feeds.delete', { name: f.feed.name })}
                      </button>
                    )}
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
