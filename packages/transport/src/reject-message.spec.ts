import { RpcException } from '@nestjs/microservices';
import { describe, expect, it } from 'vitest';

import { exponentialNakDelay } from './consume.js';
import { REJECTION_REASONS, RejectMessage, isRejectMessage } from './reject-message.js';

describe('RejectMessage', () => {
  it('carries a stable reason and survives Nest exception filters', () => {
    const rejection = new RejectMessage('revoked_key', 'key MX-sig-2026-01 was revoked', {
      cause: 'registry',
    });
    expect(rejection).toBeInstanceOf(RpcException);
    expect(rejection).toMatchObject({
      name: 'RejectMessage',
      code: 'ERR_MESSAGE_REJECTED',
      reason: 'revoked_key',
      message: 'key MX-sig-2026-01 was revoked',
      cause: 'registry',
    });
    // Nest's BaseRpcExceptionFilter rethrows getError(): the rejection itself.
    expect(rejection.getError()).toBe(rejection);
    expect(isRejectMessage(rejection)).toBe(true);
    expect(isRejectMessage(new Error('revoked_key'))).toBe(false);
    expect(new RejectMessage('malformed').message).toBe('malformed');
  });

  it('accepts only the reasons of DESIGN.md', () => {
    expect(REJECTION_REASONS).toContain('subject_mismatch');
    expect(() => new RejectMessage('forged' as 'malformed')).toThrow('unknown rejection reason "forged"');
  });
});

describe('exponentialNakDelay', () => {
  it('doubles from the initial delay up to the cap', () => {
    const delay = exponentialNakDelay({ initialMs: 500, maxMs: 3_000 });
    expect([1, 2, 3, 4, 5].map(delay)).toEqual([500, 1_000, 2_000, 3_000, 3_000]);
    expect(exponentialNakDelay()(1)).toBe(1_000);
  });
});
