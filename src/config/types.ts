import type { MediaLimits } from '../media/limits.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type DatabaseConfig =
  /** No DATABASE_URL: real Postgres in WASM, stored under the data dir. */
  | { kind: 'pglite'; dataDir: string }
  | { kind: 'postgres'; url: string };

/** Same shape as `BlobStoreSettings` in src/blobs, so the composition root passes it straight through. */
export type BlobsConfig =
  | { kind: 'fs'; rootDir: string }
  | {
      kind: 's3';
      bucket: string;
      endpoint?: string;
      region: string;
      accessKeyId: string;
      secretAccessKey: string;
      forcePathStyle: boolean;
    };

export type LocalMatchingMode = 'off' | 'auto' | 'on';
export type ContentCheckMode = 'off' | 'tenant' | 'on';

export interface Config {
  /** Absolute; holds the embedded database and filesystem blobs when those are not configured elsewhere. */
  dataDir: string;
  database: DatabaseConfig;
  blobs: BlobsConfig;
  /**
   * Blobs just stored by this process stay in memory until its worker first reads them (up to `maxBytes` in
   * all, `maxEntryBytes` each; 0 = off). Absent = off; `loadConfig` always sets it.
   */
  blobHandoff?: { maxBytes: number; maxEntryBytes: number };
  server: { host: string; port: number };
  limits: MediaLimits;
  /**
   * `processes`: extra `tollgate worker` processes `serve` starts and supervises (server database only).
   * `analysisThreads`: worker threads this process's jobs are analysed on (0 = the main thread; `auto` = one
   * per core, at most `concurrency`, and none when detectors were added in code).
   * `backlog`: uploads this process's ingests hold for its own workers while every slot is busy, instead of
   * sending them through the queue (src/jobs/loop.ts); 0 by default when `processes` share the work.
   */
  workers: { concurrency: number; processes: number; backlog: number; analysisThreads: number | 'auto'; detectorTimeoutMs: number; jobRetries: number };
  /** Defaults; a tenant's own webhook settings in the database override them. */
  /** ExifTool deep metadata reads and the costlier forensic checks: `auto` when the hot path or a task asks. */
  metadata?: { deep: 'off' | 'auto' | 'always' };
  /**
   * The second near-duplicate matcher (local features, verified geometrically); absent = defaults (auto,
   * 12 inliers). `auto`: uploads are searched against bank images only, and only when the tenant's banks hold
   * any; `on`: also against earlier uploads (every image upload's keypoints stored); `off`: PDQ only.
   */
  matching?: { local: { mode: LocalMatchingMode; minInliers: number } };
  /**
   * Optional model-backed checks. `nsfw`: content.nsfw (nsfwjs) for the tenants whose policy turns it on
   * (`tenant`, the default), for every tenant unless its policy turns it off (`on`), or never, the model never
   * loading (`off`). `recaptureFaces` adds human's anti-spoof model to quality.screen_recapture when the
   * spectrum is suspicious.
   */
  checks?: { nsfw: ContentCheckMode; recaptureFaces: boolean };
  /** `ocr`: copyright.watermark_text reads text in images with PaddleOCR (off by default: ≈0.5 s CPU per image; ~1 s model load per process). */
  copyright?: { ocr: boolean };
  /** Model files that replace the shipped ones (absolute paths). */
  models: { aiClassifier?: string };
  webhooks: { url?: string; secret?: string };
  /** Shared feature state when several nodes run; null = in memory. */
  redis: { url: string } | null;
  log: { level: LogLevel };
  /** Where each setting came from, keyed by environment variable name: for `describeConfig` and support. */
  sources: Readonly<Record<string, ConfigSource>>;
  /** The config file that was read, if any. */
  file?: string;
}

export type ConfigSource = 'env' | 'file' | 'default';
