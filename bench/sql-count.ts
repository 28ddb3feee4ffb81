/**
 * Counts the SQL statements this process sends to PostgreSQL (every `pg` client query, pg-boss's
 * included), so the API bench can report statements per upload. Bench-only: it wraps
 * `pg.Client.prototype.query` once, for the life of the process.
 */
import pg from 'pg';

let statements = 0;
let installed = false;

export function countStatements(): () => number {
  if (!installed) {
    installed = true;
    const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
    (pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: pg.Client, ...args: unknown[]) {
      statements++;
      return query.apply(this, args);
    };
  }
  const start = statements;
  return () => statements - start;
}
