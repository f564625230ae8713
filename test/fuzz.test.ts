/**
 * Robustness of the receive path's first steps: decode the envelope, decode the alert, verify
 * the signature. Any byte string must end in a typed error (or, for an intact envelope, success),
 * never another exception, a crash or a hang.
 */
import { randomBytes } from 'node:crypto';

import {
  createJwks,
  createJwksResolver,
  CryptoError,
  generateSigningKey,
  signAlert,
  verifySignedAlert,
} from '@enlace/crypto';
import {
  alertFromJson,
  decodeAlert,
  decodeSignedAlert,
  encodeAlert,
  encodeSignedAlert,
  SchemaError,
} from '@enlace/schema';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

/** A deterministic PRNG (mulberry32) so a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(input: Uint8Array, random: () => number): Uint8Array {
  const bytes = Array.from(input);
  const edits = 1 + Math.floor(random() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * Math.max(1, bytes.length));
    switch (Math.floor(random() * 5)) {
      case 0: // flip a bit
        if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << Math.floor(random() * 8));
        break;
      case 1: // truncate
        bytes.length = at;
        break;
      case 2: // insert random bytes
        bytes.splice(at, 0, ...randomBytes(1 + Math.floor(random() * 8)));
        break;
      case 3: // delete a run
        bytes.splice(at, 1 + Math.floor(random() * 8));
        break;
      default: // overwrite with a varint-looking byte
        bytes[at] = [0x80, 0xff, 0x0a, 0x12, 0x1a, 0x00][Math.floor(random() * 6)]!;
    }
  }
  return Uint8Array.from(bytes);
}

describe('decode + verify never crash on hostile bytes', () => {
  it('handles 10,000 random and mutated envelopes with typed errors only', async () => {
    const key = await generateSigningKey({ country: 'MX' });
    const resolver = createJwksResolver(createJwks([key.publicJwk]));
    const draft = parse(await readFile(join(root, 'seeds/demo/route-mx-gt-us.yaml'), 'utf8')) as {
      header: Record<string, unknown>;
    };
    draft.header['origin'] = 'MX';
    draft.header['id'] = '0193a3c4-5f6e-7a8b-9c0d-1e2f3a4b5c6d';
    draft.header['issuedAt'] = '2026-11-20T10:00:00Z';
    const alert = alertFromJson(draft);
    const envelope = encodeSignedAlert(await signAlert(encodeAlert(alert), key.privateJwk));

    const random = prng(20261122);
    const outcomes = { ok: 0, schema: 0, crypto: 0 };
    for (let i = 0; i < 10_000; i++) {
      const input = i % 4 === 0 ? randomBytes(Math.floor(random() * 600)) : mutate(envelope, random);
      try {
        const signed = decodeSignedAlert(input);
        decodeAlert(signed.alert);
        await verifySignedAlert(signed, resolver);
        outcomes.ok++;
      } catch (error) {
        if (error instanceof SchemaError) outcomes.schema++;
        else if (error instanceof CryptoError) outcomes.crypto++;
        else
          throw new Error(`input #${i} (${Buffer.from(input).toString('hex')}) threw ${String(error)}`, {
            cause: error,
          });
      }
    }
    expect(outcomes.ok + outcomes.schema + outcomes.crypto).toBe(10_000);
    // Mutations mostly break the envelope or the signature; a few only touch unknown fields.
    expect(outcomes.schema).toBeGreaterThan(100);
    expect(outcomes.crypto).toBeGreaterThan(100);
  }, 120_000); // a hang fails here rather than holding CI
});
