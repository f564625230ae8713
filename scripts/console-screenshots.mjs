#!/usr/bin/env node
// Regenerates the console screenshots the README shows: builds the console, runs the browser
// suites (which write every page to test/console-screenshots/, git-ignored), then copies the
// README's chosen pages to docs/images/. Usage: npm run console:screenshots
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHOSEN = ['officer-inbox', 'officer-map'];

const run = (command, args) => execFileSync(command, args, { cwd: root, stdio: 'inherit' });
run('npm', ['run', '-s', 'build']);
run('npx', ['vitest', 'run', 'test/console']);

const target = join(root, 'docs', 'images');
mkdirSync(target, { recursive: true });
for (const name of CHOSEN) {
  const from = join(root, 'test', 'console-screenshots', `${name}.png`);
  if (!existsSync(from)) throw new Error(`the browser suite wrote no ${name}.png (is Chromium installed?)`);
  copyFileSync(from, join(target, `console-${name}.png`));
  console.log(`docs/images/console-${name}.png`);
}
