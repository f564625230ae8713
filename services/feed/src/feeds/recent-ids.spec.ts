import { describe, expect, it } from 'vitest';

import { RecentIds } from './recent-ids.js';

describe('RecentIds', () => {
  it('remembers at most its capacity, forgetting the least recently seen first', () => {
    const ids = new RecentIds(3);
    expect(['a', 'b', 'c'].map((id) => ids.seen(id))).toEqual([false, false, false]);
    expect(ids.seen('a')).toBe(true); // a is now the newest
    expect(ids.seen('d')).toBe(false); // b is forgotten
    expect(ids.size).toBe(3);
    expect(ids.seen('a')).toBe(true);
    expect(ids.seen('b')).toBe(false);
  });

  it('stays bounded over a million ids while a shared one stays remembered', () => {
    const ids = new RecentIds(1_000);
    let sharedRepeats = 0;
    for (let i = 0; i < 1_000_000; i++) {
      ids.seen(`indicator--${i}`);
      if (ids.seen('identity--shared')) sharedRepeats++;
    }
    expect(ids.size).toBe(1_000);
    expect(sharedRepeats).toBe(999_999);
  });
});
