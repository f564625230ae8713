/**
 * Protobuf (de)serialization for the registry's NATS request/reply on Nest's built-in NATS
 * transport. The deserializer decodes the request message of the subject it arrived on; bytes
 * that do not decode become a MalformedRequest the handler answers with ERR_VALIDATION (never a
 * crash, never silence). The serializer encodes the handler's ProtoReply and puts the error code
 * and description of a refusal in `Nats-Service-Error-Code` / `Nats-Service-Error` headers too.
 */
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { Msg, MsgHdrs } from '@nats-io/transport-node';
import type {
  ConsumerDeserializer,
  ConsumerSerializer,
  IncomingRequest,
  OutgoingResponse,
} from '@nestjs/microservices';
import { registryV1 } from '@enlace/schema';
import { SERVICE_ERROR_CODE_HEADER, SERVICE_ERROR_HEADER } from '@enlace/trust';
import type { ProtoCodec } from '@enlace/trust';
import { randomUUID } from 'node:crypto';

// The codec shape and the error headers are shared with the client side (@enlace/trust).
export { SERVICE_ERROR_CODE_HEADER, SERVICE_ERROR_HEADER };
export type { ProtoCodec };

/** An encoded reply: the response message and, when it is a refusal, its error. */
export class ProtoReply<T = unknown> {
  constructor(
    readonly codec: ProtoCodec<T>,
    readonly message: T,
    readonly error?: registryV1.RpcError,
  ) {}

  encode(): Uint8Array {
    return this.codec.encode(this.message).finish();
  }
}

/** A request whose bytes are not the expected message. */
export class MalformedRequest {
  constructor(
    readonly subject: string,
    readonly error: registryV1.RpcError,
  ) {}
}

/**
 * Every registry response has `RpcError error = 2` in its `result` oneof, so a refusal encodes
 * to the same bytes whichever response type the caller expects.
 */
export function encodeRpcError(error: registryV1.RpcError): Uint8Array {
  return registryV1.GetKeyResponse.encode({ result: { $case: 'error', error } }).finish();
}

export class ProtobufRequestDeserializer implements ConsumerDeserializer {
  /** `codecs`: the request message of each subject. */
  constructor(private readonly codecs: ReadonlyMap<string, ProtoCodec<unknown>>) {}

  deserialize(msg: Msg, options?: Record<string, unknown>): IncomingRequest {
    const subject = typeof options?.['channel'] === 'string' ? options['channel'] : msg.subject;
    // Plain NATS requests carry no Nest packet id; the reply inbox is what makes them requests.
    const id = msg.reply !== undefined && msg.reply !== '' ? randomUUID() : undefined;
    const codec = this.codecs.get(subject);
    let data: unknown;
    if (codec === undefined) {
      data = new MalformedRequest(subject, {
        code: 'ERR_VALIDATION',
        message: `no request message is defined for ${subject}`,
        violations: [],
      });
    } else {
      try {
        data = codec.decode(msg.data);
      } catch (cause) {
        const detail = (cause as Error).message ?? String(cause);
        data = new MalformedRequest(subject, {
          code: 'ERR_VALIDATION',
          message: `the request on ${subject} is not a valid protobuf message: ${detail}`,
          violations: [{ path: '', code: 'malformed_message', message: detail }],
        });
      }
    }
    return { pattern: subject, data, id: id as string };
  }
}

export class ProtobufReplySerializer implements ConsumerSerializer {
  serialize(packet: OutgoingResponse): { data: Uint8Array; headers?: MsgHdrs } {
    const reply = packet.response;
    if (reply instanceof ProtoReply) {
      return reply.error === undefined
        ? { data: reply.encode() }
        : { data: reply.encode(), headers: errorHeaders(reply.error) };
    }
    if (packet.err !== undefined && packet.err !== null) {
      // A handler threw despite catching everything: answer rather than leave the caller waiting.
      const error: registryV1.RpcError = {
        code: 'ERR_INTERNAL',
        message: 'the registry failed to answer this request',
        violations: [],
      };
      return { data: encodeRpcError(error), headers: errorHeaders(error) };
    }
    // The end-of-stream marker Nest sends after a response; an empty reply nobody waits for.
    return { data: new Uint8Array(0) };
  }
}

function errorHeaders(error: registryV1.RpcError): MsgHdrs {
  const h = natsHeaders();
  h.set(SERVICE_ERROR_CODE_HEADER, error.code);
  // Header values are one line.
  h.set(SERVICE_ERROR_HEADER, error.message.replace(/[\r\n]+/g, ' ').slice(0, 1024));
  return h;
}
