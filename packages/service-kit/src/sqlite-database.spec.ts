/**
 * One contract, run over each SQLite driver that loads in this Node: better-sqlite3 (Node 20, or
 * wherever its addon was built) and node:sqlite (Node ≥ 22.13). A driver that does not load is
 * skipped with its reason printed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { defaultOrder, openDatabase, sqliteDriver, sqliteDriverAvailable } from './sqlite-database.js';
import type { Database, SqliteDriverName } from './sqlite-database.js';

const DRIVERS: SqliteDriverName[] = ['better-sqlite3', 'node:sqlite'];

for (const name of DRIVERS) {
  const available = sqliteDriverAvailable(name);
  if (!available.ok) {
    console.log(
      `sqlite-database.spec: ${name} skipped on Node ${process.versions.node}: ${available.reason}`,
    );
  }

  describe.skipIf(!available.ok)(`SQLite driver ${name}`, () => {
    let dir: string;
    let db: Database;

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'enlace-sqlite-'));
      db = openDatabase(join(dir, 'contract.sqlite'), { driver: name });
      db.pragma('journal_mode = WAL');
      db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, body BLOB, n INTEGER);
               CREATE TABLE child (parent INTEGER NOT NULL REFERENCES t(id));`);
    });
    afterEach(async () => {
      db.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('names its driver and reports open until closed', () => {
      expect(db.driver).toBe(name);
      expect(db.open).toBe(true);
      db.close();
      expect(db.open).toBe(false);
      db.close(); // a second close is harmless, as the stores' close() relies on
      db = openDatabase(join(dir, 'contract.sqlite'), { driver: name });
    });

    it('binds positional and named parameters; run reports changes and lastInsertRowid', () => {
      const insert = db.prepare<[string, number]>('INSERT INTO t (name, n) VALUES (?, ?)');
      expect(insert.run('a', 1)).toEqual({ changes: 1, lastInsertRowid: 1 });
      const named = db.prepare<[{ name: string; n: number }]>('INSERT INTO t (name, n) VALUES (@name, @n)');
      expect(named.run({ name: 'b', n: 2 })).toEqual({ changes: 1, lastInsertRowid: 2 });
      const ignore = db.prepare<[string]>('INSERT OR IGNORE INTO t (name, n) VALUES (?, 0)');
      expect(ignore.run('a').changes).toBe(0);
      expect(db.prepare('UPDATE t SET n = n + 10').run().changes).toBe(2);
      // Keys the statement does not name are ignored; a named parameter left out is refused.
      expect(named.run({ name: 'c', n: 3, unused: true } as { name: string; n: number }).changes).toBe(1);
      expect(() => named.run({ name: 'd' } as { name: string; n: number })).toThrow(
        /Missing named parameter "n"/,
      );
      const literal = db.prepare<[{ n: number }], { s: string }>("SELECT '@n :x' AS s WHERE @n > 0 -- $y");
      expect(literal.get({ n: 1 })).toEqual({ s: '@n :x' });
    });

    it('get returns a row object or undefined; all and iterate return every row in order', () => {
      db.exec("INSERT INTO t (name, n) VALUES ('a', 1), ('b', 2), ('c', 3)");
      const byName = db.prepare<[string], { id: number; name: string; n: number }>(
        'SELECT id, name, n FROM t WHERE name = ?',
      );
      expect(byName.get('b')).toEqual({ id: 2, name: 'b', n: 2 });
      expect(byName.get('zz')).toBeUndefined();
      const every = db.prepare<[], { name: string }>('SELECT name FROM t ORDER BY id');
      expect(every.all().map((r) => r.name)).toEqual(['a', 'b', 'c']);
      expect([...every.iterate()].map((r) => r.name)).toEqual(['a', 'b', 'c']);
      expect(db.prepare<[], unknown[]>('SELECT id, name FROM t ORDER BY id').raw().all()).toEqual([
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ]);
    });

    it('returns BLOBs as Buffer and takes Buffer and bigint parameters', () => {
      const bytes = Buffer.from([0, 1, 2, 255]);
      db.prepare('INSERT INTO t (name, body, n) VALUES (?, ?, ?)').run('x', bytes, 2n ** 40n);
      const row = db.prepare<[], { body: Buffer; n: number }>('SELECT body, n FROM t').get()!;
      expect(Buffer.isBuffer(row.body)).toBe(true);
      expect(row.body.equals(bytes)).toBe(true);
      expect(row.n).toBe(2 ** 40);
      const raw = db.prepare<[], [Buffer]>('SELECT body FROM t').raw().get()!;
      expect(Buffer.isBuffer(raw[0])).toBe(true);
    });

    it('supports RETURNING through get and all', () => {
      const inserted = db
        .prepare<[{ name: string }], { id: number; name: string }>(
          'INSERT INTO t (name) VALUES (@name) RETURNING id, name',
        )
        .get({ name: 'r' });
      expect(inserted).toEqual({ id: 1, name: 'r' });
      db.exec("INSERT INTO t (name) VALUES ('s')");
      const removed = db.prepare<[], { name: string }>('DELETE FROM t RETURNING name').all();
      expect(removed.map((r) => r.name).sort()).toEqual(['r', 's']);
    });

    it('commits a transaction, rolls it back on a throw, and nests as a savepoint', () => {
      const insert = db.prepare<[string]>('INSERT INTO t (name) VALUES (?)');
      const count = (): number => db.prepare<[], { n: number }>('SELECT count(*) AS n FROM t').get()!.n;
      const many = db.transaction((names: readonly string[]): number => {
        for (const n of names) insert.run(n);
        return names.length;
      });
      expect(many(['a', 'b'])).toBe(2);
      expect(count()).toBe(2);
      expect(() => many(['c', 'a'])).toThrow(/UNIQUE/);
      expect(count()).toBe(2); // 'c' was rolled back with the failed 'a'
      const outer = db.transaction(() => {
        insert.run('d');
        expect(db.inTransaction).toBe(true);
        try {
          db.transaction(() => {
            insert.run('e');
            throw new Error('inner fails');
          })();
        } catch {
          // only the inner level is undone
        }
        return count();
      });
      expect(outer()).toBe(3);
      expect(db.inTransaction).toBe(false);
      expect(
        db
          .prepare<[], { name: string }>('SELECT name FROM t ORDER BY id')
          .all()
          .map((r) => r.name),
      ).toEqual(['a', 'b', 'd']);
    });

    it('runs pragmas as rows or simple values; enforces foreign keys as better-sqlite3 builds do', () => {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      db.pragma('synchronous = FULL');
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(() => db.prepare('INSERT INTO child (parent) VALUES (99)').run()).toThrow(/FOREIGN KEY/);
      const columns = db
        .prepare<[], { name: string }>('PRAGMA table_info(t)')
        .all()
        .map((c) => c.name);
      expect(columns).toEqual(['id', 'name', 'body', 'n']);
    });

    it('has FTS5, which the alert search uses', () => {
      db.exec(
        "CREATE VIRTUAL TABLE f USING fts5(id UNINDEXED, text); INSERT INTO f VALUES ('1', 'boat near coast');",
      );
      expect(db.prepare<[string], { id: string }>('SELECT id FROM f WHERE f MATCH ?').all('coast')).toEqual([
        { id: '1' },
      ]);
    });

    it('rejects bad SQL with SQLite error text and leaves the database usable', () => {
      expect(() => db.prepare('SELEC nothing')).toThrow(/syntax error/);
      expect(() => db.exec('INSERT INTO nowhere VALUES (1)')).toThrow(/no such table/);
      expect(db.prepare('SELECT 1 AS one').get()).toEqual({ one: 1 });
    });
  });
}

describe('openDatabase without a driver', () => {
  it('prefers better-sqlite3 before Node 24 and node:sqlite from 24 on', () => {
    expect(defaultOrder(20)).toEqual(['better-sqlite3', 'node:sqlite']);
    expect(defaultOrder(22)).toEqual(['better-sqlite3', 'node:sqlite']);
    expect(defaultOrder(24)).toEqual(['node:sqlite', 'better-sqlite3']);
  });

  it('uses the first driver of that order that loads in this process', () => {
    const expected = defaultOrder().find((d) => sqliteDriverAvailable(d).ok);
    if (process.env.ENLACE_SQLITE_DRIVER === undefined) expect(sqliteDriver()).toBe(expected);
    const db = openDatabase(':memory:');
    expect(db.driver).toBe(sqliteDriver());
    db.close();
  });
});
