import { describe, expect, it } from 'vitest';

import { ConsoleSessions, LINK_TTL_MS, SESSION_TTL_MS, cookieOf } from './console-sessions.js';
import type { IncomingMessage } from 'node:http';

describe('console sessions', () => {
  it('exchanges a sign-in code once only, and not after it expired', () => {
    let now = 1_000_000;
    const sessions = new ConsoleSessions({ now: () => now });
    const { code, expiresAt } = sessions.createCode('token-a');
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt.getTime()).toBe(now + LINK_TTL_MS);
    expect(sessions.takeCode(code)).toBe('token-a');
    expect(sessions.takeCode(code)).toBeUndefined();

    const late = sessions.createCode('token-b');
    now += LINK_TTL_MS;
    expect(sessions.takeCode(late.code)).toBeUndefined();
  });

  it('ends a session at its token expiry or SESSION_TTL_MS, and then says it expired', () => {
    let now = 1_000_000;
    const sessions = new ConsoleSessions({ now: () => now });
    const short = sessions.open('token', new Date(now + 60_000));
    const long = sessions.open('token', new Date(now + 10 * SESSION_TTL_MS));
    expect(long.expiresAt.getTime()).toBe(now + SESSION_TTL_MS);
    expect(sessions.lookup(short.id)).toMatchObject({ kind: 'active', token: 'token' });
    now += 60_000;
    expect(sessions.lookup(short.id)).toEqual({ kind: 'expired' });
    expect(sessions.lookup(long.id).kind).toBe('active');
    sessions.end(long.id);
    expect(sessions.lookup(long.id)).toEqual({ kind: 'unknown' });
    expect(sessions.lookup('made-up')).toEqual({ kind: 'unknown' });
  });

  it('reads one cookie by name', () => {
    const req = { headers: { cookie: 'a=1; enlace_console_8101=abc; b=2' } } as unknown as IncomingMessage;
    expect(cookieOf(req, 'enlace_console_8101')).toBe('abc');
    expect(cookieOf(req, 'enlace_console_8102')).toBeUndefined();
  });
});
