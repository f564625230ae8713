/**
 * The kit in a real Nest app over HTTP, with real EdDSA tokens: the bearer guard's role table
 * (401 and 403 with their codes, refusals reported), the one error shape, body limits, the
 * request id (echoed, in logs, in NATS headers), logs that never hold a token, one metrics
 * registry per app, and terminus readiness.
 */
import { PassThrough } from 'node:stream';

import { Body, Controller, Get, Post, Req } from '@nestjs/common';
import { SignJWT, generateKeyPair, jwtVerify } from 'jose';
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Authenticated, Public, Roles } from './bearer-guard.js';
import type { AuthenticatedRequest, BearerAuth, Refusal, VerifiedToken } from './bearer-guard.js';
import type { ReadinessCheck } from './health.js';
import { createMetricsRegistry } from './metrics.js';
import { requestIdHeaders } from './request-id.js';
import { createServiceApp, listenService, serviceLoggerFor } from './service-app.js';
import type { ServiceApp } from './service-app.js';
import { ServiceError } from './service-error.js';

class GoneError extends ServiceError<'ERR_GONE'> {
  constructor(message: string) {
    super('ERR_GONE', 410, message, { violations: [{ path: 'id', code: 'gone', message: 'it went' }] });
    this.name = 'GoneError';
  }
}

@Controller()
class TestController {
  @Public()
  @Get('open')
  open(): { ok: true } {
    return { ok: true };
  }

  @Get('default')
  byDefault(@Req() req: AuthenticatedRequest): unknown {
    return { actor: req.actor };
  }

  @Roles('administrator')
  @Get('admin')
  admin(@Req() req: AuthenticatedRequest): unknown {
    return { actor: req.actor };
  }

  @Roles('focal-point')
  @Get('officers')
  officers(@Req() req: AuthenticatedRequest): unknown {
    return { actor: req.actor };
  }

  @Authenticated()
  @Get('any')
  any(@Req() req: AuthenticatedRequest): unknown {
    return { actor: req.actor };
  }

  @Public()
  @Get('boom')
  boom(): never {
    throw new Error('password=hunter2 at db.internal:5432');
  }

  @Public()
  @Get('gone')
  gone(): never {
    throw new GoneError('the alert was withdrawn');
  }

  @Public()
  @Post('echo')
  echo(@Body() body: unknown): unknown {
    return { body, headers: requestIdHeaders() ?? null };
  }
}

const keys = await generateKeyPair('EdDSA');
const strangerKeys = await generateKeyPair('EdDSA');

async function token(
  claims: { sub: string; roles: string[]; country?: string },
  key: Parameters<SignJWT['sign']>[0] = keys.privateKey,
): Promise<string> {
  return new SignJWT({
    roles: claims.roles,
    ...(claims.country !== undefined && { country: claims.country }),
  })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setSubject(claims.sub)
    .setExpirationTime('5m')
    .sign(key);
}

/** A stable-code error, as the services' verifiers throw. */
class TokenError extends Error {
  readonly code = 'ERR_UNAUTHENTICATED';
}

async function verify(jwt: string): Promise<VerifiedToken> {
  try {
    const { payload } = await jwtVerify(jwt, keys.publicKey, { typ: 'JWT' });
    return {
      id: payload.sub!,
      roles: payload['roles'] as string[],
      ...(typeof payload['country'] === 'string' && { country: payload['country'] }),
    };
  } catch {
    throw new TokenError('the bearer token was not signed by this registry');
  }
}

interface Started {
  readonly service: ServiceApp;
  readonly url: string;
  readonly metrics: Registry;
  readonly logs: string[];
}

const refusals: Refusal[] = [];
let failAudit = false;
let storeProblem: string | undefined;

async function start(name: string): Promise<Started> {
  const metrics = createMetricsRegistry();
  const auth: BearerAuth = {
    verify,
    defaultAccess: { kind: 'roles', roles: ['auditor'] },
    holds: (t, role) => t.roles.includes(role) && (role !== 'focal-point' || t.country === 'MX'),
    onRefused: (refusal) => {
      if (failAudit) throw new Error('audit stream down');
      refusals.push(refusal);
    },
  };
  const readiness: ReadinessCheck[] = [
    { name: 'nats', check: () => undefined },
    {
      name: 'store',
      check: () => {
        if (storeProblem !== undefined) throw new Error(storeProblem);
        return { writable: true };
      },
    },
  ];
  const out = new PassThrough();
  const logs: string[] = [];
  out.on('data', (chunk: Buffer) =>
    logs.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== ''),
    ),
  );
  const service = await createServiceApp(
    { kit: { service: name, auth, metrics, readiness }, controllers: [TestController] },
    {
      logName: `enlace-${name}`,
      service: name,
      maxBodyBytes: 1024,
      serviceLogger: serviceLoggerFor(`enlace-${name}`, ['log', 'warn', 'error'], out),
      openapi: { title: name, description: 'kit spec' },
    },
  );
  const { url } = await listenService(service.app, 0, '127.0.0.1');
  return { service, url, metrics, logs };
}

let a: Started;
let b: Started;

beforeAll(async () => {
  a = await start('test service');
  b = await start('other service');
});

afterAll(async () => {
  await a?.service.app.close();
  await b?.service.app.close();
});

async function call(
  path: string,
  options: { token?: string; authorization?: string; body?: string; requestId?: string; on?: Started } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, read as the tests need
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.authorization !== undefined) headers['authorization'] = options.authorization;
  if (options.requestId !== undefined) headers['x-request-id'] = options.requestId;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${(options.on ?? a).url}${path}`, {
    method: options.body === undefined ? 'GET' : 'POST',
    headers,
    ...(options.body !== undefined && { body: options.body }),
  });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').includes('json');
  return { status: response.status, body: json ? JSON.parse(text) : text, headers: response.headers };
}

describe('the bearer guard and its role table', () => {
  it('lets a public route through without a token', async () => {
    expect(await call('/open')).toMatchObject({ status: 200, body: { ok: true } });
  });

  it('answers 401 ERR_UNAUTHENTICATED to a missing, malformed or forged token, and reports each', async () => {
    refusals.length = 0;
    const missing = await call('/any', { requestId: 'no-token-1' });
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({
      error: {
        code: 'ERR_UNAUTHENTICATED',
        message: 'this operation needs a bearer token (Authorization: Bearer <token>)',
        violations: [],
      },
    });
    const malformed = await call('/any', { authorization: 'Basic YWRtaW46YWRtaW4=' });
    expect(malformed.status).toBe(401);
    expect(malformed.body.error).toMatchObject({
      code: 'ERR_UNAUTHENTICATED',
      message: 'the Authorization header must be "Bearer <token>"',
    });
    const forged = await call('/any', {
      token: await token({ sub: 'mallory', roles: ['administrator'] }, strangerKeys.privateKey),
    });
    expect(forged.status).toBe(401);
    expect(forged.body.error).toMatchObject({
      code: 'ERR_UNAUTHENTICATED',
      message: 'the bearer token was not signed by this registry',
    });
    expect(refusals).toEqual([
      {
        code: 'ERR_UNAUTHENTICATED',
        reason: missing.body.error.message,
        actor: 'anonymous',
        route: 'GET /any',
        requestId: 'no-token-1',
      },
      expect.objectContaining({ code: 'ERR_UNAUTHENTICATED', actor: 'anonymous' }),
      expect.objectContaining({ code: 'ERR_UNAUTHENTICATED', actor: 'unverified:mallory' }),
    ]);
  });

  it('answers 403 ERR_FORBIDDEN to a valid token without the role, and reports it with the roles', async () => {
    refusals.length = 0;
    const auditor = await token({ sub: 'ana', roles: ['auditor'] });
    const refused = await call('/admin', { token: auditor });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({
      code: 'ERR_FORBIDDEN',
      message: 'this operation needs the role administrator; the token has auditor',
      violations: [],
    });
    expect(refusals).toEqual([
      expect.objectContaining({
        code: 'ERR_FORBIDDEN',
        actor: 'ana',
        roles: ['auditor'],
        route: 'GET /admin',
      }),
    ]);
    const admin = await token({ sub: 'root', roles: ['administrator'] });
    expect(await call('/admin', { token: admin })).toMatchObject({
      status: 200,
      body: { actor: { id: 'root', roles: ['administrator'] } },
    });
    // Routes without a declaration take the default (here: auditors only); any valid token for @Authenticated.
    expect((await call('/default', { token: auditor })).status).toBe(200);
    expect((await call('/default', { token: admin })).status).toBe(403);
    expect((await call('/any', { token: auditor })).status).toBe(200);
  });

  it('asks the service whether a token holds a role (a focal point only of its own country)', async () => {
    expect(
      (
        await call('/officers', {
          token: await token({ sub: 'mx-1', roles: ['focal-point'], country: 'MX' }),
        })
      ).status,
    ).toBe(200);
    const foreign = await call('/officers', {
      token: await token({ sub: 'gt-1', roles: ['focal-point'], country: 'GT' }),
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('ERR_FORBIDDEN');
  });

  it('refuses the same way when the refusal cannot be recorded', async () => {
    failAudit = true;
    try {
      const response = await call('/any');
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('ERR_UNAUTHENTICATED');
    } finally {
      failAudit = false;
    }
  });
});

describe('the one error shape', () => {
  it('keeps a service error’s code, status and violations', async () => {
    expect(await call('/gone')).toMatchObject({
      status: 410,
      body: {
        error: {
          code: 'ERR_GONE',
          message: 'the alert was withdrawn',
          violations: [{ path: 'id', code: 'gone', message: 'it went' }],
        },
      },
    });
  });

  it('answers anything else with 500 ERR_INTERNAL naming the request id and nothing of the internals', async () => {
    const response = await call('/boom', { requestId: 'leak-check' });
    expect(response.status).toBe(500);
    expect(response.body).toEqual({
      error: {
        code: 'ERR_INTERNAL',
        message: 'internal error; the test service log has the details under request id leak-check',
        violations: [],
      },
    });
    expect(JSON.stringify(response.body)).not.toContain('hunter2');
  });

  it('answers an unknown route 404 ERR_NOT_FOUND', async () => {
    const response = await call('/nope?x=1');
    expect(response.status).toBe(404);
    expect(response.body.error).toEqual({
      code: 'ERR_NOT_FOUND',
      message: 'no such route: GET /nope',
      violations: [],
    });
  });

  it('refuses malformed JSON (400 ERR_VALIDATION) and a body over the limit (413 ERR_TOO_LARGE)', async () => {
    const malformed = await call('/echo', { body: '{"a":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('ERR_VALIDATION');
    expect(malformed.body.error.violations[0]).toMatchObject({ path: '', code: 'malformed_json' });
    const large = await call('/echo', { body: JSON.stringify({ pad: 'x'.repeat(2048) }) });
    expect(large.status).toBe(413);
    expect(large.body.error).toEqual({
      code: 'ERR_TOO_LARGE',
      message: 'the request body is too large',
      violations: [{ path: '', code: 'too_big', message: 'the request body is too large' }],
    });
    expect(await call('/echo', { body: '{"a":1}' })).toMatchObject({ status: 201, body: { body: { a: 1 } } });
  });
});

describe('the request id', () => {
  it('is adopted from x-request-id when well-formed, made otherwise, echoed, and put in NATS headers', async () => {
    const given = await call('/echo', { body: '{}', requestId: 'cli-42' });
    expect(given.headers.get('x-request-id')).toBe('cli-42');
    expect(given.body.headers).toEqual({ 'Enlace-Request-Id': 'cli-42' });
    const odd = await call('/echo', { body: '{}', requestId: 'no spaces allowed' });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(odd.body.headers).toEqual({ 'Enlace-Request-Id': odd.headers.get('x-request-id') });
    expect(requestIdHeaders()).toBeUndefined();
  });

  it('is on the JSON log line of each request, which holds no token and no body', async () => {
    const secret = await token({ sub: 'root', roles: ['administrator'] });
    await call('/echo', {
      body: '{"title":"victim-free but private"}',
      requestId: 'log-check-1',
      token: secret,
    });
    await call('/admin', { token: secret, requestId: 'log-check-2' });
    const lines = a.logs.map((line) => JSON.parse(line) as { req?: { id?: string } });
    const line = lines.find((l) => l.req?.id === 'log-check-1');
    expect(line).toMatchObject({
      service: 'enlace-test service',
      level: 30,
      req: { id: 'log-check-1', method: 'POST', path: '/echo' },
      res: { statusCode: 201 },
    });
    expect(lines.some((l) => l.req?.id === 'log-check-2')).toBe(true);
    const all = a.logs.join('\n');
    expect(all).not.toContain(secret);
    expect(all).not.toContain('victim-free but private');
    expect(b.logs.some((l) => l.includes('log-check-1'))).toBe(false);
  });
});

describe('metrics', () => {
  it('serves each app’s own registry, with process and event-loop metrics', async () => {
    for (const started of [a, b])
      new Counter({ name: 'enlace_test_events_total', help: 'Events.', registers: [started.metrics] });
    (a.metrics.getSingleMetric('enlace_test_events_total') as Counter).inc(3);
    const scrapeA = await call('/metrics');
    const scrapeB = await call('/metrics', { on: b });
    expect(scrapeA.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(scrapeA.body).toMatch(/^enlace_test_events_total 3$/m);
    expect(scrapeB.body).toMatch(/^enlace_test_events_total 0$/m);
    for (const scrape of [scrapeA, scrapeB]) {
      expect(scrape.body).toMatch(/^process_cpu_user_seconds_total \d/m);
      expect(scrape.body).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    }
  });
});

describe('readiness', () => {
  it('answers 200 with every check up, 503 with terminus’s report when one is down', async () => {
    expect(await call('/health/live')).toMatchObject({ status: 200, body: { status: 'ok' } });
    const up = await call('/health/ready');
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({
      status: 'ok',
      info: { nats: { status: 'up' }, store: { status: 'up', writable: true } },
    });
    storeProblem = '/var/lib/enlace is not writable: EACCES';
    try {
      const down = await call('/health/ready');
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({
        status: 'error',
        info: { nats: { status: 'up' } },
        error: { store: { status: 'down', message: '/var/lib/enlace is not writable: EACCES' } },
      });
    } finally {
      storeProblem = undefined;
    }
  });
});
