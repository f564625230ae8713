/**
 * The web console's sign-in, held in the memory of the service that serves it. A person who
 * holds a registry token (the CLI, `enlace console link`) asks for a one-time sign-in code,
 * single-use and valid LINK_TTL_MS; the console exchanges it (POST, so it is in no URL the
 * server sees or logs: the link carries it in the fragment) for a session: a random id in an
 * HttpOnly, SameSite=Strict cookie, mapped here to the token, which the bearer guard verifies
 * on every request exactly as a bearer token (audience, expiry, revocation). The token itself
 * never reaches the browser. A session ends at sign-out, at SESSION_TTL_MS, or when its token
 * expires, whichever is first; an ended session is remembered a while so the console can say
 * it expired rather than that it is unknown.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** How long a sign-in code may wait to be exchanged. */
export const LINK_TTL_MS = 5 * 60_000;
/** Longest session, whatever its token's own expiry. */
export const SESSION_TTL_MS = 8 * 60 * 60_000;
/** How long an ended session is remembered (to answer "expired", not "unknown"). */
const ENDED_MEMORY_MS = 24 * 60 * 60_000;
/** Bound on codes waiting, so that an authenticated caller cannot fill the memory. */
const MAX_PENDING_CODES = 10_000;
const MAX_SESSIONS = 50_000;

/** The header every state-changing request of the console carries (CSRF: a form cannot set it). */
export const CONSOLE_HEADER = 'x-enlace-console';

/** Injection token of the service's ConsoleSessions (absent in a service without the console). */
export const CONSOLE_SESSIONS = Symbol.for('enlace.service-kit.console-sessions');

/**
 * The session cookie's name: one per service port, because browsers share cookies between the
 * ports of a host, and the registry, nodes and feed service of a local network share 127.0.0.1.
 */
export function consoleCookieName(req: IncomingMessage): string {
  return `enlace_console_${req.socket?.localPort ?? 0}`;
}

/** The value of cookie `name` in the request, if any. */
export function cookieOf(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export type SessionLookup =
  | { readonly kind: 'active'; readonly token: string; readonly expiresAt: Date }
  | { readonly kind: 'expired' }
  | { readonly kind: 'unknown' };

interface Session {
  readonly token: string;
  readonly expiresAt: number;
  ended?: number;
}

/** Only a hash of codes and session ids is kept, so a heap dump holds neither. */
const key = (secret: string): string => createHash('sha256').update(secret).digest('base64url');

export class ConsoleSessions {
  readonly #codes = new Map<string, { token: string; expiresAt: number }>();
  readonly #sessions = new Map<string, Session>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** A fresh one-time code for `token` (already verified by the caller). */
  createCode(token: string): { code: string; expiresAt: Date } {
    this.#sweep();
    if (this.#codes.size >= MAX_PENDING_CODES) throw new Error('too many sign-in codes waiting');
    const code = randomBytes(32).toString('base64url');
    const expiresAt = this.#now() + LINK_TTL_MS;
    this.#codes.set(key(code), { token, expiresAt });
    return { code, expiresAt: new Date(expiresAt) };
  }

  /** The token of `code`, once: a second exchange, or one after LINK_TTL_MS, gets undefined. */
  takeCode(code: string): string | undefined {
    const k = key(code);
    const entry = this.#codes.get(k);
    this.#codes.delete(k);
    return entry !== undefined && entry.expiresAt > this.#now() ? entry.token : undefined;
  }

  /** A new session for `token`, ending at the earlier of SESSION_TTL_MS and `tokenExpiresAt`. */
  open(token: string, tokenExpiresAt: Date | undefined): { id: string; expiresAt: Date } {
    this.#sweep();
    if (this.#sessions.size >= MAX_SESSIONS) throw new Error('too many console sessions');
    const id = randomBytes(32).toString('base64url');
    const limit = this.#now() + SESSION_TTL_MS;
    const expiresAt = Math.min(limit, tokenExpiresAt?.getTime() ?? limit);
    this.#sessions.set(key(id), { token, expiresAt });
    return { id, expiresAt: new Date(expiresAt) };
  }

  lookup(id: string): SessionLookup {
    const session = this.#sessions.get(key(id));
    if (session === undefined) return { kind: 'unknown' };
    if (session.ended !== undefined || session.expiresAt <= this.#now()) {
      session.ended ??= this.#now();
      return { kind: 'expired' };
    }
    return { kind: 'active', token: session.token, expiresAt: new Date(session.expiresAt) };
  }

  /** Ends a session (sign-out). */
  end(id: string): void {
    this.#sessions.delete(key(id));
  }

  #sweep(): void {
    const now = this.#now();
    for (const [k, code] of this.#codes) if (code.expiresAt <= now) this.#codes.delete(k);
    for (const [k, session] of this.#sessions)
      if (Math.min(session.ended ?? Infinity, session.expiresAt) + ENDED_MEMORY_MS <= now)
        this.#sessions.delete(k);
  }
}
