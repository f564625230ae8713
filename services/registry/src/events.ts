/**
 * Signed change events: after each change the registry publishes a SignedRegistryEvent on
 * `enlace.v1.registry.event.<entity>.<id>` (core NATS), the serialized RegistryEvent signed with
 * the registry key exactly as alerts are signed (RFC 7797 detached JWS, EdDSA). Nodes that see
 * one fetch a new snapshot; verifyRegistryEvent (@enlace/trust) checks one.
 */
import { signAlert } from '@enlace/crypto';
import { registryV1 } from '@enlace/schema';
import { registryEventSubject } from '@enlace/transport';
import type { NatsConnection } from '@nats-io/transport-node';

import type { RegistryChange } from './domain/model.js';
import type { RegistryKey } from './registry-key.js';

/** The bytes of a SignedRegistryEvent for `change`, signed with the registry key. */
export async function encodeSignedRegistryEvent(
  change: RegistryChange,
  key: RegistryKey,
): Promise<Uint8Array> {
  const event = registryV1.RegistryEvent.encode({
    revision: BigInt(change.revision),
    entity: change.entity,
    id: change.id,
    action: change.action,
    at: new Date(change.at),
  }).finish();
  const signed = await signAlert(event, key.privateKey);
  return registryV1.SignedRegistryEvent.encode({
    event: signed.alert,
    protectedHeader: signed.protectedHeader,
    signature: signed.signature,
  }).finish();
}

/** Publishes registry change events on core NATS. */
export class RegistryEventPublisher {
  constructor(
    private readonly nc: NatsConnection,
    private readonly key: RegistryKey,
  ) {}

  /** Signs and publishes `change`; an event that cannot be sent is lost (nodes also poll snapshots). */
  async publish(change: RegistryChange): Promise<void> {
    const data = await encodeSignedRegistryEvent(change, this.key);
    this.nc.publish(registryEventSubject(change.entity, change.id), data);
  }
}
