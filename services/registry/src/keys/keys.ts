/**
 * The keys aggregate (`key.<CC>`, one list per country): the countries' public signing and
 * encryption keys with their validity windows. Registering checks the JWK and that no key of the
 * same use overlaps it; rotating ends the key in force and starts the new one at the same
 * instant; revoking marks a key (alerts issued from then on no longer verify with it).
 */
import type { Jwks, PublicJwk } from '@enlace/crypto';
import { createJwks, parseKid } from '@enlace/crypto';

import { fieldRefusal } from '../domain/errors.js';
import type { CommandContext, Instant, KeyRecord } from '../domain/model.js';
import { registerKeyInputSchema, revokeKeyInputSchema, rotateKeyInputSchema } from '../domain/schemas.js';
import type { KeyFilter, RegisterKeyInput, RevokeKeyInput, RotateKeyInput } from '../domain/service.js';
import { fieldError, parseInput } from '../domain/validation.js';
import type { CommandPipeline } from '../command-pipeline.js';
import { idText, inputField } from '../command-pipeline.js';
import { currentStatus } from '../countries/country-status.js';
import type { RegistryView } from '../registry-view.js';
import { asList, stateKeys } from '../registry-view.js';
import type { StateChange } from '../store/state-store.js';
import { assertNoOverlap, checkPublicJwk, isKeyActiveAt, withJwkWindow } from './key-records.js';
import type { CheckedJwk } from './key-records.js';

/** A rotation's outcome: the key it ended (when one was in force) and the one it started. */
export interface KeyRotation {
  previous?: KeyRecord;
  current: KeyRecord;
}

/** The kid of a raw input's `publicJwk`, for audit records of refusals. */
function kidOf(input: unknown): string {
  return idText(inputField(inputField(input, 'publicJwk'), 'kid'));
}

function assertKidFree(keys: readonly KeyRecord[], kid: string): void {
  if (keys.some((k) => k.kid === kid))
    throw fieldRefusal('ERR_DUPLICATE_KID', 'publicJwk.kid', `kid ${kid} is already registered`);
}

function keysBefore(before: unknown, kid: string): KeyRecord | undefined {
  return Array.isArray(before) ? (before as KeyRecord[]).find((k) => k.kid === kid) : undefined;
}

export class Keys {
  constructor(
    private readonly view: RegistryView,
    private readonly pipeline: CommandPipeline,
  ) {}

  list(filter: KeyFilter = {}): readonly KeyRecord[] {
    const at = filter.activeAt === undefined ? undefined : Date.parse(filter.activeAt);
    return this.view
      .state()
      .keys.filter(
        (k) =>
          (filter.country === undefined || k.country === filter.country) &&
          (filter.use === undefined || k.use === filter.use) &&
          (at === undefined || isKeyActiveAt(k, at)),
      );
  }

  get(kid: string): KeyRecord {
    const country = parseKid(kid)?.country;
    const key =
      country === undefined
        ? undefined
        : asList<KeyRecord>(this.view.entry(stateKeys.keys(country))).find((k) => k.kid === kid);
    if (key === undefined) throw fieldRefusal('ERR_UNKNOWN_KEY', 'kid', `unknown key ${kid}`);
    return key;
  }

  /** Public JWKS of the keys valid and not revoked now. */
  activeJwks(): Jwks {
    const now = this.view.nowMs();
    return createJwks(
      this.list()
        .filter((k) => isKeyActiveAt(k, now))
        .map((k) => k.publicJwk as unknown as PublicJwk),
    );
  }

  register(input: RegisterKeyInput, ctx: CommandContext): Promise<KeyRecord> {
    return this.pipeline.run(
      { action: 'key.register', entity: 'key', entityId: kidOf(input) },
      ctx,
      async () => {
        const i = parseInput(registerKeyInputSchema, input, 'key registration');
        const checked = checkPublicJwk(i.country, i.publicJwk, 'key registration');
        this.requireKeyHolder(i.country);
        const notBefore = i.notBefore ?? checked.nbf ?? this.view.now();
        const notAfter = i.notAfter ?? checked.exp;
        if (notAfter !== undefined && Date.parse(notAfter) <= Date.parse(notBefore))
          throw fieldError('notAfter', 'empty_interval', 'must be later than notBefore', 'key registration');
        const record = this.newRecord(i.country, checked, notBefore, notAfter);
        const applied = await this.pipeline.change<KeyRecord>(stateKeys.keys(i.country), (current) => {
          const keys = asList<KeyRecord>(current);
          assertKidFree(keys, record.kid);
          assertNoOverlap(keys, record, 'notBefore');
          return { write: true, value: [...keys, record], result: record };
        });
        return { ...applied, entityId: record.kid, before: undefined, after: record };
      },
    );
  }

  rotate(input: RotateKeyInput, ctx: CommandContext): Promise<KeyRotation> {
    return this.pipeline.run(
      { action: 'key.rotate', entity: 'key', entityId: kidOf(input) },
      ctx,
      async () => {
        const i = parseInput(rotateKeyInputSchema, input, 'key rotation');
        const checked = checkPublicJwk(i.country, i.publicJwk, 'key rotation');
        this.requireKeyHolder(i.country);
        const at = i.at ?? this.view.now();
        const t = Date.parse(at);
        const notAfter = i.notAfter ?? checked.exp;
        if (notAfter !== undefined && Date.parse(notAfter) <= t)
          throw fieldError(
            'notAfter',
            'empty_interval',
            'must be later than the rotation time',
            'key rotation',
          );
        const applied = await this.pipeline.change<KeyRotation>(
          stateKeys.keys(i.country),
          (current): StateChange<KeyRotation> => {
            const keys = asList<KeyRecord>(current);
            assertKidFree(keys, checked.kid);
            const index = keys.findIndex((k) => k.use === checked.use && isKeyActiveAt(k, t));
            const old = keys[index];
            let previous: KeyRecord | undefined;
            if (old !== undefined) {
              if (Date.parse(old.notBefore) >= t)
                throw fieldError(
                  'at',
                  'empty_interval',
                  `must be later than the start of ${old.kid} (${old.notBefore})`,
                  'key rotation',
                );
              previous = withJwkWindow({ ...old, notAfter: at });
            }
            const next = this.newRecord(i.country, checked, at, notAfter);
            const updated = keys.map((k, j) => (j === index && previous !== undefined ? previous : k));
            assertNoOverlap(updated, next, 'at');
            return {
              write: true,
              value: [...updated, next],
              result: previous === undefined ? { current: next } : { previous, current: next },
            };
          },
        );
        return {
          ...applied,
          entityId: checked.kid,
          before:
            applied.result.previous === undefined
              ? undefined
              : keysBefore(applied.before, applied.result.previous.kid),
          after: applied.result,
        };
      },
    );
  }

  revoke(input: RevokeKeyInput, ctx: CommandContext): Promise<KeyRecord> {
    return this.pipeline.run(
      {
        action: 'key.revoke',
        entity: 'key',
        entityId: idText(inputField(input, 'kid')),
        requireReason: true,
      },
      ctx,
      async (c) => {
        const i = parseInput(revokeKeyInputSchema, input, 'key revocation');
        const country = parseKid(i.kid)?.country;
        if (country === undefined) throw fieldRefusal('ERR_UNKNOWN_KEY', 'kid', `unknown key ${i.kid}`);
        const at = i.at ?? this.view.now();
        let before: KeyRecord | undefined;
        const applied = await this.pipeline.change<KeyRecord>(stateKeys.keys(country), (current) => {
          const keys = asList<KeyRecord>(current);
          const index = keys.findIndex((k) => k.kid === i.kid);
          const found = keys[index];
          if (found === undefined) throw fieldRefusal('ERR_UNKNOWN_KEY', 'kid', `unknown key ${i.kid}`);
          if (found.revokedAt !== undefined)
            throw fieldRefusal(
              'ERR_INVALID_TRANSITION',
              'kid',
              `key ${i.kid} was already revoked at ${found.revokedAt}`,
            );
          before = found;
          const revoked = withJwkWindow({
            ...found,
            revokedAt: at,
            ...(c.reason === undefined ? {} : { revocationReason: c.reason }),
          });
          return { write: true, value: keys.map((k, j) => (j === index ? revoked : k)), result: revoked };
        });
        return { ...applied, entityId: i.kid, before, after: applied.result };
      },
    );
  }

  /** The record of a key registered now, valid from `notBefore` (to `notAfter`, if given). */
  private newRecord(
    country: string,
    checked: CheckedJwk,
    notBefore: Instant,
    notAfter: Instant | undefined,
  ): KeyRecord {
    return withJwkWindow({
      kid: checked.kid,
      country,
      use: checked.use,
      publicJwk: checked.jwk,
      notBefore,
      ...(notAfter === undefined ? {} : { notAfter }),
      registeredAt: this.view.now(),
    });
  }

  /** A country that may register keys: known and not withdrawn. */
  private requireKeyHolder(code: string): void {
    const country = this.view.requireCountry(code);
    if (currentStatus(country) === 'withdrawn')
      throw fieldRefusal(
        'ERR_INVALID_TRANSITION',
        'country',
        `${code} has withdrawn; it can register no key`,
      );
  }
}
