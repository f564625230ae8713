/**
 * What the registry's NATS request/reply and its clients agree on besides the messages: the
 * ts-proto codec shape and the headers that carry a refusal's code and description
 * (nats.js services: `Nats-Service-Error-Code`, STYLE.md 5).
 */

/** What ts-proto generates for each message, as far as the transport needs it. */
export interface ProtoCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

export const SERVICE_ERROR_CODE_HEADER = 'Nats-Service-Error-Code';
export const SERVICE_ERROR_HEADER = 'Nats-Service-Error';
