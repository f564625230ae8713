import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { JetStreamClient } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';

import { FeedError } from '../errors.js';
import { AddressPolicy } from './address-policy.js';
import { createSink } from './create-sink.js';
import {
  DEFAULT_FILE_MAX_BYTES,
  DEFAULT_FILE_MAX_FILES,
  REDACTED,
  describeSink,
  parseSinkDefinition,
  redactSinkDefinition,
  sinkViolations,
} from './sink-definition.js';
import type { SinkPolicy } from './sink-definition.js';
import { MAX_CA_CERTIFICATE_LENGTH, certificateProblem } from './pem.js';

const SECRET = 's3cret-that-is-long-enough-for-hmac-keys';

const ROOT = '/var/lib/enlace/feeds';
const LOCAL: SinkPolicy = {
  fileRoot: ROOT,
  webhooks: new AddressPolicy(['localhost', '127.0.0.1', '::1', '10.20.0.0/16']),
};

function violation(input: unknown, owner = 'MX', policy?: SinkPolicy): { path: string; code: string }[] {
  return sinkViolations(input, owner, 'sink', policy).map(({ path, code }) => ({ path, code }));
}

describe('sinkViolations', () => {
  it('accepts the three kinds', () => {
    expect(sinkViolations({ type: 'file', directory: 'cases' }, 'MX')).toEqual([]);
    expect(
      sinkViolations(
        { type: 'file', directory: `${ROOT}/MX/f`, maxBytes: 1024, maxFiles: 1 },
        'MX',
        'sink',
        LOCAL,
      ),
    ).toEqual([]);
    expect(
      sinkViolations({ type: 'webhook', url: 'https://fiu.example/enlace', secret: SECRET }, 'MX'),
    ).toEqual([]);
    for (const host of ['127.0.0.1:8080', '[::1]', 'localhost:3000']) {
      expect(
        sinkViolations({ type: 'webhook', url: `http://${host}/hook`, secret: SECRET }, 'MX', 'sink', LOCAL),
      ).toEqual([]);
    }
    expect(sinkViolations({ type: 'nats', subject: 'enlace.v1.feed.MX.cases_2026-a' }, 'MX')).toEqual([]);
  });

  it('says what is wrong with a missing or unknown type', () => {
    expect(violation(undefined)).toEqual([{ path: 'sink', code: 'required' }]);
    expect(violation('file')).toEqual([{ path: 'sink', code: 'invalid_type' }]);
    expect(violation({})).toEqual([{ path: 'sink.type', code: 'required' }]);
    expect(sinkViolations({ type: 'ftp' }, 'MX')).toEqual([
      { path: 'sink.type', code: 'invalid_value', message: 'must be one of file, webhook, nats' },
    ]);
  });

  it('checks a file sink', () => {
    expect(violation({ type: 'file' })).toEqual([{ path: 'sink.directory', code: 'required' }]);
    expect(
      violation({ type: 'file', directory: 'feeds/mx', maxBytes: 1023, maxFiles: 0, rotate: true }),
    ).toEqual([
      { path: 'sink.maxBytes', code: 'too_small' },
      { path: 'sink.maxFiles', code: 'too_small' },
      { path: 'sink.rotate', code: 'unknown_field' },
    ]);
    expect(violation({ type: 'file', directory: '/a\0b', maxBytes: 2048.5, maxFiles: '3' })).toEqual([
      { path: 'sink.directory', code: 'invalid_path' },
      { path: 'sink.maxBytes', code: 'invalid_type' },
      { path: 'sink.maxFiles', code: 'invalid_type' },
    ]);
    expect(violation({ type: 'file', directory: 'a', maxBytes: 2 * 1024 ** 3, maxFiles: 1001 })).toEqual([
      { path: 'sink.maxBytes', code: 'too_big' },
      { path: 'sink.maxFiles', code: 'too_big' },
    ]);
  });

  it('keeps a file sink inside the country root of the file root', () => {
    // Relative names are resolved under <root>/<CC>; absolute ones must lie there.
    expect(parseSinkDefinition({ type: 'file', directory: 'fiu/2026' }, 'MX', 'sink', LOCAL)).toMatchObject({
      directory: 'fiu/2026',
    });
    expect(
      parseSinkDefinition({ type: 'file', directory: `${ROOT}/MX/fiu//2026/` }, 'MX', 'sink', LOCAL),
    ).toMatchObject({ directory: 'fiu/2026' });
    for (const directory of [
      '/etc',
      `${ROOT}/GT/cases`,
      `${ROOT}/MX`,
      `${ROOT}/MX/../GT/x`,
      '/var/lib/enlace',
    ]) {
      expect(violation({ type: 'file', directory }, 'MX', LOCAL), directory).toEqual([
        { path: 'sink.directory', code: 'outside_file_root' },
      ]);
    }
    // Without a file root, no absolute path is accepted.
    expect(violation({ type: 'file', directory: '/srv/feeds' })).toEqual([
      { path: 'sink.directory', code: 'outside_file_root' },
    ]);
    for (const directory of ['..', '../GT', 'a/../../b', '.hidden', 'a/./b/..', '', 'a b', 'x/'.repeat(9)]) {
      expect(violation({ type: 'file', directory }, 'MX', LOCAL), directory).toEqual([
        { path: 'sink.directory', code: 'invalid_path' },
      ]);
    }
  });

  it('refuses webhooks to loopback, private, link-local, CGNAT and metadata addresses unless allow-listed', () => {
    const refused = [
      '127.0.0.1',
      '127.1.2.3',
      'localhost',
      'api.localhost',
      '10.0.0.5',
      '172.16.9.9',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '[::1]',
      '[::]',
      '[fe80::1]',
      '[fc00::1]',
      '[fd00:ec2::254]',
      '[ff02::1]',
      '[::ffff:127.0.0.1]',
      '[::ffff:169.254.169.254]',
      '[64:ff9b::a00:1]',
      '2130706433', // 127.0.0.1 as one number: the URL parser turns it into 127.0.0.1
      '0x7f.1',
    ];
    for (const host of refused) {
      expect(violation({ type: 'webhook', url: `https://${host}/hook`, secret: SECRET }), host).toEqual([
        { path: 'sink.url', code: 'blocked_address' },
      ]);
    }
    // The operator's allow-list opens exactly what it names.
    expect(
      violation({ type: 'webhook', url: 'https://10.20.3.4/hook', secret: SECRET }, 'MX', LOCAL),
    ).toEqual([]);
    expect(
      violation({ type: 'webhook', url: 'https://10.21.3.4/hook', secret: SECRET }, 'MX', LOCAL),
    ).toEqual([{ path: 'sink.url', code: 'blocked_address' }]);
    expect(violation({ type: 'webhook', url: 'https://8.8.8.8/hook', secret: SECRET })).toEqual([]);
  });

  it('checks a webhook sink', () => {
    expect(violation({ type: 'webhook' })).toEqual([
      { path: 'sink.url', code: 'required' },
      { path: 'sink.secret', code: 'required' },
    ]);
    expect(violation({ type: 'webhook', url: 'fiu.example/hook', secret: 'short' })).toEqual([
      { path: 'sink.url', code: 'invalid_url' },
      { path: 'sink.secret', code: 'secret_too_short' },
    ]);
    const insecure = sinkViolations(
      { type: 'webhook', url: 'http://fiu.example/hook', secret: SECRET },
      'MX',
    );
    expect(insecure).toEqual([
      {
        path: 'sink.url',
        code: 'insecure_url',
        message:
          "must use https:// (http:// is allowed only to hosts on the feed service's webhook allow-list)",
      },
    ]);
    // Plain http only to allow-listed hosts; loopback is not allow-listed by default.
    for (const host of ['127.0.0.1', 'localhost:3000', '[::1]']) {
      expect(violation({ type: 'webhook', url: `http://${host}/hook`, secret: SECRET }), host).toEqual([
        { path: 'sink.url', code: 'insecure_url' },
      ]);
    }
    expect(violation({ type: 'webhook', url: 'http://127.0.0.2/hook', secret: SECRET }, 'MX', LOCAL)).toEqual(
      [{ path: 'sink.url', code: 'insecure_url' }],
    );
    expect(violation({ type: 'webhook', url: 'ftp://fiu.example/', secret: SECRET })).toEqual([
      { path: 'sink.url', code: 'invalid_url' },
    ]);
    expect(violation({ type: 'webhook', url: 'https://user:pw@fiu.example/', secret: SECRET })).toEqual([
      { path: 'sink.url', code: 'invalid_url' },
    ]);
    expect(violation({ type: 'webhook', url: 'https://fiu.example/', secret: 'x'.repeat(1025) })).toEqual([
      { path: 'sink.secret', code: 'secret_too_long' },
    ]);
    expect(
      violation({
        type: 'webhook',
        url: 'https://fiu.example/',
        secret: SECRET,
        caCertificate: 'not a certificate',
      }),
    ).toEqual([{ path: 'sink.caCertificate', code: 'invalid_certificate' }]);
    const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    expect(
      violation({ type: 'webhook', url: 'https://fiu.example/', secret: SECRET, caCertificate: broken }),
    ).toEqual([{ path: 'sink.caCertificate', code: 'invalid_certificate' }]);
  });

  it('refuses a caCertificate over 64 KiB before reading it, and reads the worst case in linear work', () => {
    // What made the old /-----BEGIN…[\s\S]+?-----END…/g quadratic: many BEGINs and no END.
    const begin = '-----BEGIN CERTIFICATE-----\n';
    const huge = begin.repeat(Math.ceil((8 * 1024 * 1024) / begin.length));
    expect(
      violation({ type: 'webhook', url: 'https://fiu.example/', secret: SECRET, caCertificate: huge }),
    ).toEqual([{ path: 'sink.caCertificate', code: 'certificate_too_large' }]);
    const meter = { steps: 0 };
    expect(certificateProblem(huge, meter)?.code).toBe('certificate_too_large');
    expect(meter.steps).toBe(0);

    for (const worst of [
      begin.repeat(Math.floor(MAX_CA_CERTIFICATE_LENGTH / begin.length)),
      '-----BEGIN CERTIFICATE-----'.repeat(Math.floor(MAX_CA_CERTIFICATE_LENGTH / 27)),
      `${begin}${'A'.repeat(MAX_CA_CERTIFICATE_LENGTH - begin.length)}`,
      '\n'.repeat(MAX_CA_CERTIFICATE_LENGTH),
    ]) {
      const counted = { steps: 0 };
      expect(certificateProblem(worst, counted)?.code).toBe('invalid_certificate');
      // One look at each character (plus one per line): linear, whatever the input holds.
      expect(counted.steps).toBeLessThanOrEqual(worst.length + 1 + worst.split('\n').length);
    }
  });

  it('never quotes the secret in a message', () => {
    const secret = 'tooshort-but-secret';
    const found = sinkViolations({ type: 'webhook', url: 'https://fiu.example/', secret }, 'MX');
    expect(found).toHaveLength(1);
    expect(JSON.stringify(found)).not.toContain(secret);
    const error = (() => {
      try {
        parseSinkDefinition({ type: 'webhook', url: 'https://fiu.example/', secret }, 'MX');
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(FeedError);
    expect(JSON.stringify(error)).not.toContain(secret);
  });

  it('takes only subjects of the owner country for a NATS sink', () => {
    expect(sinkViolations({ type: 'nats', subject: 'enlace.v1.feed.GT.cases' }, 'MX')).toEqual([
      {
        path: 'sink.subject',
        code: 'subject_not_owned',
        message: "must be a subject of the feed owner's country (enlace.v1.feed.MX.<name>), not of GT",
      },
    ]);
    for (const subject of [
      'enlace.v1.feed.MX.*',
      'enlace.v1.feed.MX.>',
      'enlace.v1.feed.MX',
      'enlace.v1.feed.MX.a.b',
      'enlace.v1.feed.mx.cases',
      'enlace.v1.alert.MX.cases',
      'enlace.v1.feed.MX.ca ses',
    ]) {
      expect(violation({ type: 'nats', subject }), subject).toEqual([
        { path: 'sink.subject', code: 'invalid_subject' },
      ]);
    }
    expect(violation({ type: 'nats', subject: 'enlace.v1.feed.MX.x', url: 'x' })).toEqual([
      { path: 'sink.url', code: 'unknown_field' },
    ]);
  });

  it('takes another path prefix', () => {
    expect(sinkViolations({ type: 'nats' }, 'MX', 'feeds[2].sink')).toEqual([
      { path: 'feeds[2].sink.subject', code: 'required', message: 'required' },
    ]);
  });
});

describe('parseSinkDefinition', () => {
  it('fills in the defaults of a file sink', () => {
    expect(parseSinkDefinition({ type: 'file', directory: 'feeds' }, 'MX')).toEqual({
      type: 'file',
      directory: 'feeds',
      maxBytes: DEFAULT_FILE_MAX_BYTES,
      maxFiles: DEFAULT_FILE_MAX_FILES,
    });
    expect(DEFAULT_FILE_MAX_BYTES).toBe(64 * 1024 * 1024);
    expect(DEFAULT_FILE_MAX_FILES).toBe(30);
  });

  it('throws ERR_VALIDATION listing every violation', () => {
    expect(() =>
      parseSinkDefinition({ type: 'webhook', url: 'http://fiu.example/', secret: 'x' }, 'MX'),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_VALIDATION',
        message:
          "invalid sink: sink.url: must use https:// (http:// is allowed only to hosts on the feed service's webhook allow-list) (and 1 more)",
        violations: [
          expect.objectContaining({ path: 'sink.url', code: 'insecure_url' }),
          expect.objectContaining({ path: 'sink.secret', code: 'secret_too_short' }),
        ],
      }),
    );
  });
});

describe('redactSinkDefinition and describeSink', () => {
  it('show a webhook without its secret or query string', () => {
    const def = parseSinkDefinition(
      { type: 'webhook', url: 'https://fiu.example/enlace?token=abc', secret: SECRET },
      'MX',
    );
    expect(redactSinkDefinition(def)).toEqual({
      type: 'webhook',
      url: 'https://fiu.example/enlace?token=abc',
      secret: REDACTED,
    });
    expect(JSON.stringify(redactSinkDefinition(def))).not.toContain(SECRET);
    expect(describeSink(def)).toBe('webhook:https://fiu.example/enlace');
    expect(describeSink({ type: 'file', directory: '/srv/feeds' })).toBe('file:/srv/feeds');
    expect(describeSink({ type: 'nats', subject: 'enlace.v1.feed.MX.cases' })).toBe(
      'nats:enlace.v1.feed.MX.cases',
    );
  });
});

describe('createSink', () => {
  // Never called: the NATS sink touches its client only when it delivers (nats-sink.spec.ts does).
  const js = {} as JetStreamClient;

  it('makes the sink the definition asks for', () => {
    const policy = { fileRoot: '/srv/feeds', webhooks: new AddressPolicy([]) };
    expect(
      createSink({ type: 'file', directory: 'cases' }, { feedId: 'mx-cases', country: 'MX', policy, js })
        .describe,
    ).toBe('file:cases');
    expect(
      createSink(
        { type: 'webhook', url: 'https://fiu.example/enlace', secret: SECRET },
        { feedId: 'mx-cases', country: 'MX', js },
      ).describe,
    ).toBe('webhook:https://fiu.example/enlace');
    expect(
      createSink(
        { type: 'nats', subject: 'enlace.v1.feed.MX.cases' },
        { feedId: 'mx-cases', country: 'MX', js },
      ).describe,
    ).toBe('nats:enlace.v1.feed.MX.cases');
  });

  it.skipIf(!haveOpenssl())('accepts a real CA certificate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'enlace-sink-ca-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          join(dir, 'k.pem'),
          '-out',
          join(dir, 'c.pem'),
          '-days',
          '1',
          '-subj',
          '/CN=Enlace test CA',
        ],
        { stdio: 'ignore' },
      );
      const pem = readFileSync(join(dir, 'c.pem'), 'utf8');
      expect(
        sinkViolations(
          { type: 'webhook', url: 'https://fiu.example/', secret: SECRET, caCertificate: pem },
          'MX',
        ),
      ).toEqual([]);
      expect(
        sinkViolations(
          { type: 'webhook', url: 'https://fiu.example/', secret: SECRET, caCertificate: `${pem}\n${pem}` },
          'MX',
        ),
      ).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
