import { describe, expect, it } from 'vitest';

import {
  AddressPolicy,
  AllowListError,
  embeddedIPv4,
  isBlockedAddress,
  webhookLookup,
} from './address-policy.js';

describe('isBlockedAddress', () => {
  it('refuses loopback, private, link-local, CGNAT, metadata, unspecified, multicast and reserved ranges', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.255.254',
      '0.0.0.0',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '100.127.255.255',
      '224.0.0.251',
      '239.255.255.250',
      '255.255.255.255',
      '198.18.0.1',
      '::',
      '::1',
      'fe80::1',
      'fc00::1',
      'fd00:ec2::254',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '::ffff:a9fe:a9fe',
      '::127.0.0.1',
      '64:ff9b::169.254.169.254',
      '2001:db8::1',
      'not an address',
    ]) {
      expect(isBlockedAddress(address), address).toBe(true);
    }
  });

  it('lets public addresses through', () => {
    for (const address of [
      '93.184.216.34',
      '8.8.8.8',
      '172.32.0.1',
      '100.128.0.1',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
    ]) {
      expect(isBlockedAddress(address), address).toBe(false);
    }
  });

  it('finds the IPv4 address inside mapped, compatible and NAT64 addresses', () => {
    expect(embeddedIPv4('::ffff:7f00:1')).toBe('127.0.0.1');
    expect(embeddedIPv4('::ffff:192.168.1.2')).toBe('192.168.1.2');
    expect(embeddedIPv4('64:ff9b::a00:1')).toBe('10.0.0.1');
    expect(embeddedIPv4('2606:4700::1111')).toBeUndefined();
    expect(embeddedIPv4('::1')).toBeUndefined();
  });
});

describe('AddressPolicy', () => {
  it('allows what the operator names: ranges, addresses, host names and subdomains', () => {
    const policy = AddressPolicy.parse('10.20.0.0/16, fd12::/16 127.0.0.1,localhost,*.fiu.internal');
    expect(policy.allowsAddress('x.example', '10.20.9.9')).toBe(true);
    expect(policy.allowsAddress('x.example', '10.21.0.1')).toBe(false);
    expect(policy.allowsAddress('x.example', 'fd12::5')).toBe(true);
    expect(policy.allowsAddress('x.example', '::ffff:10.20.0.1')).toBe(true);
    expect(policy.allowsAddress('localhost', '127.0.0.1')).toBe(true);
    expect(policy.allowsAddress('hooks.fiu.internal', '192.168.4.4')).toBe(true);
    expect(policy.allowsAddress('fiu.internal.evil.example', '192.168.4.4')).toBe(false);
    expect(policy.allowsHost('[::1]')).toBe(false);
    expect(policy.allowsHost('127.0.0.1')).toBe(true);
    expect(policy.allowsHost('LOCALHOST.')).toBe(true);
  });

  it('refuses an entry that is neither', () => {
    for (const entry of ['10.0.0.0/33', 'fd00::/129', 'bad host!', '10.0.0.0/x']) {
      expect(() => new AddressPolicy([entry]), entry).toThrow(AllowListError);
    }
  });
});

describe('webhookLookup', () => {
  const resolveTo =
    (...addresses: string[]) =>
    (
      _host: string,
      callback: (err: NodeJS.ErrnoException | null, a: { address: string; family: number }[]) => void,
    ) =>
      callback(
        null,
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );

  it('hands the socket only checked addresses, and none when any is refused (DNS rebinding, mixed answers)', async () => {
    const lookup = (answers: string[], all: boolean) =>
      new Promise<{ err: Error | null; address: unknown }>((resolve) =>
        webhookLookup(new AddressPolicy([]), resolveTo(...answers))(
          'hooks.example',
          { all },
          (err, address) => resolve({ err, address }),
        ),
      );
    expect(await lookup(['93.184.216.34'], false)).toEqual({ err: null, address: '93.184.216.34' });
    expect(await lookup(['93.184.216.34', '2606:4700::1'], true)).toMatchObject({
      err: null,
      address: [{ address: '93.184.216.34' }, { address: '2606:4700::1' }],
    });
    for (const answers of [['169.254.169.254'], ['93.184.216.34', '127.0.0.1'], ['::ffff:10.0.0.1']]) {
      const { err } = await lookup(answers, true);
      expect(err).toMatchObject({ code: 'ERR_WEBHOOK_BLOCKED_ADDRESS' });
      expect(err?.message).not.toContain(answers.at(-1));
    }
  });
});
