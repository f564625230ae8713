/**
 * The registry's request/reply handlers for nodes, on core NATS through Nest's NATS transport:
 * enlace.v1.registry.rpc.get_key, .get_snapshot and .decide. Every request gets an answer: the
 * result, or an RpcError with a stable code (malformed bytes: ERR_VALIDATION).
 */
import { Controller, Inject, Logger } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { registryV1 } from '@enlace/schema';
import { registryRpcSubject } from '@enlace/transport';

import { RegistryError } from '../domain/errors.js';
import type { RegistryService } from '../domain/service.js';
import { REGISTRY_SERVICE } from '../http/tokens.js';
import { MalformedRequest, ProtoReply } from './protobuf-codec.js';
import type { ProtoCodec } from './protobuf-codec.js';
import { toDecideInput, toDecision, toKeyInfo, toRpcError } from './rpc-mapping.js';

/** The request message of each registry RPC subject, for the deserializer. */
export const RPC_REQUEST_CODECS: ReadonlyMap<string, ProtoCodec<unknown>> = new Map<
  string,
  ProtoCodec<unknown>
>([
  [registryRpcSubject('get_key'), registryV1.GetKeyRequest as ProtoCodec<unknown>],
  [registryRpcSubject('get_snapshot'), registryV1.GetSnapshotRequest as ProtoCodec<unknown>],
  [registryRpcSubject('decide'), registryV1.DecideRequest as ProtoCodec<unknown>],
]);

type Result<Case extends string, T> = { $case: Case } & Record<Case, T>;

@Controller()
export class RegistryRpcController {
  private readonly logger = new Logger('RegistryRpc');

  constructor(@Inject(REGISTRY_SERVICE) private readonly service: RegistryService) {}

  @MessagePattern(registryRpcSubject('get_key'))
  async getKey(@Payload() request: registryV1.GetKeyRequest | MalformedRequest): Promise<ProtoReply> {
    return this.answer(registryV1.GetKeyResponse, 'key', request, (req: registryV1.GetKeyRequest) => {
      if (req.kid === '') {
        throw new RegistryError('ERR_VALIDATION', 'get_key needs a kid', {
          violations: [{ path: 'kid', code: 'required', message: 'required' }],
        });
      }
      return toKeyInfo(this.service.getKey(req.kid));
    });
  }

  @MessagePattern(registryRpcSubject('get_snapshot'))
  async getSnapshot(
    @Payload() request: registryV1.GetSnapshotRequest | MalformedRequest,
  ): Promise<ProtoReply> {
    return this.answer(
      registryV1.GetSnapshotResponse,
      'snapshot',
      request,
      async (req: registryV1.GetSnapshotRequest) => {
        const current = this.service.revision();
        if (BigInt(current) < req.minRevision) {
          throw new RegistryError(
            'ERR_UNAVAILABLE',
            `the registry is at revision ${current}, behind the requested ${req.minRevision}; retry shortly`,
          );
        }
        const signed = await this.service.signedSnapshot();
        return { jws: signed.jws, revision: BigInt(signed.snapshot.revision) };
      },
    );
  }

  @MessagePattern(registryRpcSubject('decide'))
  async decide(@Payload() request: registryV1.DecideRequest | MalformedRequest): Promise<ProtoReply> {
    return this.answer(registryV1.DecideResponse, 'decision', request, (req: registryV1.DecideRequest) =>
      toDecision(this.service.decide(toDecideInput(req))),
    );
  }

  /** Runs `handle` and wraps its result, or the error it throws, in the response message. */
  private async answer<Req, Res extends { result: unknown }, Case extends string, T>(
    codec: ProtoCodec<Res>,
    resultCase: Case,
    request: Req | MalformedRequest,
    handle: (request: Req) => T | Promise<T>,
  ): Promise<ProtoReply<Res>> {
    const fail = (error: registryV1.RpcError): ProtoReply<Res> =>
      new ProtoReply(codec, { result: { $case: 'error', error } } as Res, error);
    if (request instanceof MalformedRequest) return fail(request.error);
    try {
      const value = await handle(request);
      const result = { $case: resultCase, [resultCase]: value } as Result<Case, T>;
      return new ProtoReply(codec, { result } as Res);
    } catch (error) {
      if (!(error instanceof RegistryError)) {
        this.logger.error(`registry RPC ${resultCase} failed: ${(error as Error).stack ?? String(error)}`);
      }
      return fail(toRpcError(error));
    }
  }
}
