import type { DeepMetadata } from '../media/deep-metadata.ts';
import type { KeypointSet } from '../fingerprint/keypoints/extract.ts';
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

/** One hash to look up: the upload's PDQ or one of its dihedral variants (`variant` names which). */
export interface PdqQuery {
  hash: string;
  variant: string;
}

/** An earlier upload whose perceptual hash is within the radius of this one's (any dihedral variant). */
export interface NearUpload extends PriorUpload {
  sha256: string;
  distance: number;
  /** The variant of this upload that matched: `original`, or a rotation/flip of it. */
  variant: string;
}

/** `logo`: a tenant's logo library, searched inside uploads by copyright.logo (never reported by ref.match). */
export type BankKind = 'internet' | 'stock' | 'fraud' | 'allow' | 'logo';

/** A reference-bank entry near this upload (only enabled banks are searched). */
export interface BankMatch {
  bankId: string;
  bankName: string;
  bankKind: BankKind;
  entryId: number;
  /** The entry's key in its import source (relative path, URL, CSV row). */
  key: string;
  sourceUrl: string | null;
  source: string | null;
  distance: number;
  variant: string;
}

/**
 * What the local-feature matcher verified (src/matching/local/): `inliers` keypoint matches agree with
 * one geometric transform of this upload onto the other image, out of `matches` descriptor matches;
 * `coverage` is the share of the other image's area their bounding box spans.
 */
export interface LocalVerification {
  inliers: number;
  matches: number;
  coverage: number;
  /** The upload is a mirror image of the other (found by its mirrored keypoints). */
  mirrored?: boolean;
}

/** An earlier upload the local-feature matcher confirmed (a crop, screenshot or overlay of it). */
export interface LocalNearUpload extends PriorUpload {
  sha256: string;
  local: LocalVerification;
}

/** A bank entry the local-feature matcher confirmed. */
export interface LocalBankMatch extends Omit<BankMatch, 'distance' | 'variant'> {
  local: LocalVerification;
}

/** A logo-bank entry the local-feature matcher found inside the upload (copyright.logo). */
export interface LogoMatch extends Omit<BankMatch, 'distance' | 'variant'> {
  local: LocalVerification;
  /** Where the logo is, in the pixels of the raster its keypoints came from (`raster`). */
  box: { x: number; y: number; width: number; height: number };
  raster: { width: number; height: number };
}

/** An earlier video whose sampled frames match this one's, scored as upstream vPDQ does. */
export interface NearVideo extends PriorUpload {
  /** % of this video's distinct good frames with a match in the earlier one. */
  queryMatchPercent: number;
  /** % of the earlier video's distinct good frames with a match in this one. */
  targetMatchPercent: number;
}

/** A face descriptor enrolled for a contributor (from a selfie), compared by `task.self_mismatch`. */
export interface EnrolledFace {
  descriptor: readonly number[];
  /** The model that produced it (`VisionResult.model`): descriptors of different models are not comparable. */
  model: string;
  enrolledAt?: Date;
}

/**
 * What detectors may ask of the store. Narrow on purpose: detectors never see the database,
 * so they run the same in `inspect` (no store), `scan` and workers.
 */
export interface DetectorLookups {
  /** Earlier uploads of the same tenant with these exact bytes, oldest first, excluding the current upload. */
  uploadsBySha256(sha256: string): Promise<PriorUpload[]>;
  /**
   * Optional (metadata forensics, `meta.cloned_metadata`): earlier uploads of the same tenant whose camera
   * metadata fingerprint equals `fingerprint`, oldest first, excluding the current upload. The store gets
   * each upload's fingerprint from the evidence of its `meta.summary` signal (`evidence.fingerprint`, see
   * src/detectors/meta/cloned.ts). Without it the check is skipped.
   */
  uploadsByMetadataFingerprint?(fingerprint: string): Promise<PriorUpload[]>;
  /** Optional (near duplicates): earlier uploads of the tenant within `radius` of any query hash, nearest first. */
  nearUploadsByPdq?(queries: readonly PdqQuery[], radius: number): Promise<NearUpload[]>;
  /** Optional (reverse image search): entries of the tenant's enabled banks within `radius`, nearest first. */
  bankMatchesByPdq?(queries: readonly PdqQuery[], radius: number): Promise<BankMatch[]>;
  /** Optional (video near duplicates): earlier videos sharing frames with these vPDQ frames. */
  nearVideosByFrames?(frames: ReadonlyArray<{ hash: string; quality: number }>): Promise<NearVideo[]>;
  /**
   * Optional (second matcher, for what PDQ misses): earlier image uploads of the tenant, and entries of its
   * enabled banks, that share enough geometrically consistent local features with these keypoints. The
   * bank lookup takes the extraction itself, not its result: it runs it only when the tenant's banks hold
   * any image's keypoints, so tenants without banks never pay for extraction. The mirrored keypoints (the
   * same points as the mirror image has them) are searched when the direct ones find nothing.
   */
  nearUploadsByKeypoints?(keypoints: KeypointSet, mirrored?: KeypointSet): Promise<LocalNearUpload[]>;
  bankMatchesByKeypoints?(extractKeypoints: () => Promise<KeypointSet>, extractMirrored?: () => Promise<KeypointSet>): Promise<LocalBankMatch[]>;
  /**
   * Optional (copyright.logo): entries of the tenant's enabled logo banks found inside the upload. Like the
   * bank lookup it takes the extraction (logo search has its own, denser one) and runs it only when the
   * tenant has logo entries.
   */
  logoMatchesByKeypoints?(extractKeypoints: () => Promise<KeypointSet>): Promise<LogoMatch[]>;
  /**
   * Optional (task relevance, `task.self_mismatch`): the contributor's enrolled face descriptors, newest
   * first. Without it, or with none enrolled, a `self` task gets `task.self_not_enrolled` (review).
   */
  enrolledFaces?(contributorId: string): Promise<EnrolledFace[]>;
}

export interface DetectorContext {
  upload: UploadFacts;
  lookups: DetectorLookups;
  /**
   * ExifTool's deep read of the file, present only in the deep phase (src/pipeline/deep.ts): the pipeline
   * reads it when the hot path or the configuration asks, so detectors never start ExifTool themselves.
   */
  deep?: DeepMetadata;
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
  /**
   * A content check that each tenant's policy turns on (`checks` in the policy): the pipeline runs the detector
   * only for tenants whose policy enables it, so the detector itself never needs to know about tenants.
   */
  check?: ContentCheck;
  detect(view: MediaView, context: DetectorContext): Promise<Signal[]>;
}

/** Content checks a tenant's policy can turn on; a deployment decides which of them may load their models. */
export const CONTENT_CHECKS = ['nsfw'] as const;
export type ContentCheck = (typeof CONTENT_CHECKS)[number];

/** Lookups for when there is no store (`tollgate inspect`): nothing was seen before. */
export const NO_LOOKUPS: DetectorLookups = {
  uploadsBySha256: async () => [],
};
