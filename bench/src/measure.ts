/**
 * Small measuring tools shared by every bench: rates over a fixed time, percentiles, open-loop
 * schedules (latency is taken from when a message was due, so a stall is not hidden by the
 * sender waiting for it: no coordinated omission), and progress on stderr.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export const now = (): number => performance.now();

/**
 * CPU time this process has used, in microseconds (every thread: the event loop, the thread
 * pool, the garbage collector; not the nats-server). On a shared machine, CPU per alert moves
 * far less than alerts per second when other processes take the cores.
 */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
let schedstat = true;
/** A 20 µs sleep: the kernel adds a running thread's time to schedstat only when it switches. */
const SWITCH = new Int32Array(new SharedArrayBuffer(4));

/**
 * CPU time of the event loop's own thread, in microseconds: its run time in nanoseconds from
 * /proc on Linux; elsewhere the event loop's active time (performance.eventLoopUtilization),
 * which also counts time the thread waited for a core. cpuMicros() minus this is the CPU taken
 * off the event loop (thread pool, GC helper threads).
 */
export function loopMicros(): number {
  if (schedstat) {
    try {
      Atomics.wait(SWITCH, 0, 0, 0.02);
      return Number(readFileSync(SCHEDSTAT, 'latin1').split(' ', 1)[0]) / 1000;
    } catch {
      schedstat = false;
    }
  }
  return performance.eventLoopUtilization().active * 1000;
}

export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Calls `fn` in batches of `batch` for about `ms`; operations per second. */
export function rateFor(ms: number, fn: () => unknown, batch = 50): number {
  let n = 0;
  const start = now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < batch; i++) fn();
    n += batch;
    elapsed = now() - start;
  }
  return (n * 1000) / elapsed;
}

/** Runs `fn` for about `ms` with `concurrency` calls in flight; operations per second. */
export async function asyncRateFor(
  ms: number,
  concurrency: number,
  fn: () => Promise<unknown>,
): Promise<number> {
  let n = 0;
  const start = now();
  const deadline = start + ms;
  const lane = async (): Promise<void> => {
    while (now() < deadline) {
      await fn();
      n++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return (n * 1000) / (now() - start);
}

/** Runs `fn(i)` for i in [0, count) with at most `concurrency` in flight. */
export async function pool(
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

/** The p-th percentile (0..100) of `values`, nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/**
 * Calls `send(i, dueAt)` at `perSecond` for `durationMs` (open loop: on time whatever the
 * answers do), and resolves with how many were sent once the last send settled.
 */
export async function openLoop(
  perSecond: number,
  durationMs: number,
  send: (i: number, dueAt: number) => Promise<unknown>,
): Promise<number> {
  const count = Math.round((perSecond * durationMs) / 1000);
  const interval = 1000 / perSecond;
  const start = now();
  const pending: Promise<unknown>[] = [];
  let i = 0;
  while (i < count) {
    // Send everything due by now (timers are coarser than 1 ms at 1,000/s), then sleep.
    const t = now();
    while (i < count && start + i * interval <= t) {
      pending.push(send(i, start + i * interval));
      i++;
    }
    const wait = start + i * interval - now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.floor(wait))));
  }
  await Promise.allSettled(pending);
  return count;
}

/** Resolves when `probe()` is true (checked every `intervalMs`); rejects after `timeoutMs`. */
export async function until(
  what: string,
  probe: () => boolean,
  timeoutMs: number,
  intervalMs = 2,
): Promise<void> {
  const deadline = now() + timeoutMs;
  while (!probe()) {
    if (now() > deadline) throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const round = (value: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};
