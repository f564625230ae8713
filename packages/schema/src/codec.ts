/**
 * Binary codecs for alerts. Decoding is strict and total: any input is either a decoded
 * message or a MalformedMessageError (ERR_SCHEMA_MALFORMED), never another exception.
 *
 * Bytes are first parsed by the reflective, conformance-tested @bufbuild/protobuf reader, which
 * rejects what ts-proto's generated decoders tolerate (a zero tag or a stray end-group tag ends a
 * ts-proto message early, leaving the rest to be read as fields of the parent; strings that are
 * not UTF-8 become U+FFFD). Signed bytes must mean the same thing to every receiver, whatever
 * protobuf implementation it uses, so such input is refused rather than guessed at; and what is
 * accepted is read in protobuf's meaning (a repeated singular sub-message merges): the ts-proto
 * message is the one its decoder makes of the canonical encoding (ts-message.ts).
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { Alert, AlertBody } from './gen/enlace/alert/v1/alert.js';
import { SignedAlert } from './gen/enlace/alert/v1/signed_alert.js';
import { Request, RequestBody, SignedRequest } from './gen/enlace/rfi/v1/request.js';
import type { SchemaTypeName } from './descriptors.js';
import { messageDesc } from './descriptors.js';
import { MalformedMessageError, UnencodableMessageError } from './errors.js';
import { tsMessageOf } from './ts-message.js';

interface MessageCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

/** Serializes an alert; these are the bytes the origin signs. */
export function encodeAlert(alert: Alert): Uint8Array {
  return encode(Alert, alert, 'Alert');
}

/** Decodes a serialized alert (e.g. `SignedAlert.alert` once its signature is verified). */
export function decodeAlert(bytes: Uint8Array): Alert {
  return decode(Alert, 'enlace.alert.v1.Alert', bytes);
}

/** Serializes a signed alert: the payload of every alert message. */
export function encodeSignedAlert(signed: SignedAlert): Uint8Array {
  return encode(SignedAlert, signed, 'SignedAlert');
}

/** Decodes the payload of an alert message. */
export function decodeSignedAlert(bytes: Uint8Array): SignedAlert {
  return decode(SignedAlert, 'enlace.alert.v1.SignedAlert', bytes);
}

/** Serializes an alert body: the plaintext of an EncryptedBody. */
export function encodeAlertBody(body: AlertBody): Uint8Array {
  return encode(AlertBody, body, 'AlertBody');
}

/** Decodes the decrypted plaintext of an EncryptedBody. */
export function decodeAlertBody(bytes: Uint8Array): AlertBody {
  return decode(AlertBody, 'enlace.alert.v1.AlertBody', bytes);
}

/** Serializes a request (RFI, reply, consent); these are the bytes the sender signs. */
export function encodeRequest(request: Request): Uint8Array {
  return encode(Request, request, 'Request');
}

/** Decodes a serialized request (e.g. `SignedRequest.request` once its signature is verified). */
export function decodeRequest(bytes: Uint8Array): Request {
  return decode(Request, 'enlace.rfi.v1.Request', bytes);
}

/** Serializes a signed request: the payload of a request message on a direct subject. */
export function encodeSignedRequest(signed: SignedRequest): Uint8Array {
  return encode(SignedRequest, signed, 'SignedRequest');
}

/** Decodes the payload of a request message. */
export function decodeSignedRequest(bytes: Uint8Array): SignedRequest {
  return decode(SignedRequest, 'enlace.rfi.v1.SignedRequest', bytes);
}

/** Serializes a request body: the plaintext of Request.encrypted_body. */
export function encodeRequestBody(body: RequestBody): Uint8Array {
  return encode(RequestBody, body, 'RequestBody');
}

/** Decodes the decrypted plaintext of Request.encrypted_body. */
export function decodeRequestBody(bytes: Uint8Array): RequestBody {
  return decode(RequestBody, 'enlace.rfi.v1.RequestBody', bytes);
}

function encode<T>(codec: MessageCodec<T>, message: T, name: string): Uint8Array {
  try {
    return codec.encode(message).finish();
  } catch (cause) {
    throw new UnencodableMessageError(`cannot encode ${name}: ${describe(cause)}`, { cause });
  }
}

function decode<T>(codec: MessageCodec<T>, typeName: SchemaTypeName, bytes: Uint8Array): T {
  const name = typeName.slice(typeName.lastIndexOf('.') + 1);
  if (!(bytes instanceof Uint8Array)) {
    throw new MalformedMessageError(`cannot decode ${name}: expected a Uint8Array`);
  }
  // A private copy: decoded bytes fields are views of the input, which may be a pooled Buffer
  // the caller reuses. Also makes every bytes field a plain Uint8Array.
  const copy = new Uint8Array(bytes);
  try {
    // Unknown fields (from newer schema versions) are allowed, and dropped.
    const desc = messageDesc(typeName);
    const parsed = fromBinary(desc, copy, { readUnknownFields: false });
    // ts-proto's decoders let a singular sub-message that occurs twice replace the first, where
    // protobuf (and every other decoder) merges the two: the message is the reflective reader's,
    // so that it means to Enlace what it means to protoc. Its ts-proto form is built from it
    // directly (what ts-proto decodes of its canonical encoding, without encoding it), or, for
    // what that walk does not take (-0, a representation not expected here), decoded from the
    // canonical encoding itself.
    const direct = tsMessageOf(desc, parsed);
    if (direct !== undefined) return direct as T;
    return codec.decode(toBinary(desc, parsed));
  } catch (cause) {
    throw new MalformedMessageError(`cannot decode ${name}: ${describe(cause)}`, { cause });
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
