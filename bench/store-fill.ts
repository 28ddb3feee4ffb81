/**
 * Fills a tenant's store with a month of earlier uploads, generated in SQL, so the store bench can
 * measure an upload's cost against a store that has grown: parties, uploads with verdicts and signals,
 * review items and decisions, and the queue's completed jobs. No perceptual hashes: the workers' in-memory
 * indexes would stream them in the middle of the measured run (the fingerprint bench measures those).
 */
import type pg from 'pg';
import { QUEUES } from '../src/jobs/queue.ts';

export interface FillShape {
  uploads: number;
  /** Uploads per contributor, device and task: a store's parties each have a short history. */
  perContributor: number;
  perDevice: number;
  perTask: number;
}

export const DEFAULT_FILL: Omit<FillShape, 'uploads'> = { perContributor: 50, perDevice: 50, perTask: 500 };

/**
 * A version 7 UUID made at `at` (an SQL timestamp expression), as src/db/ids.ts makes them, so the filled
 * rows sit in the indexes where the deployment's own ids for that month would.
 */
const uuidV7At = (at: string, salt: string): string =>
  `(lpad(to_hex((extract(epoch from ${at}) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text || ${salt}), 1, 3) || '8' || substr(md5(random()::text || ${salt}), 1, 15))::uuid`;
const MONTH_AGO = `(now() - interval '30 days')`;

type Step = { what: string; sql: string; params: (tenantId: string, shape: FillShape) => unknown[] };
const tenantOnly = (tenantId: string): unknown[] => [tenantId];
const parties = (per: (shape: FillShape) => number) => (tenantId: string, shape: FillShape): unknown[] => [tenantId, Math.ceil(shape.uploads / per(shape))];

const STEPS: Step[] = [
  { what: 'contributors', sql: `INSERT INTO contributors (id, tenant_id, external_id) SELECT ${uuidV7At(MONTH_AGO, 'i')}, $1, 'fill-c' || i FROM generate_series(1, $2::int) i`, params: parties((s) => s.perContributor) },
  { what: 'devices', sql: `INSERT INTO devices (id, tenant_id, external_id, model, os, app_version) SELECT ${uuidV7At(MONTH_AGO, 'i')}, $1, 'fill-d' || i, 'Pixel 8', 'Android 15', '4.2.0' FROM generate_series(1, $2::int) i`, params: parties((s) => s.perDevice) },
  { what: 'tasks', sql: `INSERT INTO tasks (id, tenant_id, external_id, spec) SELECT ${uuidV7At(MONTH_AGO, 'i')}, $1, 'fill-t' || i, '{}' FROM generate_series(1, $2::int) i`, params: parties((s) => s.perTask) },
  {
    what: 'uploads',
    // Spread over the month before now, so every upload the bench then sends is the newest.
    sql: `WITH c AS (SELECT array_agg(id ORDER BY external_id) AS ids FROM contributors WHERE tenant_id = $1 AND external_id LIKE 'fill-c%'),
               d AS (SELECT array_agg(id ORDER BY external_id) AS ids FROM devices WHERE tenant_id = $1 AND external_id LIKE 'fill-d%'),
               t AS (SELECT array_agg(id ORDER BY external_id) AS ids FROM tasks WHERE tenant_id = $1 AND external_id LIKE 'fill-t%')
          INSERT INTO uploads (id, tenant_id, sha256, blob_key, mime, media_kind, bytes, width, height, contributor_id, device_id, task_id,
                               received_at, status, attempts, processed_at, error_code)
          SELECT ${uuidV7At(`(now() - interval '30 days' + i * (interval '30 days' / $2))`, 'i')}, $1, encode(sha256(('fill' || i)::bytea), 'hex'), 'fill/' || i, 'image/jpeg', 'image', 2000000, 4000, 3000,
                 c.ids[1 + i % cardinality(c.ids)], d.ids[1 + i % cardinality(d.ids)], t.ids[1 + i % cardinality(t.ids)],
                 now() - interval '30 days' + i * (interval '30 days' / $2), CASE WHEN i % 5000 = 0 THEN 'error' ELSE 'done' END, 1,
                 now() - interval '30 days' + i * (interval '30 days' / $2), CASE WHEN i % 5000 = 0 THEN 'media.decode_failed' END
            FROM generate_series(1, $2::int) i, c, d, t`,
    params: (tenantId, shape) => [tenantId, shape.uploads],
  },
  {
    what: 'verdicts',
    // Mostly accepted, one in 12 to review, one in 50 rejected.
    sql: `INSERT INTO verdicts (upload_id, tenant_id, decision, reasons, scores, policy_version, decided_at)
          SELECT id, tenant_id, CASE WHEN n % 50 = 0 THEN 'reject' WHEN n % 12 = 0 THEN 'review' ELSE 'accept' END, '[]', '{}', 0, processed_at
            FROM (SELECT id, tenant_id, processed_at, row_number() OVER (ORDER BY received_at) AS n FROM uploads WHERE tenant_id = $1 AND blob_key LIKE 'fill/%') u`,
    params: tenantOnly,
  },
  {
    what: 'signals',
    sql: `INSERT INTO signals (tenant_id, upload_id, code, score, severity, message, evidence)
          SELECT u.tenant_id, u.id, s.code, s.score, 'info', s.code, jsonb_build_object('fingerprint', md5(u.id::text))
            FROM uploads u, (VALUES ('meta.summary', 0.0), ('quality.blurry', 0.2)) s(code, score)
           WHERE u.tenant_id = $1 AND u.blob_key LIKE 'fill/%'`,
    params: tenantOnly,
  },
  {
    what: 'review items and decisions',
    sql: `WITH items AS (
            INSERT INTO review_items (id, tenant_id, upload_id, priority, reasons, status, created_at)
            SELECT ${uuidV7At('v.decided_at', 'v.upload_id')}, v.tenant_id, v.upload_id, 0.5, '[]', CASE WHEN v.decided_at < now() - interval '2 days' THEN 'decided' ELSE 'open' END, v.decided_at
              FROM verdicts v JOIN uploads u ON u.id = v.upload_id
             WHERE u.tenant_id = $1 AND u.blob_key LIKE 'fill/%' AND v.decision = 'review'
            RETURNING id, tenant_id, upload_id, status, created_at)
          INSERT INTO review_decisions (id, tenant_id, review_item_id, upload_id, decision, reviewer, created_at)
          SELECT ${uuidV7At(`(created_at + interval '1 hour')`, 'id')}, tenant_id, id, upload_id, 'accept', 'fill-reviewer', created_at + interval '1 hour'
            FROM items WHERE status = 'decided'`,
    params: tenantOnly,
  },
  {
    what: 'completed jobs',
    sql: `INSERT INTO pgboss.job (name, data, state, started_on, completed_on, created_on, singleton_key)
          SELECT '${QUEUES.processUpload}', jsonb_build_object('uploadId', id), 'completed', processed_at, processed_at, received_at, id::text
            FROM uploads WHERE tenant_id = $1 AND blob_key LIKE 'fill/%'`,
    params: tenantOnly,
  },
];

/**
 * Runs the fill on `client` for `tenantId` in one transaction, then VACUUM ANALYZE: what autovacuum does
 * to a store that grew this much (this machine's PostgreSQL runs with autovacuum off).
 */
export async function fillStore(client: pg.Client, tenantId: string, shape: FillShape, log: (line: string) => void): Promise<void> {
  await client.query('BEGIN');
  try {
    for (const step of STEPS) {
      const started = Date.now();
      const result = await client.query(step.sql, step.params(tenantId, shape));
      log(`  fill: ${result.rowCount ?? 0} ${step.what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
  const started = Date.now();
  await client.query('VACUUM ANALYZE');
  log(`  fill: VACUUM ANALYZE (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
