import { beforeAll, describe, expect, it } from 'vitest';

import { encryptForRecipients } from './encrypt.js';
import { listJweRecipients, parseGeneralJwe } from './jwe.js';
import { generateEncryptionKey } from './keys.js';

let jwe: string;

type Json = Record<string, unknown> & {
  recipients: Array<Record<string, unknown> & { header: Record<string, unknown> }>;
};

function edit(change: (json: Json) => void): string {
  const json = JSON.parse(jwe) as Json;
  change(json);
  return JSON.stringify(json);
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

beforeAll(async () => {
  const keys = await Promise.all(
    ['GT', 'HN', 'SV'].map((country) => generateEncryptionKey({ country, kid: `${country}-enc-2026-01` })),
  );
  jwe = await encryptForRecipients(
    new Uint8Array([1, 2, 3]),
    keys.map(({ kid, publicJwk }) => ({ kid, publicJwk })),
  );
});

describe('listJweRecipients', () => {
  it('lists the recipient kids in order', () => {
    expect(listJweRecipients(jwe)).toEqual(['GT-enc-2026-01', 'HN-enc-2026-01', 'SV-enc-2026-01']);
  });
});

describe('parseGeneralJwe', () => {
  it('returns the parts of a well-formed JWE', () => {
    const parsed = parseGeneralJwe(jwe);
    expect(parsed.recipients).toHaveLength(3);
    expect(parsed.recipients[1]).toMatchObject({ kid: 'HN-enc-2026-01', header: { alg: 'ECDH-ES+A256KW' } });
    expect(parsed.unprotected).toBeUndefined();
    expect(parsed.aad).toBeUndefined();
  });

  it('rejects every malformation with ERR_JWE_MALFORMED and a precise message', () => {
    const cases: Array<[unknown, string]> = [
      [42, 'must be a string (JSON), not 42'],
      ['nope', 'is not JSON'],
      ['[]', 'must be a JSON object, not an array'],
      [
        edit((json) => (json['header'] = {})),
        'is in flattened serialization; Enlace uses the general JSON serialization ("recipients")',
      ],
      [edit((json) => delete json['protected']), '"protected" must be a base64url string, not nothing'],
      [edit((json) => (json['protected'] = 'e30=')), '"protected" is not canonical unpadded base64url'],
      [
        edit((json) => (json['protected'] = Buffer.from('{"enc"').toString('base64url'))),
        '"protected" is not UTF-8 JSON',
      ],
      [
        edit((json) => (json['protected'] = b64(['A256GCM']))),
        '"protected" must be a JSON object, not an array',
      ],
      [edit((json) => (json['unprotected'] = 'x')), '"unprotected" must be an object, not "x"'],
      [edit((json) => (json['tag'] = 'AAAA')), '"tag" must be 16 bytes in unpadded base64url (A256GCM)'],
      [edit((json) => (json['ciphertext'] = 'A+/=')), '"ciphertext" must be unpadded base64url'],
      [edit((json) => (json['aad'] = 5)), '"aad" must be unpadded base64url'],
      [edit((json) => (json.recipients = [])), '"recipients" must be a non-empty array (got an array)'],
      [
        edit((json) => delete (json as Record<string, unknown>)['recipients']),
        '"recipients" must be a non-empty array (got nothing)',
      ],
      [edit((json) => (json.recipients[1] = 'x' as never)), 'recipients[1] must be an object, not "x"'],
      [
        edit((json) => delete (json.recipients[0] as Record<string, unknown>)['header']),
        'recipients[0] has no "header" object; it must name the recipient\'s kid',
      ],
      [
        edit((json) => delete json.recipients[2]!.header['kid']),
        'recipients[2] "kid" must be 1 to 128 printable ASCII characters (got nothing)',
      ],
      [
        edit((json) => (json.recipients[2]!.header['kid'] = 'GT-enc-2026-01')),
        'recipients[2] repeats kid "GT-enc-2026-01"',
      ],
      [
        edit((json) => (json.recipients[0]!.header['alg'] = 'RSA-OAEP')),
        'recipients[0] "alg" is "RSA-OAEP"; only "ECDH-ES+A256KW" is accepted',
      ],
      [
        edit((json) => (json.recipients[0]!.header['alg'] = 'ECDH-ES')),
        'recipients[0] "alg" is "ECDH-ES"; only "ECDH-ES+A256KW" is accepted',
      ],
      [
        edit((json) => (json['protected'] = b64({ enc: 'A128GCM' }))),
        '"enc" is "A128GCM"; only "A256GCM" is accepted',
      ],
      [
        edit((json) => (json['protected'] = b64({ enc: 'A256GCM', zip: 'DEF' }))),
        'is compressed ("zip"); Enlace does not compress encrypted bodies',
      ],
      [
        edit((json) => (json['protected'] = b64({ enc: 'A256GCM', crit: ['x'], x: 1 }))),
        'recipients[0] has "crit": no JWE extensions are understood',
      ],
      [
        edit((json) => (json['unprotected'] = { enc: 'A256GCM' })),
        'recipients[0]: header parameter "enc" appears more than once (the headers must be disjoint)',
      ],
      [
        edit((json) => (json.recipients[1]!.header['epk'] = { kty: 'EC', crv: 'P-256' })),
        'recipients[1] "epk" must be an ephemeral public X25519 key (kty OKP, crv X25519, 32-byte x)',
      ],
      [
        edit((json) => delete json.recipients[1]!.header['epk']),
        'recipients[1] "epk" must be an ephemeral public X25519 key (kty OKP, crv X25519, 32-byte x)',
      ],
      [
        edit((json) => (json.recipients[1]!['encrypted_key'] = 'AAAA')),
        'recipients[1] "encrypted_key" must be 40 bytes in unpadded base64url (A256KW)',
      ],
    ];
    for (const [input, problem] of cases) {
      expect(() => parseGeneralJwe(input), problem).toThrow(
        expect.objectContaining({
          name: 'EncryptionError',
          code: 'ERR_JWE_MALFORMED',
          message: `JWE ${problem}`,
        }),
      );
    }
  });

  it('does not let "__proto__" smuggle header parameters', () => {
    const smuggled = edit((json) => {
      const header = json.recipients[0]!.header;
      delete header['alg'];
      json.recipients[0]!.header = JSON.parse(
        JSON.stringify(header).replace(/^\{/, '{"__proto__":{"alg":"ECDH-ES+A256KW"},'),
      ) as Record<string, unknown>;
    });
    expect(() => parseGeneralJwe(smuggled)).toThrow(
      expect.objectContaining({
        code: 'ERR_JWE_MALFORMED',
        message: 'JWE recipients[0] "alg" is nothing; only "ECDH-ES+A256KW" is accepted',
      }),
    );
  });
});
