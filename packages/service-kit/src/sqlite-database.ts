/**
 * The one SQLite driver interface of Enlace's stores: better-sqlite3 before Node 24 wherever its
 * native addon loads (Node 20 has nothing else), `node:sqlite` (DatabaseSync, Node ≥ 22.13)
 * otherwise. On Node 24 better-sqlite3 12 aborts the process when the garbage collector frees a
 * Statement (`Assertion failed: (env) != nullptr` in RemoveEnvironmentCleanupHook, seen in the
 * bench's stage run with a build for 24), so there node:sqlite is the default even when the addon
 * loads; better-sqlite3 13 fixes that but does not run on Node 20.
 * It keeps exactly the subset the stores use, with better-sqlite3's semantics on both drivers:
 * prepare/run/get/all/iterate/raw, transaction() (nested calls become savepoints), exec, pragma,
 * close, named (`@name`, bare keys) and positional parameters, RETURNING, BLOBs read as Buffer,
 * integers read as number, `changes` and `lastInsertRowid`.
 *
 * A store imports the types as a namespace beside the opener, so that its declarations read as
 * they did with better-sqlite3 (`Database.Database`, `Database.Statement<P, R>`):
 * `import type * as Database from '@enlace/service-kit/sqlite'`.
 */
import { createRequire } from 'node:module';

/** Which driver backs a database. */
export type SqliteDriverName = 'better-sqlite3' | 'node:sqlite';

/** Environment variable that forces a driver (`better-sqlite3` or `node:sqlite`); unset: automatic. */
export const SQLITE_DRIVER_ENV = 'ENLACE_SQLITE_DRIVER';

/** What run() reports, as better-sqlite3 does. */
export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

// A positional list or one object of named parameters, as better-sqlite3 types them.
type BindParameters = unknown[] | object;
type Args<P extends BindParameters> = P extends unknown[] ? P : [P];

/** A prepared statement: better-sqlite3's `Statement<P, R>`, as far as the stores use it. */
export interface Statement<P extends BindParameters = unknown[], R = unknown> {
  run(...params: Args<P>): RunResult;
  get(...params: Args<P>): R | undefined;
  all(...params: Args<P>): R[];
  iterate(...params: Args<P>): IterableIterator<R>;
  /** Rows as arrays of column values (in column order) instead of objects; returns the statement. */
  raw(toggle?: boolean): this;
}

/** A transaction function: calling it runs `fn` in BEGIN … COMMIT (ROLLBACK when it throws). */
export type Transaction<F extends (...args: never[]) => unknown> = F;

/** An open database: better-sqlite3's `Database`, as far as the stores use it. */
export interface Database {
  /** The driver behind it. */
  readonly driver: SqliteDriverName;
  readonly open: boolean;
  readonly inTransaction: boolean;
  prepare<P extends BindParameters = unknown[], R = unknown>(sql: string): Statement<P, R>;
  exec(sql: string): this;
  /** Runs `PRAGMA <source>`; returns its rows, or the first column of the first row when `simple`. */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<F extends (...args: never[]) => unknown>(fn: F): Transaction<F>;
  close(): this;
}

// ---- better-sqlite3 -----------------------------------------------------------------------------

interface BetterSqlite3Database {
  readonly open: boolean;
  readonly inTransaction: boolean;
  prepare(sql: string): unknown;
  exec(sql: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction(fn: (...args: never[]) => unknown): (...args: never[]) => unknown;
  close(): unknown;
}
type BetterSqlite3Constructor = new (path: string) => BetterSqlite3Database;

// better-sqlite3's Database already is this interface; only `driver` is added.
function fromBetterSqlite3(db: BetterSqlite3Database): Database {
  Object.defineProperty(db, 'driver', { value: 'better-sqlite3', enumerable: false });
  return db as unknown as Database;
}

// ---- node:sqlite --------------------------------------------------------------------------------

type SqlValue = null | number | bigint | string | Uint8Array;
interface NodeStatementSync {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): Record<string, SqlValue> | undefined;
  all(...params: unknown[]): Record<string, SqlValue>[];
  iterate(...params: unknown[]): IterableIterator<Record<string, SqlValue>>;
  columns?(): { name: string }[];
  setAllowBareNamedParameters(enabled: boolean): void;
  setAllowUnknownNamedParameters?(enabled: boolean): void;
  setReturnArrays?(enabled: boolean): void;
}
interface NodeDatabaseSync {
  prepare(sql: string): NodeStatementSync;
  exec(sql: string): void;
  close(): void;
}
type NodeDatabaseSyncConstructor = new (
  path: string,
  options?: { timeout?: number; enableForeignKeyConstraints?: boolean },
) => NodeDatabaseSync;

// better-sqlite3 reads a BLOB as a Buffer; node:sqlite as a plain Uint8Array. Same bytes, no copy.
function toBuffer(value: SqlValue): SqlValue | Buffer {
  return value instanceof Uint8Array && !Buffer.isBuffer(value)
    ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    : value;
}

function rowOf(row: Record<string, SqlValue>): Record<string, unknown> {
  for (const key in row) {
    const value = row[key]!;
    if (value instanceof Uint8Array) row[key] = toBuffer(value) as Uint8Array;
  }
  return row;
}

// The named parameters (`@id`, `:id`, `$id`) of a statement, outside string literals, quoted
// identifiers and comments: node:sqlite binds a missing one to NULL, better-sqlite3 refuses it.
function namedParameters(sql: string): string[] {
  const names = new Set<string>();
  const token =
    /'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|--[^\n]*|\/\*[\s\S]*?\*\/|[@:$]([A-Za-z_][A-Za-z0-9_]*)/g;
  for (const match of sql.matchAll(token)) if (match[1] !== undefined) names.add(match[1]);
  return [...names];
}

// Named parameters: better-sqlite3 binds `{ id: 1 }` to `@id` (and `:id`, `$id`), ignores keys
// the statement does not name and refuses a named parameter that is missing; node:sqlite is made
// to do the same (bare names, unknown keys allowed, missing ones checked here).
class NodeStatement<P extends BindParameters, R> implements Statement<P, R> {
  readonly #statement: NodeStatementSync;
  readonly #named: readonly string[];
  #raw = false;
  #names: string[] | undefined;

  constructor(statement: NodeStatementSync, sql: string) {
    this.#statement = statement;
    statement.setAllowBareNamedParameters(true);
    statement.setAllowUnknownNamedParameters?.(true);
    this.#named = namedParameters(sql);
  }

  run(...params: Args<P>): RunResult {
    return this.#statement.run(...this.#checked(params));
  }

  get(...params: Args<P>): R | undefined {
    const row = this.#statement.get(...this.#checked(params));
    return row === undefined ? undefined : this.#shape(row);
  }

  all(...params: Args<P>): R[] {
    return this.#statement.all(...this.#checked(params)).map((row) => this.#shape(row));
  }

  *iterate(...params: Args<P>): IterableIterator<R> {
    for (const row of this.#statement.iterate(...this.#checked(params))) yield this.#shape(row);
  }

  #checked(params: unknown[]): unknown[] {
    if (this.#named.length === 0) return params;
    const named = params[0];
    if (typeof named !== 'object' || named === null || named instanceof Uint8Array) {
      throw new RangeError('Too few parameter values were provided');
    }
    for (const name of this.#named) {
      if (!(name in named)) throw new RangeError(`Missing named parameter "${name}"`);
    }
    return params;
  }

  raw(toggle = true): this {
    this.#raw = toggle;
    return this;
  }

  #shape(row: Record<string, SqlValue>): R {
    if (!this.#raw) return rowOf(row) as R;
    // A row object has one key per column name; arrays keep duplicate names apart, so take the
    // column list once from the statement when node:sqlite offers it.
    this.#names ??= this.#statement.columns?.().map((c) => c.name) ?? Object.keys(row);
    return this.#names.map((name) => toBuffer(row[name] ?? null)) as R;
  }
}

class NodeDatabase implements Database {
  readonly driver = 'node:sqlite';
  readonly #db: NodeDatabaseSync;
  #open = true;
  #depth = 0;

  constructor(db: NodeDatabaseSync) {
    this.#db = db;
  }

  get open(): boolean {
    return this.#open;
  }

  get inTransaction(): boolean {
    return this.#depth > 0;
  }

  prepare<P extends BindParameters = unknown[], R = unknown>(sql: string): Statement<P, R> {
    return new NodeStatement<P, R>(this.#db.prepare(sql), sql);
  }

  exec(sql: string): this {
    this.#db.exec(sql);
    return this;
  }

  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    const rows = this.#db
      .prepare(`PRAGMA ${source}`)
      .all()
      .map((row) => rowOf(row));
    if (!options.simple) return rows;
    const first = rows[0];
    return first === undefined ? undefined : Object.values(first)[0];
  }

  // As better-sqlite3: the outermost call is BEGIN … COMMIT, a nested one a SAVEPOINT, and an
  // exception rolls back exactly the level it escaped from before it is rethrown.
  transaction<F extends (...args: never[]) => unknown>(fn: F): Transaction<F> {
    const db = this.#db;
    const run = (...args: Parameters<F>): ReturnType<F> => {
      const nested = this.#depth > 0;
      const savepoint = `enlace_tx_${this.#depth}`;
      db.exec(nested ? `SAVEPOINT ${savepoint}` : 'BEGIN');
      this.#depth += 1;
      try {
        const result = fn(...args) as ReturnType<F>;
        db.exec(nested ? `RELEASE ${savepoint}` : 'COMMIT');
        return result;
      } catch (error) {
        db.exec(nested ? `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}` : 'ROLLBACK');
        throw error;
      } finally {
        this.#depth -= 1;
      }
    };
    return run as unknown as Transaction<F>;
  }

  close(): this {
    if (this.#open) this.#db.close();
    this.#open = false;
    return this;
  }
}

// ---- choosing the driver ------------------------------------------------------------------------

const require = createRequire(import.meta.url);
let chosen: { name: SqliteDriverName; open: (path: string) => Database } | undefined;

function betterSqlite3(): ((path: string) => Database) | Error {
  try {
    const Constructor = require('better-sqlite3') as BetterSqlite3Constructor;
    // The package loads its native addon on the first open: try it here, so that an addon built
    // for another Node (ERR_DLOPEN_FAILED, NODE_MODULE_VERSION) is found before any store opens.
    new Constructor(':memory:').close();
    return (path) => fromBetterSqlite3(new Constructor(path));
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function nodeSqlite(): ((path: string) => Database) | Error {
  try {
    const { DatabaseSync } = require('node:sqlite') as { DatabaseSync: NodeDatabaseSyncConstructor };
    // better-sqlite3's defaults: a 5 s busy timeout; its build enables foreign keys, as node:sqlite does.
    return (path) =>
      new NodeDatabase(new DatabaseSync(path, { timeout: 5000, enableForeignKeyConstraints: true }));
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** Whether `name` can open databases in this process, and why not when it cannot. */
export function sqliteDriverAvailable(name: SqliteDriverName): { ok: true } | { ok: false; reason: string } {
  const opener = name === 'better-sqlite3' ? betterSqlite3() : nodeSqlite();
  return opener instanceof Error
    ? { ok: false, reason: opener.message.split('\n')[0] ?? opener.name }
    : { ok: true };
}

/**
 * The driver openDatabase() uses: `ENLACE_SQLITE_DRIVER` when set; else on Node ≥ 24 node:sqlite;
 * else better-sqlite3 when it loads, node:sqlite when not.
 */
export function sqliteDriver(): SqliteDriverName {
  return choose().name;
}

/** Node ≥ 24: node:sqlite first (better-sqlite3 12 crashes there on GC); before 24: better-sqlite3 first. */
export function defaultOrder(major = Number(process.versions.node.split('.')[0])): SqliteDriverName[] {
  return major >= 24 ? ['node:sqlite', 'better-sqlite3'] : ['better-sqlite3', 'node:sqlite'];
}

function choose(): { name: SqliteDriverName; open: (path: string) => Database } {
  if (chosen) return chosen;
  const forced = process.env[SQLITE_DRIVER_ENV];
  if (forced !== undefined && forced !== '' && forced !== 'better-sqlite3' && forced !== 'node:sqlite') {
    throw new Error(`${SQLITE_DRIVER_ENV} must be better-sqlite3 or node:sqlite, not ${forced}`);
  }
  const order: SqliteDriverName[] =
    forced === 'node:sqlite'
      ? ['node:sqlite']
      : forced === 'better-sqlite3'
        ? ['better-sqlite3']
        : defaultOrder();
  const reasons: string[] = [];
  for (const name of order) {
    const opener = name === 'better-sqlite3' ? betterSqlite3() : nodeSqlite();
    if (!(opener instanceof Error)) return (chosen = { name, open: opener });
    reasons.push(`${name}: ${opener.message.split('\n')[0]}`);
  }
  throw new Error(`no SQLite driver loads in Node ${process.versions.node} (${reasons.join('; ')})`);
}

/**
 * Opens (creating when missing) the SQLite database at `path` with the process's driver, or with
 * `driver` when given (the contract spec and the bench open both).
 */
export function openDatabase(path: string, options: { driver?: SqliteDriverName } = {}): Database {
  if (options.driver !== undefined) {
    const opener = options.driver === 'better-sqlite3' ? betterSqlite3() : nodeSqlite();
    if (opener instanceof Error) throw opener;
    return opener(path);
  }
  return choose().open(path);
}
