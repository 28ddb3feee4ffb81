import { queryOne, type Queryable } from '../db/database.ts';
import { isUuid } from '../db/ids.ts';
import { getUpload, signalsOf, verdictOf } from '../db/uploads.ts';
import { TollgateError } from '../errors.ts';
import { getReviewItem, reviewDecisionsOf, type ReviewItem } from '../review/items.ts';

/** `bigint` columns arrive as strings from `pg` and as numbers from PGlite; the API always sends numbers. */
export const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value));

interface PartyRef {
  id: string;
  external_id: string;
}

async function partyRef(db: Queryable, table: 'contributors' | 'devices' | 'tasks', id: string | null): Promise<PartyRef | null> {
  if (!id) return null;
  return (await queryOne<PartyRef>(db, `SELECT id, external_id FROM ${table} WHERE id = $1`, [id])) ?? null;
}

/**
 * Everything a client wants to know about one upload, in the shape of `uploadSchema`. A worker may
 * commit the verdict while we read: the verdict is read first, so whatever it commits with it (status,
 * signals, fingerprints) is visible to the reads that follow, and a verdict committed after the first
 * read is picked up once more when the row already shows the final status.
 */
export async function uploadView(db: Queryable, tenantId: string, uploadId: string): Promise<Record<string, unknown> | undefined> {
  let verdict = await verdictOf(db, tenantId, uploadId);
  const row = await getUpload(db, tenantId, uploadId);
  if (!row) return undefined;
  if (!verdict && (row.status === 'done' || row.status === 'error')) verdict = await verdictOf(db, tenantId, uploadId);
  const [signals, contributor, device, task, decisions, item] = await Promise.all([
    signalsOf(db, tenantId, row.id),
    partyRef(db, 'contributors', row.contributor_id),
    partyRef(db, 'devices', row.device_id),
    partyRef(db, 'tasks', row.task_id),
    reviewDecisionsOf(db, tenantId, row.id),
    queryOne<{ id: string }>(db, 'SELECT id FROM review_items WHERE tenant_id = $1 AND upload_id = $2', [tenantId, row.id]),
  ]);
  const reviewItem: ReviewItem | undefined = item ? await getReviewItem(db, tenantId, item.id) : undefined;
  return {
    id: row.id,
    status: row.status,
    sha256: row.sha256,
    bytes: num(row.bytes),
    file_name: row.file_name,
    media: row.mime ? { kind: row.media_kind, mime: row.mime, width: row.width, height: row.height, duration_s: row.duration_s } : null,
    contributor,
    device,
    task,
    client_ip: row.client_ip,
    captured_at: row.captured_at,
    received_at: row.received_at,
    processed_at: row.processed_at,
    attempts: row.attempts,
    verdict: verdict ?? null,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    signals: signals.map(({ id: _id, ...signal }) => signal),
    fingerprints: row.fingerprints,
    scores: row.scores,
    review: { item: reviewItem ?? null, decisions },
  };
}

/** Opaque page cursors: clients pass back `next_cursor` and never build one themselves. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string | undefined, check: (value: unknown) => value is T): T | undefined {
  if (cursor === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!check(value)) throw new TollgateError('input.invalid', 'cursor: not a cursor this API returned');
  return value;
}

/** Resolves a contributor/device/task given as our uuid or the app's external id to our id, within the tenant. */
export async function resolvePartyId(
  db: Queryable,
  table: 'contributors' | 'devices' | 'tasks',
  tenantId: string,
  idOrExternal: string,
): Promise<string | null> {
  const row = await queryOne<{ id: string }>(
    db,
    `SELECT id FROM ${table} WHERE tenant_id = $1 AND (external_id = $2 ${isUuid(idOrExternal) ? 'OR id = $2::uuid' : ''})
      ORDER BY (external_id = $2) DESC LIMIT 1`,
    [tenantId, idOrExternal],
  );
  return row?.id ?? null;
}
