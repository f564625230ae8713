import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectBackends } from './detect-backends.js';

const backends = await detectBackends();
if (!backends.binary.available) {
  console.warn(`SKIPPED orphan-process suite: ${backends.binary.reason}`);
}

const sourceDirectory = dirname(fileURLToPath(import.meta.url));
// Inside this package's node_modules, so the transpiled harness resolves its dependencies the way
// the package does (npm may install them in packages/testing/node_modules or hoist them).
const cacheDirectory = join(sourceDirectory, '..', 'node_modules', '.cache');

/** A script that starts a server, prints its pid and store, then ends the way argv[2] says. */
const CHILD_SCRIPT = `
import { startNatsServer } from './start-nats-server.js';
const server = await startNatsServer({ backend: 'binary', name: 'orphan-check' });
process.stdout.write(JSON.stringify({ pid: server.pid, storeDir: server.storeDir }) + '\\n');
// 'exit': end with process.exit() once the test has seen the server (any line on stdin).
if (process.argv[2] === 'exit') process.stdin.once('data', () => process.exit(0));
setInterval(() => {}, 1000); // wait for a signal
`;

/** Alive and not a zombie (an orphan's exit status waits for init, which may reap it late). */
function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/** Poll `condition` for up to 5 s: the watchdog cleans up just after the test process is gone. */
async function eventually(condition: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  return condition();
}

describe.skipIf(!backends.binary.available)('a test process that ends without stop()', () => {
  let harnessDirectory: string;

  beforeAll(async () => {
    // Run the harness itself (transpiled from this package's sources) in a separate Node process.
    await mkdir(cacheDirectory, { recursive: true });
    harnessDirectory = await mkdtemp(join(cacheDirectory, 'enlace-testing-orphans-'));
    for (const file of await readdir(sourceDirectory)) {
      if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
      const { outputText } = ts.transpileModule(await readFile(join(sourceDirectory, file), 'utf8'), {
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          verbatimModuleSyntax: true,
        },
      });
      await writeFile(join(harnessDirectory, file.replace(/\.ts$/, '.js')), outputText);
    }
    await writeFile(join(harnessDirectory, 'package.json'), '{ "type": "module" }\n');
    await writeFile(join(harnessDirectory, 'child.js'), CHILD_SCRIPT);
  });
  afterAll(async () => {
    if (harnessDirectory !== undefined) await rm(harnessDirectory, { recursive: true, force: true });
  });

  async function runChild(how: 'exit' | NodeJS.Signals) {
    const child = spawn(process.execPath, ['child.js', how], {
      cwd: harnessDirectory,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    // A child that dies before it prints (a harness that cannot load) must fail fast, not hang.
    const line = await Promise.race([
      once(createInterface({ input: child.stdout }), 'line').then(([first]) => first as string),
      exited.then((exit) => {
        throw new Error(`the child process ended before it started a server: ${JSON.stringify(exit)}`);
      }),
    ]);
    const server = JSON.parse(line) as { pid: number; storeDir: string };
    expect(isProcessAlive(server.pid)).toBe(true);
    expect(existsSync(server.storeDir)).toBe(true);
    if (how === 'exit') child.stdin!.write('exit\n');
    else child.kill(how);
    return { server, exit: await exited };
  }

  it('kills its nats-server and removes its directory when it calls process.exit()', async () => {
    const { server, exit } = await runChild('exit');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await eventually(() => !isProcessAlive(server.pid))).toBe(true);
    expect(await eventually(() => !existsSync(dirname(server.storeDir)))).toBe(true);
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGKILL'] as const)('does the same when ended by %s', async (signal) => {
    const { server, exit } = await runChild(signal);
    expect(exit).toEqual({ code: null, signal });
    expect(await eventually(() => !isProcessAlive(server.pid))).toBe(true);
    expect(await eventually(() => !existsSync(dirname(server.storeDir)))).toBe(true);
  });
});
