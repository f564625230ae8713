/**
 * File input and output for the CLI: every failure becomes a CliError naming the file, and
 * outputs are written atomically (temp file + rename) so a failed command leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';

import { CliError } from './errors.js';

export interface Output {
  write(text: string): void;
  /** A terminal: progress is redrawn in place rather than printed line by line. */
  readonly isTTY?: boolean;
}

export async function readInputFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError('ERR_FILE_NOT_FOUND', `${what} not found: ${path}`, { cause });
    if (code === 'EISDIR')
      throw new CliError('ERR_FILE_UNREADABLE', `${what} is a directory, not a file: ${path}`, { cause });
    if (code === 'EACCES')
      throw new CliError('ERR_FILE_UNREADABLE', `no permission to read ${what}: ${path}`, { cause });
    throw new CliError('ERR_FILE_UNREADABLE', `cannot read ${what} ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/**
 * Reads a JSON or YAML document. YAML is a superset of JSON, but a `.json` file is parsed as
 * strict JSON so that a stray YAML-ism in a JSON file is reported rather than guessed at.
 */
export async function readStructuredFile(path: string, what: string): Promise<unknown> {
  const text = (await readInputFile(path, what)).toString('utf8');
  if (text.trim() === '') throw new CliError('ERR_INPUT_INVALID', `${what} ${path} is empty`);
  const ext = extname(path).toLowerCase();
  if (ext === '.json' || ext === '.jwk' || ext === '.jwks') {
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new CliError(
        'ERR_INPUT_INVALID',
        `${what} ${path} is not valid JSON: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
  }
  try {
    return parseYaml(text, { prettyErrors: false, uniqueKeys: true }) as unknown;
  } catch (cause) {
    const detail =
      cause instanceof YAMLParseError && cause.linePos?.[0]
        ? `line ${cause.linePos[0].line}, column ${cause.linePos[0].col}: ${cause.message.split('\n')[0]}`
        : (cause as Error).message;
    throw new CliError('ERR_INPUT_INVALID', `${what} ${path} is not valid YAML or JSON (${detail})`, {
      cause,
    });
  }
}

/** Writes a file atomically. With `exclusive`, refuses to replace an existing file. */
export async function writeOutputFile(
  path: string,
  data: Uint8Array | string,
  options: { mode?: number; exclusive?: boolean } = {},
): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  if (options.exclusive) {
    try {
      const handle = await open(path, constants.O_RDONLY);
      await handle.close();
      throw new CliError('ERR_FILE_EXISTS', `refusing to overwrite existing file ${path}`);
    } catch (error) {
      if (error instanceof CliError) throw error;
    }
  }
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', options.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (cause) {
    await handle.close();
    await rm(temp, { force: true });
    throw new CliError('ERR_FILE_UNREADABLE', `cannot write ${path}: ${(cause as Error).message}`, { cause });
  }
  await handle.close();
  await rename(temp, path);
}
