import { z } from 'zod';

/**
 * Every setting once: its environment variable, where it lives in a nested config file, and how to
 * validate it. Env names are the public contract (Docker, Supabase, fly.io all speak env vars);
 * the nested path is what a hand-written JSON file reads best as.
 */
export interface FieldSpec {
  env: string;
  /** Dotted path in the nested form of the config file, e.g. `server.port`. */
  path: string;
  /** Turns a raw value (env string or JSON value) into the typed one; `expected` names the rule for messages. */
  schema: z.ZodType<unknown, z.ZodTypeDef, unknown>;
  expected: string;
  secret?: boolean;
}

const INT_TEXT = /^[+-]?\d+$/;

function int(min: number, max: number): z.ZodType<number, z.ZodTypeDef, unknown> {
  return z
    .union([z.number(), z.string().trim().regex(INT_TEXT).transform(Number)])
    .pipe(z.number().int().min(min).max(max));
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** Byte counts also accept `200MB`/`1.5GiB` (binary units): people mistype 209715200 far more often than 200MB. */
function bytes(min: number, max: number): z.ZodType<number, z.ZodTypeDef, unknown> {
  const text = z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?\s*[a-zA-Z]*$/)
    .transform((s, ctx) => {
      const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(s)!;
      const unit = SIZE_UNITS[m[2]!.toLowerCase()];
      if (unit === undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom });
        return z.NEVER;
      }
      return Math.round(Number(m[1]) * unit);
    });
  return z.union([z.number(), text]).pipe(z.number().int().min(min).max(max));
}

function positive(max: number): z.ZodType<number, z.ZodTypeDef, unknown> {
  return z
    .union([z.number(), z.string().trim().regex(/^\d+(\.\d+)?$/).transform(Number)])
    .pipe(z.number().gt(0).max(max));
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);
const bool: z.ZodType<boolean, z.ZodTypeDef, unknown> = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((s) => TRUE.has(s) || FALSE.has(s))
    .transform((s) => TRUE.has(s)),
]);

/** A boolean, or `auto`: the local matcher's switch kept its true/false spellings when `auto` became the default. */
const localMatchingMode: z.ZodType<'off' | 'auto' | 'on', z.ZodTypeDef, unknown> = z.union([
  z.string().trim().toLowerCase().pipe(z.literal('auto')),
  bool.transform((on) => (on ? ('on' as const) : ('off' as const))),
]);

/** Analysis threads: `auto` (one per core, at most one per job in flight) or a count, 0 = the main thread. */
const analysisThreads: z.ZodType<number | 'auto', z.ZodTypeDef, unknown> = z.union([z.string().trim().toLowerCase().pipe(z.literal('auto')), int(0, 64)]);

/** A content check: `tenant` (loaded when a tenant's policy turns it on), true = on for every tenant that does not turn it off, false = never. */
const contentCheckMode: z.ZodType<'off' | 'tenant' | 'on', z.ZodTypeDef, unknown> = z.union([
  z.string().trim().toLowerCase().pipe(z.literal('tenant')),
  bool.transform((on) => (on ? ('on' as const) : ('off' as const))),
]);

function url(protocols: readonly string[]): z.ZodType<string, z.ZodTypeDef, unknown> {
  return z
    .string()
    .trim()
    .refine((s) => {
      try {
        return protocols.includes(new URL(s).protocol);
      } catch {
        return false;
      }
    });
}

const text = (min = 1, max = 4096): z.ZodType<string, z.ZodTypeDef, unknown> => z.string().trim().min(min).max(max);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const FIELDS: readonly FieldSpec[] = [
  { env: 'TOLLGATE_DATA_DIR', path: 'dataDir', schema: text(), expected: 'a directory path' },
  { env: 'DATABASE_URL', path: 'database.url', schema: url(['postgres:', 'postgresql:']), expected: 'a postgres:// or postgresql:// URL (over a Unix socket, its directory percent-encoded as the host: postgresql://USER@%2Fvar%2Frun%2Fpostgresql/DB)', secret: true },
  { env: 'S3_BUCKET', path: 's3.bucket', schema: z.string().trim().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/), expected: 'an S3 bucket name (3..63 of a-z 0-9 . -)' },
  { env: 'S3_ENDPOINT', path: 's3.endpoint', schema: url(['http:', 'https:']), expected: 'an http(s):// URL' },
  { env: 'S3_REGION', path: 's3.region', schema: z.string().trim().regex(/^[a-z0-9-]{2,32}$/), expected: 'a region name such as us-east-1' },
  { env: 'S3_ACCESS_KEY_ID', path: 's3.accessKeyId', schema: text(), expected: 'a non-empty access key id' },
  { env: 'S3_SECRET_ACCESS_KEY', path: 's3.secretAccessKey', schema: text(), expected: 'a non-empty secret key', secret: true },
  { env: 'S3_FORCE_PATH_STYLE', path: 's3.forcePathStyle', schema: bool, expected: 'a boolean (true/false/1/0/yes/no)' },
  { env: 'TOLLGATE_BLOB_HANDOFF_MB', path: 'blobHandoff.maxMb', schema: int(0, 65_536), expected: 'an integer number of MiB 0..65536 (0 = off)' },
  { env: 'TOLLGATE_BLOB_HANDOFF_ENTRY_MB', path: 'blobHandoff.maxEntryMb', schema: int(0, 65_536), expected: 'an integer number of MiB 0..65536 (0 = off)' },
  { env: 'PORT', path: 'server.port', schema: int(1, 65535), expected: 'an integer 1..65535' },
  { env: 'HOST', path: 'server.host', schema: z.string().trim().regex(/^[^\s/]{1,253}$/), expected: 'a host name or IP address' },
  { env: 'TOLLGATE_MAX_BYTES', path: 'limits.maxBytes', schema: bytes(1, 64 * 1024 ** 3), expected: 'a byte count 1..64GiB (e.g. 209715200 or 200MB)' },
  { env: 'TOLLGATE_MAX_PIXELS', path: 'limits.maxPixels', schema: int(1, 2_000_000_000), expected: 'an integer 1..2000000000' },
  { env: 'TOLLGATE_MAX_VIDEO_SECONDS', path: 'limits.maxVideoSeconds', schema: positive(86_400), expected: 'a number of seconds >0..86400' },
  { env: 'TOLLGATE_MAX_FRAMES', path: 'limits.maxFrames', schema: int(1, 10_000), expected: 'an integer 1..10000' },
  { env: 'TOLLGATE_SAMPLE_FPS', path: 'limits.sampleFps', schema: positive(120), expected: 'a number of frames per second >0..120' },
  { env: 'TOLLGATE_WORKER_CONCURRENCY', path: 'workers.concurrency', schema: int(1, 1024), expected: 'an integer 1..1024' },
  { env: 'TOLLGATE_WORKER_BACKLOG', path: 'workers.backlog', schema: int(0, 65_536), expected: 'an integer 0..65536 (0 = uploads wait for a worker in the queue only)' },
  { env: 'TOLLGATE_WORKER_PROCESSES', path: 'workers.processes', schema: int(0, 64), expected: 'an integer 0..64' },
  { env: 'TOLLGATE_ANALYSIS_THREADS', path: 'workers.analysisThreads', schema: analysisThreads, expected: 'auto or an integer 0..64 (0 = analyse on the main thread)' },
  { env: 'TOLLGATE_DETECTOR_TIMEOUT_MS', path: 'workers.detectorTimeoutMs', schema: int(1, 3_600_000), expected: 'an integer 1..3600000 (milliseconds)' },
  { env: 'TOLLGATE_JOB_RETRIES', path: 'workers.jobRetries', schema: int(0, 100), expected: 'an integer 0..100' },
  { env: 'TOLLGATE_WEBHOOK_URL', path: 'webhooks.url', schema: url(['http:', 'https:']), expected: 'an http(s):// URL' },
  // HMAC keys shorter than this are guessable; receivers verify signatures with it.
  { env: 'TOLLGATE_DEEP_METADATA', path: 'metadata.deep', schema: z.string().trim().toLowerCase().pipe(z.enum(['off', 'auto', 'always'])), expected: 'off, auto (when the hot path or a task asks) or always' },
  { env: 'TOLLGATE_LOCAL_MATCHING', path: 'matching.local.mode', schema: localMatchingMode, expected: 'auto (bank images only, when the tenant has any), true (also uploads against uploads) or false' },
  { env: 'TOLLGATE_LOCAL_MIN_INLIERS', path: 'matching.local.minInliers', schema: int(6, 500), expected: 'an integer 6..500' },
  { env: 'TOLLGATE_NSFW', path: 'checks.nsfw', schema: contentCheckMode, expected: "tenant (each tenant's policy turns it on), true (on unless a policy turns it off) or false (never)" },
  { env: 'TOLLGATE_RECAPTURE_FACES', path: 'checks.recaptureFaces', schema: bool, expected: 'a boolean (true/false/1/0/yes/no)' },
  { env: 'TOLLGATE_OCR', path: 'copyright.ocr', schema: bool, expected: 'a boolean (true/false/1/0/yes/no)' },
  { env: 'TOLLGATE_AI_MODEL', path: 'models.aiClassifier', schema: text(), expected: 'a path to a model file written by `tollgate train ai-detector`' },
  { env: 'TOLLGATE_WEBHOOK_SECRET', path: 'webhooks.secret', schema: text(16, 1024), expected: 'a secret of 16..1024 characters', secret: true },
  { env: 'REDIS_URL', path: 'redis.url', schema: url(['redis:', 'rediss:']), expected: 'a redis:// or rediss:// URL', secret: true },
  { env: 'LOG_LEVEL', path: 'log.level', schema: z.string().trim().toLowerCase().pipe(z.enum(LOG_LEVELS)), expected: `one of ${LOG_LEVELS.join(', ')}` },
];

export const FIELD_BY_ENV: ReadonlyMap<string, FieldSpec> = new Map(FIELDS.map((f) => [f.env, f]));
export const FIELD_BY_PATH: ReadonlyMap<string, FieldSpec> = new Map(FIELDS.map((f) => [f.path, f]));
