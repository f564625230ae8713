import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { generateEncryptionKey, generateSigningKey } from '@enlace/crypto';
import { createDefaultNetworks, createDefaultRules } from '@enlace/policy';
import { startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import { AUDIT_STREAM, REGISTRY_EVENTS_WILDCARD } from '@enlace/transport';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RegistryError } from './domain/errors.js';
import type { CommandContext, CountryRecord } from './domain/model.js';
import type { RegistryCore } from './registry.js';
import { openRegistryCore } from './registry.js';
import { TrustError, verifyRegistryEvent, verifySignedSnapshot } from '@enlace/trust';

if (!(process.env['PATH'] ?? '').split(':').includes('/usr/sbin'))
  process.env['PATH'] = `${process.env['PATH'] ?? ''}:/usr/sbin`;

const admin: CommandContext = {
  actor: { id: 'admin@secretariat', roles: ['administrator'] },
  reason: 'test',
  decision: 'XVII RCM (Panama, 2012), decision 2',
};
const seedCtx: CommandContext = { actor: { id: 'seed', roles: ['administrator'] } };
const names = (n: string) => ({ en: n, es: n, fr: n, pt: n });

/** Runs `fn` and returns the TrustError it throws (verifying the registry's signed state). */
async function trustRejection(fn: () => Promise<unknown> | unknown): Promise<TrustError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TrustError);
    return err as TrustError;
  }
  throw new Error('expected a TrustError');
}

/** Runs `fn` and returns the RegistryError it throws. */
async function rejection(fn: () => Promise<unknown> | unknown): Promise<RegistryError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RegistryError);
    return err as RegistryError;
  }
  throw new Error('expected a RegistryError');
}

/** Code, and the one violation a refusal without a schema problem carries: [path, violation code]. */
async function refusedAt(fn: () => Promise<unknown> | unknown): Promise<[string, string, string]> {
  const err = await rejection(fn);
  expect(err.violations).toHaveLength(1);
  expect(err.violations[0]?.message).toBe(err.message);
  return [err.code, err.violations[0]?.path ?? '', err.violations[0]?.code ?? ''];
}

let server: NatsServerHandle;
let nc: NatsConnection;
let dataDir: string;
let core: RegistryCore;

beforeAll(async () => {
  server = await startNatsServer({ backend: 'binary' });
  nc = await server.connect();
  dataDir = await mkdtemp(join(tmpdir(), 'enlace-registry-'));
  core = await openRegistryCore({ nc, dataDir });
  for (const network of createDefaultNetworks()) await core.service.importSeed('network', network, seedCtx);
  for (const rule of createDefaultRules()) await core.service.importSeed('rule', rule, seedCtx);
});

afterAll(async () => {
  await core?.close();
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('countries', () => {
  it('refuses admitting a country as what it already is with ERR_ALREADY_EXISTS at code, audited, state unchanged', async () => {
    const s = core.service;
    await s.admitCountry({ code: 'BZ', names: names('Belize'), status: 'member' }, admin);
    await s.admitCountry({ code: 'EC', names: names('Ecuador'), status: 'observer' }, admin);
    const before = s.revision();
    for (const [code, status] of [
      ['BZ', 'member'],
      ['EC', 'observer'],
    ] as const) {
      const err = await rejection(() =>
        s.admitCountry({ code, status }, { ...admin, requestId: `again-${code}` }),
      );
      expect(err.code).toBe('ERR_ALREADY_EXISTS');
      expect(err.status).toBe(409);
      expect(err.message).toBe(`${code} is already ${status}`);
      expect(err.violations).toEqual([{ path: 'code', code: 'already_exists', message: err.message }]);
    }
    expect(s.revision()).toBe(before);
    const audited = await s.queryAudit({ action: 'country.admit', entityId: 'BZ' });
    expect(audited[0]).toMatchObject({
      outcome: 'rejected',
      code: 'ERR_ALREADY_EXISTS',
      requestId: 'again-BZ',
    });
    // An observer admitted as member is a change, not a duplicate.
    const promoted = await s.admitCountry({ code: 'EC', status: 'member' }, admin);
    expect(promoted.statusHistory.map((c) => c.status)).toEqual(['observer', 'member']);
  });

  it('admits, suspends, reinstates and withdraws with actor, reason and decision', async () => {
    const s = core.service;
    const admitted = await s.admitCountry({ code: 'MX', names: names('Mexico'), status: 'member' }, admin);
    expect(admitted.statusHistory).toHaveLength(1);
    expect(admitted.statusHistory[0]).toMatchObject({
      status: 'member',
      actor: 'admin@secretariat',
      reason: 'test',
      decision: admin.decision,
    });
    expect(s.getCountry('MX')).toEqual(admitted);

    const suspended = await s.suspendCountry({ code: 'MX' }, { ...admin, reason: 'non-compliance' });
    expect(suspended.statusHistory.at(-1)).toMatchObject({ status: 'suspended', reason: 'non-compliance' });
    const reinstated = await s.reinstateCountry({ code: 'MX' }, admin);
    expect(reinstated.statusHistory.map((c) => c.status)).toEqual(['member', 'suspended', 'member']);
    expect(s.revision()).toBeGreaterThan(0);
  });

  it('reinstates to the status held before the suspension', async () => {
    const s = core.service;
    await s.admitCountry(
      { code: 'CO', names: names('Colombia'), status: 'observer', effectiveAt: '2026-01-01T00:00:00.000Z' },
      admin,
    );
    await s.admitCountry({ code: 'CO', status: 'member', effectiveAt: '2026-02-01T00:00:00.000Z' }, admin);
    await s.suspendCountry({ code: 'CO', effectiveAt: '2026-03-01T00:00:00.000Z' }, admin);
    const back = await s.reinstateCountry({ code: 'CO', effectiveAt: '2026-04-01T00:00:00.000Z' }, admin);
    expect(back.statusHistory.at(-1)?.status).toBe('member');
    // An observer that could not be suspended: suspending a non-member is refused.
    await s.admitCountry({ code: 'AR', names: names('Argentina'), status: 'observer' }, admin);
    const err = await rejection(() => s.suspendCountry({ code: 'AR' }, admin));
    expect(err.code).toBe('ERR_INVALID_TRANSITION');
    expect(err.message).toMatch(/only a member can be suspended/);
  });

  it('refuses illegal transitions and leaves state unchanged', async () => {
    const s = core.service;
    await s.admitCountry({ code: 'PE', names: names('Peru'), status: 'member' }, admin);
    await s.withdrawCountry({ code: 'PE' }, admin);
    const before = s.revision();
    const snapshot: CountryRecord = s.getCountry('PE');
    for (const attempt of [
      () => s.admitCountry({ code: 'PE', status: 'member' }, admin),
      () => s.suspendCountry({ code: 'PE' }, admin),
      () => s.reinstateCountry({ code: 'PE' }, admin),
      () => s.withdrawCountry({ code: 'PE' }, admin),
    ]) {
      const err = await rejection(attempt);
      expect(err.code).toBe('ERR_INVALID_TRANSITION');
      expect(err.status).toBe(409);
      expect(err.violations).toEqual([{ path: 'code', code: 'invalid_transition', message: err.message }]);
    }
    expect((await rejection(() => s.reinstateCountry({ code: 'MX' }, admin))).code).toBe(
      'ERR_INVALID_TRANSITION',
    );
    expect(await refusedAt(() => s.suspendCountry({ code: 'ZZ' }, admin))).toEqual([
      'ERR_UNKNOWN_COUNTRY',
      'code',
      'unknown_country',
    ]);
    expect(await refusedAt(() => s.getCountry('ZZ'))).toEqual([
      'ERR_UNKNOWN_COUNTRY',
      'code',
      'unknown_country',
    ]);
    expect(s.getCountry('PE')).toEqual(snapshot);
    expect(s.revision()).toBe(before);
  });

  it('validates input with field paths and requires reasons', async () => {
    const s = core.service;
    const before = s.revision();
    const err = await rejection(() =>
      s.admitCountry(
        {
          code: 'mx',
          names: { en: 'X', es: 'X', fr: '', pt: 'X' },
          status: 'member',
          effectiveAt: 'yesterday',
        },
        admin,
      ),
    );
    expect(err.code).toBe('ERR_VALIDATION');
    expect(err.violations.map((v) => v.path).sort()).toEqual(['code', 'effectiveAt', 'names.fr']);
    expect(err.violations.find((v) => v.path === 'effectiveAt')?.code).toBe('invalid_format');

    const noNames = await rejection(() => s.admitCountry({ code: 'BR', status: 'member' }, admin));
    expect(noNames.violations).toEqual([expect.objectContaining({ path: 'names', code: 'required' })]);

    const { reason: _reason, ...noReason } = admin;
    for (const attempt of [
      () => s.suspendCountry({ code: 'MX' }, noReason),
      () => s.withdrawCountry({ code: 'MX' }, noReason),
      () => s.revokeKey({ kid: 'MX-sig-2026-01' }, noReason),
      () => s.deactivateFocalPoint('mx-x-1', noReason),
      () =>
        s.removeMembership({ country: 'MX', network: 'trafficking-liaison', role: 'publisher' }, noReason),
    ]) {
      const e = await rejection(attempt);
      expect(e.code).toBe('ERR_VALIDATION');
      expect(e.violations).toEqual([expect.objectContaining({ path: 'reason', code: 'required' })]);
    }
    expect(s.revision()).toBe(before);
  });
});

describe('memberships and policy', () => {
  it('adds and removes memberships; decide() follows them', async () => {
    const s = core.service;
    await s.admitCountry(
      { code: 'GT', names: names('Guatemala'), status: 'member', effectiveAt: '2020-01-01T00:00:00.000Z' },
      admin,
    );
    await s.admitCountry(
      { code: 'HN', names: names('Honduras'), status: 'member', effectiveAt: '2020-01-01T00:00:00.000Z' },
      admin,
    );
    const m = await s.addMembership(
      {
        country: 'GT',
        network: 'trafficking-liaison',
        role: 'publisher',
        validFrom: '2020-01-01T00:00:00.000Z',
      },
      admin,
    );
    expect(m.id).toBe('GT.trafficking-liaison.publisher.2020-01-01T00:00:00.000Z');
    await s.addMembership(
      {
        country: 'HN',
        network: 'trafficking-liaison',
        role: 'subscriber',
        validFrom: '2020-01-01T00:00:00.000Z',
      },
      admin,
    );
    expect(
      s.decide({ action: 'publish', network: 'trafficking-liaison', kind: 'route', origin: 'GT' }),
    ).toMatchObject({ allowed: true });
    expect(
      s.decide({
        action: 'receive',
        network: 'trafficking-liaison',
        kind: 'route',
        origin: 'GT',
        receiver: 'HN',
      }),
    ).toMatchObject({ allowed: true });
    expect(
      s.decide({ action: 'publish', network: 'trafficking-liaison', kind: 'route', origin: 'HN' }),
    ).toMatchObject({
      allowed: false,
      reason: 'origin_not_member',
    });

    expect(
      await refusedAt(() =>
        s.addMembership({ country: 'GT', network: 'trafficking-liaison', role: 'publisher' }, admin),
      ),
    ).toEqual(['ERR_ALREADY_EXISTS', 'role', 'already_exists']);
    expect(
      await refusedAt(() =>
        s.addMembership({ country: 'GT', network: 'no-such-net', role: 'publisher' }, admin),
      ),
    ).toEqual(['ERR_UNKNOWN_NETWORK', 'network', 'unknown_network']);
    expect(
      await refusedAt(() =>
        s.addMembership({ country: 'ZZ', network: 'trafficking-liaison', role: 'publisher' }, admin),
      ),
    ).toEqual(['ERR_UNKNOWN_COUNTRY', 'country', 'unknown_country']);
    expect(await refusedAt(() => s.getNetwork('no-such-net'))).toEqual([
      'ERR_UNKNOWN_NETWORK',
      'id',
      'unknown_network',
    ]);
    expect(
      await refusedAt(() =>
        s.removeMembership({ country: 'GT', network: 'trafficking-liaison', role: 'subscriber' }, admin),
      ),
    ).toEqual(['ERR_NOT_FOUND', 'role', 'not_found']);
    const [base] = createDefaultNetworks();
    await s.importSeed('network', { ...base!, id: 'readers-only', roles: ['subscriber'] }, seedCtx);
    const wrongRole = await rejection(() =>
      s.addMembership({ country: 'GT', network: 'readers-only', role: 'publisher' }, admin),
    );
    expect(wrongRole.code).toBe('ERR_VALIDATION');
    expect(wrongRole.violations[0]).toMatchObject({ path: 'role', code: 'role_not_on_network' });

    const ended = await s.removeMembership(
      { country: 'GT', network: 'trafficking-liaison', role: 'publisher' },
      { ...admin, reason: 'left' },
    );
    expect(ended).toMatchObject({ endedBy: 'admin@secretariat', endReason: 'left' });
    expect(ended.validUntil).toBeDefined();
    expect(s.listMemberships({ country: 'GT', activeAt: new Date().toISOString() })).toHaveLength(0);
    expect(
      s.decide({ action: 'publish', network: 'trafficking-liaison', kind: 'route', origin: 'GT' }),
    ).toMatchObject({ allowed: false });

    const q = await rejection(() =>
      s.decide({ action: 'receive', network: 'trafficking-liaison', kind: 'route', origin: 'GT' }),
    );
    expect(q.violations[0]).toMatchObject({ path: 'receiver', code: 'required' });
  });
});

describe('focal points', () => {
  it('adds with a derived id and deactivates once', async () => {
    const s = core.service;
    const fp = await s.addFocalPoint(
      {
        kind: 'unit',
        name: 'Liaison desk',
        agency: 'Instituto Nacional de Migración',
        role: 'liaison-officer',
        country: 'MX',
        networks: ['trafficking-liaison'],
        contact: { channel: 'email', address: 'enlace@inm.example' },
      },
      admin,
    );
    expect(fp.id).toBe('mx-instituto-nacional-de-migracion-1');
    expect(fp.active).toBe(true);
    const bad = await rejection(() =>
      s.addFocalPoint(
        { ...fp, id: 'mx-2', contact: { channel: 'email', address: 'nope' }, networks: [] } as never,
        admin,
      ),
    );
    expect(bad.code).toBe('ERR_VALIDATION');
    expect(bad.violations.map((v) => v.path)).toEqual(
      expect.arrayContaining(['contact.address', 'networks']),
    );
    const off = await s.deactivateFocalPoint(fp.id, { ...admin, reason: 'replaced' });
    expect(off).toMatchObject({ active: false, deactivationReason: 'replaced' });
    expect(await refusedAt(() => s.deactivateFocalPoint(fp.id, admin))).toEqual([
      'ERR_INVALID_TRANSITION',
      'id',
      'invalid_transition',
    ]);
    expect(await refusedAt(() => s.getFocalPoint('nobody'))).toEqual(['ERR_NOT_FOUND', 'id', 'not_found']);
    const { id: _id, active: _active, createdAt: _createdAt, ...input } = fp;
    expect(await refusedAt(() => s.addFocalPoint({ ...input, id: fp.id }, admin))).toEqual([
      'ERR_ALREADY_EXISTS',
      'id',
      'already_exists',
    ]);
    expect(
      await refusedAt(() =>
        s.addFocalPoint({ ...input, networks: ['trafficking-liaison', 'no-such-net'] }, admin),
      ),
    ).toEqual(['ERR_UNKNOWN_NETWORK', 'networks[1]', 'unknown_network']);
  });
});

describe('keys', () => {
  it('registers, refuses bad keys, rotates and revokes', async () => {
    const s = core.service;
    await s.admitCountry({ code: 'CR', names: names('Costa Rica'), status: 'member' }, admin);
    const k1 = await generateSigningKey({ country: 'CR', seq: 1 });
    const registered = await s.registerKey(
      { country: 'CR', publicJwk: k1.publicJwk, notBefore: '2026-01-01T00:00:00.000Z' },
      admin,
    );
    expect(registered).toMatchObject({
      kid: k1.kid,
      country: 'CR',
      use: 'sig',
      notBefore: '2026-01-01T00:00:00.000Z',
    });
    expect(registered.publicJwk['nbf']).toBe(Date.parse('2026-01-01T00:00:00.000Z') / 1000);
    expect(s.getKey(k1.kid)).toEqual(registered);
    const before = s.revision();

    const priv = await rejection(() => s.registerKey({ country: 'CR', publicJwk: k1.privateJwk }, admin));
    expect(priv.code).toBe('ERR_VALIDATION');
    expect(priv.violations[0]).toMatchObject({ path: 'publicJwk.d' });
    const wrongCrv = await rejection(() =>
      s.registerKey(
        { country: 'CR', publicJwk: { ...k1.publicJwk, kid: 'CR-sig-2026-09', crv: 'X25519' } },
        admin,
      ),
    );
    expect(wrongCrv.violations[0]).toMatchObject({ path: 'publicJwk.crv' });
    const dup = await rejection(() =>
      s.registerKey({ country: 'CR', publicJwk: k1.publicJwk, notBefore: '2030-01-01T00:00:00.000Z' }, admin),
    );
    expect(dup.code).toBe('ERR_DUPLICATE_KID');
    expect(dup.violations).toEqual([{ path: 'publicJwk.kid', code: 'duplicate_kid', message: dup.message }]);
    const mx = await generateSigningKey({ country: 'MX', seq: 7 });
    const mismatch = await rejection(() => s.registerKey({ country: 'CR', publicJwk: mx.publicJwk }, admin));
    expect(mismatch.code).toBe('ERR_KEY_COUNTRY_MISMATCH');
    expect(mismatch.violations.map((v) => [v.path, v.code])).toEqual([['publicJwk.kid', 'country_mismatch']]);
    const cr = await generateSigningKey({ country: 'CR', seq: 8 });
    const foreign = await rejection(() => s.registerKey({ country: 'ZZ', publicJwk: cr.publicJwk }, admin));
    expect(foreign.code).toBe('ERR_KEY_COUNTRY_MISMATCH');
    expect(foreign.violations).toEqual([
      { path: 'publicJwk.kid', code: 'country_mismatch', message: 'must name ZZ' },
    ]);
    const zz = await generateSigningKey({ country: 'ZZ', seq: 1 });
    expect(await refusedAt(() => s.registerKey({ country: 'ZZ', publicJwk: zz.publicJwk }, admin))).toEqual([
      'ERR_UNKNOWN_COUNTRY',
      'country',
      'unknown_country',
    ]);
    const k2 = await generateSigningKey({ country: 'CR', seq: 2 });
    const overlap = await rejection(() =>
      s.registerKey({ country: 'CR', publicJwk: k2.publicJwk, notBefore: '2026-06-01T00:00:00.000Z' }, admin),
    );
    expect(overlap.code).toBe('ERR_KEY_VALIDITY_OVERLAP');
    expect(overlap.violations).toEqual([
      { path: 'notBefore', code: 'key_validity_overlap', message: overlap.message },
    ]);
    expect(s.revision()).toBe(before);

    // An encryption key does not overlap a signing key.
    const e1 = await generateEncryptionKey({ country: 'CR', seq: 1 });
    await s.registerKey(
      { country: 'CR', publicJwk: e1.publicJwk, notBefore: '2026-01-01T00:00:00.000Z' },
      admin,
    );

    const rotated = await s.rotateKey(
      { country: 'CR', publicJwk: k2.publicJwk, at: '2026-06-01T00:00:00.000Z' },
      admin,
    );
    expect(rotated.previous).toMatchObject({ kid: k1.kid, notAfter: '2026-06-01T00:00:00.000Z' });
    expect(rotated.previous?.publicJwk['exp']).toBe(Date.parse('2026-06-01T00:00:00.000Z') / 1000);
    expect(rotated.current).toMatchObject({ kid: k2.kid, notBefore: '2026-06-01T00:00:00.000Z' });
    expect(
      s.listKeys({ country: 'CR', use: 'sig', activeAt: '2026-03-01T00:00:00.000Z' }).map((k) => k.kid),
    ).toEqual([k1.kid]);
    expect(
      s.listKeys({ country: 'CR', use: 'sig', activeAt: '2026-07-01T00:00:00.000Z' }).map((k) => k.kid),
    ).toEqual([k2.kid]);

    const revoked = await s.revokeKey(
      { kid: k2.kid, at: '2026-08-01T00:00:00.000Z' },
      { ...admin, reason: 'compromised' },
    );
    expect(revoked).toMatchObject({ revokedAt: '2026-08-01T00:00:00.000Z', revocationReason: 'compromised' });
    expect(await refusedAt(() => s.revokeKey({ kid: k2.kid }, admin))).toEqual([
      'ERR_INVALID_TRANSITION',
      'kid',
      'invalid_transition',
    ]);
    expect(await refusedAt(() => s.revokeKey({ kid: 'CR-sig-2026-55' }, admin))).toEqual([
      'ERR_UNKNOWN_KEY',
      'kid',
      'unknown_key',
    ]);
    expect(await refusedAt(() => s.getKey('nonsense'))).toEqual(['ERR_UNKNOWN_KEY', 'kid', 'unknown_key']);

    // A rotation whose new key would run into a key registered for later: the fault is `at`.
    const k3 = await generateSigningKey({ country: 'CR', seq: 3 });
    await s.registerKey(
      { country: 'CR', publicJwk: k3.publicJwk, notBefore: '2027-01-01T00:00:00.000Z' },
      admin,
    );
    const k4 = await generateSigningKey({ country: 'CR', seq: 4 });
    expect(
      await refusedAt(() =>
        s.rotateKey({ country: 'CR', publicJwk: k4.publicJwk, at: '2026-09-01T00:00:00.000Z' }, admin),
      ),
    ).toEqual(['ERR_KEY_VALIDITY_OVERLAP', 'at', 'key_validity_overlap']);
    expect(await refusedAt(() => s.rotateKey({ country: 'CR', publicJwk: k3.publicJwk }, admin))).toEqual([
      'ERR_DUPLICATE_KID',
      'publicJwk.kid',
      'duplicate_kid',
    ]);
    expect(s.activeJwks().keys.map((k) => k['kid'])).toContain(e1.kid);
    expect(s.activeJwks().keys.map((k) => k['kid'])).not.toContain(k2.kid);
  });
});

describe('concurrency', () => {
  it('loses no update when two registry instances change one country concurrently', async () => {
    const nc2 = await server.connect();
    const other = await openRegistryCore({ nc: nc2, dataDir });
    try {
      await core.service.admitCountry(
        {
          code: 'SV',
          names: names('El Salvador'),
          status: 'member',
          effectiveAt: '2020-01-01T00:00:00.000Z',
        },
        admin,
      );
      await other.service.admitCountry(
        { code: 'DO', names: names('Dominican Republic'), status: 'member' },
        admin,
      );
      const roles = [
        ['trafficking-liaison', 'publisher'],
        ['trafficking-liaison', 'subscriber'],
        ['consular-protection', 'publisher'],
        ['consular-protection', 'subscriber'],
        ['fiu-exchange', 'publisher'],
        ['fiu-exchange', 'subscriber'],
      ] as const;
      const results = await Promise.all(
        roles.map(([network, role], i) =>
          (i % 2 === 0 ? core : other).service.addMembership(
            { country: 'SV', network, role, validFrom: '2020-01-01T00:00:00.000Z' },
            admin,
          ),
        ),
      );
      expect(results).toHaveLength(roles.length);
      await other.service
        .addMembership(
          {
            country: 'SV',
            network: 'trafficking-liaison',
            role: 'observer-reader',
            validFrom: '2020-01-01T00:00:00.000Z',
          },
          admin,
        )
        .catch(() => undefined);
      for (const instance of [core, other]) {
        await new Promise((r) => setTimeout(r, 50));
        const held = instance.service.listMemberships({ country: 'SV' }).map((m) => `${m.network}/${m.role}`);
        for (const [network, role] of roles) expect(held).toContain(`${network}/${role}`);
      }

      // The same kid from both instances at once: exactly one wins.
      const k = await generateSigningKey({ country: 'DO', seq: 1 });
      const outcomes = await Promise.allSettled([
        core.service.registerKey({ country: 'DO', publicJwk: k.publicJwk }, admin),
        other.service.registerKey({ country: 'DO', publicJwk: k.publicJwk }, admin),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const failed = outcomes.find((o) => o.status === 'rejected');
      expect((failed?.reason as RegistryError).code).toBe('ERR_DUPLICATE_KID');
    } finally {
      await other.close();
      await nc2.close();
    }
  });
});

describe('events and snapshots', () => {
  it('publishes a signed suspension event seen within 1 s', async () => {
    const sub = nc.subscribe(REGISTRY_EVENTS_WILDCARD);
    const seen = (async () => {
      for await (const msg of sub) {
        const change = await verifyRegistryEvent(msg.data, core.registryKey.publicJwk);
        if (change.action === 'country.suspend' && change.id === 'MX')
          return { subject: msg.subject, change, data: msg.data };
      }
      return undefined;
    })();
    const started = Date.now();
    const suspended = await core.service.suspendCountry({ code: 'MX' }, { ...admin, reason: 'event test' });
    const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), 1_000));
    const got = await Promise.race([seen, timeout]);
    sub.unsubscribe();
    expect(got).toBeDefined();
    expect(Date.now() - started).toBeLessThan(1_000 + 200);
    expect(got?.subject).toBe('enlace.v1.registry.event.country.MX');
    expect(got?.change).toMatchObject({
      entity: 'country',
      id: 'MX',
      action: 'country.suspend',
      revision: core.service.revision(),
    });
    expect(suspended.statusHistory.at(-1)?.status).toBe('suspended');

    // Another key does not verify it; flipped bytes do not either.
    const stranger = await generateSigningKey({ country: 'ZZ', kid: 'registry-sig-2026-01' });
    expect((await trustRejection(() => verifyRegistryEvent(got!.data, stranger.publicJwk))).code).toBe(
      'ERR_SIGNATURE_INVALID',
    );
    await core.service.reinstateCountry({ code: 'MX' }, admin);
  });

  it('publishes a signed token event on a revocation and prunes revocations past their expiry', async () => {
    // A registry whose clock is two days behind revokes first: that entry has expired by now.
    const nc2 = await server.connect();
    const past = await openRegistryCore({
      nc: nc2,
      dataDir,
      clock: () => new Date(Date.now() - 48 * 3600_000),
    });
    try {
      await past.service.revokeToken({ jti: 'token-of-two-days-ago' }, { ...admin, reason: 'old' });
    } finally {
      await past.close();
      await nc2.close();
    }
    expect(core.service.listRevokedTokens().map((r) => r.jti)).not.toContain('token-of-two-days-ago');

    const sub = nc.subscribe('enlace.v1.registry.event.token.>');
    const seen = (async () => {
      for await (const msg of sub) {
        const change = await verifyRegistryEvent(msg.data, core.registryKey.publicJwk);
        if (change.id === 'token-now') return { subject: msg.subject, change };
      }
      return undefined;
    })();
    const revoked = await core.service.revokeToken({ jti: 'token-now' }, { ...admin, reason: 'lost' });
    const got = await Promise.race([
      seen,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 1_000)),
    ]);
    sub.unsubscribe();
    expect(got?.subject).toBe('enlace.v1.registry.event.token.token-now');
    expect(got?.change).toMatchObject({
      entity: 'token',
      id: 'token-now',
      action: 'token.revoke',
      revision: core.service.revision(),
    });
    // The write pruned the expired entry from the stored list, not only from what is shown.
    expect(core.service.state().revokedTokens.map((r) => r.jti)).toEqual(['token-now']);
    const { snapshot } = await core.service.signedSnapshot();
    expect(snapshot.revokedTokens).toEqual([revoked]);

    expect(
      await refusedAt(() => core.service.revokeToken({ jti: 'token-now' }, { ...admin, reason: 'again' })),
    ).toEqual(['ERR_INVALID_TRANSITION', 'jti', 'invalid_transition']);
    const badId = await rejection(() => core.service.revokeToken({ jti: 'a.b' }, { ...admin, reason: 'x' }));
    expect(badId.code).toBe('ERR_VALIDATION');
    expect(badId.violations.map((v) => v.path)).toEqual(['jti']);
    const noReason = await rejection(() => core.service.revokeToken({ jti: 'token-x' }, seedCtx));
    expect(noReason.code).toBe('ERR_VALIDATION');
    expect(noReason.violations.map((v) => v.path)).toEqual(['reason']);
  });

  it('signs snapshots that nodes verify against the pinned key', async () => {
    const s = core.service;
    const signed = await s.signedSnapshot();
    expect(await s.signedSnapshot()).toBe(signed);
    const snapshot = await verifySignedSnapshot(signed.jws, core.registryKey.publicJwk);
    expect(snapshot.revision).toBe(s.revision());
    expect(snapshot.registryKid).toMatch(/^registry-sig-\d{4}-01$/);
    expect(snapshot.policy.countries.find((c) => c.code === 'MX')).toBeDefined();
    expect(snapshot.keys.length).toBeGreaterThan(0);

    const [h, p, sig] = signed.jws.split('.') as [string, string, string];
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...snapshot, revision: 1 })).toString('base64url')}.${sig}`;
    expect(
      (await trustRejection(() => verifySignedSnapshot(tampered, core.registryKey.publicJwk))).code,
    ).toBe('ERR_SIGNATURE_INVALID');
    const stranger = await generateSigningKey({ country: 'ZZ', kid: snapshot.registryKid });
    expect((await trustRejection(() => verifySignedSnapshot(signed.jws, stranger.publicJwk))).code).toBe(
      'ERR_SIGNATURE_INVALID',
    );
    expect(
      (await trustRejection(() => verifySignedSnapshot(`${h}.${p}`, core.registryKey.publicJwk))).code,
    ).toBe('ERR_SNAPSHOT_INVALID');

    await s.admitCountry({ code: 'JM', names: names('Jamaica'), status: 'observer' }, admin);
    const next = await s.signedSnapshot();
    expect(next.snapshot.revision).toBeGreaterThan(signed.snapshot.revision);
  });
});

describe('audit', () => {
  it('records every command, refusals included, and answers filtered queries newest first', async () => {
    const s = core.service;
    const ok = await s.queryAudit({ action: 'country.suspend', entityId: 'MX', limit: 10 });
    expect(ok.length).toBeGreaterThanOrEqual(2);
    expect(ok[0]?.outcome).toBe('ok');
    expect(ok[0]?.sequence).toBeGreaterThan(ok[1]?.sequence ?? 0);
    expect(ok[0]).toMatchObject({ actor: 'admin@secretariat', entity: 'country', decision: admin.decision });
    expect(ok[0]?.revision).toBeGreaterThan(0);
    expect(ok.some((r) => (r.before as CountryRecord | undefined)?.statusHistory !== undefined)).toBe(true);

    const refused = await s.queryAudit({ entityId: 'PE', action: 'country.suspend' });
    expect(refused[0]).toMatchObject({ outcome: 'rejected', code: 'ERR_INVALID_TRANSITION' });
    const invalid = await s.queryAudit({ action: 'country.admit', entityId: 'mx' });
    expect(invalid[0]).toMatchObject({ outcome: 'rejected', code: 'ERR_VALIDATION' });

    await s.auditRejected({
      actor: 'admin@secretariat',
      roles: ['administrator'],
      action: 'country.admit',
      entity: 'country',
      entityId: 'MX',
      code: 'ERR_VALIDATION',
      reason: 'the request body is not valid JSON',
      requestId: 'r-0',
    });
    const rejected = await s.queryAudit({ action: 'country.admit', entityId: 'MX', limit: 1 });
    expect(rejected).toEqual([
      expect.objectContaining({
        actor: 'admin@secretariat',
        roles: ['administrator'],
        entity: 'country',
        outcome: 'rejected',
        code: 'ERR_VALIDATION',
        reason: 'the request body is not valid JSON',
        requestId: 'r-0',
      }),
    ]);
    expect(rejected[0]?.before).toBeUndefined();

    await s.auditDenied({
      actor: 'mallory',
      roles: ['focal-point'],
      action: 'country.suspend',
      code: 'ERR_FORBIDDEN',
      reason: 'not an administrator',
      requestId: 'r-1',
    });
    const denied = await s.queryAudit({ actor: 'mallory' });
    expect(denied).toEqual([
      expect.objectContaining({
        entity: 'auth',
        roles: ['focal-point'],
        outcome: 'rejected',
        code: 'ERR_FORBIDDEN',
        requestId: 'r-1',
      }),
    ]);
    await s.auditDenied({
      actor: '',
      action: 'GET /v1/audit',
      code: 'ERR_UNAUTHENTICATED',
      reason: 'no token',
    });
    expect((await s.queryAudit({ actor: 'unknown', limit: 1 }))[0]).toMatchObject({ roles: [] });

    const limited = await s.queryAudit({ limit: 3 });
    expect(limited).toHaveLength(3);
    expect(limited[1]?.actor).toBe('mallory');
    const future = await s.queryAudit({ since: '2999-01-01T00:00:00.000Z' });
    expect(future).toEqual([]);
    const past = await s.queryAudit({ until: '2000-01-01T00:00:00.000Z' });
    expect(past).toEqual([]);
  });

  it('keeps the audit stream append-only', async () => {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(AUDIT_STREAM);
    expect(info.config).toMatchObject({
      deny_delete: true,
      deny_purge: true,
      subjects: ['enlace.v1.audit.>'],
    });
    await expect(jsm.streams.deleteMessage(AUDIT_STREAM, 1)).rejects.toThrow();
    await expect(jsm.streams.purge(AUDIT_STREAM)).rejects.toThrow();
  });
});

describe('restart', () => {
  it('reopens on the same server with state, revision and audit intact', async () => {
    const countries = core.service.listCountries();
    const revision = core.service.revision();
    const audit = await core.service.queryAudit({ limit: 1000 });
    const kid = core.registryKey.kid;
    await core.close();
    core = await openRegistryCore({ nc, dataDir });
    expect(core.service.revision()).toBe(revision);
    expect(core.service.listCountries()).toEqual(countries);
    expect(await core.service.queryAudit({ limit: 1000 })).toEqual(audit);
    expect(core.registryKey.kid).toBe(kid);
    const snapshot = await verifySignedSnapshot(
      (await core.service.signedSnapshot()).jws,
      core.registryKey.publicJwk,
    );
    expect(snapshot.revision).toBe(revision);
  });
});

describe('a store that fails', () => {
  it('answers ERR_UNAVAILABLE with a fixed message; what the store said stays with the cause, for the log', async () => {
    const own = await server.connect();
    const broken = await openRegistryCore({ nc: own, dataDir });
    await own.close();
    const key = await generateSigningKey({ country: 'MX', seq: 77 });
    const err = await rejection(() =>
      broken.service.registerKey({ country: 'MX', publicJwk: key.publicJwk }, admin),
    );
    expect(err.code).toBe('ERR_UNAVAILABLE');
    // What NATS said is in the cause (the log), not in the message (the caller).
    const said = (err.cause as Error).message;
    expect(said).not.toBe('');
    expect(err.message).not.toContain(said);
    expect(err.message).toBe('cannot write key.MX to the registry store');
    await broken.close().catch(() => undefined);
  });
});
