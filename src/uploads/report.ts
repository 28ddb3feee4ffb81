import type { Queryable } from '../db/database.ts';
import { getUpload, signalsOf, verdictOf } from '../db/uploads.ts';
import { SCORE_NAMES } from '../policy/spec.ts';

/**
 * A stored upload in the shape of the CLI/API contract (DESIGN.md): the same object `inspect` prints,
 * plus the upload id and status.
 */
export interface UploadReport {
  id: string;
  file?: string;
  status: string;
  sha256: string;
  media?: { type: string; mime: string; width: number | null; height: number | null; bytes: number; duration_s?: number };
  fingerprints?: Record<string, unknown>;
  signals: Array<{ code: string; score: number; severity: string; message: string; evidence?: Record<string, unknown> }>;
  scores: Record<string, number> | null;
  verdict: { decision: string; reasons: string[] } | null;
  error?: { code: string; message: string };
}

export async function uploadReport(db: Queryable, tenantId: string, uploadId: string): Promise<UploadReport | undefined> {
  const upload = await getUpload(db, tenantId, uploadId);
  if (!upload) return undefined;
  const [signals, verdict] = await Promise.all([signalsOf(db, tenantId, uploadId), verdictOf(db, tenantId, uploadId)]);
  return {
    id: upload.id,
    ...(upload.file_name ? { file: upload.file_name } : {}),
    status: upload.status,
    sha256: upload.sha256,
    ...(upload.mime && upload.media_kind
      ? {
          media: {
            type: upload.media_kind,
            mime: upload.mime,
            width: upload.width,
            height: upload.height,
            bytes: upload.bytes,
            ...(upload.duration_s !== null ? { duration_s: upload.duration_s } : {}),
          },
        }
      : {}),
    ...(upload.fingerprints ? { fingerprints: upload.fingerprints } : {}),
    signals: signals.map(({ id: _id, ...signal }) => signal),
    // jsonb does not keep key order; the contract lists the scores in a fixed order.
    scores: upload.scores ? Object.fromEntries(SCORE_NAMES.map((name) => [name, upload.scores![name]])) : null,
    verdict: verdict ? { decision: verdict.decision, reasons: verdict.reasons } : null,
    ...(upload.error_code ? { error: { code: upload.error_code, message: upload.error_message ?? '' } } : {}),
  };
}
