/**
 * What the benchmarks run on: real nats-server processes (through @enlace/testing), the real
 * registry seeded from seeds/registry, country keys registered with it, and realistic alerts
 * made from the demo drafts in seeds/demo (a route alert of about 1 KiB), signed by their
 * origin exactly as a node signs them.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { generateEncryptionKey, generateSigningKey, importPrivateKey, signAlert } from '@enlace/crypto';
import type { PrivateKeyRecord, PrivateSigningJwk } from '@enlace/crypto';
import { createNodeApp } from '@enlace/node';
import type { NodeApp } from '@enlace/node';
import { createRegistryApp } from '@enlace/registry';
import type { RegistryApp } from '@enlace/registry';
import { alertFromJson, encodeAlert, encodeSignedAlert } from '@enlace/schema';
import type { Alert } from '@enlace/schema';
import { startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import { alertSubject } from '@enlace/transport';
import { parse as parseYaml } from 'yaml';

export const REPO = resolve(import.meta.dirname, '../..');
const SEEDS = join(REPO, 'seeds/registry');
const DEMO_ROUTE = join(REPO, 'seeds/demo/route-mx-gt-us.yaml');
const ADMIN = { actor: { id: 'bench@secretariat', roles: ['administrator' as const] }, reason: 'benchmark' };

export async function startServer(name: string): Promise<NatsServerHandle> {
  return startNatsServer({ backend: 'binary', name });
}

/** The demo route draft (seeds/demo), as an officer posts it. */
export async function routeDraft(): Promise<Record<string, unknown>> {
  return parseYaml(await readFile(DEMO_ROUTE, 'utf8')) as Record<string, unknown>;
}

/** A UUIDv7 (RFC 9562): 48-bit ms timestamp, version 7, variant 10, random rest. */
export function uuidv7(at = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(at, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A signed alert ready to publish, with the parts the ceilings reuse. */
export interface BenchAlert {
  readonly id: string;
  readonly subject: string;
  readonly alert: Alert;
  /** Serialized Alert: exactly the signed bytes. */
  readonly alertBytes: Uint8Array;
  readonly protectedHeader: string;
  readonly signature: Uint8Array;
  /** Serialized SignedAlert, as it travels. */
  readonly envelope: Uint8Array;
}

/** The draft as a complete alert of `origin` with a fresh id and issue time. */
export function alertOf(draft: Record<string, unknown>, origin: string, issuedAt = new Date()): Alert {
  const header = { ...(draft['header'] as Record<string, unknown>), origin };
  return alertFromJson({
    ...draft,
    header: { ...header, id: uuidv7(issuedAt.getTime()), issuedAt: issuedAt.toISOString() },
  });
}

/** Signs the draft as an alert of `origin` (jose, as the node does). */
export async function signedAlert(
  draft: Record<string, unknown>,
  origin: string,
  key: PrivateKeyRecord,
  issuedAt = new Date(),
): Promise<BenchAlert> {
  const alert = alertOf(draft, origin, issuedAt);
  const parts = await signAlert(encodeAlert(alert), key);
  const header = alert.header!;
  return {
    id: header.id,
    subject: alertSubject({ network: header.network, kind: 'route', origin }),
    alert,
    alertBytes: parts.alert,
    protectedHeader: parts.protectedHeader,
    signature: parts.signature,
    envelope: encodeSignedAlert(parts),
  };
}

/** The registry plus keys of some countries, and real country nodes on the same server. */
export interface BenchNetwork {
  readonly root: string;
  readonly registry: RegistryApp;
  /** The registry's data directory (its key lives there). */
  readonly registryDir: string;
  readonly pinned: Readonly<Record<string, unknown>>;
  readonly signing: ReadonlyMap<string, PrivateKeyRecord>;
  /** A full country node (createNodeApp: HTTP API, durable consumers, receipts). */
  startNode(country: string, tag: string): Promise<NodeApp>;
  close(): Promise<void>;
}

export async function createBenchNetwork(options: {
  readonly natsUrl: string;
  readonly root: string;
  readonly countries: readonly string[];
}): Promise<BenchNetwork> {
  const { root, natsUrl } = options;
  const registryDir = join(root, 'registry');
  const registry = await createRegistryApp({ natsUrl, dataDir: registryDir, seedsDir: SEEDS, logger: false });
  const signing = new Map<string, PrivateKeyRecord>();
  for (const country of options.countries) {
    const dir = join(root, 'keys', country);
    await mkdir(dir, { recursive: true });
    for (const pair of [await generateSigningKey({ country }), await generateEncryptionKey({ country })]) {
      await writeFile(join(dir, `${pair.kid}.private.jwk`), JSON.stringify(pair.privateJwk), { mode: 0o600 });
      await registry.service.registerKey({ country, publicJwk: pair.publicJwk }, ADMIN);
      if (pair.privateJwk.use === 'sig')
        signing.set(country, importPrivateKey(pair.privateJwk as PrivateSigningJwk, 'sig'));
    }
  }
  const pinned = { ...registry.registryKey.publicJwk, kid: registry.registryKey.kid };
  return {
    root,
    registry,
    registryDir,
    pinned,
    signing,
    startNode: (country, tag) =>
      createNodeApp({
        country,
        natsUrl,
        dataDir: join(root, 'data', `${country}-${tag}`),
        keysDir: join(root, 'keys', country),
        registryPublicJwk: pinned,
        durable: `node-${country}-${tag}`,
        logger: false,
      }),
    close: () => registry.close(),
  };
}
