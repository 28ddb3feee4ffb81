/**
 * One database interface over embedded PGlite and server PostgreSQL (`pg`). Everything above this
 * file writes the same SQL for both.
 */
export type Row = Record<string, unknown>;

export interface Queryable {
  query<R extends object = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Subscribes to NOTIFY on a channel; returns the unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  /** The `executeSql` pg-boss expects, for running its queue on this same database. */
  sqlExecutor(): SqlExecutor;
}

export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Runs pg-boss statements inside one of our transactions, so enqueueing commits with the upload row. */
export function executorFor(tx: Queryable): SqlExecutor {
  return { executeSql: async (text, values) => ({ rows: await tx.query(text, values ?? []) }) };
}

export async function queryOne<R extends object = Row>(db: Queryable, sql: string, params?: readonly unknown[]): Promise<R | undefined> {
  const rows = await db.query<R>(sql, params);
  return rows[0];
}
