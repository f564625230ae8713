/**
 * The console module in a real Nest app over HTTP: static serving under /console/ with its CSP
 * (a missing asset or API path is a 404, never index.html), the one-time sign-in code exchanged
 * for an HttpOnly SameSite=Strict cookie, the cookie taken by the bearer guard as the
 * credential, the CSRF header on changes, and a session that expires saying so.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { SignJWT, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Authenticated } from '../bearer-guard.js';
import type { AuthenticatedRequest, VerifiedToken } from '../bearer-guard.js';
import { createMetricsRegistry } from '../metrics.js';
import { createServiceApp, listenService } from '../service-app.js';
import type { ServiceApp } from '../service-app.js';
import { CONSOLE_CSP, ConsoleModule } from './console.module.js';

@Controller('v1')
class ThingsController {
  @Authenticated()
  @Get('me')
  me(@Req() req: AuthenticatedRequest): unknown {
    return { actor: req.actor };
  }

  @Authenticated()
  @Post('change')
  @HttpCode(200)
  change(): unknown {
    return { changed: true };
  }
}

const keys = await generateKeyPair('EdDSA');
const token = (ttl: string): Promise<string> =>
  new SignJWT({ roles: ['focal-point'], country: 'MX' })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setSubject('officer@mx')
    .setExpirationTime(ttl)
    .sign(keys.privateKey);

async function verify(jwt: string): Promise<VerifiedToken> {
  const { payload } = await jwtVerify(jwt, keys.publicKey);
  return { id: payload.sub!, roles: payload['roles'] as string[], country: payload['country'] as string };
}

let dir: string;
let service: ServiceApp;
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'enlace-console-assets-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  await writeFile(join(dir, 'assets', 'app-1.js'), 'export {};');
  service = await createServiceApp(
    {
      kit: { service: 'test', auth: { verify }, metrics: createMetricsRegistry(), readiness: [] },
      controllers: [ThingsController],
      imports: [ConsoleModule.register({ app: 'officer', assetsDir: dir })],
    },
    {
      logName: 'enlace-test',
      service: 'test',
      maxBodyBytes: 4096,
      logger: false,
      openapi: { title: 't', description: 't' },
    },
  );
  url = (await listenService(service.app, 0, '127.0.0.1')).url;
});

afterAll(async () => {
  await service?.app.close();
  await rm(dir, { recursive: true, force: true });
});

const CONSOLE = { 'x-enlace-console': '1', 'content-type': 'application/json' };

async function signIn(body: unknown): Promise<Response> {
  return fetch(`${url}/console/api/session`, {
    method: 'POST',
    headers: CONSOLE,
    body: JSON.stringify(body),
  });
}

async function linkCode(jwt: string): Promise<string> {
  const response = await fetch(`${url}/console/api/links`, {
    method: 'POST',
    headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { code: string }).code;
}

const cookieOf = (response: Response): string => response.headers.get('set-cookie')!.split(';')[0]!;

describe('console module', () => {
  it('serves the app with its CSP, and never index.html for a missing asset or API path', async () => {
    const root = await fetch(`${url}/console`, { redirect: 'manual' });
    expect([root.status, root.headers.get('location')]).toEqual([308, '/console/']);
    for (const path of ['/console/', '/console/alerts/abc', '/console/map']) {
      const page = await fetch(`${url}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
      expect(await page.text()).toContain('<title>console</title>');
    }
    const asset = await fetch(`${url}/console/assets/app-1.js`);
    expect([asset.status, asset.headers.get('content-type')]).toEqual([
      200,
      'text/javascript; charset=utf-8',
    ]);
    for (const path of [
      '/console/assets/missing.js',
      '/console/api/nothing',
      '/console/favicon.ico',
      '/console/..%2fpackage.json',
    ]) {
      const missing = await fetch(`${url}${path}`);
      expect(missing.status, path).toBe(404);
      expect(missing.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('ERR_NOT_FOUND');
    }
    expect(CONSOLE_CSP).not.toMatch(/unsafe|https?:|\*/);
  });

  it('exchanges a sign-in code once for an HttpOnly SameSite=Strict cookie the guard accepts', async () => {
    const jwt = await token('5m');
    const unsigned = await fetch(`${url}/console/api/links`, { method: 'POST' });
    expect(unsigned.status).toBe(401);
    const code = await linkCode(jwt);

    // Without the console header (a cross-site form could send the rest): refused, code kept.
    const forged = await fetch(`${url}/console/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { reason: string } }).error.reason).toBe('csrf_header_missing');

    const session = await signIn({ code });
    expect(session.status).toBe(201);
    expect(session.headers.get('set-cookie')).toMatch(
      /^enlace_console_\d+=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/,
    );
    expect(await session.json()).toMatchObject({ app: 'officer', actor: 'officer@mx', country: 'MX' });
    const cookie = cookieOf(session);
    expect(cookie).not.toContain(jwt);

    const again = await signIn({ code });
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: { reason: string } }).error.reason).toBe('link_used_or_expired');

    const me = await fetch(`${url}/v1/me`, { headers: { cookie } });
    expect([me.status, ((await me.json()) as { actor: { id: string } }).actor.id]).toEqual([
      200,
      'officer@mx',
    ]);
    const bare = await fetch(`${url}/v1/change`, { method: 'POST', headers: { cookie } });
    expect(bare.status).toBe(403);
    expect(((await bare.json()) as { error: { code: string; reason: string } }).error).toMatchObject({
      code: 'ERR_FORBIDDEN',
      reason: 'csrf_header_missing',
    });
    const changed = await fetch(`${url}/v1/change`, { method: 'POST', headers: { cookie, ...CONSOLE } });
    expect(changed.status).toBe(200);

    const out = await fetch(`${url}/console/api/session`, {
      method: 'DELETE',
      headers: { cookie, ...CONSOLE },
    });
    expect(out.status).toBe(204);
    expect((await fetch(`${url}/v1/me`, { headers: { cookie } })).status).toBe(401);
  });

  it('signs in with a pasted token, and a session whose token expired says so', async () => {
    const bad = await signIn({ token: 'not-a-token' });
    expect(bad.status).toBe(401);
    const empty = await signIn({});
    expect(empty.status).toBe(400);
    expect(
      ((await empty.json()) as { error: { violations: { path: string }[] } }).error.violations[0]!.path,
    ).toBe('token');

    const session = await signIn({ token: await token('2s') });
    expect(session.status).toBe(201);
    const cookie = cookieOf(session);
    expect((await fetch(`${url}/v1/me`, { headers: { cookie } })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2_100));
    for (const path of ['/v1/me', '/console/api/session']) {
      const expired = await fetch(`${url}${path}`, { headers: { cookie } });
      expect(expired.status, path).toBe(401);
      expect(((await expired.json()) as { error: { reason: string; message: string } }).error).toMatchObject({
        reason: 'session_expired',
        message: 'your console session has expired: sign in again',
      });
    }
  });
});
