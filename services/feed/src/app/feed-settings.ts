/**
 * The operator's security settings of the feed service, from createFeedApp() options or, where
 * those leave them out, the environment:
 *
 * ```
 * ENLACE_FEED_FILE_ROOT           root of file sinks; country CC writes under <root>/<CC>/
 *                                 (default <data dir>/files)
 * ENLACE_FEED_WEBHOOK_ALLOW       comma-separated CIDRs, addresses or host names webhooks may
 *                                 reach although loopback/private/reserved, and the only hosts
 *                                 plain http:// may go to (default: none)
 * ENLACE_FEED_READERS_PER_TOKEN   open tail/replay/export streams per token      (default 4)
 * ENLACE_FEED_READERS_TOTAL       open tail/replay/export streams overall        (default 64)
 * ENLACE_FEED_MATCH_DIGESTS_PER_MINUTE  digests one token may match per minute   (default 200000)
 * ENLACE_FEED_EXPORTS_PER_MINUTE  exports one token may start per minute         (default 10)
 * ```
 */
import { join, resolve } from 'node:path';

import { FeedError } from '../errors.js';
import { feedLimits } from '../http/rate-limit.js';
import type { FeedLimits } from '../http/rate-limit.js';
import { AddressPolicy, AllowListError } from '../sinks/address-policy.js';
import type { SinkPolicy } from '../sinks/sink-definition.js';

export interface FeedSecurityOptions {
  /** Root of file sinks (absolute); each country's feeds write under `<fileRoot>/<CC>/`. */
  readonly fileRoot?: string;
  /** CIDRs, addresses or host names webhooks may reach although loopback, private or reserved. */
  readonly webhookAllow?: readonly string[];
  readonly limits?: Partial<FeedLimits>;
}

export interface FeedSecuritySettings {
  readonly sinks: SinkPolicy & { readonly fileRoot: string };
  readonly limits: FeedLimits;
}

const LIMIT_ENV: Readonly<Record<keyof FeedLimits, string>> = {
  readersPerToken: 'ENLACE_FEED_READERS_PER_TOKEN',
  readersTotal: 'ENLACE_FEED_READERS_TOTAL',
  matchDigestsPerMinute: 'ENLACE_FEED_MATCH_DIGESTS_PER_MINUTE',
  exportsPerMinute: 'ENLACE_FEED_EXPORTS_PER_MINUTE',
};

/** The settings in force: `options` first, then `env`, then the defaults. Throws ERR_VALIDATION naming a bad one. */
export function feedSecuritySettings(
  options: FeedSecurityOptions,
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): FeedSecuritySettings {
  const pick = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const fileRoot = resolve(options.fileRoot ?? pick('ENLACE_FEED_FILE_ROOT') ?? join(dataDir, 'files'));
  let webhooks: AddressPolicy;
  try {
    webhooks =
      options.webhookAllow !== undefined
        ? new AddressPolicy(options.webhookAllow)
        : AddressPolicy.parse(pick('ENLACE_FEED_WEBHOOK_ALLOW'));
  } catch (error) {
    if (!(error instanceof AllowListError)) throw error;
    throw new FeedError('ERR_VALIDATION', `webhookAllow (ENLACE_FEED_WEBHOOK_ALLOW): ${error.message}`, {
      violations: [{ path: 'webhookAllow', code: 'invalid_allow_entry', message: error.message }],
    });
  }
  const fromEnv: Partial<Record<keyof FeedLimits, number>> = {};
  for (const [key, name] of Object.entries(LIMIT_ENV) as [keyof FeedLimits, string][]) {
    const text = pick(name);
    if (text !== undefined) fromEnv[key] = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  }
  return { sinks: { fileRoot, webhooks }, limits: feedLimits({ ...fromEnv, ...options.limits }) };
}
