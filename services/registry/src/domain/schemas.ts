/**
 * zod schemas of the registry's entities and command inputs. Shapes follow model.ts and
 * service.ts field for field; unknown fields are refused (a misspelt field would otherwise be
 * dropped silently).
 */
import {
  ALERT_KINDS,
  COUNTRY_STATUSES,
  HANDLING_CODES,
  MEMBERSHIP_ROLES,
  POLICY_ACTIONS,
  RULE_EFFECTS,
} from '@enlace/policy';
import { z } from 'zod';

import { CONTACT_CHANNELS, FOCAL_POINT_ROLES } from './model.js';
import { countryCodeSchema, instantSchema, namesSchema, slugSchema, text } from './validation.js';

const ruleIdSchema = z
  .string()
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, { message: 'must be letters, digits, ".", "_", ":" and "-"' });

export const legalBasisSchema = z.strictObject({ conference: text, decision: text, text });

export const statusChangeSchema = z.strictObject({
  status: z.enum(COUNTRY_STATUSES),
  effectiveAt: instantSchema,
  actor: text.optional(),
  reason: text.optional(),
  decision: text.optional(),
});

export const countryRecordSchema = z.strictObject({
  code: countryCodeSchema,
  names: namesSchema,
  statusHistory: z.array(statusChangeSchema).min(1, { message: 'must have at least one status' }),
});

export const networkSchema = z.strictObject({
  id: slugSchema,
  names: namesSchema,
  mandate: namesSchema,
  basis: z.array(legalBasisSchema).min(1, { message: 'must cite at least one decision' }),
  kinds: z.array(z.enum(ALERT_KINDS)).min(1),
  roles: z.array(z.enum(MEMBERSHIP_ROLES)).min(1),
});

export const ruleSchema = z.strictObject({
  id: ruleIdSchema,
  description: text.optional(),
  effect: z.enum(RULE_EFFECTS),
  action: z.enum(POLICY_ACTIONS),
  networks: z.array(slugSchema).min(1).optional(),
  kinds: z.array(z.enum(ALERT_KINDS)).min(1).optional(),
  roles: z.array(z.enum(MEMBERSHIP_ROLES)).min(1).optional(),
  countries: z.array(countryCodeSchema).min(1).optional(),
  statuses: z.array(z.enum(COUNTRY_STATUSES)).min(1).optional(),
  validFrom: instantSchema.optional(),
  validUntil: instantSchema.optional(),
  basis: z.array(legalBasisSchema).min(1, { message: 'must cite at least one decision' }),
});

export const glossaryTermSchema = z.strictObject({
  id: slugSchema,
  category: text,
  labels: namesSchema,
  definitions: namesSchema,
  source: text.optional(),
});

const contactSchema = z
  .strictObject({ channel: z.enum(CONTACT_CHANNELS), address: text.max(320) })
  .superRefine((contact, ctx) => {
    if (contact.channel === 'email' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(contact.address))
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message: 'is not an e-mail address',
        params: { code: 'invalid_format' },
      });
  });

/** What designates a focal point: the same in a seed record and in the command's input. */
const focalPointFields = {
  kind: z.enum(['person', 'unit']),
  name: text.max(200),
  agency: text.max(200),
  role: z.enum(FOCAL_POINT_ROLES),
  country: countryCodeSchema,
  networks: z.array(slugSchema).min(1),
  contact: contactSchema,
};

export const focalPointRecordSchema = z.strictObject({
  id: slugSchema,
  ...focalPointFields,
  active: z.boolean(),
  createdAt: instantSchema,
  deactivatedAt: instantSchema.optional(),
  deactivationReason: text.optional(),
});

/** A window check: `until` (if any) later than `from` (if any). */
function windowCheck(from: string, until: string) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx) => {
    const a = value[from];
    const b = value[until];
    if (typeof a === 'string' && typeof b === 'string' && Date.parse(b) <= Date.parse(a))
      ctx.addIssue({
        code: 'custom',
        path: [until],
        message: `must be later than ${from}`,
        params: { code: 'empty_interval' },
      });
  };
}

export const seedMembershipSchema = z
  .strictObject({
    country: countryCodeSchema,
    network: slugSchema,
    role: z.enum(MEMBERSHIP_ROLES),
    validFrom: instantSchema,
    validUntil: instantSchema.optional(),
  })
  .superRefine(windowCheck('validFrom', 'validUntil'));

// ---- command inputs ---------------------------------------------------------------------------

export const admitCountryInputSchema = z.strictObject({
  code: countryCodeSchema,
  names: namesSchema.optional(),
  status: z.enum(['member', 'observer']),
  effectiveAt: instantSchema.optional(),
});

export const statusChangeInputSchema = z.strictObject({
  code: countryCodeSchema,
  effectiveAt: instantSchema.optional(),
});

export const addMembershipInputSchema = z
  .strictObject({
    country: countryCodeSchema,
    network: slugSchema,
    role: z.enum(MEMBERSHIP_ROLES),
    validFrom: instantSchema.optional(),
    validUntil: instantSchema.optional(),
  })
  .superRefine(windowCheck('validFrom', 'validUntil'));

export const removeMembershipInputSchema = z.strictObject({
  country: countryCodeSchema,
  network: slugSchema,
  role: z.enum(MEMBERSHIP_ROLES),
  at: instantSchema.optional(),
});

export const addFocalPointInputSchema = z.strictObject({
  id: slugSchema.optional(),
  ...focalPointFields,
});

const jwkObject = z.record(z.string(), z.unknown());

export const registerKeyInputSchema = z
  .strictObject({
    country: countryCodeSchema,
    publicJwk: jwkObject,
    notBefore: instantSchema.optional(),
    notAfter: instantSchema.optional(),
  })
  .superRefine(windowCheck('notBefore', 'notAfter'));

export const rotateKeyInputSchema = z
  .strictObject({
    country: countryCodeSchema,
    publicJwk: jwkObject,
    at: instantSchema.optional(),
    notAfter: instantSchema.optional(),
  })
  .superRefine(windowCheck('at', 'notAfter'));

export const revokeTokenInputSchema = z.strictObject({
  jti: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be a token id (1 to 128 characters of A-Z a-z 0-9 _ -)'),
});

export const revokeKeyInputSchema = z.strictObject({
  kid: text.max(128),
  at: instantSchema.optional(),
});

export const decideInputSchema = z.strictObject({
  action: z.enum(['publish', 'receive']),
  network: slugSchema,
  kind: z.enum(ALERT_KINDS),
  origin: countryCodeSchema,
  receiver: countryCodeSchema.optional(),
  recipients: z.array(countryCodeSchema).optional(),
  handling: z.enum(HANDLING_CODES).optional(),
  at: instantSchema.optional(),
});
