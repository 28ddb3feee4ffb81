import { describe, expect, it } from 'vitest';
import { loadMigrations, splitStatements } from '../../../src/db/migrate.ts';

describe('migrations', () => {
  it('are numbered without gaps', () => {
    const versions = loadMigrations().map((m) => m.version);
    expect(versions).toEqual(versions.map((_, i) => i + 1));
  });

  it('split on semicolons outside dollar quotes and comments', () => {
    const sql = `-- a comment; with a semicolon
CREATE TABLE a (x int);
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no; really'; END; $$;
INSERT INTO a VALUES ('x;y');
SELECT 1`;
    const statements = splitStatements(sql);
    expect(statements).toHaveLength(4);
    expect(statements[2]).toBe("INSERT INTO a VALUES ('x;y')");
    expect(statements[1]).toContain("RAISE EXCEPTION 'no; really'; END; $$");
  });
});
