/**
 * The web console (@enlace/console) served by a service under /console/, registered by each app
 * with one line: `ConsoleModule.register({ app: 'officer' })` in its imports. It serves the
 * built single-page app (an asset that is missing is a 404, never index.html; a path under
 * /console/api/ that is not a route is a 404 too), with a Content-Security-Policy that allows no
 * inline script and no other origin on every response, and the sign-in routes:
 *
 * - POST /console/api/links (Authorization: Bearer): a one-time sign-in code for that token;
 * - POST /console/api/session {code} or {token} (X-Enlace-Console: 1): the session cookie;
 * - GET /console/api/session: who is signed in, or 401 saying the session expired;
 * - DELETE /console/api/session (X-Enlace-Console: 1): sign-out.
 *
 * The sessions belong to the service kit (ServiceKitModule), whose bearer guard takes the
 * session cookie as the credential.
 */
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

import { consoleAssetsDir } from '@enlace/console';
import { Controller, Delete, Get, HttpCode, Inject, Module, Post, Req, Res } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';

import { BEARER_AUTH, Public, parseBearer } from '../bearer-guard.js';
import type { BearerAuth, VerifiedToken } from '../bearer-guard.js';
import { serviceError } from '../service-error.js';
import { CONSOLE_HEADER, CONSOLE_SESSIONS, consoleCookieName, cookieOf } from './console-sessions.js';
import type { ConsoleSessions } from './console-sessions.js';

/** Which console the service's users get: node → officer, registry → administrator, feed → FIU. */
export type ConsoleApp = 'officer' | 'administrator' | 'fiu';

export interface ConsoleModuleOptions {
  readonly app: ConsoleApp;
  /** The built app (default: @enlace/console's dist/). */
  readonly assetsDir?: string;
}

const CONSOLE_OPTIONS = Symbol.for('enlace.service-kit.console-options');

/** Same origin only, no inline script or style, no frames, no plugins. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Headers of every /console/ response. */
function secure(res: ServerResponse): void {
  res.setHeader('content-security-policy', CONSOLE_CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
}

/** The `exp` of a token the verifier accepted (its payload is then trusted). */
function expiryOf(token: string): Date | undefined {
  try {
    const exp = (
      JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown }
    ).exp;
    return typeof exp === 'number' ? new Date(exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}

interface ConsoleRequest extends IncomingMessage {
  body?: unknown;
  secure?: boolean;
}

@ApiExcludeController()
@Controller('console')
export class ConsoleController {
  constructor(
    @Inject(CONSOLE_OPTIONS) private readonly options: Required<ConsoleModuleOptions>,
    @Inject(CONSOLE_SESSIONS) private readonly sessions: ConsoleSessions,
    @Inject(BEARER_AUTH) private readonly auth: BearerAuth<VerifiedToken, unknown>,
  ) {}

  @Post('api/links')
  @Public()
  @HttpCode(201)
  async link(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ServerResponse) {
    this.#api(res);
    const bearer = parseBearer(req.headers.authorization);
    if (bearer.kind !== 'token')
      throw serviceError(
        'ERR_UNAUTHENTICATED',
        'a sign-in link needs a bearer token (Authorization: Bearer <token>)',
      );
    await this.#verify(bearer.token);
    const { code, expiresAt } = this.sessions.createCode(bearer.token);
    return { code, expiresAt: expiresAt.toISOString(), path: `console/signin#code=${code}` };
  }

  @Post('api/session')
  @Public()
  @HttpCode(201)
  async signIn(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ServerResponse) {
    this.#api(res);
    this.#csrf(req);
    const body = (req.body ?? {}) as { code?: unknown; token?: unknown };
    let token: string | undefined;
    if (typeof body.code === 'string' && body.code !== '') {
      token = this.sessions.takeCode(body.code);
      if (token === undefined)
        throw serviceError(
          'ERR_UNAUTHENTICATED',
          'this sign-in link was used already or has expired: ask for a new one (enlace console link)',
          { reason: 'link_used_or_expired' },
        );
    } else if (typeof body.token === 'string' && body.token.trim() !== '') {
      token = body.token.trim();
    } else
      throw serviceError('ERR_VALIDATION', 'give the code of a sign-in link or a registry token', {
        violations: [{ path: 'token', code: 'required', message: 'a sign-in code or a token is required' }],
      });
    const actor = await this.#verify(token);
    const session = this.sessions.open(token, expiryOf(token));
    res.setHeader(
      'set-cookie',
      `${consoleCookieName(req)}=${session.id}; Path=/; HttpOnly; SameSite=Strict` +
        `${req.secure === true ? '; Secure' : ''}; Max-Age=${Math.max(
          1,
          Math.floor((session.expiresAt.getTime() - Date.now()) / 1000),
        )}`,
    );
    return this.#me(actor, session.expiresAt);
  }

  @Get('api/session')
  @Public()
  async session(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ServerResponse) {
    this.#api(res);
    const id = cookieOf(req, consoleCookieName(req));
    if (id === undefined)
      throw serviceError('ERR_UNAUTHENTICATED', 'not signed in', { reason: 'signed_out' });
    const found = this.sessions.lookup(id);
    if (found.kind !== 'active')
      throw serviceError(
        'ERR_UNAUTHENTICATED',
        found.kind === 'expired'
          ? 'your console session has expired: sign in again'
          : 'this console session is not known here (the service restarted?): sign in again',
        { reason: found.kind === 'expired' ? 'session_expired' : 'session_unknown' },
      );
    return this.#me(await this.#verify(found.token), found.expiresAt);
  }

  @Delete('api/session')
  @Public()
  @HttpCode(204)
  signOut(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ServerResponse): void {
    this.#api(res);
    this.#csrf(req);
    const id = cookieOf(req, consoleCookieName(req));
    if (id !== undefined) this.sessions.end(id);
    res.setHeader('set-cookie', `${consoleCookieName(req)}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
  }

  @Get('api/info')
  @Public()
  info(@Res({ passthrough: true }) res: ServerResponse) {
    this.#api(res);
    return { app: this.options.app };
  }

  @Get()
  @Public()
  async root(@Req() req: ConsoleRequest, @Res() res: ServerResponse): Promise<void> {
    secure(res);
    // Express matches /console and /console/ alike: only the first is sent on.
    if (!(req.url ?? '').split('?')[0]!.endsWith('/')) {
      res.statusCode = 308;
      res.setHeader('location', '/console/');
      res.end();
      return;
    }
    await this.#send(res, 'index.html');
  }

  @Get('*path')
  @Public()
  async file(@Req() req: ConsoleRequest, @Res() res: ServerResponse): Promise<void> {
    secure(res);
    const path = decodeURIComponent((req.url ?? '').split('?')[0]!).replace(/^\/console\//, '');
    // An API path that is no route, an asset or any file name (a dot in the last segment)
    // that is missing: 404. Anything else is a page of the app: index.html.
    if (path.startsWith('api/') || path.startsWith('assets/') || /\.[^/]*$/.test(path)) {
      if (!(await this.#send(res, path))) this.#notFound(res, path);
      return;
    }
    await this.#send(res, 'index.html');
  }

  #api(res: ServerResponse): void {
    secure(res);
    res.setHeader('cache-control', 'no-store');
  }

  #csrf(req: IncomingMessage): void {
    if (req.headers[CONSOLE_HEADER] !== '1')
      throw serviceError(
        'ERR_FORBIDDEN',
        `console requests that change state need the header ${CONSOLE_HEADER}: 1`,
        {
          reason: 'csrf_header_missing',
        },
      );
  }

  async #verify(token: string): Promise<VerifiedToken> {
    try {
      return await this.auth.verify(token);
    } catch (error) {
      throw serviceError('ERR_UNAUTHENTICATED', (error as Error).message || 'the token is not valid');
    }
  }

  #me(token: VerifiedToken, expiresAt: Date) {
    return {
      app: this.options.app,
      actor: token.id,
      roles: token.roles,
      ...(token.country !== undefined && { country: token.country }),
      expiresAt: expiresAt.toISOString(),
    };
  }

  #notFound(res: ServerResponse, path: string): void {
    res.statusCode = 404;
    res.setHeader('content-type', 'application/json');
    res.setHeader('cache-control', 'no-store');
    res.end(
      JSON.stringify({
        error: { code: 'ERR_NOT_FOUND', message: `no console file ${path}`, violations: [] },
      }),
    );
  }

  /** Sends a file of the built app; false when there is none by that name. */
  async #send(res: ServerResponse, path: string): Promise<boolean> {
    const root = this.options.assetsDir;
    const file = normalize(join(root, path));
    if (!file.startsWith(root.endsWith(sep) ? root : root + sep) || !/^[\w./-]+$/.test(path)) return false;
    try {
      if (!(await stat(file)).isFile()) return false;
      const body = await readFile(file);
      res.statusCode = 200;
      res.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
      res.setHeader(
        'cache-control',
        path.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
      res.setHeader('content-length', String(body.byteLength));
      res.end(body);
      return true;
    } catch {
      if (path === 'index.html') {
        res.statusCode = 503;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end('the console is not built: run npm run build -w @enlace/console');
        return true;
      }
      return false;
    }
  }
}

@Module({})
export class ConsoleModule {
  static register(options: ConsoleModuleOptions): DynamicModule {
    return {
      module: ConsoleModule,
      controllers: [ConsoleController],
      providers: [{ provide: CONSOLE_OPTIONS, useValue: { assetsDir: consoleAssetsDir, ...options } }],
    };
  }
}
