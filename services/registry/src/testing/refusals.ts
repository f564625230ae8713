/**
 * Spec helpers that catch a refusal and return it, so a spec asserts its code, field paths and
 * message. For specs only (see ./registry-fixture.ts).
 */
import { TrustError } from '@enlace/trust';
import { expect } from 'vitest';

import { RegistryError } from '../domain/errors.js';

/** The RegistryError `fn` throws (a synchronous check). */
export function thrown(fn: () => unknown): RegistryError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RegistryError);
    return err as RegistryError;
  }
  throw new Error('expected a RegistryError');
}

/** Runs `fn` and returns the TrustError it throws (verifying the registry's signed state). */
export async function trustRejection(fn: () => Promise<unknown> | unknown): Promise<TrustError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TrustError);
    return err as TrustError;
  }
  throw new Error('expected a TrustError');
}

/** Runs `fn` and returns the RegistryError it throws. */
export async function rejection(fn: () => Promise<unknown> | unknown): Promise<RegistryError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RegistryError);
    return err as RegistryError;
  }
  throw new Error('expected a RegistryError');
}

/** Code, and the one violation a refusal without a schema problem carries: [path, violation code]. */
export async function refusedAt(fn: () => Promise<unknown> | unknown): Promise<[string, string, string]> {
  const err = await rejection(fn);
  expect(err.violations).toHaveLength(1);
  expect(err.violations[0]?.message).toBe(err.message);
  return [err.code, err.violations[0]?.path ?? '', err.violations[0]?.code ?? ''];
}
