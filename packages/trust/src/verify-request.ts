/**
 * The request front end of the envelope core: requests for information, replies, consent
 * requests and consent decisions between focal points (enlace.rfi.v1), received on
 * `enlace.v1.direct.<this country>.<from>` with the header `Enlace-Type: request`
 * (REQUEST_MESSAGE_TYPE) and `Nats-Msg-Id` `<id>.<this country>` (one copy per addressee). In
 * order, each failure a RejectMessage with the stable reason alerts use:
 *
 * 1. `malformed`: not a SignedRequest holding a well-formed Request (ids, countries, type, times),
 *    or its JWS header is unreadable, or the encrypted body does not open with a key of this
 *    country;
 * 2. `subject_mismatch`: the subject's sender differs from `header.from`, the subject's
 *    destination is not one of `header.to`, or the Nats-Msg-Id is not `<id>.<destination>`;
 * 3.–6. verifyEnvelope: the key of the sender valid at the stored time, the RFC 7797 signature
 *    over the exact Request bytes, issued_at within the time rule (`backdated`,
 *    `issued_in_future`), the sender a member or observer then (`origin_suspended`, ...).
 *
 * verifyConsentGrant checks a ConsentDecision that travels with a forwarded alert (header
 * `Enlace-Consent`): signed by the alert's origin, a grant, for this alert, this holder and this
 * destination only, with a key valid when the forward was stored.
 */
import { decryptForRecipient, listJweRecipients, signAlertSync, verifySignedAlert } from '@enlace/crypto';
import type { PrivateKeyRecord, PrivateSigningJwk, PublicKeyRecord } from '@enlace/crypto';
import type { Request, RequestBody, RequestHeader, SignedRequest } from '@enlace/schema';
import {
  ConsentPurpose,
  RequestType,
  decodeRequest,
  decodeRequestBody,
  decodeSignedRequest,
  encodeRequest,
  encodeSignedRequest,
  isCountryCode,
  isUuidV7,
} from '@enlace/schema';
import { isRejectMessage, parseMessageSubject } from '@enlace/transport';

import { rejectEnvelope as reject, verifyEnvelope } from './envelope.js';
import { judgedAt } from './time-rule.js';
import type { TimeRule } from './time-rule.js';
import type { TrustView } from './trust-view.js';
import { kidOf } from './verify-inbound.js';
import type { InboundMessage, VerifyContext } from './verify-inbound.js';

/** The NATS header that tells a request from a forwarded alert on a direct subject. */
export const REQUEST_TYPE_HEADER = 'Enlace-Type';
/** Its value for a SignedRequest. */
export const REQUEST_MESSAGE_TYPE = 'request';
/** The NATS header carrying a forward's consent: base64url of the SignedRequest of the grant. */
export const CONSENT_HEADER = 'Enlace-Consent';

/**
 * Signs a request exactly as an alert (crypto's signAlertSync: RFC 7797, detached, over the
 * exact serialized Request) and returns the SignedRequest bytes that travel.
 */
export function signRequest(
  request: Request,
  key: PrivateSigningJwk | PrivateKeyRecord,
  options: { at?: Date } = {},
): Uint8Array {
  const parts = signAlertSync(encodeRequest(request), key, options);
  return encodeSignedRequest({
    request: parts.alert,
    protectedHeader: parts.protectedHeader,
    signature: parts.signature,
  });
}

/** The `Nats-Msg-Id` of the copy of request `id` addressed to `dest`. */
export function requestMsgId(id: string, dest: string): string {
  return `${id}.${dest}`;
}

const CONTENT_OF: Readonly<Record<string, RequestType>> = {
  information: RequestType.REQUEST_TYPE_INFORMATION,
  reply: RequestType.REQUEST_TYPE_REPLY,
  consent: RequestType.REQUEST_TYPE_CONSENT,
  consentDecision: RequestType.REQUEST_TYPE_CONSENT_DECISION,
};

export interface VerifiedRequest {
  readonly request: Request;
  readonly header: RequestHeader;
  readonly signed: SignedRequest;
  readonly kid: string;
  /** The instant it was judged at: the stored time (issuedAt off the broker). */
  readonly judgedAt: Date;
  /** The decrypted body; undefined when this verifier holds no key of an addressee. */
  readonly body: RequestBody | undefined;
  readonly registryRevision: number;
}

/** As for alerts (VerifyContext), without `now` and `consent`. */
export type VerifyRequestContext = Omit<VerifyContext, 'now' | 'consent'>;

/** The form of a Request: what every receiver relies on before the signature is checked. */
export function requestProblem(request: Request): string | undefined {
  const h = request.header;
  if (h === undefined) return 'header: required';
  if (!isUuidV7(h.id)) return 'header.id: not a UUIDv7';
  if (!isUuidV7(h.threadId)) return 'header.threadId: not a UUIDv7';
  if (!isCountryCode(h.from)) return 'header.from: not a country code';
  if (h.to.length === 0 || h.to.length > 32) return 'header.to: one to 32 countries';
  if (h.to.some((c) => !isCountryCode(c) || c === h.from) || new Set(h.to).size !== h.to.length)
    return 'header.to: distinct country codes other than header.from';
  if (h.issuedAt === undefined) return 'header.issuedAt: required';
  if (h.expiresAt !== undefined && h.expiresAt <= h.issuedAt) return 'header.expiresAt: not after issuedAt';
  const content = request.content;
  if (content === undefined || CONTENT_OF[content.$case] !== h.type)
    return 'content: missing or not of header.type';
  if (h.inReplyTo !== '' && !isUuidV7(h.inReplyTo)) return 'header.inReplyTo: not a UUIDv7';
  if (content.$case === 'information' && h.threadId !== h.id)
    return 'header.threadId: a request for information opens its own thread';
  if (content.$case === 'reply' && h.inReplyTo === '') return 'header.inReplyTo: required in a reply';
  if (content.$case === 'consent') {
    const c = content.consent;
    if (!isUuidV7(c.alertId)) return 'consent.alertId: not a UUIDv7';
    if (c.purpose === ConsentPurpose.CONSENT_PURPOSE_FORWARD && !isCountryCode(c.toCountry))
      return 'consent.toCountry: required to forward';
    if (
      c.purpose !== ConsentPurpose.CONSENT_PURPOSE_FORWARD &&
      c.purpose !== ConsentPurpose.CONSENT_PURPOSE_JUDICIAL_USE
    )
      return 'consent.purpose: unknown';
    if (h.to.length !== 1) return 'header.to: a consent request goes to the alert origin only';
  }
  if (content.$case === 'consentDecision') {
    const d = content.consentDecision;
    if (!isUuidV7(d.alertId) || !isUuidV7(d.consentRequestId))
      return 'consentDecision: alertId and consentRequestId must be UUIDv7';
    if (!isCountryCode(d.holder) || !h.to.includes(d.holder))
      return 'consentDecision.holder: must be an addressee';
    if (d.purpose === ConsentPurpose.CONSENT_PURPOSE_FORWARD && !isCountryCode(d.toCountry))
      return 'consentDecision.toCountry: required to forward';
    if (h.inReplyTo !== d.consentRequestId)
      return 'header.inReplyTo: must be consentDecision.consentRequestId';
  }
  if (request.encryptedBody === '') return 'encryptedBody: required';
  return undefined;
}

function decodeSigned(data: Uint8Array): { signed: SignedRequest; request: Request } {
  let signed: SignedRequest;
  let request: Request;
  try {
    signed = decodeSignedRequest(data);
    request = decodeRequest(signed.request);
  } catch (cause) {
    reject('malformed', 'not a SignedRequest holding a Request', cause);
  }
  const problem = requestProblem(request);
  if (problem !== undefined) reject('malformed', `the request breaks the schema (${problem})`);
  return { signed, request };
}

/** The RFC 7797 check of a SignedRequest: the same function, and header rules, as alerts. */
function signatureCheck(
  signed: SignedRequest,
  kid: string,
  at: Date,
): (publicKey: PublicKeyRecord) => Promise<boolean> {
  return async (publicKey) => {
    try {
      await verifySignedAlert(
        { alert: signed.request, protectedHeader: signed.protectedHeader, signature: signed.signature },
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
  };
}

/** Runs every check on a request message; resolves with what to store, or throws RejectMessage. */
export async function verifyRequest(
  msg: InboundMessage,
  ctx: VerifyRequestContext,
): Promise<VerifiedRequest> {
  const { country } = ctx;
  const { signed, request } = decodeSigned(msg.data);
  const header = request.header!;
  const issuedAt = header.issuedAt!;
  const at = judgedAt(issuedAt, msg.storedAt);
  const trust = ctx.trustAt === undefined ? ctx.trust : await ctx.trustAt(at);

  let parsed;
  try {
    parsed = parseMessageSubject(msg.subject);
  } catch (cause) {
    reject('subject_mismatch', `${msg.subject} is not a direct subject`, cause);
  }
  if (parsed.type !== 'direct') reject('subject_mismatch', `${msg.subject} is not a direct subject`);
  if (parsed.dest !== country)
    reject('subject_mismatch', `${msg.subject} is addressed to ${parsed.dest}, not ${country}`);
  if (!header.to.includes(country))
    reject('subject_mismatch', `the request is addressed to ${header.to.join(', ')}, not to ${country}`);

  const kid = kidOf(signed.protectedHeader);
  await verifyEnvelope(
    {
      signer: header.from,
      kid,
      issuedAt,
      storedAt: msg.storedAt,
      timeRule: ctx.timeRule,
      tokens: [
        { name: 'origin', outside: parsed.origin, signed: header.from },
        { name: 'Nats-Msg-Id', outside: msg.msgId, signed: requestMsgId(header.id, country) },
      ],
      verifySignature: signatureCheck(signed, kid, at),
    },
    trust,
  );

  let body: RequestBody | undefined;
  if (ctx.encryptionKeys !== undefined)
    body = await openRequestBody(request.encryptedBody, ctx.encryptionKeys, country);
  return { request, header, signed, kid, judgedAt: at, body, registryRevision: trust.revision };
}

/** Opens Request.encrypted_body with one of `keys`; throws RejectMessage `malformed`. */
export async function openRequestBody(
  jwe: string,
  keys: ReadonlyMap<string, PrivateKeyRecord>,
  country: string,
): Promise<RequestBody> {
  let recipients: string[];
  try {
    recipients = listJweRecipients(jwe);
  } catch (cause) {
    reject('malformed', 'the encrypted body is not a JWE in general JSON serialization', cause);
  }
  const key = recipients.map((kid) => keys.get(kid)).find((k) => k !== undefined);
  if (key === undefined)
    reject('malformed', `the encrypted body has no entry for a key of ${country} held here`);
  try {
    return decodeRequestBody(await decryptForRecipient(jwe, key));
  } catch (cause) {
    reject('malformed', `the encrypted body does not open with ${key.kid}`, cause);
  }
}

/** What a forward's consent must say, and when the forward was stored. */
export interface ConsentCheck {
  readonly alertId: string;
  /** The alert's origin: the only country that may grant. */
  readonly origin: string;
  /** The country passing the alert on. */
  readonly holder: string;
  /** The country receiving it. */
  readonly to: string;
  /** When JetStream stored the forward: the grant's key must be valid then, and the grant older. */
  readonly storedAt?: Date | undefined;
  readonly timeRule?: TimeRule | undefined;
}

export interface VerifiedConsent {
  readonly id: string;
  readonly grantedBy: string;
  readonly holder: string;
  readonly to: string;
  readonly alertId: string;
  readonly kid: string;
  readonly issuedAt: Date;
}

/**
 * Checks a consent grant (a SignedRequest of type consent decision) for one forward; throws
 * RejectMessage: `malformed` (not a grant, or not this alert, holder or destination),
 * `unknown_key` ... `bad_signature` as for any envelope, `issued_in_future` for a grant newer
 * than the forward, `origin_suspended` / `origin_not_member` for a granting country not in good
 * standing when the forward was stored, `not_recipient` when the grant is for another use or
 * has expired.
 */
export async function verifyConsentGrant(
  data: Uint8Array,
  check: ConsentCheck,
  trust: TrustView,
): Promise<VerifiedConsent> {
  const { signed, request } = decodeSigned(data);
  const header = request.header!;
  if (request.content?.$case !== 'consentDecision')
    reject('malformed', 'the consent is not a consent decision');
  const decision = request.content.consentDecision;
  if (
    !decision.granted ||
    decision.purpose !== ConsentPurpose.CONSENT_PURPOSE_FORWARD ||
    decision.alertId !== check.alertId ||
    decision.holder !== check.holder ||
    decision.toCountry !== check.to
  )
    reject(
      'not_recipient',
      `the consent ${header.id} does not grant ${check.holder} to forward alert ${check.alertId} to ${check.to}`,
    );
  const issuedAt = header.issuedAt!;
  const at = check.storedAt ?? new Date();
  if (header.expiresAt !== undefined && header.expiresAt <= at)
    reject('not_recipient', `the consent ${header.id} expired at ${header.expiresAt.toISOString()}`);
  const kid = kidOf(signed.protectedHeader);
  try {
    await verifyEnvelope(
      {
        signer: header.from,
        kid,
        issuedAt,
        // Judged when the forward was stored: a grant backdated past a revocation fails.
        storedAt: check.storedAt,
        // A grant may be old; it must not be newer than the forward.
        timeRule: {
          maxClockSkewMs: (check.timeRule ?? { maxClockSkewMs: 120_000 }).maxClockSkewMs,
          maxDeliveryDelayMs: Number.MAX_SAFE_INTEGER,
        },
        tokens: [{ name: 'origin', outside: check.origin, signed: header.from }],
        verifySignature: signatureCheck(signed, kid, judgedAt(issuedAt, check.storedAt)),
      },
      trust,
    );
  } catch (cause) {
    if (isRejectMessage(cause) && cause.reason === 'subject_mismatch')
      reject('not_recipient', `the consent was not granted by the alert's origin ${check.origin}`, cause);
    throw cause;
  }
  return {
    id: header.id,
    grantedBy: header.from,
    holder: decision.holder,
    to: decision.toCountry,
    alertId: decision.alertId,
    kid,
    issuedAt,
  };
}
