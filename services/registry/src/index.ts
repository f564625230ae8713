export * from './domain/errors.js';
export * from './domain/model.js';
export type * from './domain/service.js';

// The registry core: the Registry facade over its aggregates, KV state, audit trail, signed events
// and snapshots (no HTTP, no Nest).
export { Registry, openRegistryCore } from './registry.js';
export type { RegistryCore, RegistryCoreOptions } from './registry.js';
/** @deprecated named after its storage; use Registry. */
export { Registry as KvRegistryService } from './registry.js';
export { stateKeys } from './registry-view.js';
export { canonicalJson } from './seeds/seed-import.js';
export type { SeedOutcome, SeedRecords } from './seeds/seed-import.js';
export { RegistryStateStore, REGISTRY_STATE_BUCKET } from './store/state-store.js';
export type { AppliedChange, StateChange, StateStoreOptions, StoredEntry } from './store/state-store.js';
export { AUDIT_SERVICE, AuditLog, ensureAuditStream } from './audit/audit-log.js';
export {
  REGISTRY_PRIVATE_KEY_FILE,
  REGISTRY_PUBLIC_KEY_FILE,
  generateRegistryKeyPair,
  loadOrCreateRegistryKey,
  registryKid,
  signSnapshot,
} from './registry-key.js';
export type { RegistryKey } from './registry-key.js';
export { RegistryEventPublisher, encodeSignedRegistryEvent } from './events.js';
export { SnapshotSigner, buildPolicySnapshot, buildRegistrySnapshot } from './snapshot.js';
// Verifying the registry's signed state, bearer tokens and the RPC client are @enlace/trust's.

// The API surface: HTTP (NestJS) and NATS RPC, and the app that runs them.
export { SEED_ACTOR, SEED_FILES, applySeeds, loadSeeds, parseSeedFiles } from './seeds/seed-loader.js';
export type {
  ApplySeedsOptions,
  SeedCounts,
  SeedData,
  SeedDifference,
  SeedReport,
} from './seeds/seed-loader.js';
export { createRegistryApp } from './app/create-registry-app.js';
export type { CreateRegistryAppOptions, RegistryApp } from './app/create-registry-app.js';
export { startRegistryApi } from './app/registry-api.js';
export type { RegistryApi, RegistryApiOptions } from './app/registry-api.js';
