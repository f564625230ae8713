import { describe, expect, it } from 'vitest';

import { uuidV5 } from './uuid-v5.js';

const DNS_NAMESPACE = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

describe('uuidV5', () => {
  it('matches the RFC 9562 test vector (appendix A.4)', () => {
    expect(uuidV5(DNS_NAMESPACE, 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('is stable, and differs by name and by namespace', () => {
    const a = uuidV5(DNS_NAMESPACE, 'alert/1');
    expect(uuidV5(DNS_NAMESPACE, 'alert/1')).toBe(a);
    expect(uuidV5(DNS_NAMESPACE, 'alert/2')).not.toBe(a);
    expect(uuidV5('6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'alert/1')).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('rejects a namespace that is not a UUID', () => {
    expect(() => uuidV5('not-a-uuid', 'x')).toThrow(TypeError);
  });
});
