import { describe, expect, it } from 'vitest';
import {
  SubjectError,
  ackSubject,
  alertSubject,
  auditSubject,
  directSubject,
  parseMessageSubject,
  publishSubjectsOf,
  registryEventSubject,
  registryRpcSubject,
  subjectMatches,
  subjectToken,
} from './subjects.js';

describe('subjects', () => {
  it('builds the subjects of DESIGN.md', () => {
    expect(alertSubject({ network: 'trafficking-liaison', kind: 'route', origin: 'MX' })).toBe(
      'enlace.v1.alert.trafficking-liaison.route.MX',
    );
    expect(directSubject({ dest: 'GT', origin: 'MX' })).toBe('enlace.v1.direct.GT.MX');
    expect(ackSubject({ origin: 'MX', from: 'HN' })).toBe('enlace.v1.ack.MX.HN');
    expect(registryRpcSubject('get_key')).toBe('enlace.v1.registry.rpc.get_key');
    expect(registryEventSubject('country', 'MX')).toBe('enlace.v1.registry.event.country.MX');
    expect(auditSubject('registry', 'ana.gomez@sre.gob.mx')).toBe(
      'enlace.v1.audit.registry.ana_gomez_sre_gob_mx',
    );
  });

  it('parses what it builds', () => {
    expect(parseMessageSubject('enlace.v1.alert.fiu-exchange.network.GT')).toEqual({
      type: 'alert',
      network: 'fiu-exchange',
      kind: 'network',
      origin: 'GT',
    });
    expect(parseMessageSubject('enlace.v1.direct.US.MX')).toEqual({
      type: 'direct',
      dest: 'US',
      origin: 'MX',
    });
    expect(parseMessageSubject('enlace.v1.ack.MX.HN')).toEqual({ type: 'ack', origin: 'MX', from: 'HN' });
  });

  it.each([
    ['enlace.v1.alert.trafficking-liaison.route.mx', 'origin'],
    ['enlace.v1.alert.Trafficking.route.MX', 'network'],
    ['enlace.v1.alert.trafficking-liaison.person.MX', 'kind'],
    ['enlace.v1.alert.trafficking-liaison.route.MX.extra', 'subject'],
    ['enlace.v2.alert.trafficking-liaison.route.MX', 'subject'],
    ['enlace.v1.direct.GT', 'subject'],
  ])('rejects %s naming the %s', (subject, field) => {
    const error = (() => {
      try {
        parseMessageSubject(subject);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(SubjectError);
    expect((error as SubjectError).code).toBe('ERR_SUBJECT_INVALID');
    expect((error as SubjectError).field).toBe(field);
  });

  it('refuses to build a subject with a wildcard or separator in a token', () => {
    expect(() => alertSubject({ network: 'trafficking-liaison', kind: 'route', origin: '*' })).toThrow(
      SubjectError,
    );
    expect(() => alertSubject({ network: 'a.b', kind: 'route', origin: 'MX' })).toThrow(SubjectError);
    expect(subjectToken('a.b*c >')).toBe('a_b_c__');
    expect(subjectToken('')).toBe('_');
  });

  it('gives a country publish rights on its own origin subjects only', () => {
    expect(publishSubjectsOf('MX')).toEqual([
      'enlace.v1.alert.*.*.MX',
      'enlace.v1.direct.*.MX',
      'enlace.v1.ack.*.MX',
    ]);
  });
});

describe('subjectMatches', () => {
  it('follows NATS wildcard semantics', () => {
    const subject = 'enlace.v1.alert.trafficking-liaison.route.MX';
    expect(subjectMatches(subject, subject)).toBe(true);
    expect(subjectMatches('enlace.v1.alert.>', subject)).toBe(true);
    expect(subjectMatches('enlace.v1.alert.*.route.*', subject)).toBe(true);
    expect(subjectMatches('enlace.v1.alert.*.document.*', subject)).toBe(false);
    expect(subjectMatches('enlace.v1.alert.*', subject)).toBe(false);
    expect(subjectMatches('enlace.v1.alert.trafficking-liaison.route.MX.>', subject)).toBe(false);
    // `>` needs at least one token; `*` exactly one.
    expect(subjectMatches('enlace.v1.alert.>', 'enlace.v1.alert')).toBe(false);
    expect(subjectMatches('enlace.v1.*', 'enlace.v1')).toBe(false);
    expect(subjectMatches('>', 'enlace')).toBe(true);
  });
});
