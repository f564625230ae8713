/**
 * The in-memory index of hit/no-hit matching: (matching key id, keyed digest) → the alerts that
 * carry that digest. An FIU submits digests of its own case's numbers and learns only which of
 * them occur in alerts it may receive, and in which; clear values never reach this service.
 *
 * Built for a million digests answering single queries in microseconds: digests live in flat
 * typed arrays (8 × 32-bit words each) under an open-addressing hash table with linear probing,
 * so the index costs about 60 bytes per digest (plus ~200 bytes per alert for its ref) with no object per digest for the collector to
 * walk. The hash is seeded per process and mixes all 32 bytes, so a member who crafts digests in
 * its own alerts cannot pile them onto one slot. Alerts are immutable: an alert is added once per
 * field and removed as a whole (retraction).
 */
import { randomBytes } from 'node:crypto';

/** Where in an alert a digest was found. */
export type MatchField = 'document.number_digests' | 'network.financial.accounts';

export const MATCH_FIELDS: readonly MatchField[] = Object.freeze([
  'document.number_digests',
  'network.financial.accounts',
] as const);

/** The alert a digest points to: enough to fetch it from a feed, nothing of its content. */
export interface AlertRef {
  readonly alertId: string;
  /** Origin country, ISO 3166-1 alpha-2. */
  readonly origin: string;
  readonly network: string;
  /** Alert kind as in subjects: `document`, `network`. */
  readonly kind: string;
  /** ISO 8601. */
  readonly issuedAt: string;
  /** Handling code (`H0` … `H3`): matching judges it by the read rule as every other path does. */
  readonly handling: string;
  readonly field: MatchField;
}

/** A digest as alerts carry it (proto KeyedDigest). */
export interface KeyedDigestEntry {
  readonly keyId: string;
  readonly digest: Uint8Array;
}

export interface MatchHit {
  /** One of the queried digests. */
  readonly digest: Uint8Array;
  /** The alerts it occurs in that the caller may learn of, oldest first. */
  readonly alerts: readonly AlertRef[];
}

export interface MatchResult {
  readonly keyId: string;
  /** How many digests were asked about. */
  readonly queried: number;
  /** How many of them hit (= hits.length). */
  readonly matched: number;
  /** The digests that hit, in the order asked; a digest asked twice appears once. */
  readonly hits: readonly MatchHit[];
}

/** Digests made under one matching key, 32 bytes each, end to end. */
export interface PackedDigests {
  readonly keyId: string;
  readonly digests: Uint8Array;
}

/** A query under way: what it asks, and what it has found so far. */
interface QueryRun {
  readonly keyId: string;
  readonly digests: readonly Uint8Array[];
  readonly allow: ((ref: AlertRef) => boolean) | undefined;
  readonly seen: Set<string>;
  readonly allowed: Map<AlertRef, boolean>;
  readonly hits: MatchHit[];
  readonly result: { keyId: string; queried: number; matched: number; hits: MatchHit[] };
}

/** Bytes of a keyed digest (HMAC-SHA256). */
export const DIGEST_LENGTH = 32;
const WORDS = DIGEST_LENGTH / 4;
const INITIAL_ENTRIES = 1024;
const NONE = -1;

export class MatchIndex {
  readonly #seed = randomBytes(4).readInt32LE(0);
  /** Matching key ids, numbered in order of first use. */
  readonly #keyNos = new Map<string, number>();

  // Entries: one per (alert ref, digest), in parallel arrays; freed slots chain through #next.
  #capacity = 0;
  #words = new Int32Array(0);
  #keyNo = new Int32Array(0);
  #ref = new Int32Array(0);
  /** Next entry with the same (key, digest), or the next free entry. */
  #next = new Int32Array(0);
  /** Next entry of the same ref, so that removing an alert needs no list of its own. */
  #sibling = new Int32Array(0);
  #used = 0;
  #free = NONE;
  #size = 0;

  /** Open addressing: head entry + 1 of each distinct (key, digest), 0 when empty. */
  #slots = new Int32Array(0);
  #mask = 0;
  #distinct = 0;

  // Alert refs, numbered; freed numbers are reused.
  readonly #refs: Array<AlertRef | undefined> = [];
  /** First entry of each ref; the rest chain through #sibling. */
  readonly #refHead: number[] = [];
  readonly #freeRefs: number[] = [];
  /** Ref number(s) of each alert: a number for the usual single field, an array for both. */
  readonly #refsByAlert = new Map<string, number | number[]>();

  /** Scratch for the words of the digest being looked up. */
  readonly #probe = new Int32Array(WORDS);

  constructor(options: { expectedDigests?: number } = {}) {
    this.#grow(Math.max(INITIAL_ENTRIES, options.expectedDigests ?? 0));
  }

  /** Entries: (alert field, digest) pairs currently indexed. */
  get size(): number {
    return this.#size;
  }

  /** Distinct (key id, digest) pairs currently indexed. */
  get distinctDigests(): number {
    return this.#distinct;
  }

  /** Alerts currently indexed. */
  get alertCount(): number {
    return this.#refsByAlert.size;
  }

  /** Approximate bytes held by the typed arrays of the index (not counting alert refs). */
  get byteLength(): number {
    return (
      this.#words.byteLength +
      this.#keyNo.byteLength +
      this.#ref.byteLength +
      this.#next.byteLength +
      this.#sibling.byteLength +
      this.#slots.byteLength
    );
  }

  /**
   * Indexes the digests one field of one alert carries. An (alertId, field) already indexed is
   * left as it is (alerts are immutable; a redelivery adds nothing) and false is returned, as for
   * a field without digests. A digest repeated within the call is indexed once. Throws RangeError
   * for a digest that is not 32 bytes or an empty key id, before changing anything.
   */
  add(ref: AlertRef, digests: readonly KeyedDigestEntry[]): boolean {
    for (const [i, { keyId, digest }] of digests.entries()) {
      checkKeyId(keyId, i);
      if (!(digest instanceof Uint8Array) || digest.length !== DIGEST_LENGTH) {
        throw new RangeError(`digests[${i}]: a keyed digest must be ${DIGEST_LENGTH} bytes`);
      }
    }
    if (digests.length === 0) return false;
    const refNo = this.#openRef(ref);
    if (refNo === NONE) return false;
    for (const { keyId, digest } of digests) this.#addEntry(refNo, this.#keyNoOf(keyId), digest, 0);
    return true;
  }

  /**
   * Like add(), with the digests of each matching key packed end to end (n × 32 bytes), as the
   * store keeps them: loading a million digests then makes no object per digest.
   */
  addPacked(ref: AlertRef, groups: readonly PackedDigests[]): boolean {
    for (const [i, { keyId, digests }] of groups.entries()) {
      checkKeyId(keyId, i);
      if (!(digests instanceof Uint8Array) || digests.length % DIGEST_LENGTH !== 0) {
        throw new RangeError(`groups[${i}]: packed digests must be a multiple of ${DIGEST_LENGTH} bytes`);
      }
    }
    if (groups.every((group) => group.digests.length === 0)) return false;
    const refNo = this.#openRef(ref);
    if (refNo === NONE) return false;
    for (const { keyId, digests } of groups) {
      const keyNo = this.#keyNoOf(keyId);
      for (let at = 0; at < digests.length; at += DIGEST_LENGTH) this.#addEntry(refNo, keyNo, digests, at);
    }
    return true;
  }

  /** A new ref number for (alertId, field), or NONE when that field of that alert is indexed. */
  #openRef(ref: AlertRef): number {
    const existing = this.#refsByAlert.get(ref.alertId);
    if (existing !== undefined) {
      const refNos = typeof existing === 'number' ? [existing] : existing;
      for (const r of refNos) if (this.#refs[r]?.field === ref.field) return NONE;
    }
    const refNo = this.#freeRefs.pop() ?? this.#refs.length;
    // A copy with exactly the seven fields (one shape for all refs): nothing else reaches a caller.
    this.#refs[refNo] = {
      alertId: ref.alertId,
      origin: ref.origin,
      network: ref.network,
      kind: ref.kind,
      issuedAt: ref.issuedAt,
      handling: ref.handling,
      field: ref.field,
    };
    this.#refHead[refNo] = NONE;
    if (existing === undefined) this.#refsByAlert.set(ref.alertId, refNo);
    else
      this.#refsByAlert.set(
        ref.alertId,
        typeof existing === 'number' ? [existing, refNo] : [...existing, refNo],
      );
    return refNo;
  }

  #keyNoOf(keyId: string): number {
    let keyNo = this.#keyNos.get(keyId);
    if (keyNo === undefined) {
      keyNo = this.#keyNos.size;
      this.#keyNos.set(keyId, keyNo);
    }
    return keyNo;
  }

  #addEntry(refNo: number, keyNo: number, bytes: Uint8Array, offset: number): void {
    const entry = this.#insert(keyNo, bytes, offset, refNo);
    if (entry === NONE) return;
    this.#sibling[entry] = this.#refHead[refNo]!;
    this.#refHead[refNo] = entry;
  }

  /** Forgets an alert (all its fields): a retracted alert stops matching. False when unknown. */
  removeAlert(alertId: string): boolean {
    const refNos = this.#refsByAlert.get(alertId);
    if (refNos === undefined) return false;
    for (const refNo of typeof refNos === 'number' ? [refNos] : refNos) {
      for (let entry = this.#refHead[refNo] ?? NONE; entry !== NONE;) {
        const sibling = this.#sibling[entry]!;
        this.#remove(entry);
        entry = sibling;
      }
      this.#refs[refNo] = undefined;
      this.#refHead[refNo] = NONE;
      this.#freeRefs.push(refNo);
    }
    this.#refsByAlert.delete(alertId);
    return true;
  }

  /** True when an alert is indexed. */
  hasAlert(alertId: string): boolean {
    return this.#refsByAlert.has(alertId);
  }

  /** The origin of an indexed alert (only its origin may retract it), or undefined. */
  originOf(alertId: string): string | undefined {
    const refNos = this.#refsByAlert.get(alertId);
    if (refNos === undefined) return undefined;
    return this.#refs[typeof refNos === 'number' ? refNos : refNos[0]!]?.origin;
  }

  /**
   * Which of `digests` (made under `keyId`) occur in indexed alerts. `allow` decides, once per
   * alert ref and query, whether the caller may learn of that alert; a digest whose every alert
   * is refused is a no-hit. Throws RangeError for a digest that is not 32 bytes.
   */
  query(keyId: string, digests: readonly Uint8Array[], allow?: (ref: AlertRef) => boolean): MatchResult {
    const run = this.#startQuery(keyId, digests, allow);
    this.#queryRange(run, 0, digests.length);
    return run.result;
  }

  /**
   * query() in slices of `sliceSize` digests (default 2,000), yielding to the event loop between
   * slices, so that a bulk query of 100,000 digests does not hold up single queries behind it.
   * Each digest is answered against the index as it is when its slice runs.
   */
  async queryAsync(
    keyId: string,
    digests: readonly Uint8Array[],
    allow?: (ref: AlertRef) => boolean,
    options: { sliceSize?: number } = {},
  ): Promise<MatchResult> {
    const run = this.#startQuery(keyId, digests, allow);
    const slice = Math.max(1, options.sliceSize ?? 2000);
    for (let at = 0; at < digests.length; at += slice) {
      if (at > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      this.#queryRange(run, at, Math.min(at + slice, digests.length));
    }
    return run.result;
  }

  #startQuery(keyId: string, digests: readonly Uint8Array[], allow?: (ref: AlertRef) => boolean): QueryRun {
    for (const [i, digest] of digests.entries()) {
      if (!(digest instanceof Uint8Array) || digest.length !== DIGEST_LENGTH) {
        throw new RangeError(`digests[${i}]: a keyed digest must be ${DIGEST_LENGTH} bytes`);
      }
    }
    const hits: MatchHit[] = [];
    return {
      keyId,
      digests,
      allow,
      // Keyed by the digest and by the ref object, never by slot or entry numbers, which an
      // alert removed and another added between two slices may reuse.
      seen: new Set<string>(),
      allowed: new Map<AlertRef, boolean>(),
      hits,
      result: { keyId, queried: digests.length, matched: 0, hits },
    };
  }

  #queryRange(run: QueryRun, from: number, to: number): void {
    const keyNo = this.#keyNos.get(run.keyId);
    if (keyNo === undefined || this.#distinct === 0) return;
    for (let i = from; i < to; i++) {
      const digest = run.digests[i]!;
      const slot = this.#find(keyNo, this.#load(digest, 0));
      if (slot === NONE) continue;
      const alerts: AlertRef[] = [];
      for (let entry = this.#slots[slot]! - 1; entry !== NONE; entry = this.#next[entry]!) {
        const ref = this.#refs[this.#ref[entry]!]!;
        let ok = run.allowed.get(ref);
        if (ok === undefined) {
          ok = run.allow === undefined || run.allow(ref);
          run.allowed.set(ref, ok);
        }
        if (ok) alerts.push(ref);
      }
      if (alerts.length === 0) continue;
      const copy = Uint8Array.from(digest);
      const key = Buffer.from(copy.buffer).toString('latin1');
      if (run.seen.has(key)) continue;
      run.seen.add(key);
      alerts.sort(byIssuedAt);
      run.hits.push({ digest: copy, alerts });
      run.result.matched = run.hits.length;
    }
  }

  /** Copies the digest at `offset` into the probe words (little-endian, at any byte offset). */
  #load(digest: Uint8Array, offset: number): Int32Array {
    const probe = this.#probe;
    for (let w = 0, b = offset; w < WORDS; w++, b += 4) {
      probe[w] = digest[b]! | (digest[b + 1]! << 8) | (digest[b + 2]! << 16) | (digest[b + 3]! << 24);
    }
    return probe;
  }

  /** Seeded 32-bit hash of (key, 8 words) in the style of MurmurHash3. */
  #hash(keyNo: number, words: Int32Array, offset: number): number {
    let h = this.#seed ^ Math.imul(keyNo + 1, 0x9e3779b1);
    for (let w = 0; w < WORDS; w++) {
      let k = Math.imul(words[offset + w]!, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, 0x1b873593);
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  #sameDigest(entry: number, keyNo: number, words: Int32Array, offset: number): boolean {
    if (this.#keyNo[entry] !== keyNo) return false;
    const stored = this.#words;
    const base = entry * WORDS;
    for (let w = 0; w < WORDS; w++) if (stored[base + w] !== words[offset + w]) return false;
    return true;
  }

  /** The slot holding (key, digest), or NONE. */
  #find(keyNo: number, words: Int32Array, offset = 0): number {
    const slots = this.#slots;
    const mask = this.#mask;
    for (let slot = this.#hash(keyNo, words, offset) & mask; ; slot = (slot + 1) & mask) {
      const held = slots[slot]!;
      if (held === 0) return NONE;
      if (this.#sameDigest(held - 1, keyNo, words, offset)) return slot;
    }
  }

  /** Adds one entry; returns it, or NONE when the ref already holds this digest. */
  #insert(keyNo: number, digest: Uint8Array, offset: number, refNo: number): number {
    // Allocate first: growing the arrays rehashes the table, which would move a slot found before.
    const entry = this.#allocate();
    const words = this.#load(digest, offset);
    const slot = this.#find(keyNo, words);
    if (slot !== NONE) {
      for (let e = this.#slots[slot]! - 1; e !== NONE; e = this.#next[e]!) {
        if (this.#ref[e] === refNo) {
          this.#release(entry);
          return NONE;
        }
      }
    }
    this.#words.set(words, entry * WORDS);
    this.#keyNo[entry] = keyNo;
    this.#ref[entry] = refNo;
    this.#size++;
    if (slot !== NONE) {
      this.#next[entry] = this.#slots[slot]! - 1;
      this.#slots[slot] = entry + 1;
      return entry;
    }
    this.#next[entry] = NONE;
    this.#distinct++;
    this.#place(entry);
    return entry;
  }

  /** Puts a head entry into the first empty slot of its probe sequence. */
  #place(head: number): void {
    const mask = this.#mask;
    let slot = this.#hash(this.#keyNo[head]!, this.#words, head * WORDS) & mask;
    while (this.#slots[slot] !== 0) slot = (slot + 1) & mask;
    this.#slots[slot] = head + 1;
  }

  #remove(entry: number): void {
    const slot = this.#find(this.#keyNo[entry]!, this.#words, entry * WORDS);
    if (slot === NONE) return;
    const head = this.#slots[slot]! - 1;
    if (head === entry) {
      const rest = this.#next[entry]!;
      if (rest !== NONE) this.#slots[slot] = rest + 1;
      else this.#vacate(slot);
    } else {
      let prev = head;
      while (this.#next[prev] !== NONE && this.#next[prev] !== entry) prev = this.#next[prev]!;
      if (this.#next[prev] !== entry) return;
      this.#next[prev] = this.#next[entry]!;
    }
    this.#release(entry);
    this.#size--;
  }

  #release(entry: number): void {
    this.#ref[entry] = NONE;
    this.#next[entry] = this.#free;
    this.#free = entry;
  }

  /** Empties a slot, shifting later entries of the cluster back so that no probe stops early. */
  #vacate(slot: number): void {
    const slots = this.#slots;
    const mask = this.#mask;
    let hole = slot;
    for (let j = (slot + 1) & mask; slots[j] !== 0; j = (j + 1) & mask) {
      const head = slots[j]! - 1;
      const home = this.#hash(this.#keyNo[head]!, this.#words, head * WORDS) & mask;
      // Move j into the hole unless its home lies cyclically in (hole, j].
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!inRange) {
        slots[hole] = slots[j]!;
        hole = j;
      }
    }
    slots[hole] = 0;
    this.#distinct--;
  }

  #allocate(): number {
    if (this.#free !== NONE) {
      const entry = this.#free;
      this.#free = this.#next[entry]!;
      return entry;
    }
    if (this.#used === this.#capacity) this.#grow(this.#capacity * 2);
    return this.#used++;
  }

  #grow(capacity: number): void {
    const words = new Int32Array(capacity * WORDS);
    words.set(this.#words);
    const keyNo = new Int32Array(capacity);
    keyNo.set(this.#keyNo);
    const ref = new Int32Array(capacity);
    ref.set(this.#ref);
    const next = new Int32Array(capacity);
    next.set(this.#next);
    const sibling = new Int32Array(capacity);
    sibling.set(this.#sibling);
    this.#sibling = sibling;
    this.#words = words;
    this.#keyNo = keyNo;
    this.#ref = ref;
    this.#next = next;
    this.#capacity = capacity;
    // At least two slots per entry: the table never gets more than half full, so probes stay short.
    let slots = 1024;
    while (slots < capacity * 2) slots *= 2;
    if (slots > this.#slots.length) this.#rehash(slots);
  }

  #rehash(slotCount: number): void {
    const old = this.#slots;
    this.#slots = new Int32Array(slotCount);
    this.#mask = slotCount - 1;
    for (const held of old) if (held !== 0) this.#place(held - 1);
  }
}

function checkKeyId(keyId: unknown, i: number): void {
  if (typeof keyId !== 'string' || keyId === '') throw new RangeError(`digests[${i}]: empty keyId`);
}

function byIssuedAt(a: AlertRef, b: AlertRef): number {
  if (a.issuedAt !== b.issuedAt) return a.issuedAt < b.issuedAt ? -1 : 1;
  return a.alertId < b.alertId ? -1 : a.alertId > b.alertId ? 1 : 0;
}
