import { RecordedStatements, type Database } from '../db/database.ts';
import { newId } from '../db/ids.ts';
import { claimFromRows, claimReadStatements, insertUploadStatement, sameBytesTurnStatement, isIdempotencyConflict, uploadByIdempotencyKey } from '../db/uploads.ts';
import type { BlobStore } from '../blobs/index.ts';
import { QUEUES, type JobQueue } from '../jobs/queue.ts';
import type { MatchIndexes } from '../matching/indexes.ts';
import type { UploadFields } from './fields.ts';
import type { UploadRun } from './process.ts';

export interface IngestDeps {
  db: Database;
  blobs: BlobStore;
  queue: JobQueue;
  /** This process's PDQ indexes: an upload it holds brings them up to date in its ingest's batch. */
  indexes?: MatchIndexes;
}

export interface StoredBlob {
  key: string;
  sha256: string;
  bytes: number;
}

export interface IngestResult {
  uploadId: string;
  sha256: string;
  /** False when the idempotency key matched an earlier upload. */
  created: boolean;
}

/**
 * Store → record → enqueue. The blob is written first (content-addressed, so a retry rewrites nothing);
 * the upload row and its job then commit together in one round trip (`Database.batch`), so a crash at
 * any point leaves either nothing to lose or a row whose job will run. A caller that listens for the
 * verdict chooses the id beforehand.
 *
 * When this process's upload consumer has a free slot or room in its backlog, the upload goes to it
 * directly (`JobQueue.reserveUpload`): it is inserted already claimed, with a hold instead of a job as the
 * guarantee, and the same round trip reads what processing needs (`claimReadStatements`) and brings the PDQ
 * indexes up to this commit (`MatchIndexes.catchUpPlan`), so its searches need no round trip of their own.
 */
export async function ingestUpload(deps: IngestDeps, tenantId: string, blob: StoredBlob, fields: UploadFields, uploadId = newId()): Promise<IngestResult> {
  const slot = deps.queue.reserveUpload<UploadRun>();
  const insert = insertUploadStatement({
    id: uploadId,
    tenantId,
    sha256: blob.sha256,
    blobKey: blob.key,
    bytes: blob.bytes,
    fileName: fields.file_name,
    contributor: fields.contributor_id,
    device: fields.device,
    task: fields.task_id
      ? { externalId: fields.task_id, spec: fields.task?.spec, givenAt: fields.task?.given_at ? new Date(fields.task.given_at) : undefined }
      : undefined,
    clientIp: fields.client_ip,
    capturedAt: fields.captured_at ? new Date(fields.captured_at) : undefined,
    idempotencyKey: fields.idempotency_key,
    claimed: slot !== undefined,
  });
  const recorded = new RecordedStatements();
  const queued = slot ? undefined : deps.queue.enqueueUpload(uploadId, recorded);
  try {
    const turn = sameBytesTurnStatement(tenantId, blob.sha256);
    const catchUp = slot ? deps.indexes?.catchUpPlan() : undefined;
    const held = slot ? [slot.hold(uploadId), ...claimReadStatements(uploadId), ...(catchUp?.statements ?? [])] : [];
    const [, , , claimed = [], sameBytes = [], ...caughtUpRows] = await recorded.runWith(deps.db, [turn, insert, ...held]);
    await queued;
    if (slot) {
      const claim = claimFromRows(claimed, sameBytes);
      const indexesCaughtUp = catchUp?.settle(caughtUpRows) ?? false;
      slot.start({ uploadId, ...(claim ? { handed: { claim, indexesCaughtUp } } : {}) });
    }
  } catch (error) {
    slot?.release();
    await queued?.catch(() => undefined);
    if (!fields.idempotency_key || !isIdempotencyConflict(error)) throw error;
    // A repeat of an earlier request: nothing of this one was committed; answer with the first upload.
    const first = await uploadByIdempotencyKey(deps.db, tenantId, fields.idempotency_key);
    if (!first) throw error;
    return { uploadId: first.id, sha256: first.sha256, created: false };
  }
  if (!slot) deps.queue.wake(QUEUES.processUpload);
  return { uploadId, sha256: blob.sha256, created: true };
}

/** Convenience for callers holding the bytes (CLI scan, tests). */
export async function ingestBytes(deps: IngestDeps, tenantId: string, bytes: Buffer, fields: UploadFields): Promise<IngestResult> {
  const stored = await deps.blobs.put(bytes);
  return ingestUpload(deps, tenantId, { key: stored.key, sha256: stored.sha256, bytes: stored.bytes }, fields);
}
