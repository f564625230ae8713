/**
 * The `enlace` command line, as a library: `main` runs it in-process and returns the exit code.
 */
export { createProgram, main } from './main.js';
export type { CliIo } from './main.js';
export { CliError } from './errors.js';
export type { CliErrorCode } from './errors.js';
