/**
 * The checks every signed envelope gets, whatever it carries (DESIGN.md trust model 3): an
 * alert, a receipt, tomorrow a request for information or a consent. In order, each failure a
 * RejectMessage with its stable reason:
 *
 * 1. `subject_mismatch`: a subject token (or the Nats-Msg-Id) differs from the signed content;
 * 2. `unknown_key`, `revoked_key`, `expired_key`: the kid is not a signing key of the signer in
 *    the registry, or was revoked or expired when the broker stored the message, or was not
 *    valid yet when the signer says it signed (time-rule.ts: time is the broker's);
 * 3. `bad_signature`: the signature does not verify with the registered key;
 * 4. `issued_in_future`, `backdated`: the signed time lies outside the bounds of the stored time;
 * 5. `origin_not_member`, `origin_suspended`, ...: the signer's status at the stored time, and the policy of
 *    this kind of envelope (`policy`, e.g. "could the origin publish that kind on that network",
 *    which judges the status itself; without one, the signer must be a member or an observer).
 *
 * The front ends (verifyInbound for alerts, verifyReceipt for receipts) read their own format,
 * then hand the parts here, so that a key, a signature or a status is judged the same way for
 * every message that crosses the network.
 */
import type { PublicKeyRecord } from '@enlace/crypto';
import type { PolicyAllowed, PolicyDecision, PolicyReason } from '@enlace/policy';
import { isRejectMessage, RejectMessage } from '@enlace/transport';
import type { RejectionReason } from '@enlace/transport';

import type { KeyRecord } from './signed-state.js';
import { checkIssuedAt, judgedAt } from './time-rule.js';
import type { TimeRule } from './time-rule.js';
import type { TrustView } from './trust-view.js';
import { keyProblemAt } from './trust-view.js';

/** One thing the subject says next to what the signed content says, e.g. the origin. */
export interface EnvelopeToken {
  /** What it is, for the message: "network", "origin", "Nats-Msg-Id". */
  readonly name: string;
  /** The value in the subject or header; undefined or "" when it says nothing (then not compared). */
  readonly outside: string | undefined;
  /** The value in the signed content. */
  readonly signed: string;
}

export interface EnvelopeCheck {
  /** The country whose key must have signed it (an alert's origin, a receipt's sender). */
  readonly signer: string;
  /** The kid of the protected header. */
  readonly kid: string;
  /** When the signer says it signed (signed content: an alert's issued_at, a receipt's at). */
  readonly issuedAt: Date;
  /**
   * When JetStream stored the message (time-rule.ts): keys and the signer's status are judged
   * then, and issuedAt must lie within `timeRule` of it. Undefined off the broker: judged at
   * issuedAt.
   */
  readonly storedAt?: Date | undefined;
  /** Default DEFAULT_TIME_RULE. */
  readonly timeRule?: TimeRule | undefined;
  readonly tokens: readonly EnvelopeToken[];
  /**
   * Checks the signature with the registered public key: resolves true when it verifies. May
   * throw a RejectMessage of its own (e.g. `malformed` for an unreadable header); any other
   * failure is `bad_signature`.
   */
  verifySignature(key: PublicKeyRecord): boolean | Promise<boolean>;
  /**
   * The policy for this kind of envelope at `at`, the judged instant (judging the signer's
   * status too); without one, the signer must be a member or an observer at `at`.
   */
  readonly policy?: (trust: TrustView, at: Date) => PolicyDecision;
}

export interface VerifiedEnvelope {
  readonly key: KeyRecord;
  /** The instant it was judged at: the stored time, or issuedAt off the broker. */
  readonly at: Date;
  /** The policy's decision, when a policy was given. */
  readonly decision?: PolicyAllowed;
}

/** Throws the RejectMessage of a refused envelope. */
export function rejectEnvelope(reason: RejectionReason, message: string, cause?: unknown): never {
  throw new RejectMessage(reason, message, cause === undefined ? undefined : { cause });
}

/** The rejection reason for a policy refusal (policy reasons are finer than the wire's). */
export function rejectionReasonOf(reason: PolicyReason): RejectionReason {
  switch (reason) {
    case 'origin_suspended':
      return 'origin_suspended';
    case 'origin_not_member':
    case 'origin_withdrawn':
    case 'origin_denied':
      return 'origin_not_member';
    case 'unknown_network':
    case 'kind_not_allowed':
      return 'kind_not_allowed';
    default:
      return 'not_recipient';
  }
}

/** The signing key of `signer` named `kid`, valid at `at`; or the rejection saying why not. */
export function signingKeyAt(
  trust: TrustView,
  kid: string,
  signer: string,
  at: Date,
): { key: KeyRecord; publicKey: PublicKeyRecord } {
  const key = trust.key(kid);
  if (key === undefined) rejectEnvelope('unknown_key', `the registry knows no key ${JSON.stringify(kid)}`);
  if (key.country !== signer || key.use !== 'sig')
    rejectEnvelope('unknown_key', `key ${kid} is not a signing key of ${signer}`);
  const problem = keyProblemAt(key, at);
  if (problem === 'revoked')
    rejectEnvelope('revoked_key', `key ${kid} was revoked at ${key.revokedAt}, before ${at.toISOString()}`);
  if (problem !== undefined)
    rejectEnvelope('expired_key', `key ${kid} was not valid at ${at.toISOString()} (${problem})`);
  const publicKey = trust.publicKey(kid);
  if (publicKey === undefined)
    rejectEnvelope('unknown_key', `the registered key ${kid} is not a usable public key`);
  return { key, publicKey };
}

/** Runs checks 1–5 on one envelope; resolves with the key that signed it, or throws RejectMessage. */
export async function verifyEnvelope(check: EnvelopeCheck, trust: TrustView): Promise<VerifiedEnvelope> {
  for (const token of check.tokens)
    if (token.outside !== undefined && token.outside !== '' && token.outside !== token.signed)
      rejectEnvelope(
        'subject_mismatch',
        `the subject says ${token.name} ${JSON.stringify(token.outside)}, the signed content ${JSON.stringify(token.signed)}`,
      );
  const at = judgedAt(check.issuedAt, check.storedAt);
  // Revoked or expired by the time the broker stored it, whatever issued_at says.
  const { key, publicKey } = signingKeyAt(trust, check.kid, check.signer, at);
  if (at !== check.issuedAt && keyProblemAt(key, check.issuedAt) === 'not_yet_valid')
    rejectEnvelope(
      'expired_key',
      `key ${check.kid} was not valid yet at ${check.issuedAt.toISOString()}, when it says it signed`,
    );
  let verified: boolean;
  try {
    verified = await check.verifySignature(publicKey);
  } catch (cause) {
    if (isRejectMessage(cause)) throw cause;
    rejectEnvelope('bad_signature', `the signature does not verify with ${check.kid}`, cause);
  }
  if (!verified) rejectEnvelope('bad_signature', `the signature does not verify with ${check.kid}`);
  // Only now is issued_at known to be the signer's: judge it against the broker's time.
  checkIssuedAt(check.issuedAt, check.storedAt, check.timeRule);
  if (check.policy !== undefined) {
    const decision = check.policy(trust, at);
    if (!decision.allowed) rejectEnvelope(rejectionReasonOf(decision.reason), decision.message);
    return { key, at, decision };
  }
  const status = trust.policy.statusAt(check.signer, at);
  if (status === 'suspended')
    rejectEnvelope('origin_suspended', `${check.signer} was suspended at ${at.toISOString()}`);
  if (status !== 'member' && status !== 'observer')
    rejectEnvelope(
      'origin_not_member',
      `${check.signer} was not a member or observer at ${at.toISOString()}${status === undefined ? '' : ` (${status})`}`,
    );
  return { key, at };
}
