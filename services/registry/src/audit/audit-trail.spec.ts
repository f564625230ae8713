import { AUDIT_STREAM } from '@enlace/transport';
import { jetstreamManager } from '@nats-io/jetstream';
import { beforeAll, describe, expect, it } from 'vitest';

import type { CountryRecord } from '../domain/model.js';
import { admin, names, useRegistryFixture } from '../testing/registry-fixture.js';

const fixture = useRegistryFixture();

// The commands whose records the trail is asked for: two suspensions of MX, a refused one of PE
// (withdrawn), a refused admission of "mx" (not a country code).
beforeAll(async () => {
  const s = fixture.core.service;
  await s.admitCountry({ code: 'MX', names: names('Mexico'), status: 'member' }, admin);
  for (const reason of ['non-compliance', 'event test']) {
    await s.suspendCountry({ code: 'MX' }, { ...admin, reason });
    await s.reinstateCountry({ code: 'MX' }, admin);
  }
  await s.admitCountry({ code: 'PE', names: names('Peru'), status: 'member' }, admin);
  await s.withdrawCountry({ code: 'PE' }, admin);
  await s.suspendCountry({ code: 'PE' }, admin).catch(() => undefined);
  await s
    .admitCountry({ code: 'mx', names: names('Mexico'), status: 'member' }, admin)
    .catch(() => undefined);
});

describe('audit', () => {
  it('records every command, refusals included, and answers filtered queries newest first', async () => {
    const s = fixture.core.service;
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
    const jsm = await jetstreamManager(fixture.nc);
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
