/**
 * The request bodies and query strings of the registry API as zod schemas. They check shape
 * (types, required fields, unknown fields); the RegistryService checks the rules (known country,
 * free kid, no overlapping validity). The same schemas give the OpenAPI document its JSON Schemas.
 */
import { ALERT_KINDS, HANDLING_CODES, isInstant, MEMBERSHIP_ROLES } from '@enlace/policy';
import { z } from 'zod';

import { CONTACT_CHANNELS, FOCAL_POINT_ROLES } from '../domain/model.js';

const text = z.string().trim().min(1, { message: 'must not be empty' });

export const instant = z
  .string()
  .refine(isInstant, {
    message: 'must be an RFC 3339 UTC instant (e.g. 2026-03-01T00:00:00.000Z)',
    params: { code: 'invalid_format' },
  })
  .meta({ format: 'date-time', example: '2026-03-01T00:00:00.000Z' });

export const countryCode = z
  .string()
  .regex(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 code (two upper-case letters)' })
  .meta({ example: 'MX' });

export const networkId = z
  .string()
  .max(64)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, {
    message: 'must be a lower-case network id such as trafficking-liaison',
  })
  .meta({ example: 'trafficking-liaison' });

const reason = text.max(2000).meta({ description: 'Why, in words (kept in the audit trail).' });
const decision = text
  .max(500)
  .meta({ description: 'The decision the change rests on.', example: 'XVII RCM (Panama, 2012), decision 6' });

const names = z
  .strictObject({ en: text, es: text, fr: text, pt: text })
  .meta({ description: 'Names in the four working languages.' });

export const admitCountryBody = z
  .strictObject({
    code: countryCode,
    names: names.optional(),
    status: z.enum(['member', 'observer']),
    effectiveAt: instant.optional(),
    reason: reason.optional(),
    decision: decision.optional(),
  })
  .meta({ description: 'Admit a country as member or observer (names required when new).' });

export const statusChangeBody = z
  .strictObject({ reason, decision: decision.optional(), effectiveAt: instant.optional() })
  .meta({ description: 'Suspend, reinstate or withdraw a country.' });

export const addMembershipBody = z.strictObject({
  country: countryCode,
  network: networkId,
  role: z.enum(MEMBERSHIP_ROLES),
  validFrom: instant.optional(),
  validUntil: instant.optional(),
  reason: reason.optional(),
  decision: decision.optional(),
});

export const endMembershipBody = z.strictObject({
  country: countryCode,
  network: networkId,
  role: z.enum(MEMBERSHIP_ROLES),
  at: instant.optional().meta({ description: 'When it ends; default now.' }),
  reason,
  decision: decision.optional(),
});

export const addFocalPointBody = z.strictObject({
  id: z
    .string()
    .max(64)
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { message: 'must be a lower-case slug' })
    .optional()
    .meta({ example: 'mx-inm-liaison-1' }),
  kind: z.enum(['person', 'unit']),
  name: text.max(200),
  agency: text.max(200),
  role: z.enum(FOCAL_POINT_ROLES),
  country: countryCode,
  networks: z.array(networkId).min(1, { message: 'at least one network' }),
  contact: z.strictObject({ channel: z.enum(CONTACT_CHANNELS), address: text.max(320) }),
  reason: reason.optional(),
  decision: decision.optional(),
});

export const reasonBody = z
  .strictObject({ reason, decision: decision.optional() })
  .meta({ description: 'Why (and on what decision) a focal point is deactivated.' });

const publicJwk = z
  .record(z.string(), z.unknown())
  .meta({ description: 'Public OKP JWK with kid (Ed25519 for sig, X25519 for enc); never "d".' });

export const registerKeyBody = z.strictObject({
  country: countryCode,
  publicJwk,
  notBefore: instant.optional(),
  notAfter: instant.optional(),
  reason: reason.optional(),
  decision: decision.optional(),
});

export const rotateKeyBody = z.strictObject({
  country: countryCode,
  publicJwk,
  at: instant.optional().meta({ description: 'When the new key takes over; default now.' }),
  notAfter: instant.optional(),
  reason: reason.optional(),
  decision: decision.optional(),
});

export const revokeKeyBody = z.strictObject({
  reason,
  at: instant.optional().meta({ description: 'From when the key verifies nothing; default now.' }),
  decision: decision.optional(),
});

export const revokeTokenBody = z
  .strictObject({ reason, decision: decision.optional() })
  .meta({ description: 'Why (and on what decision) a token is revoked.' });

export const decideBody = z
  .strictObject({
    action: z.enum(['publish', 'receive']),
    network: networkId,
    kind: z.enum(ALERT_KINDS),
    origin: countryCode,
    receiver: countryCode.optional().meta({ description: 'For receive: the receiving country.' }),
    recipients: z.array(countryCode).optional(),
    handling: z.enum(HANDLING_CODES).optional(),
    at: instant.optional(),
  })
  .meta({ description: 'May origin publish (or receiver receive) this kind of alert?' });

const booleanParam = z.enum(['true', 'false']).transform((value) => value === 'true');

export const membershipsQuery = z.strictObject({
  country: countryCode.optional(),
  network: networkId.optional(),
  activeAt: instant.optional(),
});

export const focalPointsQuery = z.strictObject({
  country: countryCode.optional(),
  network: networkId.optional(),
  role: z.enum(FOCAL_POINT_ROLES).optional(),
  active: booleanParam.optional(),
});

export const keysQuery = z.strictObject({
  country: countryCode.optional(),
  use: z.enum(['sig', 'enc']).optional(),
  active: booleanParam.optional(),
  activeAt: instant.optional(),
});

export const auditQuery = z.strictObject({
  actor: text.max(200).optional(),
  action: text.max(200).optional(),
  entity: text.max(64).optional(),
  entityId: text.max(200).optional(),
  since: instant.optional(),
  until: instant.optional(),
  before: z
    .string()
    .regex(/^[0-9]+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(1))
    .optional(),
  limit: z
    .string()
    .regex(/^[0-9]+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(1).max(1000))
    .optional(),
});

export const snapshotQuery = z.strictObject({ format: z.enum(['jose', 'json']).optional() });

/** Bodies the OpenAPI document describes, by schema name. */
export const REQUEST_SCHEMAS = {
  AdmitCountryRequest: admitCountryBody,
  StatusChangeRequest: statusChangeBody,
  AddMembershipRequest: addMembershipBody,
  EndMembershipRequest: endMembershipBody,
  AddFocalPointRequest: addFocalPointBody,
  ReasonRequest: reasonBody,
  RegisterKeyRequest: registerKeyBody,
  RotateKeyRequest: rotateKeyBody,
  RevokeKeyRequest: revokeKeyBody,
  RevokeTokenRequest: revokeTokenBody,
  DecideRequest: decideBody,
} as const;
