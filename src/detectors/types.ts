import type { MediaKind, MediaView } from '../media/types.ts';

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

/** One finding about an upload. `score` is 0..1: 1 means the thing `code` names is certainly true. */
export interface Signal {
  code: string;
  score: number;
  severity: Severity;
  message: string;
  evidence?: Record<string, unknown>;
}

/** What the app told us about the upload, as far as detectors may use it. */
export interface UploadFacts {
  tenantId?: string;
  uploadId?: string;
  contributorId?: string;
  device?: { externalId?: string; model?: string; os?: string; appVersion?: string };
  task?: { id?: string; spec?: Record<string, unknown>; givenAt?: Date };
  clientIp?: string;
  capturedAt?: Date;
  receivedAt: Date;
}

/** An earlier upload (or bank entry) that a lookup found. */
export interface PriorUpload {
  uploadId: string;
  contributorId: string | null;
  receivedAt: Date;
  decision: string | null;
}

/**
 * What detectors may ask of the store. Narrow on purpose: detectors never see the database,
 * so they run the same in `inspect` (no store), `scan` and workers.
 */
export interface DetectorLookups {
  /** Earlier uploads of the same tenant with these exact bytes, oldest first, excluding the current upload. */
  uploadsBySha256(sha256: string): Promise<PriorUpload[]>;
}

export interface DetectorContext {
  upload: UploadFacts;
  lookups: DetectorLookups;
  /** Aborted when the detector's time budget is spent. */
  abort: AbortSignal;
}

export interface Detector {
  /** Unique name, usually the family and check: `quality.blank`. */
  name: string;
  /** Signal codes this detector may emit (documented in the README catalogue). */
  codes: readonly string[];
  /** Media kinds it runs on. */
  kinds: readonly MediaKind[];
  /** Overrides the registry's default per-detector timeout. */
  timeoutMs?: number;
  detect(view: MediaView, context: DetectorContext): Promise<Signal[]>;
}

/** Lookups for when there is no store (`tollgate inspect`): nothing was seen before. */
export const NO_LOOKUPS: DetectorLookups = {
  uploadsBySha256: async () => [],
};
