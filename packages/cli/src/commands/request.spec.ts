/**
 * `enlace request ...` and `enlace consent ...` in-process, against a small node:http stand-in
 * for the node's request routes that records what the CLI sends.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CliError } from '../errors.js';
import { VICTIM_REMINDER, addRequestCommands } from './request.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let server: Server;
let url: string;
const seen: Array<{ method: string; path: string; auth: string | undefined; body: unknown }> = [];

const THREAD = '0193a000-0000-7000-8000-000000000001';
const SENT = { id: THREAD, threadId: THREAD, subjects: ['enlace.v1.direct.GT.MX'] };

async function run(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => void (stdout += text) },
    stderr: { write: (text: string) => void (stderr += text) },
    env: { ENLACE_NODE_URL: url, ENLACE_NODE_TOKEN: 'tok' },
  };
  const program = new Command('enlace')
    .configureOutput({ writeOut: (t) => io.stdout.write(t), writeErr: (t) => io.stderr.write(t) })
    .exitOverride();
  addRequestCommands(program, io);
  let code = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CliError) {
      stderr += `enlace: ${error.message} [${error.code}]\n`;
      code = error.exitCode;
    } else if (error instanceof CommanderError) {
      code = error.exitCode === 0 ? 0 : 2;
    } else throw error;
  }
  return { code, stdout, stderr };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const path = req.url ?? '';
      seen.push({
        method: req.method ?? '',
        path,
        auth: req.headers.authorization,
        body: raw === '' ? undefined : JSON.parse(raw),
      });
      res.setHeader('content-type', 'application/json');
      if (path.startsWith('/v1/requests?')) {
        res.end(
          JSON.stringify({
            items: [
              {
                id: THREAD,
                box: 'outbox',
                type: 'information',
                from: 'MX',
                to: ['GT'],
                priority: 'urgent',
                status: 'open',
                overdue: true,
                openedAt: '',
                lastAt: '',
                messageCount: 1,
                subject: 'Serie G12',
              },
            ],
          }),
        );
      } else if (req.method === 'GET' && path === `/v1/requests/${THREAD}`) {
        res.end(
          JSON.stringify({
            id: THREAD,
            box: 'outbox',
            type: 'information',
            from: 'MX',
            to: ['GT', 'HN'],
            priority: 'routine',
            status: 'open',
            overdue: false,
            openedAt: '',
            lastAt: '',
            messageCount: 1,
            messages: [
              {
                id: THREAD,
                threadId: THREAD,
                box: 'outbox',
                type: 'information',
                from: 'MX',
                to: ['GT', 'HN'],
                issuedAt: '2026-12-03T10:00:00.000Z',
                receivedAt: '',
                handling: 'H0',
                tlp: 'amber',
                kid: 'MX-sig',
                bodyReadable: true,
                body: { subject: 'Serie G12', text: '¿Detecciones?', references: {} },
                receipts: [
                  { from: 'GT', status: 'received', at: '' },
                  { from: 'GT', status: 'read', at: '' },
                ],
                deliveries: [
                  { to: 'GT', status: 'stored', attempts: 1 },
                  { to: 'HN', status: 'pending', attempts: 2 },
                ],
              },
            ],
          }),
        );
      } else if (path.includes('/decision') && (JSON.parse(raw) as { granted: boolean }).granted) {
        res.statusCode = 400;
        res.end(
          JSON.stringify({
            error: {
              code: 'ERR_VALIDATION',
              message: 'invalid decision: ',
              violations: [{ path: '', code: 'already_decided', message: 'decided already' }],
            },
          }),
        );
      } else {
        res.statusCode = 201;
        res.end(JSON.stringify(SENT));
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.close();
});

describe('enlace request', () => {
  it('create sends the question to the node and reminds the writer', async () => {
    const result = await run(
      'request',
      'create',
      '--to',
      'GT,HN',
      '--priority',
      'urgent',
      '--due',
      '2030-01-01T00:00:00Z',
      '--subject',
      'Serie G12',
      '--text',
      '¿Detecciones?',
      '--series',
      'G12',
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`sent request ${THREAD}`);
    expect(result.stderr).toContain(VICTIM_REMINDER);
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      path: '/v1/requests',
      auth: 'Bearer tok',
      body: {
        to: ['GT', 'HN'],
        priority: 'urgent',
        dueAt: '2030-01-01T00:00:00Z',
        subject: 'Serie G12',
        text: '¿Detecciones?',
        references: { documentSeries: ['G12'] },
      },
    });
  });

  it('rfi send is the same command; --json prints the answer', async () => {
    const result = await run('rfi', 'send', '--to', 'GT', '--subject', 's', '--text', 't', '--json');
    expect(JSON.parse(result.stdout)).toEqual(SENT);
  });

  it('list shows threads with their state', async () => {
    const result = await run('request', 'list', '--overdue', '--box', 'outbox');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/open OVERDUE urgent/);
    expect(seen.at(-1)!.path).toBe('/v1/requests?box=outbox&overdue=true');
  });

  it('show prints each message with its signed receipts and the addressees still owed a copy', async () => {
    const result = await run('request', 'show', THREAD);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('    receipts: GT received, GT read\n');
    expect(result.stdout).toContain('    not yet stored for: HN\n');
  });

  it('list -q searches the text the node can read', async () => {
    const result = await run('request', 'list', '-q', 'serie G12');
    expect(result.code).toBe(0);
    expect(seen.at(-1)!.path).toBe('/v1/requests?q=serie+G12');
  });

  it('reply and consent request post to their routes', async () => {
    expect((await run('request', 'reply', THREAD, '--text', 'gracias')).code).toBe(0);
    expect(seen.at(-1)).toMatchObject({ path: `/v1/requests/${THREAD}/reply`, body: { text: 'gracias' } });
    expect((await run('request', 'reply', THREAD)).code).toBe(2);
    expect((await run('consent', 'request', THREAD, '--to', 'PA', '--reason', 'fiscalía')).code).toBe(0);
    expect(seen.at(-1)).toMatchObject({
      path: `/v1/alerts/${THREAD}/consent-requests`,
      body: { to: 'PA', purpose: 'forward', reason: 'fiscalía' },
    });
  });

  it('consent decide needs exactly one of --grant and --refuse; a refusal of the node exits 1 with its code', async () => {
    const neither = await run('consent', 'decide', THREAD);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('[ERR_USAGE]');
    const refused = await run('consent', 'refuse', THREAD);
    expect(refused.code).toBe(0);
    expect(seen.at(-1)).toMatchObject({ path: `/v1/consents/${THREAD}/decision`, body: { granted: false } });
    const again = await run('consent', 'decide', THREAD, '--grant');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('[ERR_NODE_REFUSED]');
    expect(again.stderr).toContain('ERR_VALIDATION');
  });
});
