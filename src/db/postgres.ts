import pg from 'pg';
import { TollgateError } from '../errors.ts';
import type { Database, Queryable, Row } from './database.ts';
import { PipelinedBatch, type WireStatement } from './pg-batch.ts';

// int8 (counts, byte sizes) as JS numbers: our values stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export async function openPostgres(connectionString: string, poolSize = 10): Promise<Database> {
  const pool = new pg.Pool({ connectionString: withSessionOptions(connectionString), max: poolSize });
  // An idle client whose connection is cut (server restart, DROP DATABASE … WITH (FORCE) in tests) makes
  // the pool emit 'error'; with no listener that is an uncaught exception. The pool replaces the client.
  pool.on('error', (error: Error) => process.emitWarning(`PostgreSQL idle client: ${error.message}`));
  // Fail fast with a clear error when the server is not there.
  try {
    const probe = await pool.connect();
    probe.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    throw new TollgateError('db.error', `cannot connect to PostgreSQL at ${describeServer(connectionString)} (DATABASE_URL): ${message}`, undefined, { cause: error });
  }
  const statements = new PreparedStatements();
  const wrap = (target: pg.Pool | pg.PoolClient): Queryable => ({
    async query<R extends object = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      const result = await target.query(statements.config(sql, params));
      return result.rows as R[];
    },
  });
  const base = wrap(pool);
  // One LISTEN connection, created once even when several indexes subscribe at the same moment (two
  // concurrent connects would leak a client and make pool.end() wait forever).
  let listener: Promise<pg.PoolClient> | undefined;
  const handlers = new Map<string, Set<(payload: string) => void>>();
  return {
    kind: 'postgres',
    query: base.query,
    exec: async (sql) => {
      await pool.query(sql);
    },
    transaction: async (work) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    batch: async (list) => {
      const client = await pool.connect();
      try {
        const batch = new PipelinedBatch(list.map((s) => statements.wire(s.sql, s.params ?? [])));
        client.query(batch);
        return await batch.done;
      } finally {
        client.release();
      }
    },
    listen: async (channel, onPayload) => {
      listener ??= pool.connect().then((client) => {
        // A checked-out client has no pool error handler: without this, a dropped LISTEN connection
        // (server restart, admin terminate) would be an uncaught exception that kills the process.
        client.on('error', (error: Error) => process.emitWarning(`LISTEN connection: ${error.message}`));
        client.on('notification', (message) => {
          for (const handler of handlers.get(message.channel) ?? []) handler(message.payload ?? '');
        });
        return client;
      });
      listener.catch(() => {
        listener = undefined;
      });
      const client = await listener;
      let set = handlers.get(channel);
      if (!set) {
        set = new Set();
        handlers.set(channel, set);
        await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      }
      set.add(onPayload);
      return async () => {
        set.delete(onPayload);
      };
    },
    sqlExecutor: () => ({ executeSql: async (text, values) => ({ rows: (await pool.query(statements.config(text, values ?? []))).rows }) }),
    close: async () => {
      (await listener?.catch(() => undefined))?.release();
      await pool.end();
    },
  };
}

/**
 * Session settings for every pooled connection, sent in its startup packet so they hold from the first query.
 *
 * Generic plans: pg-boss's statements on its job table (partitioned by queue) kept custom plans forever, so
 * PostgreSQL planned its fetch and complete CTEs on every run, 0.6 ms of its CPU per upload (`npm run bench --
 * overhead`). Our own statements were already on generic plans; this makes those two follow, the partition
 * chosen when the executor starts.
 *
 * No parallel workers: a generic plan cannot see a page's `LIMIT $n`, so on a grown store PostgreSQL planned
 * the newest page of uploads as a parallel scan, and starting its two background workers made a 0.66 ms read
 * take 4.8 ms (`npm run bench -- store`). Every statement here reads or writes a few rows.
 */
const SESSION_OPTIONS = '-c plan_cache_mode=force_generic_plan -c max_parallel_workers_per_gather=0';

/** The connection string with our session options added to any it carries (pg lets the string's own `options` win over the config's). */
function withSessionOptions(connectionString: string): string {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    // Not a URL (a bare socket path): connect as given, with PostgreSQL's default planning.
    return connectionString;
  }
  const own = url.searchParams.get('options');
  url.searchParams.set('options', own ? `${own} ${SESSION_OPTIONS}` : SESSION_OPTIONS);
  return url.toString();
}

/** Most statements a pool prepares by name; SQL built with a varying shape past this runs unnamed. */
const MAX_PREPARED = 512;

/**
 * Names parameterised statements so each connection parses and plans them once, then only binds and
 * executes: the same few dozen statements run for every upload, and parsing them again each time was a
 * measurable part of PostgreSQL's CPU per upload. Statements without parameters go through the simple
 * protocol unchanged (they may hold several commands, which a prepared statement cannot).
 */
class PreparedStatements {
  readonly #names = new Map<string, string>();

  config(text: string, params: readonly unknown[]): pg.QueryConfig {
    const values = params as unknown[];
    if (values.length === 0) return { text, values };
    const name = this.#nameOf(text);
    return name ? { name, text, values } : { text, values };
  }

  /** A batch uses the extended protocol for every statement, so each can be named (one command each). */
  wire(text: string, params: readonly unknown[]): WireStatement {
    return { name: this.#nameOf(text), text, values: params };
  }

  #nameOf(text: string): string | undefined {
    let name = this.#names.get(text);
    if (!name && this.#names.size < MAX_PREPARED) {
      name = `tg${this.#names.size}`;
      this.#names.set(text, name);
    }
    return name;
  }
}

/** Host, port and database of a connection string, never its credentials. */
function describeServer(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `${url.hostname || 'localhost'}:${url.port || '5432'}${url.pathname || ''}`;
  } catch {
    return 'the configured server';
  }
}
