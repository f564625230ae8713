/**
 * Group commit of the origin's outbox rows. Every row handed over in one turn of the event loop
 * (the alerts whose JetStream acknowledgements came in together: some 40 at a time with 64
 * publishes in flight) is written in one SQLite transaction (AlertStore.insertMany), and each
 * caller learns, once that transaction committed, the row as stored: one commit for many alerts
 * instead of one each, and nothing read back.
 *
 * The outbox copy replaces any copy already there: the node's own consumer may have stored the
 * alert first (header only, for a restricted alert this country is not a recipient of), and the
 * origin keeps the clear body. insertMany keeps what is there, so a row it reports as already
 * there is written again on its own with AlertStore.replace (and then read back: a rare case). A
 * batch whose transaction fails is written again row by row, so a bad row fails alone.
 */
import type { AlertStore, NewAlertRow, StoredAlert } from '../store/alert-store.js';

/** Rows written in one transaction at most. */
const MAX_BATCH = 256;

interface Waiting {
  readonly row: NewAlertRow;
  readonly resolve: (stored: StoredAlert) => void;
  readonly reject: (error: unknown) => void;
}

export class OutboxWriter {
  #waiting: Waiting[] = [];
  #scheduled = false;

  constructor(private readonly store: AlertStore) {}

  /** Stores `row` in place of any alert with its id; resolves once committed, with the row as stored. */
  write(row: NewAlertRow): Promise<StoredAlert> {
    return new Promise<StoredAlert>((resolve, reject) => {
      this.#waiting.push({ row, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // At the end of this turn's microtasks: the continuations of every acknowledgement parsed
        // from the same read have queued their rows by then, and the row is committed before the
        // node's own consumer (fed by later reads) looks for it, so it need not verify its own
        // alert again.
        queueMicrotask(() => this.flush());
      }
    });
  }

  /** Writes what waits now (also what close() calls, so that no row waits past the store). */
  flush(): void {
    this.#scheduled = false;
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, MAX_BATCH);
      this.#writeBatch(batch);
    }
  }

  #writeBatch(batch: readonly Waiting[]): void {
    const receivedAt = new Date();
    let stored: Array<StoredAlert | undefined>;
    try {
      stored = this.store.insertMany(
        batch.map((w) => w.row),
        receivedAt,
      );
    } catch {
      // One row spoiled the transaction: each on its own, so that only that one fails.
      for (const w of batch) this.#writeOne(w, receivedAt);
      return;
    }
    batch.forEach((w, i) => {
      const row = stored[i];
      if (row !== undefined) w.resolve(row);
      else this.#writeOne(w, receivedAt);
    });
  }

  #writeOne(w: Waiting, receivedAt: Date): void {
    try {
      this.store.replace(w.row, receivedAt);
      const stored = this.store.get(w.row.id);
      if (stored === undefined) throw new Error(`outbox row ${w.row.id} not found after it was written`);
      w.resolve(stored);
    } catch (error) {
      w.reject(error);
    }
  }
}
