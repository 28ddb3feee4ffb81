import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Database } from '../../src/db/database.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';

export const POSTGRES_ADMIN_URL = process.env['TOLLGATE_TEST_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  name: 'pglite' | 'postgres';
  db: Database;
  /** For child processes (workers): absent for in-memory PGlite. */
  url?: string;
  drop(): Promise<void>;
}

/** Whether the real PostgreSQL answers. In CI a missing server is a failure, never a skip. */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (error) {
    if (process.env['CI'] === 'true') throw new Error(`PostgreSQL is required in CI but does not answer at ${POSTGRES_ADMIN_URL}: ${String(error)}`);
    return false;
  }
}

/** A fresh, empty PostgreSQL database of its own, dropped afterwards. */
export async function freshPostgres(): Promise<TestDatabase> {
  const name = `tollgate_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const db = await openPostgres(url);
  return {
    name: 'postgres',
    db,
    url,
    drop: async () => {
      await db.close();
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export async function freshPglite(): Promise<TestDatabase> {
  const db = await openPglite();
  return { name: 'pglite', db, drop: () => db.close() };
}

/** Both backends: integration suites run once per entry (`describe.each`). */
export const BACKENDS = [
  { name: 'pglite' as const, open: freshPglite },
  { name: 'postgres' as const, open: freshPostgres },
];
