import { describe, expect, it } from 'vitest';

import { createDefaultNetworks, createDefaultRules } from './default-rules.js';
import { PolicyQueryError } from './errors.js';
import { createPolicyEvaluator } from './evaluate.js';
import type { HandlingCode, PolicySnapshot } from './model.js';
import { POLICY_SNAPSHOT_FORMAT } from './model.js';
import type { ReadAlert, ReadChannel, ReadDecision, Reader } from './read.js';
import { READ_CHANNELS, evaluateRead } from './read.js';

const T0 = '2026-01-01T00:00:00.000Z';
const ISSUED = '2026-02-01T00:00:00.000Z';
const READ_AT = '2026-02-02T00:00:00.000Z';

/** MX, GT, HN members publishing and subscribing on trafficking-liaison since T0; CR a member on no network. */
function snapshot(): PolicySnapshot {
  const members = ['MX', 'GT', 'HN', 'CR'];
  return {
    format: POLICY_SNAPSHOT_FORMAT,
    revision: 1,
    generatedAt: T0,
    countries: members.map((code) => ({ code, statusHistory: [{ status: 'member', effectiveAt: T0 }] })),
    networks: createDefaultNetworks(),
    memberships: ['MX', 'GT', 'HN'].flatMap((country) =>
      (['publisher', 'subscriber'] as const).map((role) => ({
        country,
        network: 'trafficking-liaison',
        role,
        validFrom: T0,
      })),
    ),
    rules: createDefaultRules(),
  };
}
const policy = createPolicyEvaluator(snapshot());

// ---- the table ---------------------------------------------------------------------------------
//
// An alert of MX on trafficking-liaison, held by GT (GT's node, GT's feeds), open or restricted
// to GT (the holder is a recipient) or to HN (the holder holds the header alone). Each row: a
// reader, the channels it reads on, the restriction, and what it gets for H0, H1, H2 and H3:
// `full`, `header` (header and the fact a body exists), or the stable reason of the refusal.

type Restriction = 'open' | 'to GT' | 'to HN' | 'any';
type Outcome = 'full' | 'header' | string;
type Row = readonly [
  reader: string,
  channels: readonly ReadChannel[],
  Restriction,
  Outcome,
  Outcome,
  Outcome,
  Outcome,
];

const NODE: readonly ReadChannel[] = ['inbox', 'by_id', 'envelope'];
const FEED_EXPORT: readonly ReadChannel[] = ['feed', 'export'];
const NOT_NODE: readonly ReadChannel[] = ['feed', 'match', 'export'];

const READERS: Readonly<Record<string, Reader>> = {
  'focal point GT': { role: 'focal-point', country: 'GT' },
  'focal point HN': { role: 'focal-point', country: 'HN' },
  'focal point MX': { role: 'focal-point', country: 'MX' },
  'FIU GT': { role: 'fiu-analyst', country: 'GT' },
  'FIU HN': { role: 'fiu-analyst', country: 'HN' },
  'FIU MX': { role: 'fiu-analyst', country: 'MX' },
  'FIU CR': { role: 'fiu-analyst', country: 'CR' },
  administrator: { role: 'administrator' },
  auditor: { role: 'auditor' },
};

// prettier-ignore
const HELD_BY_GT: readonly Row[] = [
  // reader            channels       restriction  H0                    H1                    H2                    H3
  // The holder's focal points read its node; a restricted body only when GT is a recipient.
  ['focal point GT', NODE,          'open',  'full',               'full',               'full',               'full'],
  ['focal point GT', NODE,          'to GT', 'full',               'full',               'full',               'full'],
  ['focal point GT', NODE,          'to HN', 'header',             'header',             'header',             'header'],
  ['focal point GT', NOT_NODE,      'any',   'reader_not_allowed', 'reader_not_allowed', 'reader_not_allowed', 'reader_not_allowed'],
  // Another country's focal point, the origin's included, reads nothing of what GT holds.
  ['focal point HN', NODE,          'any',   'not_holder',         'not_holder',         'not_holder',         'not_holder'],
  ['focal point MX', NODE,          'any',   'not_holder',         'not_holder',         'not_holder',         'not_holder'],
  // GT's FIU: its feeds and exports carry H2 and H3 as the node does (not onward dissemination).
  ['FIU GT',         FEED_EXPORT,   'open',  'full',               'full',               'full',               'full'],
  ['FIU GT',         FEED_EXPORT,   'to GT', 'full',               'full',               'full',               'full'],
  ['FIU GT',         FEED_EXPORT,   'to HN', 'header',             'header',             'header',             'header'],
  ['FIU GT',         ['match'],     'open',  'full',               'full',               'full',               'full'],
  ['FIU GT',         ['match'],     'to GT', 'full',               'full',               'full',               'full'],
  ['FIU GT',         ['match'],     'to HN', 'not_recipient',      'not_recipient',      'not_recipient',      'not_recipient'],
  ['FIU GT',         NODE,          'any',   'reader_not_allowed', 'reader_not_allowed', 'reader_not_allowed', 'reader_not_allowed'],
  // Other countries' FIUs: not GT's feeds; matching as their own country may receive the alert.
  ['FIU HN',         FEED_EXPORT,   'any',   'not_holder',         'not_holder',         'not_holder',         'not_holder'],
  ['FIU HN',         ['match'],     'open',  'full',               'full',               'full',               'full'],
  ['FIU HN',         ['match'],     'to GT', 'not_recipient',      'not_recipient',      'not_recipient',      'not_recipient'],
  ['FIU HN',         ['match'],     'to HN', 'full',               'full',               'full',               'full'],
  ['FIU MX',         FEED_EXPORT,   'any',   'not_holder',         'not_holder',         'not_holder',         'not_holder'],
  ['FIU MX',         ['match'],     'any',   'full',               'full',               'full',               'full'],
  ['FIU CR',         ['match'],     'open',  'receiver_not_member', 'receiver_not_member', 'receiver_not_member', 'receiver_not_member'],
  // The process's administrators and auditors: headers of restricted alerts; no export of H2, H3.
  ['administrator',  NODE,          'open',  'full',               'full',               'full',               'full'],
  ['administrator',  NODE,          'to GT', 'header',             'header',             'header',             'header'],
  ['administrator',  NODE,          'to HN', 'header',             'header',             'header',             'header'],
  ['administrator',  ['feed'],      'open',  'full',               'full',               'full',               'full'],
  ['administrator',  ['feed'],      'to GT', 'header',             'header',             'header',             'header'],
  ['administrator',  ['match'],     'open',  'full',               'full',               'full',               'full'],
  ['administrator',  ['match'],     'to GT', 'body_restricted',    'body_restricted',    'body_restricted',    'body_restricted'],
  ['administrator',  ['export'],    'open',  'full',               'full',               'handling_restricted', 'handling_restricted'],
  ['administrator',  ['export'],    'to GT', 'header',             'header',             'handling_restricted', 'handling_restricted'],
  ['auditor',        NODE,          'open',  'full',               'full',               'full',               'full'],
  ['auditor',        NODE,          'to HN', 'header',             'header',             'header',             'header'],
  ['auditor',        ['feed'],      'to GT', 'header',             'header',             'header',             'header'],
  ['auditor',        ['match'],     'any',   'reader_not_allowed', 'reader_not_allowed', 'reader_not_allowed', 'reader_not_allowed'],
  ['auditor',        ['export'],    'open',  'full',               'full',               'handling_restricted', 'handling_restricted'],
  ['auditor',        ['export'],    'to HN', 'header',             'header',             'handling_restricted', 'handling_restricted'],
];

// The same alert held by its origin MX (its outbox, MX's feeds): MX reads its own body.
// prettier-ignore
const HELD_BY_MX: readonly Row[] = [
  ['focal point MX', NODE,          'any',   'full',               'full',               'full',               'full'],
  ['FIU MX',         FEED_EXPORT,   'any',   'full',               'full',               'full',               'full'],
  ['focal point GT', NODE,          'any',   'not_holder',         'not_holder',         'not_holder',         'not_holder'],
  ['FIU GT',         FEED_EXPORT,   'any',   'not_holder',         'not_holder',         'not_holder',         'not_holder'],
  ['FIU MX',         NODE,          'any',   'reader_not_allowed', 'reader_not_allowed', 'reader_not_allowed', 'reader_not_allowed'],
  ['administrator',  NODE,          'to GT', 'header',             'header',             'header',             'header'],
];

const HANDLING: readonly HandlingCode[] = ['H0', 'H1', 'H2', 'H3'];
const RECIPIENTS: Readonly<Record<Exclude<Restriction, 'any'>, readonly string[]>> = {
  open: [],
  'to GT': ['GT'],
  'to HN': ['HN'],
};

function alertOf(
  holder: string,
  restriction: Exclude<Restriction, 'any'>,
  handling: HandlingCode,
): ReadAlert {
  return {
    origin: 'MX',
    network: 'trafficking-liaison',
    kind: 'route',
    handling,
    recipients: RECIPIENTS[restriction],
    issuedAt: ISSUED,
    expiresAt: '2026-03-01T00:00:00.000Z',
    holder,
  };
}

function outcomeOf(decision: ReadDecision): Outcome {
  return decision.allowed ? decision.visibility : decision.reason;
}

function cases(holder: string, rows: readonly Row[]) {
  return rows
    .flatMap(([reader, channels, restriction, ...outcomes]) =>
      channels.flatMap((channel) =>
        (restriction === 'any' ? (['open', 'to GT', 'to HN'] as const) : [restriction]).flatMap((r) =>
          HANDLING.map((handling, i) => ({
            reader,
            channel,
            restriction: r,
            handling,
            expected: outcomes[i]!,
          })),
        ),
      ),
    )
    .map((c) => ({ ...c, holder }));
}

describe('evaluateRead: the table', () => {
  const all = [...cases('GT', HELD_BY_GT), ...cases('MX', HELD_BY_MX)];

  it.each(all)(
    'held by $holder, $restriction, $handling: $reader on $channel gets $expected',
    ({ holder, reader, channel, restriction, handling, expected }) => {
      const decision = evaluateRead(READERS[reader]!, alertOf(holder, restriction, handling), channel, {
        at: READ_AT,
        policy,
      });
      expect(outcomeOf(decision)).toBe(expected);
      if (decision.allowed) expect(decision.bodyRestricted).toBe(decision.visibility === 'header');
      else expect(decision.message).toMatch(/\S/);
    },
  );

  it('covers every channel for every reader role', () => {
    for (const channel of READ_CHANNELS)
      for (const role of ['focal-point', 'fiu-analyst', 'administrator', 'auditor'])
        expect(
          all.some((c) => c.channel === channel && READERS[c.reader]!.role === role),
          `${role} on ${channel}`,
        ).toBe(true);
  });
});

describe('evaluateRead', () => {
  const open = alertOf('GT', 'open', 'H2');
  const fiuGT: Reader = { role: 'fiu-analyst', country: 'GT' };

  it('marks an alert past its expires_at expired, and still shows it', () => {
    const before = evaluateRead(fiuGT, open, 'feed', { at: READ_AT });
    const after = evaluateRead(fiuGT, open, 'feed', { at: '2026-03-01T00:00:00.000Z' });
    expect(before).toEqual({ allowed: true, visibility: 'full', bodyRestricted: false, expired: false });
    expect(after).toEqual({ allowed: true, visibility: 'full', bodyRestricted: false, expired: true });
  });

  it('judges matching on entitlement now: a receiver suspended since gets no hit', () => {
    const suspended = createPolicyEvaluator({
      ...snapshot(),
      countries: snapshot().countries.map((c) =>
        c.code === 'HN'
          ? {
              code: 'HN',
              statusHistory: [
                { status: 'member', effectiveAt: T0 },
                { status: 'suspended', effectiveAt: '2026-02-01T12:00:00.000Z' },
              ],
            }
          : c,
      ),
    });
    const hn: Reader = { role: 'fiu-analyst', country: 'HN' };
    const decision = evaluateRead(hn, open, 'match', { at: READ_AT, policy: suspended });
    expect(decision).toMatchObject({ allowed: false, reason: 'receiver_suspended' });
  });

  it('judges a process reader by its role, whatever else it carries', () => {
    const withCountry = { role: 'administrator', country: 'GT' } as unknown as Reader;
    expect(evaluateRead(withCountry, alertOf('GT', 'to GT', 'H0'), 'by_id', { at: READ_AT })).toMatchObject({
      visibility: 'header',
    });
  });

  it('refuses a malformed query with ERR_POLICY_QUERY_INVALID naming the field', () => {
    const bad = (fn: () => unknown, field: string): void => {
      try {
        fn();
        expect.unreachable(`${field} accepted`);
      } catch (error) {
        expect(error).toBeInstanceOf(PolicyQueryError);
        expect((error as PolicyQueryError).code).toBe('ERR_POLICY_QUERY_INVALID');
        expect((error as PolicyQueryError).field).toBe(field);
      }
    };
    bad(() => evaluateRead({ role: 'officer' } as unknown as Reader, open, 'feed'), 'reader.role');
    bad(() => evaluateRead({ role: 'fiu-analyst' } as unknown as Reader, open, 'feed'), 'reader.country');
    bad(() => evaluateRead(fiuGT, open, 'taxii' as ReadChannel), 'channel');
    bad(() => evaluateRead(fiuGT, { ...open, handling: 'H4' as HandlingCode }, 'feed'), 'handling');
    bad(() => evaluateRead(fiuGT, { ...open, holder: undefined } as unknown as ReadAlert, 'feed'), 'holder');
    bad(() => evaluateRead(fiuGT, { ...open, issuedAt: 'yesterday' }, 'feed'), 'issuedAt');
    bad(() => evaluateRead({ role: 'fiu-analyst', country: 'HN' }, open, 'match'), 'policy');
  });
});
