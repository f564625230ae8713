/**
 * Injection tokens of the registry's Nest application. Providers are always injected by token
 * (`@Inject(REGISTRY_SERVICE)`), so DI never depends on emitted design-time metadata.
 */

/** The RegistryService every controller and handler calls. */
export const REGISTRY_SERVICE = Symbol.for('enlace.registry.service');
/** `{ kid, publicJwk }` of the registry key: verifies tokens, published for pinning. */
export const REGISTRY_KEY = Symbol.for('enlace.registry.key');

/** `() => string | undefined`: why the registry is not ready (e.g. NATS connection closed), if it is not. */
export const REGISTRY_HEALTH = Symbol.for('enlace.registry.health');
export type HealthProbe = () => string | undefined;

/** The registry key as the API layer sees it: public half only. */
export interface RegistryPublicKey {
  readonly kid: string;
  readonly publicJwk: Readonly<Record<string, unknown>>;
}
