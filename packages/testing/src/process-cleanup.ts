/**
 * Cleanup for a test process that ends without stopping its servers, however it ends.
 *
 * - On a normal exit (including process.exit()), an 'exit' listener kills the server processes
 *   and removes their temporary directories synchronously.
 * - For every other end (a signal, SIGKILL, a crash) a small watchdog process, started with the
 *   first server, holds a pipe from this process: when the pipe closes it kills the servers it
 *   was told about and removes their directories. No signal listeners are installed, so the test
 *   process's own signal handling is unchanged.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { Writable } from 'node:stream';

/**
 * The watchdog (CommonJS for `node -e`). It reads JSON lines {op, pid, marker} / {op, dir} and,
 * at end of input, SIGKILLs the tracked pids (on Linux only if /proc/<pid>/cmdline still holds
 * the marker, so a reused pid is never hit), waits for them to die, then removes the dirs.
 */
const WATCHDOG_SOURCE = `
const { existsSync, readFileSync, rmSync } = require('node:fs');
const pids = new Map();
const dirs = new Set();
const haveProc = existsSync('/proc/self/cmdline');
let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  for (let i = buffer.indexOf('\\n'); i >= 0; i = buffer.indexOf('\\n')) {
    const line = buffer.slice(0, i);
    buffer = buffer.slice(i + 1);
    let m;
    try { m = JSON.parse(line); } catch { continue; }
    if (m.op === 'add-pid') pids.set(m.pid, m.marker);
    else if (m.op === 'remove-pid') pids.delete(m.pid);
    else if (m.op === 'add-dir') dirs.add(m.dir);
    else if (m.op === 'remove-dir') dirs.delete(m.dir);
  }
});
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const ours = (pid, marker) => {
  if (!haveProc) return true;
  try { return readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes(marker); } catch { return false; }
};
let done = false;
const cleanUp = () => {
  if (done) return;
  done = true;
  const victims = [...pids].filter(([pid, marker]) => ours(pid, marker)).map(([pid]) => pid);
  for (const pid of victims) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  const deadline = Date.now() + 3000;
  const finish = () => {
    if (victims.some((pid) => alive(pid) && ours(pid, pids.get(pid))) && Date.now() < deadline) return setTimeout(finish, 20);
    for (const dir of dirs) { try { rmSync(dir, { recursive: true, force: true, maxRetries: 2 }); } catch {} }
    process.exit(0);
  };
  finish();
};
process.stdin.on('end', cleanUp);
process.stdin.on('close', cleanUp);
process.stdin.on('error', cleanUp);
`;

interface TrackedChild {
  readonly child: ChildProcess;
  readonly marker: string;
}

const children = new Set<TrackedChild>();
const directories = new Set<string>();
let watchdog: Writable | undefined;
let exitListenerInstalled = false;

/**
 * Kill `child` if this process ends while it still runs. `marker` is a string of its command
 * line (e.g. its configuration path) that identifies it.
 */
export function trackChild(child: ChildProcess, marker: string): void {
  const { pid } = child;
  if (pid === undefined) return; // it failed to spawn: nothing to kill
  install();
  const tracked = { child, marker };
  children.add(tracked);
  tell({ op: 'add-pid', pid, marker });
  child.once('exit', () => {
    children.delete(tracked);
    tell({ op: 'remove-pid', pid });
  });
}

/** Remove `path` (recursively) if this process ends before untrackDirectory(path). */
export function trackDirectory(path: string): void {
  install();
  directories.add(path);
  tell({ op: 'add-dir', dir: path });
}

export function untrackDirectory(path: string): void {
  directories.delete(path);
  tell({ op: 'remove-dir', dir: path });
}

function install(): void {
  if (!exitListenerInstalled) {
    exitListenerInstalled = true;
    process.once('exit', cleanUpNow);
  }
  if (watchdog === undefined) {
    // Detached (own session), so a Ctrl-C that ends the test process leaves it to clean up.
    const guard = spawn(process.execPath, ['-e', WATCHDOG_SOURCE], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    guard.on('error', () => {
      watchdog = undefined;
    });
    guard.unref();
    const stdin = guard.stdin as Writable & { unref?: () => void };
    stdin.on('error', () => {
      // The watchdog is gone; the 'exit' listener still covers normal exits.
    });
    // The pipe must not keep this process alive on its own.
    stdin.unref?.();
    watchdog = stdin;
  }
}

function tell(message: Record<string, unknown>): void {
  if (watchdog !== undefined && !watchdog.destroyed) watchdog.write(`${JSON.stringify(message)}\n`);
}

function cleanUpNow(): void {
  for (const { child } of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  children.clear();
  for (const path of directories) {
    try {
      rmSync(path, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // Best effort; the watchdog tries again once this process is gone.
    }
  }
  directories.clear();
}
