import { describe, expect, it } from 'vitest';
import { createDefaultNetworks, createDefaultRules } from './default-rules.js';
import { PolicySnapshotError } from './errors.js';
import type { SnapshotProblem } from './errors.js';
import type { PolicySnapshot } from './model.js';
import { POLICY_SNAPSHOT_FORMAT } from './model.js';
import { assertValidSnapshot, isValidSnapshot, validateSnapshot } from './validate.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-06-01T00:00:00.000Z';
const BASIS = {
  conference: 'VI RCM (San José, 2001)',
  decision: 'agreements 7, 11 and 16',
  text: 'Liaison networks.',
};

function valid(): PolicySnapshot {
  return {
    format: POLICY_SNAPSHOT_FORMAT,
    revision: 3,
    generatedAt: T0,
    countries: [
      { code: 'MX', statusHistory: [{ status: 'member', effectiveAt: T0 }] },
      { code: 'GT', statusHistory: [{ status: 'member', effectiveAt: T0 }] },
      { code: 'CO', statusHistory: [{ status: 'observer', effectiveAt: T0 }] },
    ],
    networks: createDefaultNetworks(),
    memberships: [
      { country: 'MX', network: 'trafficking-liaison', role: 'publisher', validFrom: T0 },
      { country: 'GT', network: 'trafficking-liaison', role: 'subscriber', validFrom: T0, validUntil: T1 },
      { country: 'CO', network: 'trafficking-liaison', role: 'observer-reader', validFrom: T0 },
    ],
    rules: createDefaultRules(),
  };
}

/** A snapshot as JSON that the tests break on purpose: any field, any value, at any depth. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- invalid snapshots cannot be typed as snapshots
type Editable = any;

/** A copy of the valid snapshot with `edit` applied to a mutable JSON clone. */
function edited(edit: (s: Editable) => void): unknown {
  const s: Editable = structuredClone(valid());
  edit(s);
  return s;
}

function error(path: string, code: SnapshotProblem['code'], message: string): SnapshotProblem {
  return { path, code, message, severity: 'error' };
}

function warning(path: string, code: SnapshotProblem['code'], message: string): SnapshotProblem {
  return { path, code, message, severity: 'warning' };
}

describe('validateSnapshot', () => {
  it('finds nothing wrong with a well-formed snapshot using the default networks and rules', () => {
    expect(validateSnapshot(valid())).toEqual([]);
    expect(isValidSnapshot(valid())).toBe(true);
  });

  it('requires an object', () => {
    expect(validateSnapshot([])).toEqual([
      error('', 'invalid_type', 'a policy snapshot must be a JSON object'),
    ]);
    expect(isValidSnapshot(null)).toBe(false);
  });

  it('checks the header fields', () => {
    const s = edited((s) => {
      s.format = 'enlace.policy.v0';
      s.revision = -1;
      s.generatedAt = '2026-01-01T00:00:00+01:00';
      delete s.rules;
      s.signature = 'x';
    });
    expect(validateSnapshot(s)).toEqual([
      error('signature', 'unknown_field', 'is not a field of a snapshot'),
      error(
        'format',
        'invalid_value',
        '"enlace.policy.v0" is not a supported snapshot format (expected "enlace.policy.v1")',
      ),
      error('revision', 'invalid_type', '-1 is not a non-negative integer'),
      error(
        'generatedAt',
        'invalid_format',
        '"2026-01-01T00:00:00+01:00" is not an RFC 3339 UTC instant (e.g. 2026-03-01T00:00:00.000Z)',
      ),
      error('rules', 'required', 'is required (an empty list is allowed)'),
    ]);
  });

  describe('countries', () => {
    it('need ISO-looking, unique codes', () => {
      const s = edited((s) => {
        s.countries[0].code = 'mx';
        s.countries[2].code = 'GT';
        s.countries.push({ code: 'MEX', statusHistory: [] });
      });
      expect(validateSnapshot(s)).toEqual([
        error(
          'countries[0].code',
          'invalid_format',
          '"mx" is not an ISO 3166-1 alpha-2 code (two upper-case letters)',
        ),
        error('countries[2].code', 'duplicate', 'country GT is listed more than once'),
        error(
          'countries[3].code',
          'invalid_format',
          '"MEX" is not an ISO 3166-1 alpha-2 code (two upper-case letters)',
        ),
        // The memberships of MX now point at a country the snapshot does not have.
        error('memberships[0].country', 'unknown_country', "country MX is not in the snapshot's countries"),
        error('memberships[2].country', 'unknown_country', "country CO is not in the snapshot's countries"),
      ]);
    });

    it('need a history in strictly increasing time, with known statuses', () => {
      const s = edited((s) => {
        s.countries[0].statusHistory = [
          { status: 'member', effectiveAt: T1 },
          { status: 'suspended', effectiveAt: T1 },
          { status: 'expelled', effectiveAt: '2026-07-01T00:00:00Z' },
          { status: 'member', effectiveAt: '2026-05-01T00:00:00Z', actor: 42 },
        ];
      });
      expect(validateSnapshot(s)).toEqual([
        error(
          'countries[0].statusHistory[1].effectiveAt',
          'not_ascending',
          'must be later than the effectiveAt of the change before it',
        ),
        error(
          'countries[0].statusHistory[2].status',
          'unknown_status',
          '"expelled" is not a status (member, observer, suspended, withdrawn)',
        ),
        error('countries[0].statusHistory[3].actor', 'invalid_type', '42 is not a string'),
        error(
          'countries[0].statusHistory[3].effectiveAt',
          'not_ascending',
          'must be later than the effectiveAt of the change before it',
        ),
      ]);
    });

    it('start as member or observer, and change no more once withdrawn', () => {
      const s = edited((s) => {
        s.countries[0].statusHistory = [{ status: 'suspended', effectiveAt: T0 }];
        s.countries[1].statusHistory = [
          { status: 'member', effectiveAt: T0 },
          { status: 'withdrawn', effectiveAt: '2026-02-01T00:00:00Z' },
          { status: 'member', effectiveAt: T1 },
        ];
      });
      expect(validateSnapshot(s)).toEqual([
        error(
          'countries[0].statusHistory[0].status',
          'invalid_transition',
          'the first status of a country must be member or observer, not suspended',
        ),
        error(
          'countries[1].statusHistory[2].status',
          'invalid_transition',
          'no status change may follow a withdrawal',
        ),
      ]);
    });
  });

  describe('networks', () => {
    it('need a valid unique id, a legal basis, known kinds and roles', () => {
      const s = edited((s) => {
        s.networks[0].id = 'Trafficking Liaison';
        s.networks[1].basis = [];
        s.networks[1].kinds = ['route', 'person', 'route'];
        s.networks[2].id = 'consular-protection';
        s.networks[2].roles = [];
        s.memberships = [];
        s.rules = [];
      });
      expect(validateSnapshot(s)).toEqual([
        error(
          'networks[0].id',
          'invalid_format',
          '"Trafficking Liaison" is not a network id (lower-case letters, digits and inner hyphens, at most 64)',
        ),
        error(
          'networks[1].basis',
          'missing_basis',
          'must cite at least one decision (conference, decision, text)',
        ),
        error(
          'networks[1].kinds[1]',
          'unknown_kind',
          '"person" is not an alert kind (route, document, network)',
        ),
        error('networks[1].kinds[2]', 'duplicate', '"route" is listed more than once'),
        error('networks[2].id', 'duplicate', 'network "consular-protection" is listed more than once'),
        error('networks[2].roles', 'required', 'must not be empty'),
      ]);
    });

    it('need names and a mandate; a missing language is a warning', () => {
      const s = edited((s) => {
        delete s.networks[0].names.fr;
        delete s.networks[0].names.pt;
        s.networks[1].mandate = {};
        s.networks[2].names = 'FIU';
        s.networks[2].basis = [{ ...BASIS, text: '' }];
      });
      expect(validateSnapshot(s)).toEqual([
        warning('networks[0].names', 'missing_label', 'has no text in fr, pt'),
        error('networks[1].mandate', 'required', 'needs a text in at least one language'),
        warning('networks[1].mandate', 'missing_label', 'has no text in en, es, fr, pt'),
        error('networks[2].names', 'invalid_type', 'must be an object of texts by language tag'),
        error('networks[2].basis[0].text', 'required', 'must not be empty'),
      ]);
    });
  });

  describe('memberships', () => {
    it('refer to known countries, networks and roles of that network', () => {
      const s = edited((s) => {
        s.networks[2].roles = ['publisher', 'subscriber'];
        s.memberships.push(
          { country: 'HN', network: 'trafficking-liaison', role: 'publisher', validFrom: T0 },
          { country: 'MX', network: 'fiu', role: 'publisher', validFrom: T0 },
          { country: 'CO', network: 'fiu-exchange', role: 'observer-reader', validFrom: T0 },
          { country: 'MX', network: 'fiu-exchange', role: 'admin', validFrom: T0, validTo: T1 },
        );
      });
      expect(validateSnapshot(s)).toEqual([
        error('memberships[3].country', 'unknown_country', "country HN is not in the snapshot's countries"),
        error(
          'memberships[4].network',
          'unknown_network',
          'network "fiu" is not in the snapshot\'s networks',
        ),
        error(
          'memberships[5].role',
          'role_not_on_network',
          'network "fiu-exchange" has no role observer-reader',
        ),
        error('memberships[6].validTo', 'unknown_field', 'is not a field of this entry'),
        error(
          'memberships[6].role',
          'unknown_role',
          '"admin" is not a membership role (publisher, subscriber, observer-reader)',
        ),
      ]);
    });

    it('need a validity window that is not empty', () => {
      const s = edited((s) => {
        s.memberships[0].validUntil = T0;
        delete s.memberships[2].validFrom;
      });
      expect(validateSnapshot(s)).toEqual([
        error('memberships[0].validUntil', 'empty_interval', 'must be later than validFrom'),
        error('memberships[2].validFrom', 'required', 'is required'),
      ]);
    });

    it('of the same country, network and role may follow each other but not overlap', () => {
      const s = edited((s) => {
        // GT's subscriber window ends at T1: one starting at T1 follows it.
        s.memberships.push(
          { country: 'GT', network: 'trafficking-liaison', role: 'subscriber', validFrom: T1 },
          // A publisher window of MX alongside its open-ended one overlaps it.
          {
            country: 'MX',
            network: 'trafficking-liaison',
            role: 'publisher',
            validFrom: T1,
            validUntil: '2027-01-01T00:00:00Z',
          },
          // Another role is another membership.
          { country: 'MX', network: 'trafficking-liaison', role: 'subscriber', validFrom: T0 },
        );
      });
      expect(validateSnapshot(s)).toEqual([
        error(
          'memberships[4]',
          'overlapping_validity',
          'overlaps memberships[0]: MX holds publisher on "trafficking-liaison" in both',
        ),
      ]);
    });
  });

  describe('rules', () => {
    it('must cite a legal basis', () => {
      const s = edited((s) => {
        s.rules[0].basis = [];
        delete s.rules[1].basis;
        s.rules[2].basis = [{ conference: 'VI RCM', decision: 'agreement 7' }];
      });
      expect(validateSnapshot(s)).toEqual([
        error(
          'rules[0].basis',
          'missing_basis',
          'must cite at least one decision (conference, decision, text)',
        ),
        error(
          'rules[1].basis',
          'missing_basis',
          'must cite at least one decision (conference, decision, text)',
        ),
        error('rules[2].basis[0].text', 'required', 'is required'),
      ]);
    });

    it('need a unique id and a known effect and action', () => {
      const s = edited((s) => {
        s.rules[1].id = s.rules[0].id;
        s.rules[2].id = 'consular protection';
        s.rules[3].effect = 'permit';
        delete s.rules[4].action;
      });
      expect(validateSnapshot(s)).toEqual([
        error('rules[1].id', 'duplicate', 'rule "trafficking-liaison.publish" is listed more than once'),
        error(
          'rules[2].id',
          'invalid_format',
          '"consular protection" is not a rule id (letters, digits, ".", "_", ":" and "-", at most 128)',
        ),
        error('rules[3].effect', 'invalid_value', '"permit" is not one of allow, deny'),
        error('rules[4].action', 'required', 'is required'),
      ]);
    });

    it('check every selector, and refuse empty or misspelt ones', () => {
      const s = edited((s) => {
        s.rules = [
          {
            id: 'r1',
            effect: 'deny',
            action: 'receive',
            networks: ['trafficking-liaison', 'smuggling'],
            kinds: ['route', 'victim'],
            roles: ['reader'],
            countries: ['gt', 'CL'],
            statuses: ['expelled', 'member', 'member'],
            validFrom: T1,
            validUntil: T0,
            basis: [BASIS],
          },
          { id: 'r2', effect: 'allow', action: 'publish', kinds: [], contries: ['MX'], basis: [BASIS] },
        ];
      });
      expect(validateSnapshot(s)).toEqual([
        error(
          'rules[0].networks[1]',
          'unknown_network',
          'network "smuggling" is not in the snapshot\'s networks',
        ),
        error(
          'rules[0].kinds[1]',
          'unknown_kind',
          '"victim" is not an alert kind (route, document, network)',
        ),
        error(
          'rules[0].roles[0]',
          'unknown_role',
          '"reader" is not a membership role (publisher, subscriber, observer-reader)',
        ),
        error(
          'rules[0].countries[0]',
          'invalid_format',
          '"gt" is not an ISO 3166-1 alpha-2 code (two upper-case letters)',
        ),
        warning('rules[0].countries[1]', 'unknown_country', "country CL is not in the snapshot's countries"),
        error(
          'rules[0].statuses[0]',
          'unknown_status',
          '"expelled" is not a status (member, observer, suspended, withdrawn)',
        ),
        error('rules[0].statuses[2]', 'duplicate', '"member" is listed more than once'),
        error('rules[0].validUntil', 'empty_interval', 'must be later than validFrom'),
        error('rules[1].contries', 'unknown_field', 'is not a field of this entry'),
        error('rules[1].kinds', 'empty_selector', 'an empty list matches nothing; omit it to match anything'),
      ]);
    });

    it('warn about selectors that can never match together', () => {
      const s = edited((s) => {
        s.networks[2].roles = ['publisher', 'subscriber'];
        s.rules.push({
          id: 'fiu-observers',
          effect: 'allow',
          action: 'receive',
          networks: ['fiu-exchange'],
          kinds: ['route'],
          roles: ['observer-reader'],
          basis: [BASIS],
        });
      });
      expect(validateSnapshot(s)).toEqual([
        warning('rules[7].kinds', 'kind_not_on_network', 'no network the rule selects carries route alerts'),
        warning(
          'rules[7].roles',
          'role_not_on_network',
          'no network the rule selects has the role observer-reader',
        ),
      ]);
      expect(isValidSnapshot(s)).toBe(true);
    });
  });
});

describe('assertValidSnapshot', () => {
  it('returns the warnings of a usable snapshot', () => {
    const s = edited((s) => delete s.networks[0].names.pt);
    expect(assertValidSnapshot(s)).toEqual([
      warning('networks[0].names', 'missing_label', 'has no text in pt'),
    ]);
  });

  it('throws PolicySnapshotError listing every error, without the warnings', () => {
    const s = edited((s) => {
      delete s.networks[0].names.pt;
      s.revision = 1.5;
      s.memberships[0].network = 'fiu';
    });
    let caught: unknown;
    try {
      assertValidSnapshot(s);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PolicySnapshotError);
    const err = caught as PolicySnapshotError;
    expect(err.code).toBe('ERR_POLICY_SNAPSHOT_INVALID');
    expect(err.name).toBe('PolicySnapshotError');
    expect(err.message).toBe(
      'invalid policy snapshot (2 errors):\n' +
        '  revision: invalid_type: 1.5 is not a non-negative integer\n' +
        '  memberships[0].network: unknown_network: network "fiu" is not in the snapshot\'s networks',
    );
    expect(err.problems).toHaveLength(3);
  });
});
