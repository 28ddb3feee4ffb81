/**
 * Holds: the record of an upload the process that ingested it runs itself, in place of a queue job
 * (migration 009). The hold commits with the upload row and is released with its verdict; a hold past
 * its lease belongs to a process that died (or kept it too long), and `takeExpiredHoldsStatement` hands
 * it back for queuing. The sweep reads the table whole: it holds only the uploads held right now.
 */
import type { Queryable, Statement } from '../db/database.ts';

/** Records a hold on `uploadId` for `leaseSeconds`; it must commit with the upload row. */
export function holdStatement(uploadId: string, leaseSeconds: number): Statement {
  return { sql: 'INSERT INTO upload_holds (upload_id, expires_at) VALUES ($1, now() + make_interval(secs => $2))', params: [uploadId, leaseSeconds] };
}

/** Releases holds: the upload's verdict committed, or its job went back to the queue. */
export function releaseHoldsStatement(uploadIds: readonly string[]): Statement {
  return { sql: 'DELETE FROM upload_holds WHERE upload_id = ANY($1::uuid[])', params: [uploadIds] };
}

/**
 * Deletes up to `limit` expired holds and returns their uploads, to be queued in the same transaction.
 * Holds another sweep has locked are skipped, so sweeps in several processes never queue one twice.
 */
export function takeExpiredHoldsStatement(limit: number): Statement {
  return {
    sql: `DELETE FROM upload_holds WHERE upload_id IN (
            SELECT upload_id FROM upload_holds WHERE expires_at < now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING upload_id`,
    params: [limit],
  };
}

export async function countHolds(db: Queryable): Promise<number> {
  const [row] = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM upload_holds');
  return row?.count ?? 0;
}
