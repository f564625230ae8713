/**
 * The registry's HTTP API, one method per route: countries, networks, memberships, focal points,
 * keys, policy, glossary, audit, and the public routes (health, JWKS, the registry key, the
 * signed snapshot). Commands take a `Why` (reason, decision) that the audit trail keeps.
 */
import { HttpTransport } from './http-transport.js';
import { operationsClient } from './operations.js';
import type { OperationsClient } from './operations.js';
import type { CallOptions, ClientOptions } from './http-transport.js';
import type {
  AddFocalPointRequest,
  AddMembershipRequest,
  AdmitCountryRequest,
  AuditQuery,
  AuditRecordJson,
  CountryJson,
  CountryStatusChange,
  DecideRequest,
  EndMembershipRequest,
  FocalPointJson,
  FocalPointsQuery,
  GlossaryTermJson,
  JwksJson,
  KeyJson,
  KeyRotationJson,
  KeysQuery,
  MembershipJson,
  MembershipsQuery,
  NetworkJson,
  PolicyDecisionJson,
  PolicyRuleJson,
  PublicJwkJson,
  ReasonRequest,
  RegisterKeyRequest,
  RegistryHealthJson,
  RegistryList,
  RevokeKeyRequest,
  RevokeTokenRequest,
  RevokedTokenJson,
  RotateKeyRequest,
  SignedSnapshotJson,
  StatusChangeRequest,
} from './registry-types.js';

const segment = encodeURIComponent;

export interface RegistryClient extends OperationsClient {
  /** The registry's origin, e.g. http://127.0.0.1:8080 */
  readonly origin: string;
  readonly countries: {
    list(options?: CallOptions): Promise<RegistryList<CountryJson>>;
    get(code: string, options?: CallOptions): Promise<CountryJson>;
    admit(body: AdmitCountryRequest, options?: CallOptions): Promise<CountryJson>;
    /** Suspend, reinstate or withdraw. */
    changeStatus(
      code: string,
      change: CountryStatusChange,
      body: StatusChangeRequest,
      options?: CallOptions,
    ): Promise<CountryJson>;
  };
  readonly networks: {
    list(options?: CallOptions): Promise<RegistryList<NetworkJson>>;
    get(id: string, options?: CallOptions): Promise<NetworkJson>;
  };
  readonly memberships: {
    list(query?: MembershipsQuery, options?: CallOptions): Promise<RegistryList<MembershipJson>>;
    add(body: AddMembershipRequest, options?: CallOptions): Promise<MembershipJson>;
    end(body: EndMembershipRequest, options?: CallOptions): Promise<MembershipJson>;
  };
  readonly focalPoints: {
    list(query?: FocalPointsQuery, options?: CallOptions): Promise<RegistryList<FocalPointJson>>;
    get(id: string, options?: CallOptions): Promise<FocalPointJson>;
    add(body: AddFocalPointRequest, options?: CallOptions): Promise<FocalPointJson>;
    deactivate(id: string, body: ReasonRequest, options?: CallOptions): Promise<FocalPointJson>;
  };
  readonly keys: {
    list(query?: KeysQuery, options?: CallOptions): Promise<RegistryList<KeyJson>>;
    get(kid: string, options?: CallOptions): Promise<KeyJson>;
    register(body: RegisterKeyRequest, options?: CallOptions): Promise<KeyJson>;
    rotate(body: RotateKeyRequest, options?: CallOptions): Promise<KeyRotationJson>;
    revoke(kid: string, body: RevokeKeyRequest, options?: CallOptions): Promise<KeyJson>;
  };
  /** Bearer tokens revoked by id (administrator; the list also for auditors). */
  readonly tokens: {
    revoked(options?: CallOptions): Promise<RegistryList<RevokedTokenJson>>;
    /** Revokes a token by its id (jti): every service refuses it from then on. */
    revoke(jti: string, body: RevokeTokenRequest, options?: CallOptions): Promise<RevokedTokenJson>;
  };
  readonly policy: {
    rules(options?: CallOptions): Promise<RegistryList<PolicyRuleJson>>;
    decide(body: DecideRequest, options?: CallOptions): Promise<PolicyDecisionJson>;
  };
  glossary(options?: CallOptions): Promise<RegistryList<GlossaryTermJson>>;
  /** The audit trail, newest first (auditor or administrator). */
  audit(query?: AuditQuery, options?: CallOptions): Promise<{ items: readonly AuditRecordJson[] }>;
  health(options?: CallOptions): Promise<RegistryHealthJson>;
  /** Public keys of all countries valid and not revoked now. */
  jwks(options?: CallOptions): Promise<JwksJson>;
  /** The registry's own public key, to pin. */
  registryKey(options?: CallOptions): Promise<PublicJwkJson>;
  /** The signed snapshot as a compact JWS (application/jose), unverified: verify it with the pinned key. */
  snapshot(options?: CallOptions): Promise<string>;
  /** The signed snapshot with its payload decoded by the registry (format=json), unverified. */
  snapshotJson(options?: CallOptions): Promise<SignedSnapshotJson>;
}

export function createRegistryClient(options: ClientOptions): RegistryClient {
  const http = new HttpTransport('registry', options);
  const get = <T>(
    path: string,
    query: Record<string, string | number | boolean | undefined> = {},
    o?: CallOptions,
  ) => http.json<T>('GET', path, { ...o, query });
  const post = <T>(path: string, body: unknown, o?: CallOptions) =>
    http.json<T>('POST', path, { ...o, body });
  return {
    origin: http.origin,
    countries: {
      list: (o) => get('v1/countries', {}, o),
      get: (code, o) => get(`v1/countries/${segment(code)}`, {}, o),
      admit: (body, o) => post('v1/countries', body, o),
      changeStatus: (code, change, body, o) => post(`v1/countries/${segment(code)}/${change}`, body, o),
    },
    networks: {
      list: (o) => get('v1/networks', {}, o),
      get: (id, o) => get(`v1/networks/${segment(id)}`, {}, o),
    },
    memberships: {
      list: (query = {}, o) => get('v1/memberships', { ...query }, o),
      add: (body, o) => post('v1/memberships', body, o),
      end: (body, o) => post('v1/memberships/end', body, o),
    },
    focalPoints: {
      list: (query = {}, o) => get('v1/focal-points', { ...query }, o),
      get: (id, o) => get(`v1/focal-points/${segment(id)}`, {}, o),
      add: (body, o) => post('v1/focal-points', body, o),
      deactivate: (id, body, o) => post(`v1/focal-points/${segment(id)}/deactivate`, body, o),
    },
    keys: {
      list: (query = {}, o) => get('v1/keys', { ...query }, o),
      get: (kid, o) => get(`v1/keys/${segment(kid)}`, {}, o),
      register: (body, o) => post('v1/keys', body, o),
      rotate: (body, o) => post('v1/keys/rotate', body, o),
      revoke: (kid, body, o) => post(`v1/keys/${segment(kid)}/revoke`, body, o),
    },
    tokens: {
      revoked: (o) => get('v1/tokens/revoked', {}, o),
      revoke: (jti, body, o) => post(`v1/tokens/${segment(jti)}/revoke`, body, o),
    },
    policy: {
      rules: (o) => get('v1/policy/rules', {}, o),
      decide: (body, o) => post('v1/policy/decide', body, o),
    },
    glossary: (o) => get('v1/glossary', {}, o),
    audit: (query = {}, o) => get('v1/audit', { ...query }, o),
    health: (o) => get('health', {}, o),
    jwks: (o) => get('.well-known/jwks.json', {}, o),
    registryKey: (o) => get('.well-known/enlace-registry.jwk', {}, o),
    snapshot: (o) => http.text('v1/snapshot', 'application/jose', o),
    snapshotJson: (o) => get('v1/snapshot', { format: 'json' }, o),
    ...operationsClient(http),
  };
}
