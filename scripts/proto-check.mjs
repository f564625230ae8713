#!/usr/bin/env node
// Fails when packages/schema/src/gen is not what `npm run proto:generate` makes from proto/:
// regenerates into a temporary directory (same plugins, same formatting) and compares file by
// file, so it works on a clean clone in CI and never touches the working tree.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const GEN = 'packages/schema/src/gen';
const bin = (name) => join(root, 'node_modules', '.bin', name);

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    console.error(`proto:check: ${relative(root, command)} ${args.join(' ')} exited with ${result.status}`);
    process.exit(result.status ?? 1);
  }
}

function listFiles(dir, base = dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path, base) : [relative(base, path)];
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'enlace-proto-check-'));
try {
  run(bin('buf'), ['generate', '--output', tmp]);
  const fresh = join(tmp, GEN);
  // Same formatting as proto:generate; the repo's config, since the files are outside the repo.
  run(bin('prettier'), [
    '--config',
    join(root, '.prettierrc.json'),
    '--ignore-path',
    '/dev/null',
    '--log-level',
    'warn',
    '--write',
    fresh,
  ]);

  const committed = join(root, GEN);
  const expected = new Set(listFiles(fresh));
  const actual = new Set(listFiles(committed));
  const problems = [];
  for (const file of expected) {
    if (!actual.has(file)) problems.push(`missing:  ${GEN}/${file}`);
    else if (!readFileSync(join(fresh, file)).equals(readFileSync(join(committed, file))))
      problems.push(`outdated: ${GEN}/${file}`);
  }
  for (const file of actual) if (!expected.has(file)) problems.push(`stale:    ${GEN}/${file}`);

  if (problems.length > 0) {
    console.error(`proto:check: generated code does not match proto/:\n  ${problems.join('\n  ')}`);
    console.error('Run `npm run proto:generate` and commit the result.');
    process.exit(1);
  }
  console.log(`proto:check: ${GEN} is up to date (${expected.size} files)`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
