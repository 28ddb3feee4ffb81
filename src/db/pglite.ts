import { mkdirSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import type { Database, Queryable, Row } from './database.ts';

/** `dataDir` undefined → in-memory (tests). */
export async function openPglite(dataDir?: string): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // int8 as JS number like our pg setup, so both backends return the same shapes.
  const pg = new PGlite(dataDir, { parsers: { [types.INT8]: (value: string) => Number(value) } });
  await pg.waitReady;
  const wrap = (target: Pick<PGlite, 'query'>): Queryable => ({
    async query<R extends object = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      const result = await target.query<R>(sql, params as unknown[]);
      return result.rows;
    },
  });
  const base = wrap(pg);
  return {
    kind: 'pglite',
    query: base.query,
    exec: async (sql) => {
      await pg.exec(sql);
    },
    transaction: (work) => pg.transaction((tx) => work(wrap(tx))),
    // In process there is no round trip to save: a transaction of the statements in order.
    batch: (statements) =>
      pg.transaction(async (tx) => {
        const results: Row[][] = [];
        for (const s of statements) results.push((await tx.query<Row>(s.sql, (s.params ?? []) as unknown[])).rows);
        return results;
      }),
    listen: async (channel, onPayload) => {
      const unsubscribe = await pg.listen(channel, onPayload);
      return async () => unsubscribe();
    },
    close: () => pg.close(),
    sqlExecutor: () => ({
      // pg-boss sends its migrations and maintenance as multi-statement scripts without parameters,
      // which PGlite only accepts through exec().
      async executeSql(text, values) {
        if ((!values || values.length === 0) && text.includes(';')) {
          const results = await pg.exec(text);
          return { rows: results.at(-1)?.rows ?? [] };
        }
        return { rows: (await pg.query(text, values ?? [])).rows };
      },
    }),
  };
}
