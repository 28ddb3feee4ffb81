import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import PgBoss from 'pg-boss';
import { RecordedStatements, type Database } from '../../src/db/database.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { BACKENDS, freshPostgres, type TestDatabase } from '../support/databases.ts';

describe.each(BACKENDS)('Database.batch on $name', (backend) => {
  let handle: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    handle = await backend.open();
    db = handle.db;
    await db.exec('CREATE TABLE batch_t (id int PRIMARY KEY, label text, at timestamptz, doc jsonb)');
  });
  afterAll(() => handle.drop());

  it('returns each statement’s rows, in order, with values converted both ways', async () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    const [inserted, none, read] = await db.batch([
      { sql: 'INSERT INTO batch_t (id, label, at, doc) VALUES ($1, $2, $3, $4) RETURNING id', params: [1, 'one', at, JSON.stringify({ a: [1, 2] })] },
      { sql: "UPDATE batch_t SET label = 'uno' WHERE id = $1", params: [1] },
      { sql: 'SELECT id, label, at, doc, NULL::text AS nothing, 9007199254740::int8 AS big FROM batch_t WHERE id = $1', params: [1] },
    ]);
    expect(inserted).toEqual([{ id: 1 }]);
    expect(none).toEqual([]);
    expect(read).toEqual([{ id: 1, label: 'uno', at, doc: { a: [1, 2] }, nothing: null, big: 9007199254740 }]);
  });

  it('commits all or nothing: a failing statement rolls back the ones before it and skips the rest', async () => {
    await expect(
      db.batch([
        { sql: 'INSERT INTO batch_t (id, label) VALUES ($1, $2)', params: [2, 'two'] },
        { sql: 'INSERT INTO batch_t (id, label) VALUES ($1, $2)', params: [1, 'duplicate key'] },
        { sql: 'INSERT INTO batch_t (id, label) VALUES ($1, $2)', params: [3, 'three'] },
      ]),
    ).rejects.toThrow(/duplicate key/);
    expect(await db.query('SELECT id FROM batch_t ORDER BY id')).toEqual([{ id: 1 }]);
  });

  it('keeps working after a failure, with the same statements prepared again or reused', async () => {
    for (let i = 10; i < 40; i++) {
      const statements = [
        { sql: 'INSERT INTO batch_t (id, label) VALUES ($1, $2)', params: [i, `n${i}`] },
        { sql: 'SELECT count(*)::int AS n FROM batch_t WHERE id >= $1', params: [10] },
      ];
      if (i % 7 === 0) statements.unshift({ sql: 'SELECT 1 / $1::int AS boom', params: [0] });
      const run = db.batch(statements);
      if (i % 7 === 0) await expect(run).rejects.toThrow(/division by zero/);
      else expect((await run)[1]).toEqual([{ n: (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM batch_t WHERE id >= 10'))[0]!.n }]);
    }
    expect(await db.query('SELECT count(*)::int AS n FROM batch_t WHERE id >= 10')).toEqual([{ n: 30 - 4 }]);
  });

  it('runs concurrent batches on separate connections without mixing their results', async () => {
    const runs = Array.from({ length: 20 }, (_, i) =>
      db.batch([
        { sql: 'SELECT $1::int AS k', params: [i] },
        { sql: 'SELECT $1::text AS s', params: [`s${i}`] },
      ]),
    );
    const results = await Promise.all(runs);
    results.forEach((r, i) => expect(r).toEqual([[{ k: i }], [{ s: `s${i}` }]]));
  });

  it('carries pg-boss statements recorded from send(), committed with ours', async () => {
    const boss = new PgBoss({ db: db.sqlExecutor(), schema: 'pgboss' });
    await boss.start();
    await boss.createQueue('batch-q');
    const recorded = new RecordedStatements();
    const sent = boss.send('batch-q', { n: 1 }, { db: recorded });
    expect(recorded.count).toBe(1);
    const [ours] = await recorded.runWith(db, [{ sql: 'INSERT INTO batch_t (id, label) VALUES ($1, $2) RETURNING label', params: [100, 'with job'] }]);
    expect(ours).toEqual([{ label: 'with job' }]);
    const jobId = await sent;
    expect(typeof jobId).toBe('string');
    expect((await boss.getJobById('batch-q', jobId!))?.data).toEqual({ n: 1 });

    // A failing batch fails pg-boss's promise too, and leaves no job behind.
    const failing = new RecordedStatements();
    const lost = boss.send('batch-q', { n: 2 }, { db: failing });
    await expect(failing.runWith(db, [{ sql: 'INSERT INTO batch_t (id) VALUES ($1)', params: [100] }])).rejects.toThrow(/duplicate key/);
    await expect(lost).rejects.toThrow(/duplicate key/);
    expect(await boss.getQueueSize('batch-q')).toBe(1);
    await boss.stop({ graceful: false, close: false, wait: true });
  });
});

describe('PostgreSQL sessions', () => {
  it('plan every prepared statement generically and start no parallel workers, on each pooled connection', async () => {
    const handle = await freshPostgres();
    try {
      // Concurrent queries take several connections from the pool; each must carry the setting.
      const modes = await Promise.all(Array.from({ length: 6 }, () => handle.db.query<{ plan_cache_mode: string }>('SELECT pg_sleep(0.05), current_setting($1) AS plan_cache_mode', ['plan_cache_mode'])));
      expect(modes.map((rows) => rows[0]!.plan_cache_mode)).toEqual(Array(6).fill('force_generic_plan'));
      const [viaBatch] = await handle.db.batch([{ sql: 'SELECT current_setting($1) AS mode', params: ['plan_cache_mode'] }]);
      expect(viaBatch).toEqual([{ mode: 'force_generic_plan' }]);
      expect(await handle.db.query('SELECT current_setting($1) AS workers', ['max_parallel_workers_per_gather'])).toEqual([{ workers: '0' }]);
      // Options the connection string carries are kept beside ours.
      const withOwn = await openPostgres(`${handle.url!}?options=${encodeURIComponent('-c statement_timeout=12345')}`);
      try {
        expect(await withOwn.query('SELECT current_setting($1) AS timeout, current_setting($2) AS mode', ['statement_timeout', 'plan_cache_mode'])).toEqual([{ timeout: '12345ms', mode: 'force_generic_plan' }]);
      } finally {
        await withOwn.close();
      }
    } finally {
      await handle.drop();
    }
  });
});

describe('PGlite prepared statements', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openPglite();
    await db.exec('CREATE TABLE shape_t (id int PRIMARY KEY, label text)');
  });
  afterAll(() => db.close());

  it('plans generically, as the PostgreSQL sessions do', async () => {
    expect(await db.query('SELECT current_setting($1) AS mode', ['plan_cache_mode'])).toEqual([{ mode: 'force_generic_plan' }]);
  });

  it('keeps answering correctly past the number of statements it keeps prepared', async () => {
    // 600 distinct texts evict the oldest; running the first ones again prepares them anew.
    for (let i = 0; i < 600; i++) expect(await db.query(`SELECT $1::int + ${i} AS n`, [1])).toEqual([{ n: i + 1 }]);
    for (let i = 0; i < 5; i++) expect(await db.query(`SELECT $1::int + ${i} AS n`, [10])).toEqual([{ n: i + 10 }]);
  });

  it('parses a statement again when its table changed shape, outside a transaction', async () => {
    await db.query('INSERT INTO shape_t (id, label) VALUES ($1, $2)', [1, 'one']);
    const read = () => db.query('SELECT * FROM shape_t WHERE id = $1', [1]);
    expect(await read()).toEqual([{ id: 1, label: 'one' }]);
    await db.exec("ALTER TABLE shape_t ADD COLUMN note text DEFAULT 'n'");
    expect(await read()).toEqual([{ id: 1, label: 'one', note: 'n' }]);
    expect((await db.batch([{ sql: 'SELECT * FROM shape_t WHERE id = $1', params: [1] }]))[0]).toEqual([{ id: 1, label: 'one', note: 'n' }]);
  });

  it('reports a stale statement inside a transaction, which it cannot repeat, and recovers after it', async () => {
    const read = (q: { query: Database['query'] }) => q.query('SELECT * FROM shape_t WHERE id = $1', [1]);
    await read(db);
    await db.exec('ALTER TABLE shape_t DROP COLUMN note');
    await expect(db.transaction((tx) => read(tx))).rejects.toThrow(/cached plan must not change result type/);
    expect(await db.transaction((tx) => read(tx))).toEqual([{ id: 1, label: 'one' }]);
  });

  it('gives a statement error its SQLSTATE and keeps the session usable', async () => {
    await expect(db.query('SELECT 1 / $1::int', [0])).rejects.toMatchObject({ code: '22012' });
    await expect(db.query('SELEC $1', [0])).rejects.toMatchObject({ code: '42601' });
    expect(await db.query('SELECT $1::text AS ok', ['yes'])).toEqual([{ ok: 'yes' }]);
  });
});
