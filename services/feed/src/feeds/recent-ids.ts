/**
 * A set of the most recently added ids, holding at most `capacity` of them (the oldest forgotten
 * first; a repeated id becomes the newest again). The STIX export uses it to write each shared
 * object (identities, marking definitions, threat actors: ids derived from their content, so the
 * same object always has the same id) once, with memory bounded whatever the export's size.
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('capacity must be >= 1');
  }

  /** True when `id` was added and not forgotten yet; either way it is now the newest. */
  seen(id: string): boolean {
    const had = this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return had;
  }

  get size(): number {
    return this.ids.size;
  }
}
