import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { natsNkeyPublicKey } from '@enlace/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { main } from './main.js';

const demo = resolve(import.meta.dirname, '../../../seeds/demo');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text) => void (stdout += text) },
    stderr: { write: (text) => void (stderr += text) },
  });
  return { code, stdout, stderr };
}

let dir: string;
let mxSig: string;
let mxEnc: string;
let gtEnc: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'enlace-cli-'));
  for (const country of ['MX', 'GT', 'HN']) {
    const result = await run('keys', 'generate', '--country', country, '--out', join(dir, country), '--json');
    expect(result.code, result.stderr).toBe(0);
  }
  const year = new Date().getUTCFullYear();
  mxSig = join(dir, 'MX', `MX-sig-${year}-01.private.jwk`);
  mxEnc = join(dir, 'MX', `MX-enc-${year}-01.private.jwk`);
  gtEnc = join(dir, 'GT', `GT-enc-${year}-01.private.jwk`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The parts of a demo draft (as parsed YAML) that the tests edit. */
interface DraftJson {
  header: { origin: string; recipients?: string[] };
  route: { waypoints: Array<{ coordinates?: { latitude: number; longitude: number } }> };
}

/** Writes a draft derived from a demo draft, with the given origin. */
async function draftFrom(name: string, edit: (draft: DraftJson) => void): Promise<string> {
  const { parse } = await import('yaml');
  const draft = parse(await readFile(join(demo, name), 'utf8')) as DraftJson;
  edit(draft);
  const path = join(dir, `draft-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(path, JSON.stringify(draft));
  return path;
}

async function demoDraftAsMx(name: string): Promise<string> {
  return draftFrom(name, (draft) => {
    draft.header.origin = 'MX';
  });
}

describe('enlace keys generate', () => {
  it('writes private keys with mode 0600 and a public JWKS', async () => {
    const files = (await readdir(join(dir, 'MX'))).sort();
    const year = new Date().getUTCFullYear();
    expect(files).toEqual([
      `MX-enc-${year}-01.private.jwk`,
      `MX-sig-${year}-01.private.jwk`,
      'jwks.json',
      'nats-user.nk',
      'nats-user.pub',
    ]);
    expect((await stat(mxSig)).mode & 0o777).toBe(0o600);
    // The node's NATS nkey: the seed only its owner reads, the public key for nats-config --nkeys.
    expect((await stat(join(dir, 'MX', 'nats-user.nk'))).mode & 0o777).toBe(0o600);
    const seed = (await readFile(join(dir, 'MX', 'nats-user.nk'), 'utf8')).trim();
    const publicKey = (await readFile(join(dir, 'MX', 'nats-user.pub'), 'utf8')).trim();
    expect(seed).toMatch(/^SU[A-Z2-7]{56}$/);
    expect(publicKey).toMatch(/^U[A-Z2-7]{55}$/);
    expect(natsNkeyPublicKey(seed)).toBe(publicKey);
    expect((await stat(mxEnc)).mode & 0o777).toBe(0o600);
    const jwks = JSON.parse(await readFile(join(dir, 'MX', 'jwks.json'), 'utf8')) as {
      keys: Array<Record<string, string>>;
    };
    expect(jwks.keys.map((key) => [key['kid'], key['crv'], key['use']])).toEqual([
      [`MX-sig-${year}-01`, 'Ed25519', 'sig'],
      [`MX-enc-${year}-01`, 'X25519', 'enc'],
    ]);
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
  });

  it('continues the sequence when run again, keeping the earlier keys', async () => {
    const out = join(dir, 'rotate');
    expect((await run('keys', 'generate', '-c', 'PA', '-o', out)).code).toBe(0);
    const second = await run('keys', 'generate', '-c', 'PA', '-o', out, '--json');
    expect(second.code).toBe(0);
    const year = new Date().getUTCFullYear();
    expect(JSON.parse(second.stdout).keys.map((key: { kid: string }) => key.kid)).toEqual([
      `PA-sig-${year}-02`,
      `PA-enc-${year}-02`,
    ]);
    const jwks = JSON.parse(await readFile(join(out, 'jwks.json'), 'utf8')) as { keys: unknown[] };
    expect(jwks.keys).toHaveLength(4);
    // The NATS identity is kept across rotations.
    expect(JSON.parse(second.stdout).nats).toMatchObject({ user: 'node-pa', generated: false });
    expect(JSON.parse(second.stdout).nats.publicKey).toBe(
      (await readFile(join(out, 'nats-user.pub'), 'utf8')).trim(),
    );
  });

  it('rejects an unknown country code in one line', async () => {
    const result = await run('keys', 'generate', '--country', 'XX', '--out', join(dir, 'xx'));
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'enlace: --country must be an ISO 3166-1 alpha-2 country code such as MX or GT (got "XX")\n',
    );
    await expect(stat(join(dir, 'xx'))).rejects.toThrow();
  });
});

describe('enlace alert sign / verify / decode', () => {
  for (const name of [
    'route-mx-gt-us.yaml',
    'document-counterfeit-passport.yaml',
    'network-smuggling-financier.yaml',
  ]) {
    it(`signs and verifies ${name}`, async () => {
      const out = join(dir, `${name}.alert`);
      const signed = await run(
        'alert',
        'sign',
        '--key',
        mxSig,
        '--in',
        await demoDraftAsMx(name),
        '--out',
        out,
        '--json',
      );
      expect(signed.code, signed.stderr).toBe(0);
      const { id } = JSON.parse(signed.stdout) as { id: string };
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

      const verified = await run('alert', 'verify', '--jwks', join(dir, 'MX', 'jwks.json'), out, '--json');
      expect(verified.code, verified.stderr).toBe(0);
      const report = JSON.parse(verified.stdout);
      expect(report.verdict).toBe('valid');
      expect(report.alert.header.id).toBe(id);
      expect(report.alert.header.origin).toBe('MX');

      const human = await run('alert', 'verify', '--jwks', join(dir, 'MX', 'jwks.json'), out);
      expect(human.code).toBe(0);
      expect(human.stdout).toContain(`Alert ${id}`);
      expect(human.stdout).toMatch(/Verdict: VALID: signature verified with MX-sig-\d{4}-01/);

      const decoded = await run('alert', 'decode', out);
      expect(decoded.code).toBe(0);
      expect(decoded.stdout).toContain('NOT VERIFIED');
    });
  }

  it('signs the demo drafts as they are, with the origin they name', async () => {
    const { parse } = await import('yaml');
    for (const name of [
      'route-mx-gt-us.yaml',
      'document-counterfeit-passport.yaml',
      'network-smuggling-financier.yaml',
    ]) {
      const origin = (parse(await readFile(join(demo, name), 'utf8')) as DraftJson).header.origin;
      const keys = join(dir, `demo-${origin}`);
      expect((await run('keys', 'generate', '-c', origin, '-o', keys, '--json')).code).toBe(0);
      const key = (await readdir(keys)).find((file) => file.includes('-sig-'))!;
      const out = join(dir, `demo-${name}.alert`);
      const signed = await run('alert', 'sign', '-k', join(keys, key), '-i', join(demo, name), '-o', out);
      expect(signed.code, signed.stderr).toBe(0);
      expect((await run('alert', 'verify', '-j', join(keys, 'jwks.json'), out)).code).toBe(0);
    }
  });

  it('rejects a flipped byte with reason bad_signature and exit 1', async () => {
    const out = join(dir, 'flip.alert');
    await run('alert', 'sign', '-k', mxSig, '-i', await demoDraftAsMx('route-mx-gt-us.yaml'), '-o', out);
    const bytes = await readFile(out);
    // Flip a byte inside the signature, the last field of the envelope.
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 5) ^ 0x01, bytes.length - 5);
    await writeFile(out, bytes);
    const result = await run('alert', 'verify', '-j', join(dir, 'MX', 'jwks.json'), out, '--json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ verdict: 'rejected', reason: 'bad_signature' });
    expect(result.stderr).toBe('enlace: verification failed (bad_signature)\n');
  });

  it('rejects an alert verified against another country’s keys with unknown_key', async () => {
    const out = join(dir, 'other.alert');
    await run('alert', 'sign', '-k', mxSig, '-i', await demoDraftAsMx('route-mx-gt-us.yaml'), '-o', out);
    const result = await run('alert', 'verify', '-j', join(dir, 'GT', 'jwks.json'), out, '--json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ verdict: 'rejected', reason: 'unknown_key' });
  });

  it('encrypts a restricted alert so only its recipients read the body', async () => {
    const draft = await draftFrom('route-mx-gt-us.yaml', (d) => {
      d.header.origin = 'MX';
      d.header.recipients = ['GT'];
    });
    const recipients = join(dir, 'GT', 'jwks.json');
    const out = join(dir, 'restricted.alert');
    const signed = await run(
      'alert',
      'sign',
      '-k',
      mxSig,
      '-i',
      draft,
      '-o',
      out,
      '--recipients-jwks',
      recipients,
    );
    expect(signed.code, signed.stderr).toBe(0);

    const asGt = await run(
      'alert',
      'verify',
      '-j',
      join(dir, 'MX', 'jwks.json'),
      out,
      '--decrypt-key',
      gtEnc,
      '--json',
    );
    expect(asGt.code, asGt.stderr).toBe(0);
    const report = JSON.parse(asGt.stdout);
    expect(report.alert.encrypted.jwe).toBeTypeOf('string');
    expect(report.decryptedBody.route.waypoints.length).toBeGreaterThanOrEqual(2);
    // Title and summary travel inside the encrypted body: the recipient reads them, the clear
    // bytes hold neither.
    const { parse } = await import('yaml');
    const written = parse(await readFile(draft, 'utf8')) as DraftJson & {
      header: { title: string; summary: string };
    };
    expect(report.decryptedBody.title).toBe(written.header.title);
    expect(report.decryptedBody.summary).toBe(written.header.summary);
    expect(report.alert.header.title).toBeUndefined();
    expect(report.alert.header.summary).toBeUndefined();
    const clear = (await readFile(out)).toString('utf8');
    expect(clear).not.toContain(written.header.title);
    expect(clear).not.toContain(written.header.summary.slice(0, 40));
    const human = await run(
      'alert',
      'verify',
      '-j',
      join(dir, 'MX', 'jwks.json'),
      out,
      '--decrypt-key',
      gtEnc,
    );
    expect(human.stdout).toContain(`title        ${written.header.title}`);

    const asMx = await run(
      'alert',
      'verify',
      '-j',
      join(dir, 'MX', 'jwks.json'),
      out,
      '--decrypt-key',
      mxEnc,
    );
    expect(asMx.code).toBe(1);
    expect(asMx.stderr).toMatch(/^enlace: the alert is valid, but its body could not be decrypted: .+\n$/);

    const withoutKeys = await run('alert', 'sign', '-k', mxSig, '-i', draft, '-o', join(dir, 'nokeys.alert'));
    expect(withoutKeys.code).toBe(2);
    expect(withoutKeys.stderr).toBe(
      `enlace: draft ${draft} is restricted to GT: give their encryption keys with --recipients-jwks FILE\n`,
    );
  });
});

describe('enlace bad input: one clear line, non-zero exit, nothing written', () => {
  async function expectNothingWritten(out: string): Promise<void> {
    await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
  }

  it('missing draft file', async () => {
    const out = join(dir, 'missing.alert');
    const result = await run('alert', 'sign', '-k', mxSig, '-i', join(dir, 'nope.yaml'), '-o', out);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`enlace: draft not found: ${join(dir, 'nope.yaml')}\n`);
    await expectNothingWritten(out);
  });

  it('invalid JSON', async () => {
    const path = join(dir, 'broken.json');
    await writeFile(path, '{"header": {');
    const out = join(dir, 'broken.alert');
    const result = await run('alert', 'sign', '-k', mxSig, '-i', path, '-o', out);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^enlace: draft ${path} is not valid JSON: .+\\n$`));
    await expectNothingWritten(out);
  });

  it('a draft that fails validation names every field path', async () => {
    const draft = await draftFrom('route-mx-gt-us.yaml', (d) => {
      d.header.origin = 'MX';
      d.route.waypoints = d.route.waypoints.slice(0, 1);
      d.route.waypoints[0]!.coordinates = { latitude: 123, longitude: -92 };
    });
    const out = join(dir, 'invalid.alert');
    const result = await run('alert', 'sign', '-k', mxSig, '-i', draft, '-o', out);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(result.stderr).toContain('route.waypoints');
    expect(result.stderr).toContain('route.waypoints[0].coordinates.latitude');
    await expectNothingWritten(out);
  });

  it('an encryption key given as the signing key', async () => {
    const out = join(dir, 'wrongkey.alert');
    const result = await run(
      'alert',
      'sign',
      '-k',
      mxEnc,
      '-i',
      await demoDraftAsMx('route-mx-gt-us.yaml'),
      '-o',
      out,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^enlace: ${mxEnc} is not a usable signing key: .+\\n$`));
    await expectNothingWritten(out);
  });

  it('a key of another country than the draft’s origin', async () => {
    const draft = await draftFrom('route-mx-gt-us.yaml', (d) => {
      d.header.origin = 'GT';
    });
    const out = join(dir, 'othercountry.alert');
    const result = await run('alert', 'sign', '-k', mxSig, '-i', draft, '-o', out);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^enlace: key MX-sig-\d{4}-01 belongs to MX, but the draft's header.origin is GT; sign with a key of GT\n$/,
    );
    await expectNothingWritten(out);
  });

  it('a file that is not a signed alert', async () => {
    const path = join(dir, 'garbage.alert');
    await writeFile(path, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
    const decoded = await run('alert', 'decode', path);
    expect(decoded.code).toBe(2);
    expect(decoded.stderr).toMatch(new RegExp(`^enlace: ${path} is not a signed alert: .+\\n$`));
    const verified = await run('alert', 'verify', '-j', join(dir, 'MX', 'jwks.json'), path, '--json');
    expect(verified.code).toBe(1);
    expect(JSON.parse(verified.stdout)).toMatchObject({ verdict: 'rejected', reason: 'malformed' });
  });

  it('refuses to overwrite an existing output without --force', async () => {
    const out = join(dir, 'exists.alert');
    await writeFile(out, 'keep me');
    const result = await run(
      'alert',
      'sign',
      '-k',
      mxSig,
      '-i',
      await demoDraftAsMx('route-mx-gt-us.yaml'),
      '-o',
      out,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`enlace: refusing to overwrite existing file ${out}\n`);
    expect(await readFile(out, 'utf8')).toBe('keep me');
  });

  it('a missing required option gets usage help', async () => {
    const result = await run('alert', 'verify', join(dir, 'x.alert'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("required option '-j, --jwks <file>' not specified");
  });
});
