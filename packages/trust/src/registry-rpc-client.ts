/**
 * A small typed client of the registry's NATS request/reply, for nodes, the feed service and
 * tests: protobuf in, protobuf out, and every failure a TrustError — the registry's refusal
 * rebuilt with its code (from the answer, or its `Nats-Service-Error-Code` header) and field
 * paths, ERR_UNAVAILABLE when nobody answers in time or nobody listens.
 */
import { errors as natsErrors } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { registryV1 } from '@enlace/schema';
import { registryRpcSubject } from '@enlace/transport';
import type { RegistryRpcOperation } from '@enlace/transport';

import { isTrustErrorCode, TrustError } from './errors.js';
import { SERVICE_ERROR_CODE_HEADER } from './rpc-codec.js';
import type { ProtoCodec } from './rpc-codec.js';

export interface RegistryRpcClientOptions {
  /** How long to wait for an answer, in ms (default 5000). */
  readonly timeoutMs?: number;
}

export interface DecideQuery {
  readonly action: 'publish' | 'receive';
  readonly network: string;
  readonly kind: 'route' | 'document' | 'network';
  readonly origin: string;
  readonly receiver?: string;
  readonly recipients?: readonly string[];
  readonly handling?: 'H0' | 'H1' | 'H2' | 'H3';
  readonly at?: Date;
}

export interface RegistryRpcClient {
  /** A key by kid, revoked or not. ERR_UNKNOWN_KEY when the registry has none. */
  getKey(kid: string): Promise<registryV1.KeyInfo>;
  /** The signed snapshot (compact JWS); with minRevision, one at least that recent. */
  getSnapshot(minRevision?: number | bigint): Promise<registryV1.SignedSnapshot>;
  decide(query: DecideQuery | registryV1.DecideRequest): Promise<registryV1.Decision>;
  /** Sends raw bytes and decodes the answer: for tests of malformed requests. */
  requestRaw(operation: RegistryRpcOperation, data: Uint8Array): Promise<Uint8Array>;
}

const KIND = { route: 1, document: 2, network: 3 } as const;
const HANDLING = { H0: 1, H1: 2, H2: 3, H3: 4 } as const;

function toDecideRequest(query: DecideQuery | registryV1.DecideRequest): registryV1.DecideRequest {
  if (typeof query.action === 'number') return query as registryV1.DecideRequest;
  const q = query as DecideQuery;
  return registryV1.DecideRequest.fromPartial({
    action:
      q.action === 'publish'
        ? registryV1.PolicyAction.POLICY_ACTION_PUBLISH
        : registryV1.PolicyAction.POLICY_ACTION_RECEIVE,
    network: q.network,
    kind: KIND[q.kind],
    origin: q.origin,
    receiver: q.receiver ?? '',
    recipients: [...(q.recipients ?? [])],
    handling: q.handling === undefined ? 0 : HANDLING[q.handling],
    at: q.at,
  });
}

/**
 * Rebuilds the registry's refusal on this side with its code; a code outside TrustErrorCode
 * becomes ERR_UNAVAILABLE with the registry's code in the message.
 */
export function fromRpcError(error: registryV1.RpcError): TrustError {
  const code = error.code;
  return new TrustError(
    isTrustErrorCode(code) ? code : 'ERR_UNAVAILABLE',
    isTrustErrorCode(code) ? error.message : `${code}: ${error.message}`,
    { violations: error.violations.map((v) => ({ path: v.path, code: v.code, message: v.message })) },
  );
}

export function createRegistryRpcClient(
  nc: NatsConnection,
  options: RegistryRpcClientOptions = {},
): RegistryRpcClient {
  const timeout = options.timeoutMs ?? 5000;

  async function request(
    operation: RegistryRpcOperation,
    data: Uint8Array,
  ): Promise<{ data: Uint8Array; errorCode: string | undefined }> {
    const subject = registryRpcSubject(operation);
    try {
      const reply = await nc.request(subject, data, { timeout });
      return { data: reply.data, errorCode: reply.headers?.get(SERVICE_ERROR_CODE_HEADER) || undefined };
    } catch (cause) {
      const noResponders =
        cause instanceof natsErrors.NoRespondersError ||
        (cause instanceof natsErrors.RequestError && cause.isNoResponders());
      if (noResponders) {
        throw new TrustError('ERR_UNAVAILABLE', `no registry is listening on ${subject}`, { cause });
      }
      if (cause instanceof natsErrors.TimeoutError || (cause as Error).name === 'TimeoutError') {
        throw new TrustError(
          'ERR_UNAVAILABLE',
          `the registry did not answer ${operation} within ${timeout} ms`,
          {
            cause,
          },
        );
      }
      throw new TrustError(
        'ERR_UNAVAILABLE',
        `registry ${operation} request failed: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
  }

  async function requestRaw(operation: RegistryRpcOperation, data: Uint8Array): Promise<Uint8Array> {
    return (await request(operation, data)).data;
  }

  async function call<Res extends { result: unknown }>(
    operation: RegistryRpcOperation,
    data: Uint8Array,
    codec: ProtoCodec<Res>,
  ): Promise<Exclude<Res['result'], undefined | { $case: 'error' }>> {
    const { data: bytes, errorCode } = await request(operation, data);
    let response: Res;
    try {
      response = codec.decode(bytes);
    } catch (cause) {
      // A refusal whose body does not decode still says what it was in its headers.
      if (errorCode !== undefined)
        throw fromRpcError({ code: errorCode, message: `the registry refused ${operation}`, violations: [] });
      throw new TrustError('ERR_UNAVAILABLE', `the registry's answer to ${operation} does not decode`, {
        cause,
      });
    }
    const result = response.result as { $case: string; error?: registryV1.RpcError } | undefined;
    if (result === undefined) {
      throw new TrustError('ERR_UNAVAILABLE', `the registry's answer to ${operation} is empty`);
    }
    if (result.$case === 'error') throw fromRpcError(result.error!);
    return result as Exclude<Res['result'], undefined | { $case: 'error' }>;
  }

  return {
    async getKey(kid) {
      const result = await call(
        'get_key',
        registryV1.GetKeyRequest.encode({ kid }).finish(),
        registryV1.GetKeyResponse,
      );
      return result.key;
    },
    async getSnapshot(minRevision = 0) {
      const request = registryV1.GetSnapshotRequest.encode({ minRevision: BigInt(minRevision) }).finish();
      const result = await call('get_snapshot', request, registryV1.GetSnapshotResponse);
      return result.snapshot;
    },
    async decide(query) {
      const request = registryV1.DecideRequest.encode(toDecideRequest(query)).finish();
      const result = await call('decide', request, registryV1.DecideResponse);
      return result.decision;
    },
    requestRaw,
  };
}
