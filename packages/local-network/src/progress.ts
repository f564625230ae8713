/**
 * Progress of a start, one line per step: what is waiting, what is up, how long it took. In
 * --json mode nothing goes to stdout but the final JSON; progress goes to stderr.
 */
import type { Writable } from 'node:stream';

export interface Progress {
  step<T>(label: string, work: () => Promise<T>, done?: (value: T) => string): Promise<T>;
  note(message: string): void;
}

export function createProgress(out: Writable): Progress {
  return {
    async step<T>(label: string, work: () => Promise<T>, done?: (value: T) => string): Promise<T> {
      const started = Date.now();
      out.write(`  … ${label}\n`);
      try {
        const value = await work();
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        out.write(`  ✓ ${label}${done === undefined ? '' : `: ${done(value)}`} (${seconds} s)\n`);
        return value;
      } catch (error) {
        out.write(`  ✗ ${label}\n`);
        throw error;
      }
    },
    note(message: string): void {
      out.write(`    ${message}\n`);
    },
  };
}
