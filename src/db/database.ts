/**
 * One database interface over embedded PGlite and server PostgreSQL (`pg`). Everything above this
 * file writes the same SQL for both.
 */
export type Row = Record<string, unknown>;

export interface Queryable {
  query<R extends object = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

/** One statement of a batch. */
export interface Statement {
  sql: string;
  params?: readonly unknown[];
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs the statements in order as one transaction (all commit or none) and returns each one's rows.
   * On PostgreSQL they travel in one round trip (src/db/pg-batch.ts), so use this instead of
   * `transaction` when no statement depends on an earlier one's result.
   */
  batch(statements: readonly Statement[]): Promise<Row[][]>;
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

/**
 * An executor that records what pg-boss asks to run instead of running it, so pg-boss's statements can
 * ride in one of our batches. pg-boss builds its statement and calls `executeSql` synchronously inside
 * `send`/`complete`, so the statement is recorded by the time the call returns its promise; that
 * promise settles with the statement's rows once `runWith` has run the batch.
 */
export class RecordedStatements implements SqlExecutor {
  readonly #recorded: { statement: Statement; resolve: (result: { rows: unknown[] }) => void; reject: (error: unknown) => void }[] = [];

  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> {
    return new Promise((resolve, reject) => {
      this.#recorded.push({ statement: { sql: text, params: values ?? [] }, resolve, reject });
    });
  }

  get count(): number {
    return this.#recorded.length;
  }

  /** Runs `statements` followed by everything recorded, as one batch; returns the rows of `statements`. */
  async runWith(db: Database, statements: readonly Statement[]): Promise<Row[][]> {
    const recorded = this.#recorded.splice(0);
    try {
      const results = await db.batch([...statements, ...recorded.map((r) => r.statement)]);
      recorded.forEach((r, i) => r.resolve({ rows: results[statements.length + i] ?? [] }));
      return results.slice(0, statements.length);
    } catch (error) {
      for (const r of recorded) r.reject(error);
      throw error;
    }
  }
}

export async function queryOne<R extends object = Row>(db: Queryable, sql: string, params?: readonly unknown[]): Promise<R | undefined> {
  const rows = await db.query<R>(sql, params);
  return rows[0];
}
