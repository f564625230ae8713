import {
  appendFile,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { FeedError } from '../errors.js';
import { FEED_RECORD_FORMAT } from '../feed-record.js';
import type { FeedRecord } from '../feed-record.js';
import { createFileSink } from './file-sink.js';
import type { DeliveryProgress } from './sink.js';

const FEED = 'mx-cases';
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'enlace-file-sink-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function record(seq: number, padding = 0): FeedRecord {
  return {
    format: FEED_RECORD_FORMAT,
    id: `${FEED}:0192f1c4-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    feed: FEED,
    seq,
    subject: 'enlace.v1.alert.trafficking-liaison.route.GT',
    alert: { header: { id: `alert-${seq}` }, note: 'x'.repeat(padding) },
    financial: false,
    verification: {
      kid: 'GT-sig-2026-01',
      registryRevision: 7,
      rules: ['members-share'],
      verifiedAt: '2026-11-26T14:00:00.000Z',
      bodyReadable: true,
      expired: false,
    },
    signedAlert: 'AAAA',
  };
}

function progress(signal: AbortSignal = new AbortController().signal): DeliveryProgress & { beats: number } {
  const p = { beats: 0, signal, working: () => void (p.beats += 1) };
  return p;
}

async function lines(path: string): Promise<FeedRecord[]> {
  const text = await readFile(path, 'utf8');
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as FeedRecord);
}

/** Rotated files of FEED in name order, then the current file: the order readers take. */
async function filesInOrder(directory: string): Promise<string[]> {
  const rotated = (await readdir(directory))
    .filter((n) => /^mx-cases-\d{8}T\d{9}Z-\d+\.jsonl$/.test(n))
    .sort();
  return [...rotated, `${FEED}.jsonl`];
}

describe('createFileSink', () => {
  it('appends one JSON line per record, creating the directory 0700 and the file 0600', async () => {
    const directory = join(root, 'feeds', 'mx');
    const sink = createFileSink({ type: 'file', directory }, { feedId: FEED, root: tmpdir() });
    expect(sink.describe).toBe(`file:${directory}`);
    expect(await sink.lastDeliveredSeq()).toBeUndefined();
    for (const seq of [3, 5, 9]) await sink.deliver(record(seq), progress());
    await sink.close();

    const path = join(directory, `${FEED}.jsonl`);
    expect((await lines(path)).map((r) => r.seq)).toEqual([3, 5, 9]);
    expect((await lines(path))[0]).toEqual(record(3));
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(sink.status()).toMatchObject({ delivered: 3, retries: 0, retrying: false });
    expect(sink.status().lastError).toBeUndefined();
  });

  it('writes overlapping deliveries in call order, each resolving after its line is on disk', async () => {
    const sink = createFileSink({ type: 'file', directory: root }, { feedId: FEED, root: tmpdir() });
    const path = join(root, `${FEED}.jsonl`);
    const seqs = Array.from({ length: 60 }, (_, i) => i + 1);
    await Promise.all(
      seqs.map(async (seq) => {
        await sink.deliver(record(seq), progress());
        // Resolved means written: its line is in the file already.
        expect((await lines(path)).some((r) => r.seq === seq)).toBe(true);
      }),
    );
    expect((await lines(path)).map((r) => r.seq)).toEqual(seqs);
    expect(await sink.lastDeliveredSeq()).toBe(60);
    await sink.close();
  });

  it('rotates before a file would exceed maxBytes and keeps every record, in order', async () => {
    const sink = createFileSink(
      { type: 'file', directory: root, maxBytes: 2048, maxFiles: 100 },
      { feedId: FEED, root: tmpdir() },
    );
    const lineBytes = Buffer.byteLength(`${JSON.stringify(record(1, 300))}\n`);
    expect(lineBytes).toBeGreaterThan(600);
    for (let seq = 1; seq <= 20; seq++) await sink.deliver(record(seq, 300), progress());
    await sink.close();

    const files = await filesInOrder(root);
    expect(files.length).toBeGreaterThan(5);
    const all: number[] = [];
    for (const name of files) {
      const path = join(root, name);
      expect((await stat(path)).size).toBeLessThanOrEqual(2048);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      const seqs = (await lines(path)).map((r) => r.seq);
      // A rotated file is named after the last seq it holds.
      if (name !== `${FEED}.jsonl`) expect(name.endsWith(`-${seqs.at(-1)}.jsonl`)).toBe(true);
      all.push(...seqs);
    }
    expect(all).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('rotates inside a batch of overlapping deliveries too', async () => {
    const sink = createFileSink(
      { type: 'file', directory: root, maxBytes: 2048, maxFiles: 100 },
      { feedId: FEED, root: tmpdir() },
    );
    const seqs = Array.from({ length: 40 }, (_, i) => i + 1);
    await Promise.all(seqs.map((seq) => sink.deliver(record(seq, 300), progress())));
    await sink.close();
    const all: number[] = [];
    for (const name of await filesInOrder(root)) {
      expect((await stat(join(root, name))).size).toBeLessThanOrEqual(2048);
      all.push(...(await lines(join(root, name))).map((r) => r.seq));
    }
    expect(all).toEqual(seqs);
  });

  it('gives a line longer than maxBytes a file of its own', async () => {
    const sink = createFileSink(
      { type: 'file', directory: root, maxBytes: 1024 },
      { feedId: FEED, root: tmpdir() },
    );
    await sink.deliver(record(1), progress());
    await sink.deliver(record(2, 3000), progress());
    await sink.deliver(record(3), progress());
    await sink.close();
    const files = await filesInOrder(root);
    const perFile = await Promise.all(files.map(async (n) => (await lines(join(root, n))).map((r) => r.seq)));
    expect(perFile).toEqual([[1], [2], [3]]);
  });

  it('keeps at most maxFiles rotated files, deleting the oldest', async () => {
    const sink = createFileSink(
      { type: 'file', directory: root, maxBytes: 1024, maxFiles: 2 },
      { feedId: FEED, root: tmpdir() },
    );
    for (let seq = 1; seq <= 12; seq++) await sink.deliver(record(seq, 700), progress());
    await sink.close();
    // Another feed's files in the same directory are none of its business.
    const files = await filesInOrder(root);
    expect(files).toHaveLength(3);
    const kept = await Promise.all(files.map(async (n) => (await lines(join(root, n))).map((r) => r.seq)));
    expect(kept).toEqual([[10], [11], [12]]);
  });

  it('cuts a torn last line away and reports the seq of the last complete one', async () => {
    const path = join(root, `${FEED}.jsonl`);
    const first = createFileSink({ type: 'file', directory: root }, { feedId: FEED, root: tmpdir() });
    for (const seq of [1, 2, 3]) await first.deliver(record(seq), progress());
    await first.close();
    // A crash in the middle of writing seq 4.
    const intact = await readFile(path);
    await appendFile(path, JSON.stringify(record(4)).slice(0, 57));

    const second = createFileSink({ type: 'file', directory: root }, { feedId: FEED, root: tmpdir() });
    expect(await second.lastDeliveredSeq()).toBe(3);
    expect(await readFile(path)).toEqual(intact);
    await second.deliver(record(4), progress());
    await second.close();
    expect((await lines(path)).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
  });

  it('reads a torn file with no complete line as empty', async () => {
    await writeFile(path(), '{"format":"enlace.feed.record.v1","seq":1', { mode: 0o600 });
    const sink = createFileSink({ type: 'file', directory: root }, { feedId: FEED, root: tmpdir() });
    expect(await sink.lastDeliveredSeq()).toBeUndefined();
    expect(await readFile(path(), 'utf8')).toBe('');
    await sink.close();

    function path(): string {
      return join(root, `${FEED}.jsonl`);
    }
  });

  it('falls back to the newest rotated file when the current one is empty or missing', async () => {
    const first = createFileSink(
      { type: 'file', directory: root, maxBytes: 1024 },
      { feedId: FEED, root: tmpdir() },
    );
    for (let seq = 1; seq <= 4; seq++) await first.deliver(record(seq, 700), progress());
    await first.close();
    // As if the service stopped right after a rotation renamed the current file.
    await rename(join(root, `${FEED}.jsonl`), join(root, `${FEED}-29991231T235959999Z-4.jsonl`));

    const second = createFileSink(
      { type: 'file', directory: root, maxBytes: 1024 },
      { feedId: FEED, root: tmpdir() },
    );
    expect(await second.lastDeliveredSeq()).toBe(4);
    await second.close();
  });

  it('retries a failing write until the disk is back, reporting the error, then delivers', async () => {
    // A plain file where the directory should be: every open fails until it is replaced.
    const directory = join(root, 'blocked');
    await writeFile(directory, 'not a directory');
    const sink = createFileSink(
      { type: 'file', directory },
      {
        feedId: FEED,
        root: tmpdir(),
        backoff: { initialMs: 5, maxMs: 20, factor: 2 },
        workingIntervalMs: 10,
      },
    );
    const p = progress();
    const delivered = sink.deliver(record(1), p);
    await expect.poll(() => sink.status().retries, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    expect(sink.status()).toMatchObject({ delivered: 0, retrying: true });
    expect(sink.status().lastError?.message).toMatch(
      /^cannot write to file:.*blocked: ERR_VALIDATION: sink\.directory: .*blocked exists and is not a directory/,
    );
    await expect.poll(() => p.beats, { timeout: 5_000 }).toBeGreaterThan(0);

    await rm(directory);
    // The sink may well create it itself in between: both are fine.
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await delivered;
    expect(sink.status()).toMatchObject({ delivered: 1, retrying: false });
    expect((await lines(join(directory, `${FEED}.jsonl`))).map((r) => r.seq)).toEqual([1]);
    await sink.close();
  });

  it('stops promptly when the feed stops while a write is being retried', async () => {
    const directory = join(root, 'blocked');
    await writeFile(directory, 'not a directory');
    const sink = createFileSink(
      { type: 'file', directory },
      { feedId: FEED, root: tmpdir(), backoff: { initialMs: 60_000, maxMs: 60_000, factor: 2 } },
    );
    const stop = new AbortController();
    const delivered = sink.deliver(record(1), progress(stop.signal));
    const later = sink.deliver(record(2), progress(stop.signal));
    await expect.poll(() => sink.status().retries, { timeout: 5_000 }).toBe(1);
    const started = Date.now();
    stop.abort();
    await expect(delivered).rejects.toThrow(FeedError);
    await expect(delivered).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    await expect(later).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(sink.deliver(record(3), progress(stop.signal))).rejects.toThrow(
      /^delivery of record mx-cases:.*3 to file:.* stopped: the feed is stopping$/,
    );
    await sink.close();
    await expect(sink.deliver(record(4), progress())).rejects.toThrow(/is closed$/);
  });

  it('drops a stopped delivery and the ones after it, never leaving a gap in the file', async () => {
    const directory = join(root, 'blocked');
    await writeFile(directory, 'not a directory');
    const sink = createFileSink(
      { type: 'file', directory },
      { feedId: FEED, root: tmpdir(), backoff: { initialMs: 100, maxMs: 100, factor: 1 } },
    );
    const a = new AbortController();
    const b = new AbortController();
    const first = sink.deliver(record(1), progress(a.signal));
    const second = sink.deliver(record(2), progress(b.signal));
    const third = sink.deliver(record(3), progress(a.signal));
    await expect.poll(() => sink.status().retries).toBeGreaterThanOrEqual(1);
    b.abort();
    await expect(second).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    await expect(third).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    // The first keeps its backoff rather than spinning.
    const before = sink.status().retries;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sink.status().retries - before).toBeLessThan(20);

    await rm(directory);
    // The sink may well create it itself in between: both are fine.
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await first;
    await sink.deliver(record(2), progress());
    expect((await lines(join(directory, `${FEED}.jsonl`))).map((r) => r.seq)).toEqual([1, 2]);
    await sink.close();
  });

  it('refuses a feed id that cannot name a file', () => {
    expect(() =>
      createFileSink({ type: 'file', directory: root }, { feedId: '../etc', root: tmpdir() }),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_VALIDATION',
        message: expect.stringMatching(/cannot name a file/),
      }),
    );
  });
});

describe('createFileSink confinement', () => {
  async function refusal(sink: ReturnType<typeof createFileSink>): Promise<unknown> {
    const error = await sink.lastDeliveredSeq().then(
      () => undefined,
      (err: unknown) => err,
    );
    await sink.close();
    return error;
  }
  const refused = (code: string) =>
    expect.objectContaining({
      code: 'ERR_VALIDATION',
      violations: [expect.objectContaining({ path: 'sink.directory', code })],
    });

  it('writes under <root>/<directory>, creating each component 0700', async () => {
    const countryRoot = join(root, 'MX');
    const sink = createFileSink(
      { type: 'file', directory: 'fiu/cases' },
      { feedId: FEED, root: countryRoot },
    );
    await sink.deliver(record(1), progress());
    await sink.close();
    expect((await lines(join(countryRoot, 'fiu', 'cases', `${FEED}.jsonl`))).map((r) => r.seq)).toEqual([1]);
    expect((await stat(join(countryRoot, 'fiu'))).mode & 0o777).toBe(0o700);
  });

  it('takes the root itself through a link (the operator may), but no link below it', async () => {
    const real = join(root, 'real');
    await mkdir(join(real, 'MX'), { recursive: true });
    await symlink(real, join(root, 'linked-root'));
    const sink = createFileSink(
      { type: 'file', directory: 'cases' },
      { feedId: FEED, root: join(root, 'linked-root', 'MX') },
    );
    await sink.deliver(record(1), progress());
    await sink.close();
    expect((await lines(join(real, 'MX', 'cases', `${FEED}.jsonl`))).map((r) => r.seq)).toEqual([1]);
  });

  it('refuses a symbolic link as a directory component, and writes nothing where it points', async () => {
    const countryRoot = join(root, 'MX');
    const elsewhere = join(root, 'GT-secret');
    await mkdir(countryRoot, { recursive: true });
    await mkdir(elsewhere);
    await symlink(elsewhere, join(countryRoot, 'cases'));
    expect(
      await refusal(
        createFileSink({ type: 'file', directory: 'cases/x' }, { feedId: FEED, root: countryRoot }),
      ),
    ).toEqual(refused('symlink_refused'));
    expect(
      await refusal(
        createFileSink({ type: 'file', directory: 'cases' }, { feedId: FEED, root: countryRoot }),
      ),
    ).toEqual(refused('symlink_refused'));
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('never opens the feed file through a symbolic link (O_NOFOLLOW)', async () => {
    const dir = join(root, 'MX', 'cases');
    await mkdir(dir, { recursive: true });
    const target = join(root, 'victim.txt');
    await writeFile(target, 'untouched\n');
    await symlink(target, join(dir, `${FEED}.jsonl`));
    expect(
      await refusal(
        createFileSink({ type: 'file', directory: 'cases' }, { feedId: FEED, root: join(root, 'MX') }),
      ),
    ).toEqual(refused('symlink_refused'));
    expect(await readFile(target, 'utf8')).toBe('untouched\n');
  });

  it('refuses a stored absolute directory outside the root and a path that climbs out', async () => {
    const countryRoot = join(root, 'MX');
    expect(
      await refusal(
        createFileSink({ type: 'file', directory: join(root, 'GT') }, { feedId: FEED, root: countryRoot }),
      ),
    ).toEqual(refused('outside_file_root'));
    expect(
      await refusal(
        createFileSink({ type: 'file', directory: '../GT' }, { feedId: FEED, root: countryRoot }),
      ),
    ).toEqual(refused('invalid_path'));
    await expect(readdir(join(root, 'GT'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
