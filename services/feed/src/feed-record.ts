/**
 * What a feed delivers: one FeedRecord per verified alert, the same JSON object to every kind of
 * sink (a line of a JSON Lines file, the body of a webhook POST, the payload of a NATS message).
 *
 * `signedAlert` is the original SignedAlert exactly as it travelled (base64 of the protobuf
 * bytes), so an FIU can re-verify the alert alone with only the origin's JWKS: decode it with
 * any protobuf implementation, rebuild `ASCII(protected_header) || '.' || alert` and check the
 * Ed25519 signature (DESIGN.md, wire format). `id` is stable across redeliveries and replays of
 * the same feed, so a receiver that keeps the ids it has seen never processes a record twice.
 */
import type { JsonObject } from '@enlace/schema';

/** The version of the record format, in every record as `format`. */
export const FEED_RECORD_FORMAT = 'enlace.feed.record.v1';

export interface FeedRecordVerification {
  /** Signing key the alert verified with. */
  readonly kid: string;
  /** Registry revision (signed snapshot) the alert was judged against. */
  readonly registryRevision: number;
  /** Policy rules that allowed the feed's country to receive it. */
  readonly rules: readonly string[];
  /** When this feed service verified it (ISO 8601). */
  readonly verifiedAt: string;
  /** False for a restricted alert whose body is encrypted: `alert` then holds the JWE. */
  readonly bodyReadable: boolean;
  /**
   * True when the alert's `expires_at` had passed when this service verified it: still
   * authentic, delivered so that nothing is lost, but no longer to be acted on.
   */
  readonly expired: boolean;
}

export interface FeedRecord {
  readonly format: typeof FEED_RECORD_FORMAT;
  /** `<feed id>:<alert id>`: stable across redeliveries and replays. */
  readonly id: string;
  /** The feed that delivered it. */
  readonly feed: string;
  /** Sequence of the alert in the ENLACE_ALERTS stream: increasing in delivery order. */
  readonly seq: number;
  /** The subject the alert travelled on. */
  readonly subject: string;
  /** The alert in Enlace's JSON mapping (alertToJson), body in clear when readable. */
  readonly alert: JsonObject;
  /** True when the clear body carries financial indicators or keyed digests. */
  readonly financial: boolean;
  readonly verification: FeedRecordVerification;
  /** base64 (standard, padded) of the SignedAlert protobuf bytes, exactly as received. */
  readonly signedAlert: string;
}
