import type { PriorUpload, Signal } from '../detectors/types.ts';
import type { Verdict } from '../policy/evaluate.ts';
import type { Scores } from '../policy/scores.ts';
import { queryOne, type Database, type Queryable, type Row, type Statement } from './database.ts';
import { newId } from './ids.ts';
import { deviceParams, partyUpsertSql, taskParams, type DeviceReport, type PartySql } from './parties.ts';

export type UploadStatus = 'received' | 'processing' | 'done' | 'error';

export interface UploadRow {
  id: string;
  tenant_id: string;
  sha256: string;
  blob_key: string;
  file_name: string | null;
  declared_mime: string | null;
  mime: string | null;
  media_kind: string | null;
  bytes: number;
  width: number | null;
  height: number | null;
  duration_s: number | null;
  contributor_id: string | null;
  device_id: string | null;
  task_id: string | null;
  client_ip: string | null;
  captured_at: Date | null;
  received_at: Date;
  status: UploadStatus;
  attempts: number;
  error_code: string | null;
  error_message: string | null;
  fingerprints: Record<string, unknown> | null;
  scores: Scores | null;
  processed_at: Date | null;
  idempotency_key: string | null;
}

export interface NewUpload {
  id: string;
  tenantId: string;
  sha256: string;
  blobKey: string;
  bytes: number;
  fileName?: string | undefined;
  declaredMime?: string | undefined;
  /** The app's ids: each is created on first sight (or updated) in the same statement as the upload. */
  contributor?: string | undefined;
  device?: DeviceReport | undefined;
  task?: { externalId: string; spec?: Record<string, unknown> | undefined; givenAt?: Date | undefined } | undefined;
  clientIp?: string | undefined;
  capturedAt?: Date | undefined;
  idempotencyKey?: string | undefined;
  /** Inserted already claimed for processing (status `processing`, first attempt): this process runs it at once. */
  claimed?: boolean | undefined;
}

/**
 * The upload's INSERT, with its parties upserted in the same statement. It fails with a unique violation
 * (`isIdempotencyConflict`) when the tenant already has an upload with this idempotency key, so a batch
 * carrying it (and its job) rolls back whole; the caller then answers with `uploadByIdempotencyKey`.
 */
export function insertUploadStatement(u: NewUpload): Statement {
  const params: unknown[] = [u.id, u.tenantId, u.sha256, u.blobKey, u.bytes, u.fileName ?? null, u.declaredMime ?? null, u.clientIp ?? null, u.capturedAt ?? null, u.idempotencyKey ?? null];
  const next = (...values: unknown[]): string[] => values.map((v) => `$${params.push(v)}`);
  const idOf = (party: PartySql | undefined) => party?.id ?? 'NULL::uuid';
  type Six = [string, string, string, string, string, string];
  const contributor = u.contributor ? partyUpsertSql.contributor('contributor', ...(next(newId(), u.tenantId, u.contributor) as [string, string, string])) : undefined;
  const device = u.device ? partyUpsertSql.device('device', ...(next(newId(), u.tenantId, ...deviceParams(u.device)) as Six)) : undefined;
  const task = u.task
    ? partyUpsertSql.task('task', ...(next(newId(), u.tenantId, ...taskParams(u.task.externalId, u.task.spec, u.task.givenAt)) as Six))
    : undefined;
  const parties = [contributor, device, task].filter((party): party is PartySql => party !== undefined);
  return {
    sql: `${parties.length > 0 ? `WITH ${parties.map((party) => party.cte).join(', ')}` : ''}
     INSERT INTO uploads (id, tenant_id, sha256, blob_key, bytes, file_name, declared_mime, contributor_id, device_id, task_id,
       client_ip, captured_at, idempotency_key, received_at${u.claimed ? ', status, attempts' : ''})
     VALUES ($1, $2, $3, $4, $5, $6, $7, ${idOf(contributor)}, ${idOf(device)}, ${idOf(task)}, $8, $9, $10, clock_timestamp()${u.claimed ? `, 'processing', 1` : ''})
     RETURNING id, sha256`,
    params,
  };
}

/**
 * Run before the upload's INSERT in its batch: ingests of the same bytes for one tenant take turns, the
 * second waiting for the first's commit. With `received_at` read from the clock after the lock (not the
 * transaction's start), the later of two simultaneous copies is the later in time, and its `dup.exact`
 * lookup (in the same batch when it is taken at once, at its claim otherwise) finds the first.
 */
export function sameBytesTurnStatement(tenantId: string, sha256: string): Statement {
  return { sql: 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', params: [`upload-bytes:${tenantId}:${sha256}`] };
}

/** PostgreSQL's default name for the UNIQUE (tenant_id, idempotency_key) of migration 001. */
const IDEMPOTENCY_CONSTRAINT = 'uploads_tenant_id_idempotency_key_key';

/** True for the unique violation an INSERT of an upload with an already used idempotency key raises. */
export function isIdempotencyConflict(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; constraint?: unknown; message?: unknown };
  return e.code === '23505' && (e.constraint === IDEMPOTENCY_CONSTRAINT || (typeof e.message === 'string' && e.message.includes(IDEMPOTENCY_CONSTRAINT)));
}

export async function uploadByIdempotencyKey(db: Queryable, tenantId: string, key: string): Promise<UploadRow | undefined> {
  return queryOne<UploadRow>(db, 'SELECT * FROM uploads WHERE tenant_id = $1 AND idempotency_key = $2', [tenantId, key]);
}

export async function getUpload(db: Queryable, tenantId: string, id: string): Promise<UploadRow | undefined> {
  return queryOne<UploadRow>(db, 'SELECT * FROM uploads WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
}

/** For workers, which receive the id from the queue; the tenant comes with the row. */
export async function getUploadById(db: Queryable, id: string): Promise<UploadRow | undefined> {
  return queryOne<UploadRow>(db, 'SELECT * FROM uploads WHERE id = $1', [id]);
}

/** A claimed upload, with what its verdict's commit needs to know about the tenant and what detectors know of its device and task. */
export interface ClaimedUpload extends UploadRow {
  tenant_has_webhook: boolean;
  device: { external_id: string; model: string | null; os: string | null; app_version: string | null } | null;
  /** `given_at` as JSON carries it: an ISO string. */
  task: { id: string; spec: Record<string, unknown>; given_at: string | null } | null;
}

/** An upload claimed for processing, with the earlier uploads of the same bytes that `dup.exact` asks for. */
export interface UploadClaim {
  upload: ClaimedUpload;
  sameBytes: PriorUpload[];
}

/** What a claim reads besides the upload row: the tenant's webhook, the device and the task. */
const CLAIM_EXTRAS = `(SELECT webhook_url IS NOT NULL FROM tenants WHERE tenants.id = uploads.tenant_id) AS tenant_has_webhook,
  (SELECT row_to_json(d) FROM (SELECT external_id, model, os, app_version FROM devices WHERE id = uploads.device_id) d) AS device,
  (SELECT row_to_json(t) FROM (SELECT id, spec, given_at FROM tasks WHERE id = uploads.task_id) t) AS task`;

/**
 * Claims a received (or interrupted) upload for processing, unless it already has a verdict, and in the
 * same round trip reads its device and task and the earlier uploads with the same bytes. `claim` is
 * undefined when there is nothing to process; `alsoRows` are the rows of the statements given in `also`,
 * which ride in the same batch.
 */
export async function claimUpload(db: Database, id: string, also: readonly Statement[] = []): Promise<{ claim: UploadClaim | undefined; alsoRows: Row[][] }> {
  const [claimed = [], sameBytes = [], ...alsoRows] = await db.batch([
    {
      sql: `UPDATE uploads SET status = 'processing', attempts = attempts + 1
             WHERE id = $1 AND status IN ('received', 'processing') AND NOT EXISTS (SELECT 1 FROM verdicts WHERE upload_id = $1)
             RETURNING *, ${CLAIM_EXTRAS}`,
      params: [id],
    },
    sameBytesStatement(id, null),
    ...also,
  ]);
  return { claim: claimFromRows(claimed, sameBytes), alsoRows };
}

/**
 * The claim's reads for an upload inserted already claimed (`NewUpload.claimed`), to run after its
 * INSERT in the same batch; `claimFromRows` turns their rows into the claim.
 */
export function claimReadStatements(id: string): Statement[] {
  return [{ sql: `SELECT *, ${CLAIM_EXTRAS} FROM uploads WHERE id = $1`, params: [id] }, sameBytesStatement(id, null)];
}

export function claimFromRows(claimed: readonly Row[], sameBytes: readonly Row[]): UploadClaim | undefined {
  const upload = claimed[0] as ClaimedUpload | undefined;
  return upload ? { upload, sameBytes: sameBytes.map(toPriorUpload) } : undefined;
}

function toPriorUpload(row: Row): PriorUpload {
  const r = row as { id: string; contributor_id: string | null; received_at: Date; decision: string | null };
  return { uploadId: r.id, contributorId: r.contributor_id, receivedAt: new Date(r.received_at), decision: r.decision };
}

export interface UploadResult {
  uploadId: string;
  tenantId: string;
  status: 'done' | 'error';
  media?: { mime: string; kind: string; width: number; height: number; durationS?: number | undefined };
  error?: { code: string; message: string };
  fingerprints?: Record<string, unknown>;
  signals: Signal[];
  scores: Scores | null;
  verdict: Verdict;
}

export interface StoredSignal extends Signal {
  id: number;
}

export async function signalsOf(db: Queryable, tenantId: string, uploadId: string): Promise<StoredSignal[]> {
  const rows = await db.query<StoredSignal & { evidence: Record<string, unknown> | null }>(
    'SELECT id, code, score, severity, message, evidence FROM signals WHERE tenant_id = $1 AND upload_id = $2 ORDER BY id',
    [tenantId, uploadId],
  );
  return rows.map((r) => (r.evidence === null ? { id: r.id, code: r.code, score: r.score, severity: r.severity, message: r.message } : r));
}

export interface VerdictRow {
  decision: Verdict['decision'];
  reasons: string[];
  scores: Scores;
  policy_version: number;
  decided_at: Date;
}

export async function verdictOf(db: Queryable, tenantId: string, uploadId: string): Promise<VerdictRow | undefined> {
  return queryOne<VerdictRow>(db, 'SELECT decision, reasons, scores, policy_version, decided_at FROM verdicts WHERE tenant_id = $1 AND upload_id = $2', [
    tenantId,
    uploadId,
  ]);
}

/**
 * Uploads of the same tenant with the same bytes (`sha256`, or the upload's own when null) that arrived
 * before this one (ties broken by id), for `dup.exact`. Only earlier ones: of two copies processed at
 * once, the second is the duplicate.
 */
function sameBytesStatement(uploadId: string, sha256: string | null): Statement {
  return {
    sql: `SELECT u.id, u.contributor_id, u.received_at, v.decision
            FROM uploads self JOIN uploads u ON u.tenant_id = self.tenant_id AND u.sha256 = COALESCE($2::text, self.sha256)
            LEFT JOIN verdicts v ON v.upload_id = u.id
           WHERE self.id = $1 AND u.id <> self.id
             AND (u.received_at < self.received_at OR (u.received_at = self.received_at AND u.id < self.id))
           ORDER BY u.received_at, u.id LIMIT 50`,
    params: [uploadId, sha256],
  };
}

export async function priorUploadsBySha256(db: Queryable, uploadId: string, sha256: string): Promise<PriorUpload[]> {
  const { sql, params } = sameBytesStatement(uploadId, sha256);
  return (await db.query(sql, params)).map(toPriorUpload);
}

/** Earlier uploads whose `meta.summary` evidence carries this camera-metadata fingerprint, for `meta.cloned_metadata`. */
export async function priorUploadsByMetadataFingerprint(db: Queryable, tenantId: string, fingerprint: string, uploadId: string): Promise<PriorUpload[]> {
  const rows = await db.query(
    `SELECT u.id, u.contributor_id, u.received_at, v.decision
       FROM signals s JOIN uploads u ON u.id = s.upload_id JOIN uploads self ON self.id = $3
       LEFT JOIN verdicts v ON v.upload_id = u.id
      WHERE s.tenant_id = $1 AND s.code = 'meta.summary' AND s.evidence->>'fingerprint' = $2 AND u.id <> self.id
        AND (u.received_at < self.received_at OR (u.received_at = self.received_at AND u.id < self.id))
      ORDER BY u.received_at, u.id LIMIT 50`,
    [tenantId, fingerprint, uploadId],
  );
  return rows.map(toPriorUpload);
}

export interface UploadListFilter {
  status?: UploadStatus | undefined;
  decision?: Verdict['decision'] | undefined;
  contributorId?: string | undefined;
  deviceId?: string | undefined;
  taskId?: string | undefined;
}

/** Where the previous page ended: its last upload's receipt time in microseconds, and its id. */
export interface UploadListCursor {
  atUs: string;
  id: string;
}

export type ListedUpload = UploadRow & { decision: Verdict['decision'] | null; at_us: string };

/**
 * A page of a tenant's uploads, newest first, keyset-paginated on (received_at, id) in microseconds so
 * equal timestamps never skip rows. The SQL holds only the filters given: each combination is its own
 * prepared statement whose plan walks the matching index (a contributor's uploads newest first), where
 * one statement with `$n IS NULL OR …` for every filter would get one plan for all of them, walking
 * the whole tenant's uploads to find a contributor's few.
 */
export async function listUploads(db: Queryable, tenantId: string, filter: UploadListFilter, cursor: UploadListCursor | undefined, limit: number): Promise<ListedUpload[]> {
  const params: unknown[] = [tenantId];
  const where = ['u.tenant_id = $1'];
  const add = (condition: (param: string) => string, value: unknown): void => {
    params.push(value);
    where.push(condition(`$${params.length}`));
  };
  if (filter.status) add((p) => `u.status = ${p}`, filter.status);
  if (filter.decision) add((p) => `v.decision = ${p}`, filter.decision);
  if (filter.contributorId) add((p) => `u.contributor_id = ${p}::uuid`, filter.contributorId);
  if (filter.deviceId) add((p) => `u.device_id = ${p}::uuid`, filter.deviceId);
  if (filter.taskId) add((p) => `u.task_id = ${p}::uuid`, filter.taskId);
  if (cursor) {
    params.push(cursor.atUs, cursor.id);
    where.push(`(u.received_at, u.id) < (timestamptz 'epoch' + $${params.length - 1}::bigint * interval '1 microsecond', $${params.length}::uuid)`);
  }
  params.push(limit);
  return db.query<ListedUpload>(
    `SELECT u.*, v.decision, (extract(epoch from u.received_at) * 1000000)::bigint::text AS at_us
       FROM uploads u ${filter.decision ? 'JOIN' : 'LEFT JOIN'} verdicts v ON v.upload_id = u.id
      WHERE ${where.join(' AND ')}
      ORDER BY u.received_at DESC, u.id DESC LIMIT $${params.length}`,
    params,
  );
}
