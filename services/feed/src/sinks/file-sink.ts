/**
 * The file sink: one JSON Lines file per feed, `<root>/<directory>/<feedId>.jsonl`, one
 * FeedRecord per line, for FIUs whose tools ingest files (a SIEM's file reader, a nightly import).
 *
 * Confinement: `root` is the operator's file root for the feed's country (`<file root>/<CC>`);
 * the definition's directory is resolved inside it and nowhere else. The root's own path is
 * taken through realpath (an operator may put it behind a link); below it no symbolic link is
 * followed: each directory component is checked with lstat (and created 0700 when missing), the
 * resolved directory must be its own realpath, and files are opened with O_NOFOLLOW. A path that
 * leaves the root or meets a link is refused with ERR_VALIDATION (`sink.directory`,
 * `outside_file_root` or `symlink_refused`) and the feed retries until someone fixes it. The root
 * should be writable by the feed service alone.
 *
 * Durability: a deliver() resolves only after its line was fsynced. Deliveries that overlap are
 * written together and share one fsync (group commit), each still resolving after its own line
 * is on disk. A crash can leave a torn last line; the sink cuts it away when it opens the file,
 * and lastDeliveredSeq() reads the `seq` of the last complete line, so the feed runner skips
 * what the file already holds and re-sends the rest: nothing is lost, nothing is duplicated
 * beyond at-least-once.
 *
 * Rotation: before the current file would grow past `maxBytes` it is renamed to
 * `<feedId>-<UTC yyyyMMddTHHmmssSSSZ>-<last seq in it>.jsonl` and a new one is started; at most
 * `maxFiles` rotated files are kept, the oldest deleted. Readers should take rotated files in
 * name order, then the current one. The directory is created 0700 and files 0600: records are
 * restricted information.
 *
 * One process writes a feed's file at a time (the feed service runs each feed once).
 */
import type { FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, unlink } from 'node:fs/promises';
import { isAbsolute, join, normalize, relative } from 'node:path';

import { FeedError } from '../errors.js';
import type { FeedRecord } from '../feed-record.js';
import type { DeliveryProgress, FeedSink, SinkStatus } from './sink.js';
import type { FileSinkDefinition } from './sink-definition.js';
import { DEFAULT_FILE_MAX_BYTES, DEFAULT_FILE_MAX_FILES, describeSink } from './sink-definition.js';
import type { BackoffOptions } from './retry.js';
import {
  DEFAULT_WORKING_INTERVAL_MS,
  SinkCounters,
  backoffDelay,
  backoffOptions,
  messageOf,
  sleep,
  startHeartbeat,
  stoppedError,
} from './retry.js';

/** Options of createFileSink(). */
export interface FileSinkOptions {
  /** The feed's id: names the files, so it must be a safe file name. */
  readonly feedId: string;
  /** The operator's file root for the feed's country (`<file root>/<CC>`): the files stay inside it. */
  readonly root: string;
  /** Delays between attempts after a write failure (a full disk, an I/O error). */
  readonly backoff?: Partial<BackoffOptions>;
  /** How often a delivery still going on calls `progress.working()` (default 5 s). */
  readonly workingIntervalMs?: number;
  /** The clock of rotated file names and status times (tests pin it). */
  readonly now?: () => Date;
}

/** A feed id usable as a file name: no separators, no leading dot. */
const SAFE_FEED_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const NEWLINE = 0x0a;
const READ_CHUNK = 64 * 1024;
/** Appending, creating 0600, never through a symbolic link. */
const OPEN_APPEND = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
const OPEN_READ = constants.O_RDONLY | constants.O_NOFOLLOW;
const OPEN_DIRECTORY = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

interface Entry {
  readonly id: string;
  readonly line: Buffer;
  readonly seq: number;
  readonly signal: AbortSignal;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  settled: boolean;
}

/** Creates the file sink of one feed. Nothing touches the disk until the first call. */
export function createFileSink(def: FileSinkDefinition, options: FileSinkOptions): FeedSink {
  return new FileSink(def, options);
}

class FileSink implements FeedSink {
  readonly describe: string;
  /** The checked directory and current file; set by ensureOpen() (resolveDirectory()). */
  private directory = '';
  private currentPath = '';
  private readonly root: string;
  private readonly feedId: string;
  private readonly rotatedName: RegExp;
  private readonly backoff: BackoffOptions;
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private readonly workingIntervalMs: number;
  private readonly now: () => Date;
  private readonly counters: SinkCounters;

  private fh: FileHandle | undefined;
  /** Bytes of the current file known to be complete and fsynced; undefined before the first open. */
  private goodSize: number | undefined;
  /** `seq` of the last line of the current file, undefined when it is empty. */
  private lastSeqInCurrent: number | undefined;
  private pending: Entry[] = [];
  private flushing: Promise<void> | undefined;
  private batchAbort: AbortController | undefined;
  /** Serializes file access: batches, lastDeliveredSeq(), close(). */
  private lock: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly def: FileSinkDefinition,
    options: FileSinkOptions,
  ) {
    if (!SAFE_FEED_ID.test(options.feedId)) {
      throw new FeedError(
        'ERR_VALIDATION',
        `feed id ${JSON.stringify(options.feedId)} cannot name a file: use letters, digits, _, - and . (not first)`,
      );
    }
    this.describe = describeSink(def);
    this.root = options.root;
    this.feedId = options.feedId;
    this.rotatedName = new RegExp(`^${escapeRegExp(options.feedId)}-(\\d{8}T\\d{9}Z)-(\\d+)\\.jsonl$`);
    this.backoff = backoffOptions(options.backoff);
    this.maxBytes = def.maxBytes ?? DEFAULT_FILE_MAX_BYTES;
    this.maxFiles = def.maxFiles ?? DEFAULT_FILE_MAX_FILES;
    this.workingIntervalMs = options.workingIntervalMs ?? DEFAULT_WORKING_INTERVAL_MS;
    this.now = options.now ?? (() => new Date());
    this.counters = new SinkCounters(this.now);
  }

  status(): SinkStatus {
    return this.counters.status();
  }

  /** What JSON.stringify() shows of the sink. */
  toJSON(): { describe: string; status: SinkStatus } {
    return { describe: this.describe, status: this.status() };
  }

  lastDeliveredSeq(): Promise<number | undefined> {
    return this.exclusive(async () => {
      await this.ensureOpen();
      if (this.lastSeqInCurrent !== undefined) return this.lastSeqInCurrent;
      const newest = (await this.rotatedFiles()).at(-1);
      if (newest === undefined) return undefined;
      const fh = await open(join(this.directory, newest.name), OPEN_READ);
      try {
        const size = (await fh.stat()).size;
        return (await lastRecordSeq(fh, await completeLength(fh, size))) ?? newest.lastSeq;
      } finally {
        await fh.close();
      }
    });
  }

  deliver(record: FeedRecord, progress: DeliveryProgress): Promise<void> {
    const { signal } = progress;
    if (this.closed) return Promise.reject(this.closedError());
    if (signal.aborted) return Promise.reject(stoppedError(record.id, this.describe, signal));
    const stopHeartbeat = startHeartbeat(progress, this.workingIntervalMs);
    const done = new Promise<void>((resolve, reject) => {
      const entry: Entry = {
        id: record.id,
        line: Buffer.from(`${JSON.stringify(record)}\n`, 'utf8'),
        seq: record.seq,
        signal,
        settled: false,
        resolve: () => {
          entry.settled = true;
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err) => {
          entry.settled = true;
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      const onAbort = (): void => {
        const index = this.pending.indexOf(entry);
        // Not taken yet: drop it and every later record, so the file never skips one.
        if (index >= 0) this.cutPending(index, (e) => stoppedErrorOf(e, this.describe));
        // Being written: wake a retry sleep, the batch is cut at the first stopped entry.
        else this.batchAbort?.abort();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.push(entry);
    });
    this.kick();
    return done.finally(stopHeartbeat);
  }

  async close(): Promise<void> {
    if (this.closed) return this.exclusive(async () => undefined);
    this.closed = true;
    this.cutPending(0, () => this.closedError());
    this.batchAbort?.abort();
    await this.flushing;
    await this.exclusive(async () => {
      const fh = this.fh;
      this.fh = undefined;
      await fh?.close();
    });
  }

  // ---- writing -------------------------------------------------------------------------------

  private kick(): void {
    if (this.flushing !== undefined) return;
    this.flushing = (async () => {
      try {
        while (this.pending.length > 0) {
          const batch = this.pending.splice(0);
          await this.exclusive(() => this.writeWithRetries(batch));
        }
      } finally {
        this.flushing = undefined;
      }
    })();
  }

  private async writeWithRetries(batch: Entry[]): Promise<void> {
    let remaining = this.cutBatch(batch);
    let retry = 0;
    let endRetrying: (() => void) | undefined;
    try {
      while (remaining.length > 0) {
        try {
          await this.ensureOpen();
          await this.writeEntries(remaining);
          return;
        } catch (err) {
          this.counters.failed(`cannot write to ${this.describe}: ${messageOf(err)}`);
          // Reopen before the next attempt: the handle may be broken after a failed fsync, and
          // reopening truncates the file back to its last synced size.
          await this.discardHandle();
          remaining = this.cutBatch(remaining.filter((e) => !e.settled));
          if (remaining.length === 0) return;
          retry += 1;
          this.counters.retried();
          endRetrying ??= this.counters.retryingStarted();
          // A stop or close wakes the sleep; a fresh controller per sleep, so the entries left
          // after a cut still wait out their backoff.
          const wake = new AbortController();
          this.batchAbort = wake;
          await sleep(backoffDelay(retry, this.backoff), wake.signal, () => new Error('woken')).catch(
            () => undefined,
          );
          this.batchAbort = undefined;
          remaining = this.cutBatch(remaining);
        }
      }
    } finally {
      endRetrying?.();
      this.batchAbort = undefined;
    }
  }

  /** Writes the entries in order, rotating as needed; each resolves once its segment is fsynced. */
  private async writeEntries(entries: readonly Entry[]): Promise<void> {
    let segment: Entry[] = [];
    let size = this.goodSize ?? 0;
    for (const entry of entries) {
      // A line longer than maxBytes still gets a file of its own rather than being refused.
      if (size > 0 && size + entry.line.length > this.maxBytes) {
        await this.writeSegment(segment);
        segment = [];
        await this.rotate();
        await this.ensureOpen();
        size = 0;
      }
      segment.push(entry);
      size += entry.line.length;
    }
    await this.writeSegment(segment);
  }

  private async writeSegment(segment: readonly Entry[]): Promise<void> {
    if (segment.length === 0) return;
    const fh = this.handle();
    const bytes = Buffer.concat(segment.map((e) => e.line));
    let written = 0;
    while (written < bytes.length) {
      // The file is opened for appending: every write goes to its end.
      const { bytesWritten } = await fh.write(bytes, written, bytes.length - written, null);
      written += bytesWritten;
    }
    await fh.datasync();
    this.goodSize = (this.goodSize ?? 0) + bytes.length;
    this.lastSeqInCurrent = segment.at(-1)?.seq;
    this.counters.succeeded(segment.length);
    for (const entry of segment) entry.resolve();
  }

  /** Renames the current file aside, starts a new one and deletes rotated files beyond maxFiles. */
  private async rotate(): Promise<void> {
    await this.discardHandle();
    const stem = this.currentPath.slice(0, -'.jsonl'.length);
    let target = `${stem}-${fileTimestamp(this.now())}-${this.lastSeqInCurrent ?? 0}.jsonl`;
    // Never overwrite an earlier rotated file (two rotations in one millisecond).
    for (let wait = 0; await exists(target); wait++) {
      if (wait === 100)
        throw new FeedError('ERR_INTERNAL', `cannot rotate ${this.currentPath}: ${target} exists`);
      await new Promise((resolve) => setTimeout(resolve, 1));
      target = `${stem}-${fileTimestamp(this.now())}-${this.lastSeqInCurrent ?? 0}.jsonl`;
    }
    await rename(this.currentPath, target);
    this.goodSize = 0;
    this.lastSeqInCurrent = undefined;
    await syncDirectory(this.directory);
    const rotated = await this.rotatedFiles();
    for (const old of rotated.slice(0, Math.max(0, rotated.length - this.maxFiles))) {
      await unlink(join(this.directory, old.name)).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      });
    }
  }

  // ---- the current file ----------------------------------------------------------------------

  /**
   * Opens the current file (creating directory and file as needed). The first time it cuts a
   * torn last line away and reads the last seq; after a failed write it truncates the file back
   * to the last synced size, so a failed batch leaves no partial lines.
   */
  private async ensureOpen(): Promise<void> {
    if (this.fh !== undefined) return;
    await this.resolveDirectory();
    const created = !(await exists(this.currentPath));
    const fh = await open(this.currentPath, OPEN_APPEND, 0o600).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ELOOP') throw err;
      throw new FeedError('ERR_VALIDATION', `sink.directory: ${this.currentPath} is a symbolic link`, {
        cause: err,
        violations: [
          { path: 'sink.directory', code: 'symlink_refused', message: 'the feed file is a symbolic link' },
        ],
      });
    });
    try {
      if (created) await syncDirectory(this.directory);
      const size = (await fh.stat()).size;
      if (this.goodSize === undefined) {
        const complete = await completeLength(fh, size);
        if (complete < size) {
          await fh.truncate(complete);
          await fh.datasync();
        }
        this.goodSize = complete;
        this.lastSeqInCurrent = await lastRecordSeq(fh, complete);
      } else if (size !== this.goodSize) {
        if (size < this.goodSize) {
          throw new FeedError(
            'ERR_INTERNAL',
            `${this.currentPath} shrank from ${this.goodSize} to ${size} bytes behind the feed service's back`,
          );
        }
        await fh.truncate(this.goodSize);
        await fh.datasync();
      }
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    this.fh = fh;
  }

  /**
   * Finds (creating 0700 what is missing) the definition's directory inside the root, one
   * component at a time, refusing a symbolic link anywhere below the root and a path that leaves it.
   */
  private async resolveDirectory(): Promise<void> {
    const refuse = (code: string, message: string): FeedError =>
      new FeedError('ERR_VALIDATION', `sink.directory: ${message}`, {
        violations: [{ path: 'sink.directory', code, message }],
      });
    const given = this.def.directory;
    let rel = given;
    if (isAbsolute(given)) {
      // A definition stored before file roots existed: still accepted when it lies inside.
      rel = relative(normalize(this.root), normalize(given));
      if (rel === '' || rel.startsWith('..') || isAbsolute(rel))
        throw refuse('outside_file_root', `${given} is outside the feed service's file root ${this.root}`);
    }
    const parts = rel.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
    if (parts.length === 0 || parts.some((p) => p === '..' || p.includes('\0')))
      throw refuse('invalid_path', `${JSON.stringify(given)} is not a directory below the file root`);
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    let dir = await realpath(this.root);
    for (const part of parts) {
      dir = join(dir, part);
      let info = await lstat(dir).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      if (info === undefined) {
        await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        });
        info = await lstat(dir);
      }
      if (info.isSymbolicLink())
        throw refuse('symlink_refused', `${dir} is a symbolic link: file sinks never follow links`);
      if (!info.isDirectory()) throw refuse('not_a_directory', `${dir} exists and is not a directory`);
    }
    // Nothing was swapped for a link between the checks.
    if ((await realpath(dir)) !== dir)
      throw refuse('symlink_refused', `${dir} resolves elsewhere: file sinks never follow links`);
    this.directory = dir;
    this.currentPath = join(dir, `${this.feedId}.jsonl`);
  }

  private handle(): FileHandle {
    if (this.fh === undefined) throw new FeedError('ERR_INTERNAL', `${this.currentPath} is not open`);
    return this.fh;
  }

  private async discardHandle(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
  }

  /** Rotated files of this feed, oldest first. */
  private async rotatedFiles(): Promise<{ name: string; lastSeq: number }[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const files: { name: string; stamp: string; lastSeq: number }[] = [];
    for (const name of names) {
      const match = this.rotatedName.exec(name);
      if (match !== null) files.push({ name, stamp: match[1] ?? '', lastSeq: Number(match[2]) });
    }
    files.sort((a, b) => (a.stamp === b.stamp ? a.lastSeq - b.lastSeq : a.stamp < b.stamp ? -1 : 1));
    return files.map(({ name, lastSeq }) => ({ name, lastSeq }));
  }

  // ---- bookkeeping ---------------------------------------------------------------------------

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.lock.then(task, task);
    this.lock = result.catch(() => undefined);
    return result;
  }

  /** Rejects pending entries from `index` on (they follow a stopped one in stream order). */
  private cutPending(index: number, error: (entry: Entry) => Error): void {
    for (const entry of this.pending.splice(index)) entry.reject(error(entry));
  }

  /** The batch up to its first stopped entry; that one and the rest are rejected. */
  private cutBatch(batch: Entry[]): Entry[] {
    const index = batch.findIndex((e) => this.closed || e.signal.aborted);
    if (index < 0) return batch;
    for (const entry of batch.slice(index)) {
      entry.reject(this.closed ? this.closedError() : stoppedErrorOf(entry, this.describe));
    }
    return batch.slice(0, index);
  }

  private closedError(): FeedError {
    return new FeedError('ERR_UNAVAILABLE', `the sink ${this.describe} is closed`);
  }
}

function stoppedErrorOf(entry: Entry, describe: string): FeedError {
  return stoppedError(entry.id, describe, entry.signal);
}

/** Length of the file up to and including its last newline (0 when it has none). */
async function completeLength(fh: FileHandle, size: number): Promise<number> {
  return (await lastNewlineBefore(fh, size)) + 1;
}

/** Position of the last newline before `end`, or -1. */
async function lastNewlineBefore(fh: FileHandle, end: number): Promise<number> {
  const buffer = Buffer.alloc(READ_CHUNK);
  let to = end;
  while (to > 0) {
    const from = Math.max(0, to - READ_CHUNK);
    const { bytesRead } = await fh.read(buffer, 0, to - from, from);
    const index = buffer.subarray(0, bytesRead).lastIndexOf(NEWLINE);
    if (index >= 0) return from + index;
    to = from;
  }
  return -1;
}

/** `seq` of the last line before `end` (a line boundary) that holds a record; lines that do not are skipped. */
async function lastRecordSeq(fh: FileHandle, end: number): Promise<number | undefined> {
  let lineEnd = end - 1;
  while (lineEnd > 0) {
    const lineStart = (await lastNewlineBefore(fh, lineEnd)) + 1;
    const buffer = Buffer.alloc(lineEnd - lineStart);
    await fh.read(buffer, 0, buffer.length, lineStart);
    const seq = seqOf(buffer.toString('utf8'));
    if (seq !== undefined) return seq;
    lineEnd = lineStart - 1;
  }
  return undefined;
}

function seqOf(line: string): number | undefined {
  try {
    const value: unknown = JSON.parse(line);
    const seq = typeof value === 'object' && value !== null ? (value as { seq?: unknown }).seq : undefined;
    return typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : undefined;
  } catch {
    return undefined;
  }
}

/** `2026-11-26T14:09:20.123Z` → `20261126T140920123Z`: sorts by name, safe in file names. */
function fileTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Makes a created or renamed entry of `directory` durable. */
async function syncDirectory(directory: string): Promise<void> {
  const fh = await open(directory, OPEN_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
