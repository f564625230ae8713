import {
  encryptForRecipients,
  generateEncryptionKey,
  generateSigningKey,
  importPrivateKey,
  importPublicKey,
} from '@enlace/crypto';
import type { EncryptionKeyPair, PrivateKeyRecord, SigningKeyPair } from '@enlace/crypto';
import {
  ConsentPurpose,
  HandlingCode,
  Priority,
  Request,
  RequestType,
  TlpMarking,
  encodeRequestBody,
} from '@enlace/schema';
import { beforeAll, describe, expect, it } from 'vitest';

import type { TrustView } from './trust-view.js';
import {
  requestMsgId,
  requestProblem,
  signRequest,
  verifyConsentGrant,
  verifyRequest,
} from './verify-request.js';

let mx: SigningKeyPair;
let gtEnc: EncryptionKeyPair;
let gtKeys: Map<string, PrivateKeyRecord>;
let trust: TrustView;
let mxStatus: 'member' | 'suspended' = 'member';

const ID = '0193a000-0000-7000-8000-000000000001';
const ALERT = '0193a000-0000-7000-8000-0000000000aa';
const AT = new Date('2026-11-26T12:00:00.000Z');

beforeAll(async () => {
  mx = await generateSigningKey({ country: 'MX', kid: 'MX-sig-2026-01' });
  gtEnc = await generateEncryptionKey({ country: 'GT', kid: 'GT-enc-2026-01' });
  gtKeys = new Map([[gtEnc.kid, importPrivateKey(gtEnc.privateJwk, 'enc')]]);
  const record = {
    kid: mx.kid,
    country: 'MX',
    use: 'sig',
    publicJwk: mx.publicJwk,
    notBefore: '2026-01-01T00:00:00.000Z',
  };
  trust = {
    revision: 7,
    key: (kid: string) => (kid === mx.kid ? record : undefined),
    policy: { statusAt: (country: string) => (country === 'MX' ? mxStatus : 'member') },
    publicKey: (kid: string) => (kid === mx.kid ? importPublicKey(mx.publicJwk, 'sig') : undefined),
  } as unknown as TrustView;
});

async function information(extra: Partial<{ to: string[]; issuedAt: Date }> = {}): Promise<Request> {
  const jwe = await encryptForRecipients(
    encodeRequestBody({ subject: 'Serie G12', text: '¿Detecciones?', references: undefined }),
    [{ kid: gtEnc.kid, publicJwk: gtEnc.publicJwk }],
  );
  return Request.fromPartial({
    header: {
      id: ID,
      threadId: ID,
      from: 'MX',
      to: extra.to ?? ['GT'],
      type: RequestType.REQUEST_TYPE_INFORMATION,
      issuedAt: extra.issuedAt ?? AT,
      handling: HandlingCode.HANDLING_CODE_H0,
      tlp: TlpMarking.TLP_MARKING_AMBER,
    },
    content: { $case: 'information', information: { priority: Priority.PRIORITY_URGENT } },
    encryptedBody: jwe,
  });
}

const ctx = () => ({ country: 'GT', trust, encryptionKeys: gtKeys });
const reasonOf = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (error: { reason?: string }) => error.reason ?? 'no reason',
  );

describe('verifyRequest', () => {
  it('accepts a request signed by its sender and opens the body for an addressee', async () => {
    const data = signRequest(await information(), importPrivateKey(mx.privateJwk, 'sig'));
    const verified = await verifyRequest(
      { subject: 'enlace.v1.direct.GT.MX', data, msgId: requestMsgId(ID, 'GT'), storedAt: AT },
      ctx(),
    );
    expect(verified.header.from).toBe('MX');
    expect(verified.kid).toBe(mx.kid);
    expect(verified.body).toMatchObject({ subject: 'Serie G12', text: '¿Detecciones?' });
    expect(verified.registryRevision).toBe(7);
  });

  it('refuses each fault with its stable reason', async () => {
    const key = importPrivateKey(mx.privateJwk, 'sig');
    const data = signRequest(await information(), key);
    const msg = { subject: 'enlace.v1.direct.GT.MX', data, msgId: requestMsgId(ID, 'GT'), storedAt: AT };
    const flipped = Uint8Array.from(data);
    flipped[flipped.length - 3]! ^= 1;
    expect(await reasonOf(verifyRequest({ ...msg, data: flipped }, ctx()))).toBe('bad_signature');
    expect(await reasonOf(verifyRequest({ ...msg, data: new Uint8Array([1, 2, 3]) }, ctx()))).toBe(
      'malformed',
    );
    expect(await reasonOf(verifyRequest({ ...msg, subject: 'enlace.v1.direct.GT.HN' }, ctx()))).toBe(
      'subject_mismatch',
    );
    expect(await reasonOf(verifyRequest({ ...msg, msgId: ID }, ctx()))).toBe('subject_mismatch');
    expect(
      await reasonOf(
        verifyRequest({ ...msg, subject: 'enlace.v1.direct.HN.MX' }, { ...ctx(), country: 'HN' }),
      ),
    ).toBe('subject_mismatch');
    expect(
      await reasonOf(verifyRequest({ ...msg, storedAt: new Date(AT.getTime() + 3 * 86_400_000) }, ctx())),
    ).toBe('backdated');
    mxStatus = 'suspended';
    try {
      expect(await reasonOf(verifyRequest(msg, ctx()))).toBe('origin_suspended');
    } finally {
      mxStatus = 'member';
    }
  });

  it('names the first form problem: a thread id, a reply without in_reply_to, the sender among the addressees', async () => {
    const r = await information();
    expect(requestProblem(r)).toBeUndefined();
    expect(requestProblem({ ...r, header: { ...r.header!, to: ['MX'] } })).toMatch(/^header\.to/);
    expect(requestProblem({ ...r, header: { ...r.header!, threadId: ALERT } })).toMatch(/^header\.threadId/);
    expect(
      requestProblem({
        ...r,
        header: { ...r.header!, type: RequestType.REQUEST_TYPE_REPLY },
        content: { $case: 'reply', reply: { closesThread: false, withdraws: false } },
      }),
    ).toMatch(/^header\.inReplyTo/);
  });
});

describe('verifyConsentGrant', () => {
  async function decision(granted: boolean, toCountry = 'PA', issuedAt = AT): Promise<Uint8Array> {
    const r = await information();
    return signRequest(
      Request.fromPartial({
        ...r,
        header: {
          ...r.header!,
          id: '0193a000-0000-7000-8000-000000000002',
          type: RequestType.REQUEST_TYPE_CONSENT_DECISION,
          inReplyTo: ID,
          issuedAt,
        },
        content: {
          $case: 'consentDecision',
          consentDecision: {
            consentRequestId: ID,
            alertId: ALERT,
            holder: 'GT',
            purpose: ConsentPurpose.CONSENT_PURPOSE_FORWARD,
            toCountry,
            granted,
          },
        },
      }),
      importPrivateKey(mx.privateJwk, 'sig'),
    );
  }
  const check = {
    alertId: ALERT,
    origin: 'MX',
    holder: 'GT',
    to: 'PA',
    storedAt: new Date(AT.getTime() + 86_400_000 * 5),
  };

  it('accepts the origin’s grant for this alert, holder and destination, however old', async () => {
    await expect(verifyConsentGrant(await decision(true), check, trust)).resolves.toMatchObject({
      grantedBy: 'MX',
      holder: 'GT',
      to: 'PA',
      alertId: ALERT,
      kid: mx.kid,
    });
  });

  it('refuses a refusal, a grant for another country or alert, one not by the origin, and one newer than the forward', async () => {
    expect(await reasonOf(verifyConsentGrant(await decision(false), check, trust))).toBe('not_recipient');
    expect(await reasonOf(verifyConsentGrant(await decision(true, 'SV'), check, trust))).toBe(
      'not_recipient',
    );
    expect(await reasonOf(verifyConsentGrant(await decision(true), { ...check, alertId: ID }, trust))).toBe(
      'not_recipient',
    );
    expect(await reasonOf(verifyConsentGrant(await decision(true), { ...check, origin: 'HN' }, trust))).toBe(
      'not_recipient',
    );
    expect(
      await reasonOf(
        verifyConsentGrant(
          await decision(true, 'PA', new Date(check.storedAt.getTime() + 3_600_000)),
          check,
          trust,
        ),
      ),
    ).toBe('issued_in_future');
  });
});
