import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TollgateError } from '../errors.ts';
import { maskUrl } from './describe.ts';
import { DEFAULT_MEDIA_LIMITS } from '../media/limits.ts';
import { FIELD_BY_ENV, FIELD_BY_PATH, FIELDS, type FieldSpec } from './fields.ts';
import type { BlobsConfig, Config, ConfigSource, ContentCheckMode, LocalMatchingMode, LogLevel } from './types.ts';

/**
 * Verified inliers that make a local-feature match. On the eval corpus unrelated images reach at most 6
 * and real copies at least 36 (docs/eval-near-duplicates.md), so 12 leaves margin on both sides.
 */
export const DEFAULT_LOCAL_MIN_INLIERS = 12;

/** In-memory hand-off of just-stored blobs to this process's workers: 64 MiB in all, 8 MiB per blob. */
export const DEFAULT_BLOB_HANDOFF_MB = 64;
export const DEFAULT_BLOB_HANDOFF_ENTRY_MB = 8;
const MIB = 1024 * 1024;

/**
 * Uploads held for this process's workers per slot while every slot is busy. Each one held skips the queue's
 * fetch and a claim's commit, and its bytes are in this process already (the blob hand-off); eight per slot
 * keeps the wait behind them to a few analyses, and the uploads a crash leaves to the 120 s lease few.
 */
export const BACKLOG_PER_SLOT = 8;

export interface LoadConfigOptions {
  /** Usually `process.env`; passed in so tests and embedders never touch the real environment. */
  env: Readonly<Record<string, string | undefined>>;
  /** JSON config file; defaults to env TOLLGATE_CONFIG. */
  file?: string;
  /** Base for relative paths given in the environment. Default process.cwd(). */
  cwd?: string;
}

interface RawValue {
  value: unknown;
  source: Exclude<ConfigSource, 'default'>;
}

const DEFAULT_DATA_DIR = './.tollgate';

/** `--config FILE` or `--config=FILE` from a command line, else undefined. */
export function configFileFromArgv(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--config') {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new TollgateError('config.invalid', '--config needs a file path');
      return next;
    }
    if (arg.startsWith('--config=')) return arg.slice('--config='.length);
  }
  return undefined;
}

/**
 * Builds the typed configuration: defaults < config file < environment.
 * Every bad value is reported at once (one line each) in a single `config.invalid` error,
 * so a deploy fails with the full list instead of one fix-and-retry per variable.
 */
export function loadConfig(options: LoadConfigOptions): Config {
  const cwd = options.cwd ?? process.cwd();
  const filePath = options.file ?? nonEmpty(options.env.TOLLGATE_CONFIG);
  const issues: string[] = [];
  const raw = new Map<string, RawValue>();
  let fileDir = cwd;
  let absoluteFile: string | undefined;

  if (filePath !== undefined) {
    absoluteFile = path.resolve(cwd, filePath);
    fileDir = path.dirname(absoluteFile);
    for (const [env, value] of readConfigFile(absoluteFile, issues)) raw.set(env, { value, source: 'file' });
  }
  for (const field of FIELDS) {
    // Empty strings count as unset: `FOO=` in compose files and CI templates means "not configured".
    const value = nonEmpty(options.env[field.env]);
    if (value !== undefined) raw.set(field.env, { value, source: 'env' });
  }

  const values = new Map<string, unknown>();
  const sources: Record<string, ConfigSource> = {};
  for (const field of FIELDS) {
    const entry = raw.get(field.env);
    sources[field.env] = entry?.source ?? 'default';
    if (!entry) continue;
    const parsed = field.schema.safeParse(entry.value);
    if (parsed.success) values.set(field.env, parsed.data);
    else issues.push(`${label(field, entry, absoluteFile)} must be ${field.expected}, got ${shown(field, entry.value)}`);
  }

  const get = <T>(env: string): T | undefined => values.get(env) as T | undefined;
  const dataDirRaw = get<string>('TOLLGATE_DATA_DIR');
  const dataDir = path.resolve(raw.get('TOLLGATE_DATA_DIR')?.source === 'file' ? fileDir : cwd, dataDirRaw ?? DEFAULT_DATA_DIR);
  const blobs = blobsConfig(get, raw, dataDir, issues);

  if (issues.length > 0) {
    throw new TollgateError('config.invalid', `invalid configuration:\n  ${issues.join('\n  ')}`, { issues });
  }

  const databaseUrl = get<string>('DATABASE_URL');
  const webhookUrl = get<string>('TOLLGATE_WEBHOOK_URL');
  const webhookSecret = get<string>('TOLLGATE_WEBHOOK_SECRET');
  const aiModel = get<string>('TOLLGATE_AI_MODEL');
  const redisUrl = get<string>('REDIS_URL');
  const concurrency = get<number>('TOLLGATE_WORKER_CONCURRENCY') ?? 2;
  const processes = get<number>('TOLLGATE_WORKER_PROCESSES') ?? 0;
  return {
    dataDir,
    database: databaseUrl ? { kind: 'postgres', url: databaseUrl } : { kind: 'pglite', dataDir: path.join(dataDir, 'pgdata') },
    blobs: blobs!,
    blobHandoff: {
      maxBytes: (get<number>('TOLLGATE_BLOB_HANDOFF_MB') ?? DEFAULT_BLOB_HANDOFF_MB) * MIB,
      maxEntryBytes: (get<number>('TOLLGATE_BLOB_HANDOFF_ENTRY_MB') ?? DEFAULT_BLOB_HANDOFF_ENTRY_MB) * MIB,
    },
    server: { host: get<string>('HOST') ?? '127.0.0.1', port: get<number>('PORT') ?? 8080 },
    limits: {
      maxBytes: get<number>('TOLLGATE_MAX_BYTES') ?? DEFAULT_MEDIA_LIMITS.maxBytes,
      maxPixels: get<number>('TOLLGATE_MAX_PIXELS') ?? DEFAULT_MEDIA_LIMITS.maxPixels,
      maxVideoSeconds: get<number>('TOLLGATE_MAX_VIDEO_SECONDS') ?? DEFAULT_MEDIA_LIMITS.maxVideoSeconds,
      maxFrames: get<number>('TOLLGATE_MAX_FRAMES') ?? DEFAULT_MEDIA_LIMITS.maxFrames,
      sampleFps: get<number>('TOLLGATE_SAMPLE_FPS') ?? DEFAULT_MEDIA_LIMITS.sampleFps,
    },
    workers: {
      concurrency,
      processes,
      backlog: get<number>('TOLLGATE_WORKER_BACKLOG') ?? (processes > 0 ? 0 : BACKLOG_PER_SLOT * concurrency),
      analysisThreads: get<number | 'auto'>('TOLLGATE_ANALYSIS_THREADS') ?? 'auto',
      detectorTimeoutMs: get<number>('TOLLGATE_DETECTOR_TIMEOUT_MS') ?? 10_000,
      jobRetries: get<number>('TOLLGATE_JOB_RETRIES') ?? 3,
    },
    metadata: { deep: get<'off' | 'auto' | 'always'>('TOLLGATE_DEEP_METADATA') ?? 'auto' },
    matching: { local: { mode: get<LocalMatchingMode>('TOLLGATE_LOCAL_MATCHING') ?? 'auto', minInliers: get<number>('TOLLGATE_LOCAL_MIN_INLIERS') ?? DEFAULT_LOCAL_MIN_INLIERS } },
    checks: { nsfw: get<ContentCheckMode>('TOLLGATE_NSFW') ?? 'tenant', recaptureFaces: get<boolean>('TOLLGATE_RECAPTURE_FACES') ?? false },
    copyright: { ocr: get<boolean>('TOLLGATE_OCR') ?? false },
    models: aiModel ? { aiClassifier: path.resolve(raw.get('TOLLGATE_AI_MODEL')?.source === 'file' ? fileDir : cwd, aiModel) } : {},
    webhooks: { ...(webhookUrl ? { url: webhookUrl } : {}), ...(webhookSecret ? { secret: webhookSecret } : {}) },
    redis: redisUrl ? { url: redisUrl } : null,
    log: { level: get<LogLevel>('LOG_LEVEL') ?? 'info' },
    sources,
    ...(absoluteFile ? { file: absoluteFile } : {}),
  };
}

function blobsConfig(
  get: <T>(env: string) => T | undefined,
  raw: ReadonlyMap<string, RawValue>,
  dataDir: string,
  issues: string[],
): BlobsConfig | undefined {
  const s3Fields = FIELDS.filter((f) => f.env.startsWith('S3_'));
  const given = s3Fields.filter((f) => raw.has(f.env)).map((f) => f.env);
  if (given.length === 0) return { kind: 'fs', rootDir: path.join(dataDir, 'blobs') };
  // A partial S3 setup silently falling back to local disk would lose uploads on the next redeploy.
  const missing = ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'].filter((env) => !raw.has(env));
  if (missing.length > 0) {
    issues.push(`S3 blob storage is partly configured (${given.join(', ')} set): ${missing.join(', ')} must also be set`);
    return undefined;
  }
  const bucket = get<string>('S3_BUCKET');
  const accessKeyId = get<string>('S3_ACCESS_KEY_ID');
  const secretAccessKey = get<string>('S3_SECRET_ACCESS_KEY');
  if (bucket === undefined || accessKeyId === undefined || secretAccessKey === undefined) return undefined; // already reported
  const endpoint = get<string>('S3_ENDPOINT');
  return {
    kind: 's3',
    bucket,
    ...(endpoint ? { endpoint } : {}),
    region: get<string>('S3_REGION') ?? 'us-east-1',
    accessKeyId,
    secretAccessKey,
    // MinIO, R2, Supabase Storage and s3rver want path-style; AWS itself prefers virtual hosts.
    forcePathStyle: get<boolean>('S3_FORCE_PATH_STYLE') ?? endpoint !== undefined,
  };
}

/** Reads a JSON file holding either env-style keys (`"PORT": 8080`) or nested sections (`"server": {"port": 8080}`). */
function readConfigFile(file: string, issues: string[]): Map<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    const why = code === 'ENOENT' ? 'file not found' : error instanceof Error ? error.message : String(error);
    throw new TollgateError('config.invalid', `config file ${file}: ${why}`, { file }, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TollgateError('config.invalid', `config file ${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { file });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TollgateError('config.invalid', `config file ${file} must hold a JSON object`, { file });
  }
  const out = new Map<string, unknown>();
  const walk = (node: Record<string, unknown>, prefix: string): void => {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$schema' || key.startsWith('//')) continue; // editors and comments
      const dotted = prefix ? `${prefix}.${key}` : key;
      const field = (prefix === '' ? FIELD_BY_ENV.get(key) : undefined) ?? FIELD_BY_PATH.get(dotted);
      if (field) {
        if (value === null) continue;
        if (out.has(field.env)) issues.push(`${dotted} in ${file} sets ${field.env} a second time`);
        out.set(field.env, value);
      } else if (typeof value === 'object' && value !== null && !Array.isArray(value) && isPathPrefix(dotted)) {
        walk(value as Record<string, unknown>, dotted);
      } else {
        // Typos (`"sever": {...}`) would otherwise be ignored and the default used without a word.
        issues.push(`unknown setting "${dotted}" in ${file}`);
      }
    }
  };
  walk(json as Record<string, unknown>, '');
  return out;
}

function isPathPrefix(dotted: string): boolean {
  for (const field of FIELDS) if (field.path.startsWith(`${dotted}.`)) return true;
  return false;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function label(field: FieldSpec, entry: RawValue, file: string | undefined): string {
  return entry.source === 'file' ? `${field.env} (${field.path} in ${file})` : field.env;
}

/** The offending value for the message; secrets are never echoed, since messages end up in logs. */
function shown(field: FieldSpec, value: unknown): string {
  if (field.secret) {
    // A URL with its password masked still shows the mistake (wrong scheme, typo in host).
    if (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim())) return JSON.stringify(maskUrl(value.trim()));
    return typeof value === 'string' ? `a value of ${value.length} characters` : `a ${typeof value}`;
  }
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 120 ? `${json.slice(0, 117)}...` : json;
}
