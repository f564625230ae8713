import { generateSigningKey } from '@enlace/crypto';
import { REGISTRY_EVENTS_WILDCARD } from '@enlace/transport';
import { verifyRegistryEvent, verifySignedSnapshot } from '@enlace/trust';
import { beforeAll, describe, expect, it } from 'vitest';

import type { RegistryError } from './domain/errors.js';
import { openRegistryCore } from './registry.js';
import { admin, names, rejection, trustRejection, useRegistryFixture } from './testing/registry-fixture.js';

const fixture = useRegistryFixture();

beforeAll(async () => {
  await fixture.core.service.admitCountry({ code: 'MX', names: names('Mexico'), status: 'member' }, admin);
});

describe('concurrency', () => {
  it('loses no update when two registry instances change one country concurrently', async () => {
    const nc2 = await fixture.server.connect();
    const other = await openRegistryCore({ nc: nc2, dataDir: fixture.dataDir });
    try {
      await fixture.core.service.admitCountry(
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
          (i % 2 === 0 ? fixture.core : other).service.addMembership(
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
      for (const instance of [fixture.core, other]) {
        await new Promise((r) => setTimeout(r, 50));
        const held = instance.service.listMemberships({ country: 'SV' }).map((m) => `${m.network}/${m.role}`);
        for (const [network, role] of roles) expect(held).toContain(`${network}/${role}`);
      }

      // The same kid from both instances at once: exactly one wins.
      const k = await generateSigningKey({ country: 'DO', seq: 1 });
      const outcomes = await Promise.allSettled([
        fixture.core.service.registerKey({ country: 'DO', publicJwk: k.publicJwk }, admin),
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
    const sub = fixture.nc.subscribe(REGISTRY_EVENTS_WILDCARD);
    const seen = (async () => {
      for await (const msg of sub) {
        const change = await verifyRegistryEvent(msg.data, fixture.core.registryKey.publicJwk);
        if (change.action === 'country.suspend' && change.id === 'MX')
          return { subject: msg.subject, change, data: msg.data };
      }
      return undefined;
    })();
    const started = Date.now();
    const suspended = await fixture.core.service.suspendCountry(
      { code: 'MX' },
      { ...admin, reason: 'event test' },
    );
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
      revision: fixture.core.service.revision(),
    });
    expect(suspended.statusHistory.at(-1)?.status).toBe('suspended');

    // Another key does not verify it; flipped bytes do not either.
    const stranger = await generateSigningKey({ country: 'ZZ', kid: 'registry-sig-2026-01' });
    expect((await trustRejection(() => verifyRegistryEvent(got!.data, stranger.publicJwk))).code).toBe(
      'ERR_SIGNATURE_INVALID',
    );
    await fixture.core.service.reinstateCountry({ code: 'MX' }, admin);
  });

  it('signs snapshots that nodes verify against the pinned key', async () => {
    const s = fixture.core.service;
    const signed = await s.signedSnapshot();
    expect(await s.signedSnapshot()).toBe(signed);
    const snapshot = await verifySignedSnapshot(signed.jws, fixture.core.registryKey.publicJwk);
    expect(snapshot.revision).toBe(s.revision());
    expect(snapshot.registryKid).toMatch(/^registry-sig-\d{4}-01$/);
    expect(snapshot.policy.countries.find((c) => c.code === 'MX')).toBeDefined();
    expect(snapshot.keys.length).toBeGreaterThan(0);

    const [h, p, sig] = signed.jws.split('.') as [string, string, string];
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...snapshot, revision: 1 })).toString('base64url')}.${sig}`;
    expect(
      (await trustRejection(() => verifySignedSnapshot(tampered, fixture.core.registryKey.publicJwk))).code,
    ).toBe('ERR_SIGNATURE_INVALID');
    const stranger = await generateSigningKey({ country: 'ZZ', kid: snapshot.registryKid });
    expect((await trustRejection(() => verifySignedSnapshot(signed.jws, stranger.publicJwk))).code).toBe(
      'ERR_SIGNATURE_INVALID',
    );
    expect(
      (await trustRejection(() => verifySignedSnapshot(`${h}.${p}`, fixture.core.registryKey.publicJwk)))
        .code,
    ).toBe('ERR_SNAPSHOT_INVALID');

    await s.admitCountry({ code: 'JM', names: names('Jamaica'), status: 'observer' }, admin);
    const next = await s.signedSnapshot();
    expect(next.snapshot.revision).toBeGreaterThan(signed.snapshot.revision);
  });
});

describe('restart', () => {
  it('reopens on the same server with state, revision and audit intact', async () => {
    const countries = fixture.core.service.listCountries();
    const revision = fixture.core.service.revision();
    const audit = await fixture.core.service.queryAudit({ limit: 1000 });
    const kid = fixture.core.registryKey.kid;
    await fixture.core.close();
    fixture.core = await openRegistryCore({ nc: fixture.nc, dataDir: fixture.dataDir });
    expect(fixture.core.service.revision()).toBe(revision);
    expect(fixture.core.service.listCountries()).toEqual(countries);
    expect(await fixture.core.service.queryAudit({ limit: 1000 })).toEqual(audit);
    expect(fixture.core.registryKey.kid).toBe(kid);
    const snapshot = await verifySignedSnapshot(
      (await fixture.core.service.signedSnapshot()).jws,
      fixture.core.registryKey.publicJwk,
    );
    expect(snapshot.revision).toBe(revision);
  });
});

describe('a store that fails', () => {
  it('answers ERR_UNAVAILABLE with a fixed message; what the store said stays with the cause, for the log', async () => {
    const own = await fixture.server.connect();
    const broken = await openRegistryCore({ nc: own, dataDir: fixture.dataDir });
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
