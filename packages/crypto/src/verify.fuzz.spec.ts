/**
 * Hostile input for verifySignedAlert: random and mutated headers, signatures and alerts must all
 * end in a CryptoError with a known code (or success, for an intact signed alert), never another
 * exception or a hang.
 */
import { createPrivateKey, randomBytes, sign as nodeSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { beforeAll, describe, expect, it } from 'vitest';

import { CRYPTO_ERROR_CODES, CryptoError } from './errors.js';
import { createJwks, createJwksResolver } from './jwks.js';
import type { KeyResolver } from './jwks.js';
import { generateEncryptionKey, generateSigningKey } from './keys.js';
import { signAlert } from './sign.js';
import type { SignedAlertParts } from './signing-input.js';
import { verifySignedAlert } from './verify.js';

const RUNS = 12_000;

/** mulberry32: a seeded PRNG, so that a failing input can be replayed. */
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

const random = prng(20_260_101);
const below = (n: number): number => Math.floor(random() * n);
const pick = <T>(values: readonly T[]): T => values[below(values.length)]!;

/** Bit flips, truncations, insertions, deletions and overwrites with interesting bytes. */
function mutate(input: Uint8Array): Uint8Array {
  const bytes = Array.from(input);
  for (let edits = 1 + below(3); edits > 0; edits--) {
    const at = below(Math.max(1, bytes.length));
    switch (below(5)) {
      case 0:
        if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << below(8));
        break;
      case 1:
        bytes.length = at;
        break;
      case 2:
        bytes.splice(at, 0, ...randomBytes(1 + below(8)));
        break;
      case 3:
        bytes.splice(at, 1 + below(8));
        break;
      default:
        bytes[at] = pick([0x00, 0x22, 0x2e, 0x3d, 0x5c, 0x7b, 0x7d, 0x80, 0xff]);
    }
  }
  return Uint8Array.from(bytes);
}

const mutateText = (text: string): string =>
  Buffer.from(mutate(Buffer.from(text, 'latin1'))).toString('latin1');

let resolver: KeyResolver;
let signingKey: KeyObject;
let valid: SignedAlertParts;

beforeAll(async () => {
  const [mx, mxEnc] = await Promise.all([
    generateSigningKey({ country: 'MX', kid: 'MX-sig-2026-01' }),
    generateEncryptionKey({ country: 'MX', kid: 'MX-enc-2026-01' }),
  ]);
  resolver = createJwksResolver(createJwks([mx.publicJwk, mxEnc.publicJwk]));
  signingKey = createPrivateKey({ key: mx.privateJwk, format: 'jwk' });
  valid = await signAlert(Uint8Array.from(randomBytes(300)), mx.privateJwk);
});

/**
 * A header assembled from plausible and implausible member values, then correctly signed: most
 * reach key resolution, under a signing kid, an encryption kid or an unknown one.
 */
function signedOddHeader(): SignedAlertParts {
  const header: Record<string, unknown> = {};
  const members: Array<[string, readonly unknown[], readonly unknown[]]> = [
    ['alg', ['EdDSA'], ['none', 'HS256', 'Ed25519', '', 1, null]],
    [
      'kid',
      ['MX-sig-2026-01', 'MX-enc-2026-01', 'GT-sig-2026-01'],
      ['', ' ', 7, ['MX-sig-2026-01'], 'k'.repeat(129)],
    ],
    ['b64', [false], [true, 'false', 0, null]],
    ['crit', [['b64']], [[], ['b64', 'b64'], ['exp'], 'b64', [null]]],
    ['typ', ['JOSE', { nested: [1, { deeper: true }] }], []],
  ];
  for (const [name, plausible, odd] of members) {
    const roll = random();
    if (roll < 0.85 || odd.length === 0) header[name] = pick(plausible);
    else if (roll < 0.97) header[name] = pick(odd);
  }
  const protectedHeader = Buffer.from(JSON.stringify(header)).toString('base64url');
  const alert = Uint8Array.from(randomBytes(below(64)));
  const signature = nodeSign(null, Buffer.concat([Buffer.from(`${protectedHeader}.`), alert]), signingKey);
  return { alert, protectedHeader, signature: random() < 0.8 ? signature : mutate(signature) };
}

function hostileInput(i: number): SignedAlertParts {
  switch (i % 8) {
    case 0: {
      const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      let protectedHeader = '';
      for (let n = below(200); n > 0; n--) protectedHeader += pick([...chars]);
      return {
        protectedHeader,
        alert: randomBytes(below(300)),
        signature: randomBytes(pick([64, 64, below(100)])),
      };
    }
    case 1:
      return { ...valid, protectedHeader: randomBytes(below(120)).toString('latin1') };
    case 2:
      return { ...valid, protectedHeader: mutateText(valid.protectedHeader) };
    case 3:
      return { ...valid, signature: mutate(valid.signature) };
    case 4:
      return { ...valid, alert: mutate(valid.alert) };
    case 5:
      return signedOddHeader();
    case 6:
      return {
        protectedHeader: mutateText(valid.protectedHeader),
        alert: mutate(valid.alert),
        signature: mutate(valid.signature),
      };
    default:
      return {
        protectedHeader: pick([valid.protectedHeader, undefined, null, 42, {}, ['x'], 'x'.repeat(5000)]),
        alert: pick([valid.alert, undefined, 'alert', [1, 2], new Uint16Array(4)]),
        signature: pick([valid.signature, undefined, null, Array.from(valid.signature), new ArrayBuffer(64)]),
      } as unknown as SignedAlertParts;
  }
}

describe('verifySignedAlert on hostile input', () => {
  it(`ends every one of ${RUNS.toLocaleString('en')} random and mutated inputs in a CryptoError or a valid verdict`, async () => {
    const counts = new Map<string, number>();
    const started = performance.now();
    for (let i = 0; i < RUNS; i++) {
      const parts = hostileInput(i);
      let result: string;
      try {
        const verified = await verifySignedAlert(parts, resolver);
        // Only a correctly signed, well-formed header may pass.
        expect(verified.protectedHeader).toMatchObject({ alg: 'EdDSA', b64: false, crit: ['b64'] });
        result = 'ok';
      } catch (error) {
        if (!(error instanceof CryptoError)) {
          throw new Error(
            `input #${i} threw ${String(error)}: ${JSON.stringify(parts, (_, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))}`,
            {
              cause: error,
            },
          );
        }
        expect(CRYPTO_ERROR_CODES).toContain(error.code);
        expect(error.message.length).toBeGreaterThan(0);
        result = error.code;
      }
      counts.set(result, (counts.get(result) ?? 0) + 1);
    }
    const elapsed = performance.now() - started;

    const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
    expect(total).toBe(RUNS);
    for (const code of [
      'ERR_JWS_MALFORMED',
      'ERR_SIGNATURE_INVALID',
      'ERR_KEY_UNKNOWN',
      'ERR_KEY_WRONG_TYPE',
      'ok',
    ]) {
      expect(
        counts.get(code) ?? 0,
        `${code} in ${JSON.stringify(Object.fromEntries(counts))}`,
      ).toBeGreaterThan(10);
    }
    // No other outcome is possible on this path.
    expect(
      [...counts.keys()].every((code) =>
        [
          'ok',
          'ERR_JWS_MALFORMED',
          'ERR_SIGNATURE_INVALID',
          'ERR_KEY_UNKNOWN',
          'ERR_KEY_WRONG_TYPE',
        ].includes(code),
      ),
    ).toBe(true);
    expect(elapsed).toBeLessThan(8_000);
  }, 10_000);
});
