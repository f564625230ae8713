/**
 * Status transitions of a country: admit (new, or observer ↔ member; admitting it as what it
 * already is: ERR_ALREADY_EXISTS), suspend (members only),
 * reinstate (suspended only, back to the status held before the suspension) and withdraw
 * (final: nothing follows it). Pure functions over a CountryRecord; each change carries actor,
 * reason and decision for the audit trail.
 */
import type { CountryStatus, CountryStatusChange } from '@enlace/policy';

import { fieldRefusal } from '../domain/errors.js';
import type { CommandContext, CountryRecord, Instant, Names } from '../domain/model.js';
import { fieldError } from '../domain/validation.js';

export type StatusCommand = 'admit' | 'suspend' | 'reinstate' | 'withdraw';

/** The last status of a country (undefined for a record without history, which never happens). */
export function currentStatus(country: CountryRecord): CountryStatus | undefined {
  return country.statusHistory.at(-1)?.status;
}

/** An instant strictly later than `after`: `now`, or `after` + 1 ms when the clock has not moved on. */
export function laterThan(now: Instant, after: Instant | undefined): Instant {
  if (after === undefined || Date.parse(now) > Date.parse(after)) return now;
  return new Date(Date.parse(after) + 1).toISOString();
}

function change(status: CountryStatus, effectiveAt: Instant, ctx: CommandContext): CountryStatusChange {
  return {
    status,
    effectiveAt,
    actor: ctx.actor.id,
    ...(ctx.reason === undefined ? {} : { reason: ctx.reason }),
    ...(ctx.decision === undefined ? {} : { decision: ctx.decision }),
  };
}

/** A new country, admitted as member or observer. */
export function newCountry(
  code: string,
  names: Names | undefined,
  status: 'member' | 'observer',
  effectiveAt: Instant,
  ctx: CommandContext,
): CountryRecord {
  if (names === undefined)
    throw fieldError(
      'names',
      'required',
      'is required when the country is new to the registry',
      'country admission',
    );
  return { code, names, statusHistory: [change(status, effectiveAt, ctx)] };
}

/**
 * The country after `command`. `effectiveAt` undefined means now (moved past the last change if
 * needed); a given one must be later than the last change.
 */
export function applyStatusCommand(
  country: CountryRecord,
  command: StatusCommand,
  options: { status?: 'member' | 'observer'; effectiveAt: Instant | undefined; now: Instant },
  ctx: CommandContext,
): CountryRecord {
  const history = country.statusHistory;
  const last = history.at(-1);
  const status = last?.status;
  const invalid = (message: string) =>
    fieldRefusal('ERR_INVALID_TRANSITION', 'code', `${country.code}: ${message}`);
  if (status === 'withdrawn') throw invalid('has withdrawn; no status change may follow a withdrawal');
  let next: CountryStatus;
  switch (command) {
    case 'admit':
      if (status === 'suspended') throw invalid('is suspended; reinstate it instead of admitting it again');
      // Admitting it again as what it is changes nothing: the country is already there.
      if (status === options.status)
        throw fieldRefusal('ERR_ALREADY_EXISTS', 'code', `${country.code} is already ${status}`);
      next = options.status ?? 'member';
      break;
    case 'suspend':
      if (status !== 'member')
        throw invalid(`only a member can be suspended, and it is ${status ?? 'without status'}`);
      next = 'suspended';
      break;
    case 'reinstate': {
      if (status !== 'suspended')
        throw invalid(`only a suspended country can be reinstated, and it is ${status ?? 'without status'}`);
      // The status held before the suspension (suspensions do not follow one another).
      const before = [...history].reverse().find((c) => c.status !== 'suspended');
      next = before?.status ?? 'member';
      break;
    }
    case 'withdraw':
      next = 'withdrawn';
      break;
  }
  let effectiveAt: Instant;
  if (options.effectiveAt === undefined) effectiveAt = laterThan(options.now, last?.effectiveAt);
  else {
    effectiveAt = options.effectiveAt;
    if (last !== undefined && Date.parse(effectiveAt) <= Date.parse(last.effectiveAt))
      throw fieldError(
        'effectiveAt',
        'not_ascending',
        `must be later than the last status change (${last.effectiveAt})`,
        `country ${command}`,
      );
  }
  return { ...country, statusHistory: [...history, change(next, effectiveAt, ctx)] };
}
