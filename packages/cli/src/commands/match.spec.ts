/**
 * `enlace match ...` in-process: key generation, local digests, and queries against a small
 * node:http stand-in for POST /v1/match that checks no clear value is ever sent.
 */
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { keyedDigest, parseMatchingKey } from '@enlace/crypto';
import type { MatchingKey } from '@enlace/crypto';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CliError } from '../errors.js';
import { registerMatchCommands } from './match.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Builds a program with only the match commands, runs it as main() does, returns the exit code. */
async function run(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => void (stdout += text) },
    stderr: { write: (text: string) => void (stderr += text) },
    env: {},
  };
  const program = new Command('enlace')
    .configureOutput({ writeOut: (t) => io.stdout.write(t), writeErr: (t) => io.stderr.write(t) })
    .exitOverride();
  registerMatchCommands(program, io);
  let code = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CliError) {
      stderr += `enlace: ${error.message} [${error.code}]\n`;
      code = error.exitCode;
    } else if (error instanceof CommanderError) {
      code = error.exitCode === 0 ? 0 : 2;
    } else throw error;
  }
  return { code, stdout, stderr };
}

const ALERT = {
  alertId: '0190a000-0000-7000-8000-000000000001',
  origin: 'CR',
  network: 'fiu-exchange',
  kind: 'document',
  issuedAt: '2026-03-01T10:00:00.000Z',
  field: 'document.number_digests',
};

let dir: string;
let keyFile: string;
let key: MatchingKey;
let server: Server;
let feedUrl: string;
/** Digests the stand-in feed knows, hex → alerts. */
const known = new Map<string, Array<typeof ALERT>>();
/** Bodies the stand-in received. */
const received: string[] = [];
let respond: ((req: IncomingMessage, res: ServerResponse, body: string) => boolean) | undefined;

const hex = (kind: 'doc' | 'acct', country: string, value: string): string =>
  Buffer.from(keyedDigest(key, kind, country, value)).toString('hex');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'enlace-match-'));
  keyFile = join(dir, 'fiu-exchange.match.json');
  const generated = await run('match', 'key', 'generate', '--network', 'fiu-exchange', '--out', keyFile);
  expect(generated.code, generated.stderr).toBe(0);
  key = parseMatchingKey(await readFile(keyFile, 'utf8'));
  known.set(hex('doc', 'CR', 'A01234567'), [ALERT]);
  known.set(hex('doc', 'CR', 'B7654321'), [
    ALERT,
    { ...ALERT, alertId: '0190a000-0000-7000-8000-000000000002' },
  ]);

  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push(body);
      if (respond?.(req, res, body) === true) return;
      if (req.method !== 'POST' || req.url !== '/v1/match' || req.headers.authorization !== 'Bearer t0ken') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: { code: 'ERR_NOT_FOUND', message: 'no such route', violations: [] } }),
        );
        return;
      }
      const request = JSON.parse(body) as { keyId: string; digests: string[] };
      const hits = request.digests
        .filter((d) => known.has(d))
        .map((d) => ({ digest: d, alerts: known.get(d)! }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ keyId: request.keyId, queried: request.digests.length, matched: hits.length, hits }),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  feedUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('enlace match key generate', () => {
  it('writes a 32-byte oct JWK with mode 0600 and refuses to overwrite it without --force', async () => {
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const jwk = JSON.parse(await readFile(keyFile, 'utf8')) as Record<string, string>;
    expect(jwk).toMatchObject({
      kty: 'oct',
      alg: 'HS256',
      kid: `fiu-exchange-match-${new Date().getUTCFullYear()}-01`,
      network: 'fiu-exchange',
    });
    expect(Buffer.from(jwk['k']!, 'base64url')).toHaveLength(32);

    const again = await run('match', 'key', 'generate', '--network', 'fiu-exchange', '--out', keyFile);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('[ERR_FILE_EXISTS]');
    expect(await readFile(keyFile, 'utf8')).toBe(`${JSON.stringify(jwk, null, 2)}\n`);

    const other = join(dir, 'other.json');
    await writeFile(other, '{}');
    const forced = await run(
      'match',
      'key',
      'generate',
      '--network',
      'trafficking-liaison',
      '--key-id',
      'tl-match-2026-02',
      '--out',
      other,
      '--force',
      '--json',
    );
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toEqual({
      keyId: 'tl-match-2026-02',
      network: 'trafficking-liaison',
      file: other,
    });
    expect(parseMatchingKey(await readFile(other, 'utf8')).keyId).toBe('tl-match-2026-02');
    expect((await stat(other)).mode & 0o777).toBe(0o600);

    const bad = await run(
      'match',
      'key',
      'generate',
      '--network',
      'FIU Exchange',
      '--out',
      join(dir, 'x.json'),
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('network must be a network id');
  });
});

describe('enlace match digest', () => {
  it('prints one hex digest per value, arguments then file lines, in input order', async () => {
    const file = join(dir, 'numbers.txt');
    await writeFile(file, 'B765-4321\r\n\n  c 111 222  \n');
    const result = await run(
      'match',
      'digest',
      '--key',
      keyFile,
      '--kind',
      'doc',
      '--country',
      'cr',
      'A01234567',
      'a-0123.4567',
      '--file',
      file,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      hex('doc', 'CR', 'A01234567'),
      hex('doc', 'CR', 'A01234567'),
      hex('doc', 'CR', 'B7654321'),
      hex('doc', 'CR', 'C111222'),
    ]);
  });

  it('prints JSON [{ digest, keyId }] without the clear values', async () => {
    const result = await run(
      'match',
      'digest',
      '--key',
      keyFile,
      '--kind',
      'acct',
      '--country',
      'MX',
      '0321 8000 0118',
      '--json',
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      { digest: hex('acct', 'MX', '032180000118'), keyId: key.keyId },
    ]);
    expect(result.stdout).not.toMatch(/0321|8000|0118/);
  });

  it('names bad values by position, never by content, and exits 2', async () => {
    const result = await run(
      'match',
      'digest',
      '--key',
      keyFile,
      '--kind',
      'doc',
      '--country',
      'CR',
      'OK1',
      'SECRET_1',
      ' . / ',
      'ÑANDU9',
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('3 values cannot be digested (argument 2: value may hold only letters');
    expect(result.stderr).toContain('argument 3: value is empty');
    expect(result.stderr).toContain('[ERR_INPUT_INVALID]');
    expect(result.stderr).not.toMatch(/SECRET|ANDU/);
  });

  it('refuses a bad key file, a bad country, a bad kind and no values', async () => {
    const broken = join(dir, 'broken.json');
    await writeFile(broken, JSON.stringify({ kty: 'oct', kid: 'k', network: 'fiu-exchange', k: 'AAAA' }));
    const badKey = await run('match', 'digest', '--key', broken, '--kind', 'doc', '--country', 'CR', 'A1');
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('member "k" must be 32 bytes');
    expect(badKey.stderr).toContain('[ERR_KEY_INVALID]');
    const badCountry = await run(
      'match',
      'digest',
      '--key',
      keyFile,
      '--kind',
      'doc',
      '--country',
      'XX',
      'A1',
    );
    expect(badCountry.stderr).toContain('--country must be an ISO 3166-1 alpha-2 country code');
    expect(badCountry.code).toBe(2);
    const badKind = await run('match', 'digest', '--key', keyFile, '--kind', 'iban', '--country', 'CR', 'A1');
    expect(badKind.code).toBe(2);
    expect(badKind.stderr).toContain("argument 'iban' is invalid");
    const none = await run('match', 'digest', '--key', keyFile, '--kind', 'doc', '--country', 'CR');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no values');
  });
});

describe('enlace match query', () => {
  const query = (...argv: string[]): Promise<Run> =>
    run('match', 'query', '--feed-url', feedUrl, '--token', 't0ken', '--key', keyFile, ...argv);

  it("sends only digests and maps the hits back to the caller's own values", async () => {
    received.length = 0;
    const values = ['A0123-4567', 'Z9999999', 'b 765 4321', 'A01234567'];
    const result = await query('--kind', 'doc', '--country', 'CR', ...values);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');

    // What left the machine: exactly keyId and the distinct digests, nothing of the values.
    expect(received).toHaveLength(1);
    const body = JSON.parse(received[0]!) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['digests', 'keyId']);
    expect(body['keyId']).toBe(key.keyId);
    expect(body['digests']).toEqual([
      hex('doc', 'CR', 'A01234567'),
      hex('doc', 'CR', 'Z9999999'),
      hex('doc', 'CR', 'B7654321'),
    ]);
    // Outside the digests (which are exactly the HMACs above, and may hold any hex run by chance),
    // no part of a value.
    let rest = received[0]!;
    for (const digest of body['digests'] as string[]) rest = rest.replace(digest, '');
    for (const clear of [...values, 'A01234567', 'B7654321', 'Z9999999', '0123', '4567', '9999', '765']) {
      expect(rest).not.toContain(clear);
    }

    expect(result.stdout).toContain(`3 of 4 values hit (matching key ${key.keyId}):`);
    expect(result.stdout).toContain('  A0123-4567  (argument 1)\n');
    expect(result.stdout).toContain('  b 765 4321  (argument 3)\n');
    expect(result.stdout).toContain(
      '    0190a000-0000-7000-8000-000000000002  CR  fiu-exchange/document  2026-03-01T10:00:00.000Z  document.number_digests',
    );
    expect(result.stdout).not.toContain('Z9999999');
  });

  it('prints JSON with the hits in input order', async () => {
    const result = await query('--kind', 'doc', '--country', 'CR', 'Z1', 'B7654321', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      keyId: key.keyId,
      values: 2,
      distinctDigests: 2,
      matched: 1,
      hits: [
        {
          value: 'B7654321',
          where: 'argument 2',
          digest: hex('doc', 'CR', 'B7654321'),
          alerts: [ALERT, { ...ALERT, alertId: '0190a000-0000-7000-8000-000000000002' }],
        },
      ],
    });
  });

  it('--follow-up opens one request for information per origin, with alert ids and digests only', async () => {
    received.length = 0;
    respond = (req, res) => {
      if (req.url !== '/v1/requests') return false;
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: '0190a000-0000-7000-8000-0000000000ff',
          threadId: '0190a000-0000-7000-8000-0000000000ff',
          subjects: ['enlace.v1.direct.CR.MX'],
        }),
      );
      return true;
    };
    try {
      const result = await query(
        '--kind',
        'doc',
        '--country',
        'CR',
        'B7654321',
        '--follow-up',
        '--node-url',
        feedUrl,
        '--node-token',
        'n0de',
      );
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('follow-up request 0190a000-0000-7000-8000-0000000000ff to CR');
      const request = JSON.parse(received[1]!) as Record<string, unknown>;
      expect(request).toMatchObject({
        to: ['CR'],
        network: 'fiu-exchange',
        references: {
          alertIds: [ALERT.alertId, '0190a000-0000-7000-8000-000000000002'],
          keyedDigests: [{ keyId: key.keyId, digest: hex('doc', 'CR', 'B7654321') }],
        },
      });
      expect(received[1]).not.toContain('7654321"');
      const missing = await query('--kind', 'doc', '--country', 'CR', 'B7654321', '--follow-up');
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('--node-url');
    } finally {
      respond = undefined;
    }
  });

  it('shows progress on stderr for more than 10,000 values', async () => {
    received.length = 0;
    const file = join(dir, 'many.txt');
    const lines = Array.from({ length: 12_000 }, (_, i) => `ACC${100_000 + i}`);
    lines[7777] = 'A01234567';
    await writeFile(file, `${lines.join('\n')}\n`);
    const result = await query('--kind', 'doc', '--country', 'CR', '--file', file);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('digesting: 40% (5000/12000)');
    expect(result.stderr).toContain('querying: 100% (12000/12000)');
    expect(result.stderr).toContain('queried 12000 digests: 1 hit');
    expect(result.stdout).toContain(`1 of 12000 values hit`);
    expect(result.stdout).toContain(`  A01234567  (line 7778 of ${file})`);
    expect(received).toHaveLength(1);
    expect(received[0]).not.toContain('ACC1');
  });

  it('reports a refusal with the service code and field paths, exit 1', async () => {
    respond = (_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            code: 'ERR_VALIDATION',
            message: 'invalid match request: 1 problem',
            violations: [{ path: 'digests[0]', code: 'invalid_digest', message: 'bad' }],
          },
        }),
      );
      return true;
    };
    try {
      const refused = await query('--kind', 'doc', '--country', 'CR', 'A1');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        'feed service refused (ERR_VALIDATION, HTTP 400): invalid match request: 1 problem [fields: digests[0]]',
      );
      expect(refused.stderr).toContain('[ERR_FEED_REFUSED]');
    } finally {
      respond = undefined;
    }
    const wrongToken = await run(
      'match',
      'query',
      '--feed-url',
      feedUrl,
      '--token',
      'other',
      '--key',
      keyFile,
      '--kind',
      'doc',
      '--country',
      'CR',
      'A1',
    );
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toContain('ERR_NOT_FOUND, HTTP 404');
  });

  it('reports an unreachable service and a missing URL or token', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const unreachable = await run(
      'match',
      'query',
      '--feed-url',
      `http://127.0.0.1:${port}`,
      '--token',
      't',
      '--key',
      keyFile,
      '--kind',
      'doc',
      '--country',
      'CR',
      'A1',
    );
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain(`cannot reach the feed service at http://127.0.0.1:${port}`);
    expect(unreachable.stderr).toContain('[ERR_FEED_UNREACHABLE]');

    const noUrl = await run(
      'match',
      'query',
      '--token',
      't',
      '--key',
      keyFile,
      '--kind',
      'doc',
      '--country',
      'CR',
      'A1',
    );
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain('give --feed-url or set ENLACE_FEED_URL');
    const noToken = await run(
      'match',
      'query',
      '--feed-url',
      feedUrl,
      '--key',
      keyFile,
      '--kind',
      'doc',
      '--country',
      'CR',
      'A1',
    );
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('give --token or set ENLACE_FEED_TOKEN');
  });
});
