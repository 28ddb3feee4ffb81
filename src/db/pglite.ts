import { mkdirSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import type { Database, Queryable, Row } from './database.ts';
import { PgliteStatements } from './pglite-statements.ts';

/** `dataDir` undefined → in-memory (tests). */
export async function openPglite(dataDir?: string): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // int8 as JS number like our pg setup, so both backends return the same shapes.
  const pg = new PGlite(dataDir, { parsers: { [types.INT8]: (value: string) => Number(value) } });
  await pg.waitReady;
  await pg.exec('SET plan_cache_mode = force_generic_plan');
  const statements = new PgliteStatements(pg);
  /** Outside any transaction: waits for the one running, then syncs the files as `PGlite.query` does. */
  const alone = <T>(work: () => Promise<T>): Promise<T> =>
    pg._runExclusiveTransaction(() =>
      pg._runExclusiveQuery(async () => {
        const result = await work();
        if (!pg.isInTransaction()) await pg.syncToFs();
        return result;
      }),
    );
  const run = async (sql: string, params: readonly unknown[] = []): Promise<Row[]> => (await statements.run([{ sql, params }]))[0] ?? [];
  return {
    kind: 'pglite',
    query: <R extends object = Row>(sql: string, params?: readonly unknown[]) => alone(() => run(sql, params)) as Promise<R[]>,
    exec: async (sql) => {
      await pg.exec(sql);
    },
    transaction: (work) => {
      const inside: Queryable = {
        query: <R extends object = Row>(sql: string, params?: readonly unknown[]) => pg._runExclusiveQuery(() => run(sql, params)) as Promise<R[]>,
      };
      return pg.transaction(() => work(inside));
    },
    batch: (list) => alone(() => statements.run(list)),
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
        return { rows: await alone(() => run(text, values ?? [])) };
      },
    }),
  };
}
