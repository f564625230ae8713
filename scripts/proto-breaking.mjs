#!/usr/bin/env node
// Checks proto/ for breaking changes (buf FILE rules) against the main branch. Exits 0 with a
// note when there is nothing to compare with yet (no main branch, or no proto/ on main);
// otherwise exits with buf's status.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const BRANCH = 'main';

function git(args) {
  return spawnSync('git', args, { cwd: root, encoding: 'utf8' });
}

if (git(['rev-parse', '--verify', '--quiet', `refs/heads/${BRANCH}`]).status !== 0) {
  console.log(`proto:breaking: no local branch "${BRANCH}" to compare with; skipped`);
  process.exit(0);
}
const tree = git(['ls-tree', '-d', '--name-only', `refs/heads/${BRANCH}`, 'proto']);
if (tree.status !== 0 || tree.stdout.trim() === '') {
  console.log(`proto:breaking: branch "${BRANCH}" has no proto/ yet; skipped`);
  process.exit(0);
}

const result = spawnSync(
  join(root, 'node_modules', '.bin', 'buf'),
  ['breaking', 'proto', '--against', `.git#branch=${BRANCH},subdir=proto`],
  { cwd: root, stdio: 'inherit' },
);
if (result.error) throw result.error;
if (result.status === 0) console.log(`proto:breaking: no breaking changes against ${BRANCH}`);
process.exit(result.status ?? 1);
