/**
 * The checks a receiving node makes on every message of the alerts stream (DESIGN.md trust
 * model 3), in order, each failure a RejectMessage with its stable reason:
 *
 * 1. `malformed`: the bytes are not a SignedAlert holding a valid Alert, or its JWS header is
 *    unreadable, or an encrypted body addressed to this country does not open;
 * 2. `subject_mismatch`: the subject's network, kind or origin (or the Nats-Msg-Id) differs
 *    from the header;
 * 3. `unknown_key`, `revoked_key`, `expired_key`: the kid is not a signing key of the origin in
 *    the registry, or was revoked or expired when JetStream stored the message (`storedAt`), or
 *    was not valid yet at `issued_at`;
 * 4. `bad_signature`: the Ed25519 signature does not verify;
 * 5. `issued_in_future`, `backdated`: `issued_at` lies outside the time rule's bounds of the
 *    stored time (time-rule.ts; DESIGN.md trust model 5);
 * 6. `origin_not_member`, `origin_suspended`, `kind_not_allowed`: the origin could not publish
 *    that kind on that network when the message was stored;
 * 7. `not_recipient`: this country may not receive it (or, for an alert another country passed
 *    on over `enlace.v1.direct.<this country>.<forwarder>`, that country could not pass it on).
 *
 * All judged against the registry state as a signed snapshot describes it, at the stored time
 * (at `issued_at` for a message read off the broker, which has none). A
 * restricted alert of other recipients is kept with its header only (`bodyReadable` false).
 * Checks 2–5 are the envelope core's (verifyEnvelope), which receipts go through too; this is
 * the alert front end: the SignedAlert form, the RFC 7797 signature, the receive policy.
 */
import { decryptForRecipient, listJweRecipients, verifySignedAlert } from '@enlace/crypto';
import type { PrivateKeyRecord } from '@enlace/crypto';
import type { PolicyDecision } from '@enlace/policy';
import type { Alert, AlertBody, AlertKind, SignedAlert } from '@enlace/schema';
import {
  alertKindOfBody,
  decodeAlert,
  decodeAlertBody,
  decodeSignedAlert,
  handlingName,
  kindName,
  validateAlert,
  validateAlertBody,
} from '@enlace/schema';
import { parseMessageSubject } from '@enlace/transport';

import { rejectEnvelope as reject, verifyEnvelope } from './envelope.js';
import type { EnvelopeToken } from './envelope.js';
import { judgedAt } from './time-rule.js';
import type { TimeRule } from './time-rule.js';
import type { TrustView } from './trust-view.js';

export interface InboundMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** The Nats-Msg-Id header, when present. */
  readonly msgId?: string | undefined;
  /**
   * When JetStream stored it (storedTimeOf(msg)): what keys and statuses are judged at. Every
   * message read from the broker has one; only a message off the broker (a file) has not.
   */
  readonly storedAt?: Date | undefined;
}

export interface VerifiedAlert {
  readonly alert: Alert;
  readonly signed: SignedAlert;
  readonly kid: string;
  readonly issuedAt: Date;
  /** The instant it was judged at: the stored time (issuedAt for a message off the broker). */
  readonly judgedAt: Date;
  readonly kind: string;
  readonly handling: string;
  /** The body in clear: the alert's own, or the decrypted one; undefined when not readable here. */
  readonly body: AlertBody['body'];
  /**
   * Title and summary as readable here: the header's, or a restricted alert's from its decrypted
   * body (its header carries neither); empty when the body is not readable here.
   */
  readonly title: string;
  readonly summary: string;
  readonly restricted: boolean;
  readonly bodyReadable: boolean;
  readonly rules: readonly string[];
  readonly registryRevision: number;
  /** The country that passed the alert on (a direct subject), when not the origin. */
  readonly forwardedBy?: string;
}

export interface VerifyContext {
  /** This node's country. */
  readonly country: string;
  readonly trust: TrustView;
  /**
   * The registry state to judge an alert stored at a time with, when it may be fresher than
   * `trust` (TrustState.viewAt); default `trust`.
   */
  readonly trustAt?: (at: Date) => Promise<TrustView>;
  /** Bounds of issued_at around the stored time; default DEFAULT_TIME_RULE. */
  readonly timeRule?: TimeRule | undefined;
  /**
   * This country's private encryption keys, by kid. Undefined for a verifier that holds none
   * (a feed service): restricted bodies are then not opened, and the result says `bodyReadable`
   * false, while everything else (signature, key, policy) is checked all the same.
   */
  readonly encryptionKeys: ReadonlyMap<string, PrivateKeyRecord> | undefined;
  readonly now?: Date;
  /**
   * The originator's grant that came with a forwarded alert, already checked (verify-request.ts
   * verifyConsentGrant): handed to the forward policy, which lifts H2/H3 for that step only.
   */
  readonly consent?: { readonly grantedBy: string; readonly holder: string; readonly to: string };
}

/** Kids of the protected headers read so far: each signing key's header is the same string. */
const kids = new Map<string, string>();
const MAX_KIDS = 1_000;

/**
 * The kid of a JWS protected header (alerts, requests), or RejectMessage `malformed`; only a
 * header that names one is remembered.
 */
export function kidOf(protectedHeader: string): string {
  const known = kids.get(protectedHeader);
  if (known !== undefined) return known;
  const kid = readKid(protectedHeader);
  if (kids.size >= MAX_KIDS) kids.clear();
  kids.set(protectedHeader, kid);
  return kid;
}

function readKid(protectedHeader: string): string {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(protectedHeader, 'base64url').toString('utf8'));
  } catch (cause) {
    reject('malformed', 'the JWS protected header is not base64url JSON', cause);
  }
  const kid = (header as { kid?: unknown } | null)?.kid;
  if (typeof kid !== 'string' || kid === '') reject('malformed', 'the JWS protected header names no kid');
  return kid;
}

/** Runs every check; resolves with what to store, or throws RejectMessage. */
export async function verifyInbound(msg: InboundMessage, ctx: VerifyContext): Promise<VerifiedAlert> {
  const { country } = ctx;
  // 1. form
  let signed: SignedAlert;
  let alert: Alert;
  try {
    signed = decodeSignedAlert(msg.data);
    alert = decodeAlert(signed.alert);
  } catch (cause) {
    reject('malformed', 'not a SignedAlert holding an Alert', cause);
  }
  const violations = validateAlert(alert);
  const header = alert.header;
  if (violations.length > 0 || header === undefined || header.issuedAt === undefined) {
    const first = violations[0];
    reject(
      'malformed',
      `the alert breaks the schema (${violations.length} violation(s)${first === undefined ? '' : `; ${first.path}: ${first.code}`})`,
    );
  }
  const kind = kindName(header.kind);
  const handling = handlingName(header.handling);
  if (kind === undefined || handling === undefined)
    reject('malformed', 'the alert has no known kind or handling');
  const issuedAt = header.issuedAt;
  const storedAt = msg.storedAt;
  const at = judgedAt(issuedAt, storedAt);
  const trust = ctx.trustAt === undefined ? ctx.trust : await ctx.trustAt(at);

  // 2. the subject must say what the header says; a forwarded alert comes to this country
  let parsed;
  try {
    parsed = parseMessageSubject(msg.subject);
  } catch (cause) {
    reject('subject_mismatch', `${msg.subject} is not an alert subject`, cause);
  }
  let forwardedBy: string | undefined;
  const tokens: EnvelopeToken[] = [];
  if (parsed.type === 'direct') {
    if (parsed.dest !== country)
      reject('subject_mismatch', `${msg.subject} is addressed to ${parsed.dest}, not ${country}`);
    forwardedBy = parsed.origin === header.origin ? undefined : parsed.origin;
    tokens.push({ name: 'Nats-Msg-Id', outside: msg.msgId, signed: `${header.id}.fwd.${country}` });
  } else {
    if (parsed.type !== 'alert') reject('subject_mismatch', `${msg.subject} is not an alert subject`);
    tokens.push(
      { name: 'network', outside: parsed.network, signed: header.network },
      { name: 'kind', outside: parsed.kind, signed: kind },
      { name: 'origin', outside: parsed.origin, signed: header.origin },
      { name: 'Nats-Msg-Id', outside: msg.msgId, signed: header.id },
    );
  }

  // 3.–6. the key as registered, the signature, the signed time, could the origin publish it then
  const kid = kidOf(signed.protectedHeader);
  const { decision: publish } = await verifyEnvelope(
    {
      signer: header.origin,
      kid,
      issuedAt,
      storedAt,
      timeRule: ctx.timeRule,
      tokens,
      async verifySignature(publicKey) {
        try {
          await verifySignedAlert(
            { alert: signed.alert, protectedHeader: signed.protectedHeader, signature: signed.signature },
            { resolve: (k) => Promise.resolve(k === kid ? publicKey : undefined) },
            { at },
          );
          return true;
        } catch (cause) {
          const code = (cause as { code?: unknown }).code;
          if (code === 'ERR_JWS_MALFORMED')
            reject('malformed', 'the JWS protected header is not an Enlace header', cause);
          if (code === 'ERR_KEY_OUTSIDE_VALIDITY')
            reject('expired_key', `key ${kid} was not valid at ${at.toISOString()}`, cause);
          reject('bad_signature', `the signature does not verify with ${kid}`, cause);
        }
      },
      policy: (view, when) =>
        view.policy.evaluatePublish({ origin: header.origin, network: header.network, kind, at: when }),
    },
    trust,
  );

  // 7. may this country receive it?
  const restricted = header.recipients.length > 0;
  let rules: readonly string[] = publish?.rules ?? [];
  let bodyReadable = true;
  if (header.origin !== country) {
    const now = ctx.now ?? new Date();
    const query = {
      receiver: country,
      origin: header.origin,
      network: header.network,
      kind,
      recipients: header.recipients,
      handling,
      at,
      receivedAt: now > at ? now : at,
    };
    let receive: PolicyDecision = trust.policy.evaluateReceive(query);
    if (!receive.allowed && receive.reason === 'not_recipient' && restricted) {
      // Restricted to others: entitled to the header (who sent what, when), not to the body.
      receive = trust.policy.evaluateReceive({ ...query, recipients: [] });
      bodyReadable = false;
    }
    if (!receive.allowed) reject('not_recipient', receive.message);
    rules = receive.rules;
    if (forwardedBy !== undefined) {
      // Passed on by a third country: it must have been allowed to (handling H2/H3, recipients).
      const forward = trust.policy.evaluateForward({
        ...query,
        from: forwardedBy,
        to: country,
        forwardedAt: query.receivedAt,
        ...(ctx.consent !== undefined && { consent: ctx.consent }),
      });
      if (!forward.allowed) reject('not_recipient', `forwarded by ${forwardedBy}: ${forward.message}`);
    }
  } else if (restricted) {
    // The origin keeps its own restricted alerts; the outbox holds the clear body it sent.
    bodyReadable = false;
  }

  let body: AlertBody['body'] = undefined;
  let { title, summary } = header;
  if (alert.body?.$case === 'encrypted') {
    if (ctx.encryptionKeys === undefined) bodyReadable = false;
    else if (bodyReadable) {
      const plain = await openBody(alert.body.encrypted.jwe, header, ctx.encryptionKeys, ctx);
      ({ body, title, summary } = plain);
    }
  } else {
    body = alert.body;
  }
  return {
    alert,
    signed,
    kid,
    issuedAt,
    judgedAt: at,
    kind,
    handling,
    body,
    title,
    summary,
    restricted,
    bodyReadable,
    rules,
    registryRevision: trust.revision,
    ...(forwardedBy !== undefined && { forwardedBy }),
  };
}

async function openBody(
  jwe: string,
  header: { readonly kind: AlertKind; readonly retractsId: string },
  encryptionKeys: ReadonlyMap<string, PrivateKeyRecord>,
  ctx: VerifyContext,
): Promise<AlertBody> {
  let recipients: string[];
  try {
    recipients = listJweRecipients(jwe);
  } catch (cause) {
    reject('malformed', 'the encrypted body is not a JWE in general JSON serialization', cause);
  }
  const key = recipients.map((kid) => encryptionKeys.get(kid)).find((k) => k !== undefined);
  if (key === undefined)
    reject('malformed', `the encrypted body has no entry for a key of ${ctx.country} this node holds`);
  let body: AlertBody;
  try {
    body = decodeAlertBody(await decryptForRecipient(jwe, key));
  } catch (cause) {
    reject('malformed', `the encrypted body does not open with ${key.kid}`, cause);
  }
  // A restricted retraction's plaintext holds only its title and summary.
  const retraction = header.retractsId !== '';
  const violations = validateAlertBody(body, { retraction });
  if (violations.length > 0 || (!retraction && alertKindOfBody(body.body) !== header.kind))
    reject('malformed', 'the decrypted body breaks the schema or is not of the header kind');
  return body;
}
