/**
 * The browser's WebCrypto digests against `enlace match digest` (run in-process as a user runs
 * it) and @enlace/crypto for the same key and values, including separators, lower case, Unicode
 * white space and non-ASCII letters (which both refuse rather than transliterate).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { main } from '@enlace/cli';
import { CryptoError, generateMatchingKey, keyedDigest, matchingKeyToJson } from '@enlace/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DigestInputError, canonicalIdentifier, keyedDigestHex, parseMatchingKey } from './keyed-digest.js';
import type { IdentifierKind } from './keyed-digest.js';

const nodeKey = generateMatchingKey('fiu-exchange', 'fiu-exchange-match-2026-01');
const keyText = JSON.stringify(matchingKeyToJson(nodeKey));
let dir: string;
let keyFile: string;

async function cliDigest(kind: IdentifierKind, country: string, values: readonly string[]) {
  let out = '';
  let err = '';
  const code = await main(
    ['match', 'digest', '--key', keyFile, '--kind', kind, '--country', country, '--', ...values],
    { stdout: { write: (t: string) => void (out += t) }, stderr: { write: (t: string) => void (err += t) } },
  );
  return { code, lines: out.split('\n').filter((l) => l !== ''), err };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'enlace-digest-'));
  keyFile = join(dir, 'fiu-exchange.match.json');
  await writeFile(keyFile, keyText, { mode: 0o600 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('browser keyed digests', () => {
  const accepted = ['A01234567', 'a-0123 4567', 'p.123/456', 'GT\u00a0998877', ' 12\t34 ', 'X'.repeat(128)];

  it('equal the CLI and @enlace/crypto for the same key and values', async () => {
    const browserKey = await parseMatchingKey(keyText);
    expect(browserKey.keyId).toBe('fiu-exchange-match-2026-01');
    expect(browserKey.network).toBe('fiu-exchange');
    for (const [kind, country] of [
      ['doc', 'CR'],
      ['acct', 'mx'],
    ] as const) {
      const cli = await cliDigest(kind, country, accepted);
      expect(cli.code, cli.err).toBe(0);
      const browser = await Promise.all(accepted.map((v) => keyedDigestHex(browserKey, kind, country, v)));
      const node = accepted.map((v) => Buffer.from(keyedDigest(nodeKey, kind, country, v)).toString('hex'));
      expect(browser).toEqual(cli.lines);
      expect(browser).toEqual(node);
      expect(browser[0]).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(canonicalIdentifier('doc', 'cr', 'a-0123 4567')).toBe('doc:CR:A01234567');
  });

  it('refuses non-ASCII names and numbers as the CLI does, naming the character', async () => {
    const browserKey = await parseMatchingKey(keyText);
    for (const value of ['Muñoz123', 'straße', 'ÉTIENNE', 'Ａ123', 'Иванов', 'ﬁ12']) {
      const cli = await cliDigest('doc', 'CR', [value]);
      expect(cli.code).toBe(2);
      expect(cli.err).toContain('cannot be digested');
      expect(() => keyedDigest(nodeKey, 'doc', 'CR', value)).toThrow(CryptoError);
      const refused = await keyedDigestHex(browserKey, 'doc', 'CR', value).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(DigestInputError);
      expect((refused as DigestInputError).code).toBe('ERR_DIGEST_INPUT');
      expect((refused as DigestInputError).issue).toBe('character');
      const codePoint = [...value].find((c) => !/[A-Za-z0-9]/.test(c))!.codePointAt(0)!;
      expect((refused as DigestInputError).detail).toBe(
        `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`,
      );
      expect(cli.err).toContain((refused as DigestInputError).detail);
    }
  });

  it('refuses empty, too long and bad countries like the CLI', async () => {
    const browserKey = await parseMatchingKey(keyText);
    const issue = (kind: IdentifierKind, cc: string, v: string) =>
      keyedDigestHex(browserKey, kind, cc, v).then(
        () => 'accepted',
        (e: unknown) => (e as DigestInputError).issue,
      );
    expect(await issue('doc', 'CR', ' - / . ')).toBe('empty');
    expect(await issue('doc', 'CR', 'X'.repeat(129))).toBe('too-long');
    expect(await issue('doc', 'C', 'A1')).toBe('country');
    expect((await cliDigest('doc', 'CR', ['X'.repeat(129)])).code).toBe(2);
    expect(() => keyedDigest(nodeKey, 'doc', 'C', 'A1')).toThrow(CryptoError);
  });

  it('reads matching key files as strictly as the CLI', async () => {
    const jwk = matchingKeyToJson(nodeKey);
    const issue = (text: string) =>
      parseMatchingKey(text).then(
        () => 'accepted',
        (e: unknown) => `${(e as DigestInputError).code} ${(e as DigestInputError).issue}`,
      );
    expect(await issue('not json')).toBe('ERR_MATCHING_KEY_INVALID key-json');
    expect(await issue(JSON.stringify({ ...jwk, kty: 'OKP' }))).toBe('ERR_MATCHING_KEY_INVALID key-kty');
    expect(await issue(JSON.stringify({ ...jwk, alg: 'HS512' }))).toBe('ERR_MATCHING_KEY_INVALID key-alg');
    expect(await issue(JSON.stringify({ ...jwk, network: 'FIU exchange' }))).toBe(
      'ERR_MATCHING_KEY_INVALID key-network',
    );
    expect(await issue(JSON.stringify({ ...jwk, k: jwk.k.slice(0, 20) }))).toBe(
      'ERR_MATCHING_KEY_INVALID key-k',
    );
    expect(await issue(JSON.stringify({ ...jwk, kid: 'has space' }))).toBe(
      'ERR_MATCHING_KEY_INVALID key-kid',
    );
  });
});
