import { executorFor, queryOne, RecordedStatements, type Database, type Row, type Statement } from '../db/database.ts';
import { claimUpload, getUploadById, type ClaimedUpload, type UploadClaim, type UploadResult, type UploadRow } from '../db/uploads.ts';
import type { JobInfo } from '../jobs/loop.ts';
import type { BlobStore } from '../blobs/index.ts';
import { QUEUES, type JobQueue, type UploadJob } from '../jobs/queue.ts';
import type { UploadFacts } from '../detectors/types.ts';
import type { Analyser } from '../pipeline/analyser.ts';
import type { KeypointSet } from '../fingerprint/keypoints/extract.ts';
import type { Policy } from '../policy/spec.ts';
import type { MatchIndexes } from '../matching/indexes.ts';
import { recordUploadKeypoints } from '../matching/local/store.ts';
import type { LocalMatching } from '../matching/local/search.ts';
import { commitOutcome, commitVerdict, commitVerdictStatement, type CommitParts } from './commit.ts';
import type { VerdictHandoff } from './handoff.ts';
import { storeLookups } from './lookups.ts';
import { toUploadView, uploadViewStatement } from './view.ts';

export const VERDICT_CHANNEL = 'tollgate_verdict';

/** What a verdict NOTIFY carries, so listeners (waiting requests, metrics) need no query of their own. */
export interface VerdictNotice {
  uploadId: string;
  decision: string;
  /** Received → verdict. */
  seconds: number;
}

export function encodeVerdictNotice(notice: VerdictNotice): string {
  return `${notice.uploadId} ${notice.decision} ${notice.seconds.toFixed(3)}`;
}

export function decodeVerdictNotice(payload: string): VerdictNotice {
  const [uploadId = '', decision = '', seconds = '0'] = payload.split(' ');
  return { uploadId, decision, seconds: Number(seconds) || 0 };
}

export interface ProcessDeps {
  db: Database;
  blobs: BlobStore;
  queue: JobQueue;
  analyser: Analyser;
  policyFor(tenantId: string): Promise<Policy>;
  webhookDefaults?: { url?: string | undefined; secret?: string | undefined };
  /** Near-duplicate and bank search; without it only exact duplicates are found. */
  indexes?: MatchIndexes;
  /** Waiting requests of this process, handed their verdict without a query of their own. */
  handoff?: VerdictHandoff;
  /** The local-feature matcher (needs `indexes`), asked when PDQ finds nothing: bank images, and with `uploads` also earlier uploads, whose keypoints are then stored. */
  local?: LocalMatching;
}

/** What an ingest of this process read for the upload it holds: the claim, and whether the PDQ indexes caught up in the same batch. */
export interface HandedClaim {
  claim: UploadClaim;
  indexesCaughtUp: boolean;
}

/** What the upload consumer's handler gets: the job, and what the ingest read when this process holds it. */
export interface UploadRun extends UploadJob {
  handed?: HandedClaim;
}

/** The queue job an upload is processed for: its completion commits with the verdict. */
export type QueuedJob = Pick<JobInfo<unknown>, 'completeVia'>;

export interface ProcessOutcome {
  outcome: 'decided' | 'already_decided' | 'missing';
  /** Time spent decoding and in detectors and policy (absent when nothing was analysed). */
  analysisMs?: number;
}

/**
 * Analyses one stored upload and records its verdict. Safe to run twice for the same upload
 * (after a crash or a lost lease): the second run finds the verdict and changes nothing. `handed` is
 * what the ingest read when the upload was inserted claimed; otherwise the upload is claimed here.
 */
export async function processUpload(deps: ProcessDeps, uploadId: string, job?: QueuedJob, handed?: HandedClaim): Promise<ProcessOutcome> {
  const { claim, indexesCaughtUp } = handed ?? (await claimFromQueue(deps, uploadId));
  if (!claim) return { outcome: (await getUploadById(deps.db, uploadId)) ? 'already_decided' : 'missing' };
  const { upload, sameBytes } = claim;
  const facts = factsFor(upload);
  const [bytes, policy] = await Promise.all([deps.blobs.get(upload.blob_key), deps.policyFor(upload.tenant_id)]);
  const analysisStarted = performance.now();
  const lookups = storeLookups(deps.db, upload.tenant_id, upload.id, deps.indexes, deps.local, { sha256: upload.sha256, uploads: sameBytes }, indexesCaughtUp);
  // The blob's content address is its SHA-256: the analysis need not hash the bytes again.
  const { result, keypoints } = await deps.analyser.analyse(
    { bytes, facts, policy, fileName: upload.file_name ?? undefined, sha256: upload.sha256, keypoints: deps.local?.uploads ?? false, handOverBytes: true },
    lookups,
  );
  const record: UploadResult = result.ok
    ? {
        uploadId,
        tenantId: upload.tenant_id,
        status: 'done',
        media: { mime: result.media.mime, kind: result.media.type, width: result.media.width, height: result.media.height, durationS: result.media.duration_s },
        fingerprints: result.fingerprints,
        signals: result.signals,
        scores: result.scores,
        verdict: result.verdict,
      }
    : { uploadId, tenantId: upload.tenant_id, status: 'error', error: result.error, signals: [], scores: null, verdict: result.verdict };
  const analysisMs = performance.now() - analysisStarted;
  return { outcome: (await commitResult(deps, upload, record, upload.tenant_has_webhook, job, keypoints)) ? 'decided' : 'already_decided', analysisMs };
}

/** The claim of an upload that came through the queue; the same round trip brings the PDQ indexes up to it. */
async function claimFromQueue(deps: ProcessDeps, uploadId: string): Promise<{ claim: UploadClaim | undefined; indexesCaughtUp: boolean }> {
  const catchUp = deps.indexes?.catchUpPlan();
  const { claim, alsoRows } = await claimUpload(deps.db, uploadId, catchUp?.statements);
  return { claim, indexesCaughtUp: catchUp?.settle(alsoRows) ?? false };
}

/** The last retry failed (or the worker died on it): the upload ends as `error` and goes to review. */
export async function recordProcessingFailure(deps: ProcessDeps, uploadId: string, error: { code: string; message: string }): Promise<void> {
  const upload = await getUploadById(deps.db, uploadId);
  if (!upload || (await hasVerdict(deps, uploadId))) return;
  const policy = await deps.policyFor(upload.tenant_id);
  // Not claimed, so the tenant's webhook is not known here: the statement itself looks it up.
  await commitResult(deps, upload, {
    uploadId,
    tenantId: upload.tenant_id,
    status: 'error',
    error,
    signals: [],
    scores: null,
    verdict: { decision: 'review', reasons: ['system.processing_failed'], policy_version: policy.version },
  }, true);
}

/**
 * One batch (src/uploads/commit.ts's statement plus the job's completion, one round trip) when nothing
 * else must commit with it; a transaction when the verdict also enqueues a webhook job or stores
 * keypoints. Either way the job completes in the verdict's commit. A tenant that sets its first webhook
 * URL after this upload was claimed gets deliveries from the next uploads on.
 */
async function commitResult(deps: ProcessDeps, upload: UploadRow, record: UploadResult, tenantHasWebhook: boolean, job?: QueuedJob, keypoints?: KeypointSet): Promise<boolean> {
  const fallbackUrl = deps.webhookDefaults?.url ?? null;
  const mayDeliver = tenantHasWebhook || fallbackUrl !== null;
  const seconds = Math.max(0, (Date.now() - new Date(upload.received_at).getTime()) / 1000);
  const parts: CommitParts = {
    reviewPriority: record.verdict.decision === 'review' ? reviewPriority(record) : undefined,
    delivery: mayDeliver
      ? {
          fallbackUrl,
          payload: {
            upload_id: upload.id,
            status: record.status,
            sha256: upload.sha256,
            verdict: { decision: record.verdict.decision, reasons: record.verdict.reasons },
            scores: record.scores,
            ...(record.error ? { error: record.error } : {}),
          },
        }
      : undefined,
    verdictChannel: VERDICT_CHANNEL,
    verdictNotice: encodeVerdictNotice({ uploadId: upload.id, decision: record.verdict.decision, seconds }),
  };
  // A request of this process waits for this verdict: read its answer in the same commit.
  const handoff = deps.handoff?.begin(upload.id) ? deps.handoff : undefined;
  const view = handoff ? uploadViewStatement(upload.tenant_id, upload.id) : undefined;
  try {
    const { recorded, viewRow } = await commitWith(deps, upload, record, { parts, mayDeliver, keypoints, view, job });
    handoff?.deliver(upload.id, recorded && viewRow ? toUploadView(viewRow) : undefined);
    return recorded;
  } catch (error) {
    handoff?.cancel(upload.id);
    throw error;
  }
}

/** What the verdict's commit carries besides the result. */
interface CommitPlan {
  parts: CommitParts;
  mayDeliver: boolean;
  keypoints: KeypointSet | undefined;
  /** The waiting request's view of the upload, read after the writes. */
  view: Statement | undefined;
  job: QueuedJob | undefined;
}

async function commitWith(deps: ProcessDeps, upload: UploadRow, record: UploadResult, plan: CommitPlan): Promise<{ recorded: boolean; viewRow: Row | undefined }> {
  const { parts, mayDeliver, keypoints, view, job } = plan;
  if (!mayDeliver && !keypoints) {
    const batch = new RecordedStatements();
    const completion = job?.completeVia(batch);
    // Settled by runWith, which throws the same error itself when the batch fails.
    completion?.catch(() => undefined);
    const [rows = [], viewRows = []] = await batch.runWith(deps.db, view ? [commitVerdictStatement(record, parts), view] : [commitVerdictStatement(record, parts)]);
    await completion;
    return { recorded: commitOutcome(rows).recorded, viewRow: viewRows[0] };
  }
  let deliveryId: string | null = null;
  let viewRow: Row | undefined;
  const recorded = await deps.db.transaction(async (tx) => {
    const result = await commitVerdict(tx, record, parts);
    await job?.completeVia(executorFor(tx));
    if (!result.recorded) return false;
    if (keypoints) await recordUploadKeypoints(tx, upload.tenant_id, upload.id, keypoints);
    if (result.deliveryId) {
      deliveryId = result.deliveryId;
      await deps.queue.enqueueWebhook(result.deliveryId, tx);
    }
    if (view) viewRow = (await tx.query(view.sql, view.params))[0];
    return true;
  });
  if (deliveryId) deps.queue.wake(QUEUES.deliverWebhook);
  return { recorded, viewRow };
}

/** Strongest risk first, so reviewers see the likeliest fraud at the top of the queue. */
function reviewPriority(record: UploadResult): number {
  if (!record.scores) return 0.5;
  const { quality, ...risks } = record.scores;
  return Math.max(1 - quality, ...Object.values(risks));
}

async function hasVerdict(deps: ProcessDeps, uploadId: string): Promise<boolean> {
  return (await queryOne(deps.db, 'SELECT 1 FROM verdicts WHERE upload_id = $1', [uploadId])) !== undefined;
}

function factsFor(upload: ClaimedUpload): UploadFacts {
  const { device, task } = upload;
  return {
    tenantId: upload.tenant_id,
    uploadId: upload.id,
    ...(upload.contributor_id ? { contributorId: upload.contributor_id } : {}),
    ...(device
      ? { device: { externalId: device.external_id, ...(device.model ? { model: device.model } : {}), ...(device.os ? { os: device.os } : {}), ...(device.app_version ? { appVersion: device.app_version } : {}) } }
      : {}),
    ...(task ? { task: { id: task.id, spec: task.spec, ...(task.given_at ? { givenAt: new Date(task.given_at) } : {}) } } : {}),
    ...(upload.client_ip ? { clientIp: upload.client_ip } : {}),
    ...(upload.captured_at ? { capturedAt: new Date(upload.captured_at) } : {}),
    receivedAt: new Date(upload.received_at),
  };
}
