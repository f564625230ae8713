/**
 * Interoperability: what the `enlace` command writes must be readable by tools not written here —
 * Google's protoc, protobufjs loading proto/ at run time — and its signature must verify with
 * plain node:crypto given only the origin's public JWK.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { generalDecrypt, importJWK } from 'jose';
import type { GeneralJWE } from 'jose';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const protoDir = join(root, 'proto');
const bin = join(root, 'packages/cli/bin/enlace.js');
const run = promisify(execFile);

function hasProtoc(): boolean {
  try {
    execFileSync('protoc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** protobufjs with proto/ as its include root, as protoc's -I: imports resolve against it. */
async function loadProtos(): Promise<protobuf.Root> {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith(protoDir) ? target : join(protoDir, target));
  return root.load(await protoFiles(), { keepCase: false });
}

async function protoFiles(): Promise<string[]> {
  const files = await readdir(protoDir, { recursive: true });
  return files.filter((file) => file.endsWith('.proto')).map((file) => file.split('\\').join('/'));
}

let dir: string;
const envelopes: Record<string, Buffer> = {};
let jwks: { keys: Array<Record<string, string>> };
let restrictedDraft: { title: string; summary: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'enlace-interop-'));
  await run(process.execPath, [bin, 'keys', 'generate', '--country', 'MX', '--out', join(dir, 'keys')]);
  jwks = JSON.parse(await readFile(join(dir, 'keys', 'jwks.json'), 'utf8'));
  const sigKid = jwks.keys.find((key) => key['use'] === 'sig')!['kid']!;
  for (const name of ['route-mx-gt-us', 'document-counterfeit-passport', 'network-smuggling-financier']) {
    const draft = (await readFile(join(root, 'seeds/demo', `${name}.yaml`), 'utf8')).replace(
      /origin: *['"]?[A-Z]{2}['"]?/,
      'origin: MX',
    );
    const draftPath = join(dir, `${name}.yaml`);
    await import('node:fs/promises').then((fs) => fs.writeFile(draftPath, draft));
    const out = join(dir, `${name}.alert`);
    const keyFile = join(dir, 'keys', `${sigKid}.private.jwk`);
    await run(process.execPath, [bin, 'alert', 'sign', '--key', keyFile, '--in', draftPath, '--out', out]);
    envelopes[name] = await readFile(out);
  }
  // The route again, restricted to GT: body, title and summary encrypted to GT's key.
  await run(process.execPath, [bin, 'keys', 'generate', '--country', 'GT', '--out', join(dir, 'gt')]);
  const route = (await readFile(join(dir, 'route-mx-gt-us.yaml'), 'utf8')).replace(
    /^header:\n/m,
    'header:\n  recipients: [GT]\n',
  );
  const { parse } = await import('yaml');
  restrictedDraft = (parse(route) as { header: { title: string; summary: string } }).header;
  await import('node:fs/promises').then((fs) => fs.writeFile(join(dir, 'restricted.yaml'), route));
  const out = join(dir, 'restricted.alert');
  await run(process.execPath, [
    bin,
    'alert',
    'sign',
    '--key',
    join(dir, 'keys', `${sigKid}.private.jwk`),
    '--in',
    join(dir, 'restricted.yaml'),
    '--out',
    out,
    '--recipients-jwks',
    join(dir, 'gt', 'jwks.json'),
  ]);
  envelopes['encrypted-route'] = await readFile(out);
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the CLI output decodes with protobufjs loading proto/ at run time', () => {
  it('reads SignedAlert and the Alert inside it for every body kind', async () => {
    const rootNs = await loadProtos();
    const SignedAlert = rootNs.lookupType('enlace.alert.v1.SignedAlert');
    const Alert = rootNs.lookupType('enlace.alert.v1.Alert');
    for (const [name, bytes] of Object.entries(envelopes)) {
      const signed = SignedAlert.toObject(SignedAlert.decode(bytes)) as {
        alert: Uint8Array;
        protectedHeader: string;
        signature: Uint8Array;
      };
      expect(signed.signature).toHaveLength(64);
      expect(JSON.parse(Buffer.from(signed.protectedHeader, 'base64url').toString())).toMatchObject({
        alg: 'EdDSA',
        b64: false,
        crit: ['b64'],
      });
      const alert = Alert.toObject(Alert.decode(signed.alert), { enums: String, oneofs: true }) as {
        header: { origin: string; id: string };
        body: string;
      };
      expect(alert.header.origin).toBe('MX');
      expect(alert.body).toBe(name.split('-')[0]);
    }
  });
});

describe('a restricted alert, read with protobufjs and jose alone', () => {
  it('carries title and summary only inside the JWE, where the recipient reads them', async () => {
    const bytes = envelopes['encrypted-route']!;
    const clear = bytes.toString('utf8');
    expect(clear).not.toContain(restrictedDraft.title);
    expect(clear).not.toContain(restrictedDraft.summary.slice(0, 40));
    expect(clear).not.toContain('Tapachula');

    const rootNs = await loadProtos();
    const SignedAlert = rootNs.lookupType('enlace.alert.v1.SignedAlert');
    const Alert = rootNs.lookupType('enlace.alert.v1.Alert');
    const AlertBody = rootNs.lookupType('enlace.alert.v1.AlertBody');
    const signed = SignedAlert.decode(bytes) as unknown as { alert: Uint8Array };
    const alert = Alert.toObject(Alert.decode(signed.alert), { oneofs: true, defaults: true }) as {
      header: { title: string; summary: string; recipients: string[] };
      body: string;
      encrypted: { jwe: string };
    };
    expect(alert.header).toMatchObject({ title: '', summary: '', recipients: ['GT'] });
    expect(alert.body).toBe('encrypted');

    const gtKeyFile = (await readdir(join(dir, 'gt'))).find((file) => file.includes('-enc-'))!;
    const gtKey = JSON.parse(await readFile(join(dir, 'gt', gtKeyFile), 'utf8'));
    const { plaintext } = await generalDecrypt(
      JSON.parse(alert.encrypted.jwe) as GeneralJWE,
      await importJWK(gtKey, 'ECDH-ES+A256KW'),
    );
    const body = AlertBody.toObject(AlertBody.decode(plaintext), { oneofs: true }) as {
      title: string;
      summary: string;
      body: string;
      route: { waypoints: unknown[] };
    };
    expect(body.title).toBe(restrictedDraft.title);
    expect(body.summary).toBe(restrictedDraft.summary);
    expect(body.body).toBe('route');
    expect(body.route.waypoints.length).toBeGreaterThanOrEqual(2);
  });
});

describe.skipIf(!hasProtoc())('the CLI output decodes with protoc --decode', () => {
  it('decodes SignedAlert and the Alert bytes inside it', async () => {
    const files = await protoFiles();
    for (const [name, bytes] of Object.entries(envelopes)) {
      const signedText = execFileSync(
        'protoc',
        [`-I${protoDir}`, '--decode=enlace.alert.v1.SignedAlert', ...files],
        {
          input: bytes,
          cwd: protoDir,
        },
      ).toString();
      expect(signedText).toMatch(/^alert: "/m);
      expect(signedText).toMatch(/^protected_header: "ey/m);
      expect(signedText).toMatch(/^signature: "/m);

      // protoc reads the inner alert once we take it out with protobufjs's reader.
      const reader = protobuf.Reader.create(bytes);
      let inner: Uint8Array | undefined;
      while (reader.pos < reader.len) {
        const tag = reader.uint32();
        if (tag >>> 3 === 1) inner = reader.bytes();
        else reader.skipType(tag & 7);
      }
      const alertText = execFileSync(
        'protoc',
        [`-I${protoDir}`, '--decode=enlace.alert.v1.Alert', ...files],
        {
          input: inner,
          cwd: protoDir,
        },
      ).toString();
      expect(alertText).toMatch(/origin: "MX"/);
      expect(alertText).toMatch(new RegExp(`^${name.split('-')[0]} \\{`, 'm'));
    }
  });
});
if (!hasProtoc())
  console.warn(
    '[interop] protoc not found: the protoc --decode test is skipped (apt-get install protobuf-compiler)',
  );

describe('the signature verifies with node:crypto alone', () => {
  it('Ed25519 over ASCII(protected_header) || "." || alert bytes', async () => {
    const rootNs = await loadProtos();
    const SignedAlert = rootNs.lookupType('enlace.alert.v1.SignedAlert');
    const publicJwk = jwks.keys.find((key) => key['use'] === 'sig')!;
    const key = createPublicKey({ key: publicJwk, format: 'jwk' });
    for (const bytes of Object.values(envelopes)) {
      const signed = SignedAlert.decode(bytes) as unknown as {
        alert: Uint8Array;
        protectedHeader: string;
        signature: Uint8Array;
      };
      const input = Buffer.concat([Buffer.from(`${signed.protectedHeader}.`, 'ascii'), signed.alert]);
      expect(verify(null, input, key, signed.signature)).toBe(true);
      const tampered = Buffer.from(input);
      tampered[tampered.length - 1]! ^= 1;
      expect(verify(null, tampered, key, signed.signature)).toBe(false);
    }
  });
});
