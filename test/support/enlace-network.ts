/**
 * An Enlace network for reliability suites: the real registry seeded from seeds/registry, keys
 * generated and registered for each country, and real country nodes (createNodeApp) on whatever
 * NATS URLs the test gives. Alerts can be signed here with the origin's own key and published
 * straight onto the stream (publishAlert), so that a suite can push thousands of them without
 * the HTTP layer while the receiving side stays the real node's inbound path.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { generateEncryptionKey, generateSigningKey, signAlert } from '@enlace/crypto';
import type { PrivateSigningJwk } from '@enlace/crypto';
import { createNodeApp } from '@enlace/node';
import type { NodeApp } from '@enlace/node';
import { createRegistryApp, REGISTRY_PRIVATE_KEY_FILE } from '@enlace/registry';
import type { RegistryApp } from '@enlace/registry';
import { alertFromJson, encodeAlert, encodeSignedAlert } from '@enlace/schema';
import { alertSubject } from '@enlace/transport';

const SEEDS = resolve(import.meta.dirname, '../../seeds/registry');
const ADMIN = { actor: { id: 'admin@secretariat', roles: ['administrator' as const] }, reason: 'test' };
const NETWORK = 'trafficking-liaison';

/** A registry plus the keys of some countries, in one temporary directory. */
export interface EnlaceNetwork {
  readonly root: string;
  readonly registry: RegistryApp;
  /** The registry's public JWK, as nodes pin it. */
  readonly pinned: Readonly<Record<string, unknown>>;
  /** Each country's private signing key (the node holds the same one). */
  readonly signingKeys: Readonly<Record<string, PrivateSigningJwk>>;
  /**
   * Start the node of `country` on `natsUrl` (comma-separated for several servers). Its data
   * directory is kept across restarts: starting it again reopens the same store.
   */
  startNode(country: string, natsUrl: string): Promise<NodeApp>;
  /** Close the registry and remove the directory (nodes are the caller's to close first). */
  close(): Promise<void>;
}

/** Start the registry on `natsUrl` and make keys for `countries`. */
export async function createEnlaceNetwork(options: {
  readonly natsUrl: string;
  readonly countries: readonly string[];
  /** Parent of the temporary directory (default: /dev/shm when present, else the OS temp dir). */
  readonly stateDir?: string;
}): Promise<EnlaceNetwork> {
  const root = await mkdtemp(join(options.stateDir ?? stateParent(), 'enlace-reliability-'));
  let registry: RegistryApp | undefined;
  try {
    registry = await createRegistryApp({
      natsUrl: options.natsUrl,
      dataDir: join(root, 'registry'),
      seedsDir: SEEDS,
      logger: false,
    });
    // Read once so a broken registry key directory fails here, not in a node.
    JSON.parse(await readFile(join(root, 'registry', REGISTRY_PRIVATE_KEY_FILE), 'utf8'));
    const signingKeys: Record<string, PrivateSigningJwk> = {};
    for (const country of options.countries) {
      const dir = join(root, 'keys', country);
      await mkdir(dir, { recursive: true });
      for (const pair of [await generateSigningKey({ country }), await generateEncryptionKey({ country })]) {
        await writeFile(join(dir, `${pair.kid}.private.jwk`), JSON.stringify(pair.privateJwk), {
          mode: 0o600,
        });
        await registry.service.registerKey({ country, publicJwk: pair.publicJwk }, ADMIN);
        if (pair.privateJwk.use === 'sig') signingKeys[country] = pair.privateJwk as PrivateSigningJwk;
      }
    }
    const pinned = { ...registry.registryKey.publicJwk, kid: registry.registryKey.kid };
    const opened = registry;
    return {
      root,
      registry: opened,
      pinned,
      signingKeys,
      startNode: (country, natsUrl) =>
        createNodeApp({
          country,
          natsUrl,
          dataDir: join(root, 'data', country),
          keysDir: join(root, 'keys', country),
          registryPublicJwk: pinned,
          logger: false,
        }),
      async close() {
        await opened.close();
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await registry?.close();
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Where node stores go by default. The nodes' SQLite stores fsync every insert (synchronous =
 * FULL); on a shared CI disk that, not the broker, bounds how many alerts a suite can push.
 * These suites are about broker faults, so the stores live in memory (/dev/shm) when possible.
 */
function stateParent(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix ms timestamp, version 7, variant 10, random rest. Written
 * here because the root's `uuid` is an older major without v7 types.
 */
export function uuidv7(now = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A signed route alert of `origin`, ready for publishAlert(). */
export interface SignedRouteAlert {
  readonly id: string;
  readonly subject: string;
  readonly envelope: Uint8Array;
}

/** A route alert draft of `origin`, as an officer sends it to POST /v1/alerts. */
export function routeDraft(origin: string, title: string): Record<string, unknown> {
  return {
    header: {
      origin,
      network: NETWORK,
      kind: 'ALERT_KIND_ROUTE',
      expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      handling: 'HANDLING_CODE_H1',
      tlp: 'TLP_MARKING_AMBER',
      grading: {
        sourceReliability: 'SOURCE_RELIABILITY_B',
        informationCredibility: 'INFORMATION_CREDIBILITY_2',
      },
      title,
      summary: 'Cruce por el río Suchiate en balsas; traslado en tractocamiones por la ruta del Golfo.',
      language: 'es',
    },
    route: {
      waypoints: [
        {
          country: 'GT',
          place: 'Tecún Umán',
          crossing: 'CROSSING_TYPE_NONE',
          transportMode: 'TRANSPORT_MODE_BUS',
        },
        {
          country: 'MX',
          place: 'Ciudad Hidalgo',
          crossing: 'CROSSING_TYPE_INFORMAL',
          transportMode: 'TRANSPORT_MODE_RIVER_RAFT',
        },
      ],
      estimatedMigrants: 40,
    },
  };
}

/** Sign a valid route alert of `origin` with its key, as its node would. */
export async function signRouteAlert(
  origin: string,
  key: PrivateSigningJwk,
  title: string,
): Promise<SignedRouteAlert> {
  const id = uuidv7();
  const draft = routeDraft(origin, title);
  const alert = alertFromJson({
    ...draft,
    header: { ...(draft['header'] as object), id, issuedAt: new Date().toISOString() },
  });
  const parts = await signAlert(encodeAlert(alert), key);
  return {
    id,
    subject: alertSubject({ network: NETWORK, kind: 'route', origin }),
    envelope: encodeSignedAlert({
      alert: parts.alert,
      protectedHeader: parts.protectedHeader,
      signature: parts.signature,
    }),
  };
}

/** Poll `probe` every `intervalMs` until it returns true; throw after `timeoutMs` naming `what`. */
export async function waitFor(
  what: string,
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
