/**
 * The policy aggregate: the rules of the networks (created by seeds), the policy snapshot
 * projected from registry state, the decisions packages/policy takes on it, and the check every
 * command that changes a policy input (country, network, membership, rule) makes last.
 */
import type { PolicyDecision, PolicyEvaluator, PolicySnapshot } from '@enlace/policy';
import { PolicyQueryError, createPolicyEvaluator, validateSnapshot } from '@enlace/policy';

import { RegistryError } from '../domain/errors.js';
import type {
  CountryRecord,
  MembershipRecord,
  NetworkRecord,
  PolicyRule,
  RegistryState,
} from '../domain/model.js';
import { decideInputSchema } from '../domain/schemas.js';
import type { DecideInput } from '../domain/service.js';
import { fieldError, parseInput, validationError } from '../domain/validation.js';
import type { RegistryView } from '../registry-view.js';
import { stateKeys } from '../registry-view.js';
import { buildPolicySnapshot } from '../snapshot.js';

export class Policy {
  private evaluatorCache: { revision: number; evaluator: PolicyEvaluator } | undefined;

  constructor(private readonly view: RegistryView) {}

  listRules(): readonly PolicyRule[] {
    return this.view.state().rules;
  }

  snapshot(): PolicySnapshot {
    return buildPolicySnapshot(this.view.state(), this.view.now());
  }

  decide(input: DecideInput): PolicyDecision {
    const q = parseInput(decideInputSchema, input, 'policy question');
    const revision = this.view.revision();
    if (this.evaluatorCache?.revision !== revision) {
      try {
        this.evaluatorCache = { revision, evaluator: createPolicyEvaluator(this.snapshot()) };
      } catch (cause) {
        throw new RegistryError('ERR_UNAVAILABLE', 'registry state does not make a valid policy snapshot', {
          cause,
        });
      }
    }
    const evaluator = this.evaluatorCache.evaluator;
    const at = q.at ?? this.view.now();
    try {
      if (q.action === 'publish')
        return evaluator.evaluatePublish({ origin: q.origin, network: q.network, kind: q.kind, at });
      if (q.receiver === undefined)
        throw fieldError('receiver', 'required', 'is required to decide a receipt', 'policy question');
      return evaluator.evaluateReceive({
        receiver: q.receiver,
        origin: q.origin,
        network: q.network,
        kind: q.kind,
        recipients: q.recipients ?? [],
        handling: q.handling ?? 'H0',
        at,
      });
    } catch (err) {
      if (err instanceof PolicyQueryError)
        throw fieldError(err.field, 'invalid_value', err.message, 'policy question');
      throw err;
    }
  }

  /**
   * Refuses a change that would leave registry state an invalid policy snapshot (a last line of
   * defence behind the command's own checks: overlapping memberships, roles a network lacks, ...).
   * `value` is what the command would write under `key`.
   */
  assertValidWith(key: string, value: unknown, what: string): void {
    const base = this.view.state();
    const replaced = <T>(
      prefix: string,
      list: readonly T[],
      pick: (v: T) => string,
      make: (v: unknown) => T[],
    ) => {
      if (!key.startsWith(prefix)) return list;
      const id = key.slice(prefix.length);
      return [...list.filter((v) => pick(v) !== id), ...make(value)];
    };
    const state: RegistryState = {
      ...base,
      countries: replaced<CountryRecord>(
        'country.',
        base.countries,
        (c) => c.code,
        (v) => [v as CountryRecord],
      ),
      networks: replaced<NetworkRecord>(
        'network.',
        base.networks,
        (n) => n.id,
        (v) => [v as NetworkRecord],
      ),
      memberships: replaced<MembershipRecord>(
        'membership.',
        base.memberships,
        (m) => m.country,
        (v) => v as MembershipRecord[],
      ),
      rules: key === stateKeys.rules ? (value as PolicyRule[]) : base.rules,
    };
    const errors = validateSnapshot(buildPolicySnapshot(state, this.view.now())).filter(
      (p) => p.severity === 'error',
    );
    if (errors.length > 0)
      throw validationError(
        what,
        errors.map((p) => ({ path: p.path, code: p.code, message: p.message })),
      );
  }
}
