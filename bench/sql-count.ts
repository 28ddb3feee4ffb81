/**
 * Counts what this process sends to PostgreSQL: round trips (every `pg` client query, pg-boss's
 * included; a Database.batch is one) and SQL statements (a batch counts each of its statements), so the
 * API bench can report both per upload. Bench-only: it wraps `pg.Client.prototype.query` once, for the
 * life of the process.
 */
import pg from 'pg';
import { PipelinedBatch } from '../src/db/pg-batch.ts';

export interface SqlCount {
  roundTrips: number;
  statements: number;
}

const total: SqlCount = { roundTrips: 0, statements: 0 };
let installed = false;

export function countStatements(): () => SqlCount {
  if (!installed) {
    installed = true;
    const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
    (pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: pg.Client, ...args: unknown[]) {
      total.roundTrips++;
      total.statements += args[0] instanceof PipelinedBatch ? args[0].size : 1;
      return query.apply(this, args);
    };
  }
  const start = { ...total };
  return () => ({ roundTrips: total.roundTrips - start.roundTrips, statements: total.statements - start.statements });
}
