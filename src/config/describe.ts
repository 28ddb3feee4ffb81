import type { Config } from './types.ts';

const MASK = '****';

/** Replaces the password of a connection URL, keeping host and database visible for support. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = MASK;
    // Some providers put tokens in the query string (`?password=`, `?sslkey=`).
    for (const key of [...u.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(key)) u.searchParams.set(key, MASK);
    }
    return u.toString();
  } catch {
    return MASK;
  }
}

/** Shows only the first 4 characters: enough to tell which key is deployed, not enough to use it. */
function maskKeyId(value: string): string {
  return value.length <= 8 ? MASK : `${value.slice(0, 4)}${MASK}`;
}

/** The configuration with every secret masked; safe for logs, `/health` and `tollgate config --json`. */
export function redactConfig(config: Config): Config {
  const blobs = config.blobs.kind === 's3' ? { ...config.blobs, accessKeyId: maskKeyId(config.blobs.accessKeyId), secretAccessKey: MASK } : config.blobs;
  return {
    ...config,
    database: config.database.kind === 'postgres' ? { kind: 'postgres', url: maskUrl(config.database.url) } : config.database,
    blobs,
    webhooks: { ...config.webhooks, ...(config.webhooks.secret ? { secret: MASK } : {}) },
    redis: config.redis ? { url: maskUrl(config.redis.url) } : null,
  };
}

function mib(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

/** What stays in memory between storing a blob and this process's worker reading it. */
function handoff(c: Config): string {
  const h = c.blobHandoff;
  if (!h || h.maxBytes === 0 || h.maxEntryBytes === 0) return 'off';
  return `maxBytes=${mib(h.maxBytes)} maxEntryBytes=${mib(Math.min(h.maxEntryBytes, h.maxBytes))}`;
}

/** Human-readable summary, one line per area, secrets masked, with where non-default values came from. */
export function describeConfig(config: Config): string {
  const c = redactConfig(config);
  const from = (...envs: string[]): string => {
    const set = envs.map((e) => c.sources[e]).filter((s) => s && s !== 'default');
    return set.length === 0 ? '' : `  [${[...new Set(set)].join('+')}]`;
  };
  const lines: [string, string][] = [
    ['config file', c.file ?? '(none)'],
    ['data dir', c.dataDir + from('TOLLGATE_DATA_DIR')],
    ['database', (c.database.kind === 'postgres' ? `postgres ${c.database.url}` : `embedded PGlite in ${c.database.dataDir}`) + from('DATABASE_URL')],
    [
      'blobs',
      c.blobs.kind === 's3'
        ? `s3 bucket=${c.blobs.bucket} region=${c.blobs.region} endpoint=${c.blobs.endpoint ?? '(AWS)'} pathStyle=${c.blobs.forcePathStyle} ` +
          `accessKeyId=${c.blobs.accessKeyId} secretAccessKey=${c.blobs.secretAccessKey}` +
          from('S3_BUCKET', 'S3_ENDPOINT', 'S3_REGION', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_FORCE_PATH_STYLE')
        : `filesystem ${c.blobs.rootDir}`,
    ],
    ['blob hand-off', handoff(c) + from('TOLLGATE_BLOB_HANDOFF_MB', 'TOLLGATE_BLOB_HANDOFF_ENTRY_MB')],
    ['server', `http://${c.server.host.includes(':') ? `[${c.server.host}]` : c.server.host}:${c.server.port}` + from('HOST', 'PORT')],
    [
      'limits',
      `maxBytes=${mib(c.limits.maxBytes)} maxPixels=${c.limits.maxPixels} maxVideoSeconds=${c.limits.maxVideoSeconds} ` +
        `maxFrames=${c.limits.maxFrames} sampleFps=${c.limits.sampleFps}` +
        from('TOLLGATE_MAX_BYTES', 'TOLLGATE_MAX_PIXELS', 'TOLLGATE_MAX_VIDEO_SECONDS', 'TOLLGATE_MAX_FRAMES', 'TOLLGATE_SAMPLE_FPS'),
    ],
    [
      'workers',
      `concurrency=${c.workers.concurrency} processes=${c.workers.processes} backlog=${c.workers.backlog} analysisThreads=${c.workers.analysisThreads} detectorTimeoutMs=${c.workers.detectorTimeoutMs} jobRetries=${c.workers.jobRetries}` +
        from('TOLLGATE_WORKER_CONCURRENCY', 'TOLLGATE_WORKER_PROCESSES', 'TOLLGATE_WORKER_BACKLOG', 'TOLLGATE_ANALYSIS_THREADS', 'TOLLGATE_DETECTOR_TIMEOUT_MS', 'TOLLGATE_JOB_RETRIES'),
    ],
    ['webhooks', `url=${c.webhooks.url ?? '(none)'} secret=${c.webhooks.secret ?? '(none)'}` + from('TOLLGATE_WEBHOOK_URL', 'TOLLGATE_WEBHOOK_SECRET')],
    ['redis', (c.redis ? c.redis.url : '(none: features in memory)') + from('REDIS_URL')],
    ['log level', c.log.level + from('LOG_LEVEL')],
  ];
  const width = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
