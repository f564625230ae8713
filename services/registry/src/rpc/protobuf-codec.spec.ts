import type { Msg } from '@nats-io/transport-node';
import { registryV1 } from '@enlace/schema';
import { registryRpcSubject } from '@enlace/transport';
import { describe, expect, it } from 'vitest';

import {
  encodeRpcError,
  MalformedRequest,
  ProtobufReplySerializer,
  ProtobufRequestDeserializer,
  ProtoReply,
  SERVICE_ERROR_CODE_HEADER,
  SERVICE_ERROR_HEADER,
} from './protobuf-codec.js';
import { RPC_REQUEST_CODECS } from './registry-rpc.controller.js';

const GET_KEY = registryRpcSubject('get_key');

/** A received message; reply '' for a publish without a reply inbox. */
function msg(data: Uint8Array, reply = '_INBOX.1'): Msg {
  return { subject: GET_KEY, data, reply } as unknown as Msg;
}

describe('ProtobufRequestDeserializer', () => {
  const deserializer = new ProtobufRequestDeserializer(RPC_REQUEST_CODECS);

  it('decodes the request message of the subject, as a request when there is a reply inbox', () => {
    const packet = deserializer.deserialize(
      msg(registryV1.GetKeyRequest.encode({ kid: 'MX-sig-2026-01' }).finish()),
      {
        channel: GET_KEY,
      },
    );
    expect(packet.pattern).toBe(GET_KEY);
    expect(packet.data).toEqual({ kid: 'MX-sig-2026-01' });
    expect(typeof packet.id).toBe('string');
    expect(deserializer.deserialize(msg(new Uint8Array(), ''), { channel: GET_KEY }).id).toBeUndefined();
  });

  it('turns bytes that do not decode into a MalformedRequest with ERR_VALIDATION', () => {
    const packet = deserializer.deserialize(msg(new Uint8Array([0x0a, 0x05, 0x41])), { channel: GET_KEY });
    expect(packet.data).toBeInstanceOf(MalformedRequest);
    const error = (packet.data as MalformedRequest).error;
    expect(error.code).toBe('ERR_VALIDATION');
    expect(error.message).toMatch(
      /^the request on enlace\.v1\.registry\.rpc\.get_key is not a valid protobuf message/,
    );
    expect(error.violations).toEqual([{ path: '', code: 'malformed_message', message: expect.any(String) }]);
  });
});

describe('ProtobufReplySerializer', () => {
  const serializer = new ProtobufReplySerializer();

  it('encodes a reply, with the error code and message in headers for a refusal', () => {
    const ok = serializer.serialize({
      id: '1',
      response: new ProtoReply(registryV1.SignedSnapshot, { jws: 'a.b.c', revision: 7n }),
    });
    expect(registryV1.SignedSnapshot.decode(ok.data)).toEqual({ jws: 'a.b.c', revision: 7n });
    expect(ok.headers).toBeUndefined();

    const error = { code: 'ERR_UNKNOWN_KEY', message: 'unknown key\nX', violations: [] };
    const refused = serializer.serialize({
      id: '2',
      response: new ProtoReply(registryV1.GetKeyResponse, { result: { $case: 'error', error } }, error),
    });
    expect(refused.headers?.get(SERVICE_ERROR_CODE_HEADER)).toBe('ERR_UNKNOWN_KEY');
    expect(refused.headers?.get(SERVICE_ERROR_HEADER)).toBe('unknown key X');
  });

  it('answers a handler failure with ERR_INTERNAL, decodable as any registry response', () => {
    const failed = serializer.serialize({ id: '3', err: new Error('boom') });
    for (const codec of [
      registryV1.GetKeyResponse,
      registryV1.GetSnapshotResponse,
      registryV1.DecideResponse,
    ]) {
      const decoded = codec.decode(failed.data) as {
        result?: { $case: string; error?: registryV1.RpcError };
      };
      expect(decoded.result).toEqual({
        $case: 'error',
        error: {
          code: 'ERR_INTERNAL',
          message: 'the registry failed to answer this request',
          violations: [],
        },
      });
    }
    expect(encodeRpcError({ code: 'X', message: 'y', violations: [] })).toEqual(
      registryV1.DecideResponse.encode({
        result: { $case: 'error', error: { code: 'X', message: 'y', violations: [] } },
      }).finish(),
    );
  });
});
