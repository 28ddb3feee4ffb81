import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isTollgateError } from '../../src/errors.ts';
import { DEFAULT_MEDIA_LIMITS } from '../../src/media/limits.ts';
import { configFileFromArgv, describeConfig, loadConfig, redactConfig, type LoadConfigOptions } from '../../src/config/index.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tollgate-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeJson(name: string, value: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

function configError(options: LoadConfigOptions): string[] {
  try {
    loadConfig(options);
  } catch (error) {
    expect(isTollgateError(error)).toBe(true);
    if (isTollgateError(error)) {
      expect(error.code).toBe('config.invalid');
      const issues = error.details?.issues;
      return Array.isArray(issues) ? (issues as string[]) : [error.message];
    }
  }
  return expect.fail('expected config.invalid');
}

const S3_ENV = { S3_BUCKET: 'uploads', S3_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', S3_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

describe('loadConfig defaults', () => {
  it('runs embedded with no configuration at all', () => {
    const c = loadConfig({ env: {}, cwd: '/srv/app' });
    expect(c.dataDir).toBe('/srv/app/.tollgate');
    expect(c.database).toEqual({ kind: 'pglite', dataDir: '/srv/app/.tollgate/pgdata' });
    expect(c.blobs).toEqual({ kind: 'fs', rootDir: '/srv/app/.tollgate/blobs' });
    expect(c.server).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(c.limits).toEqual(DEFAULT_MEDIA_LIMITS);
    expect(c.workers).toEqual({ concurrency: 2, processes: 0, backlog: 16, analysisThreads: 'auto', detectorTimeoutMs: 10_000, jobRetries: 3 });
    expect(c.webhooks).toEqual({});
    expect(c.redis).toBeNull();
    expect(c.log.level).toBe('info');
    expect(c.file).toBeUndefined();
    expect(c.sources.PORT).toBe('default');
  });

  it('searches bank images by local features when there are any (auto), uploads against uploads only when asked', () => {
    const mode = (value?: string | boolean, file = false) =>
      (file ? loadConfig({ env: {}, file: writeJson('local.json', { matching: { local: { mode: value } } }) }) : loadConfig({ env: value === undefined ? {} : { TOLLGATE_LOCAL_MATCHING: String(value) } })).matching?.local.mode;
    expect(mode()).toBe('auto');
    expect([mode('AUTO'), mode('true'), mode('yes'), mode('false'), mode('0')]).toEqual(['auto', 'on', 'on', 'off', 'off']);
    expect([mode('auto', true), mode(true, true), mode(false, true)]).toEqual(['auto', 'on', 'off']);
    expect(configError({ env: { TOLLGATE_LOCAL_MATCHING: 'sometimes' } })).toEqual([
      'TOLLGATE_LOCAL_MATCHING must be auto (bank images only, when the tenant has any), true (also uploads against uploads) or false, got "sometimes"',
    ]);
  });

  it('holds uploads for busy workers eight per slot, none when worker processes share the work, or as many as set', () => {
    expect(loadConfig({ env: { TOLLGATE_WORKER_CONCURRENCY: '4' } }).workers.backlog).toBe(32);
    expect(loadConfig({ env: { TOLLGATE_WORKER_PROCESSES: '1' } }).workers.backlog).toBe(0);
    expect(loadConfig({ env: { TOLLGATE_WORKER_PROCESSES: '1', TOLLGATE_WORKER_BACKLOG: '5' } }).workers.backlog).toBe(5);
    expect(() => loadConfig({ env: { TOLLGATE_WORKER_BACKLOG: '-1' } })).toThrow(/TOLLGATE_WORKER_BACKLOG/);
  });

  it('treats empty variables as unset', () => {
    const c = loadConfig({ env: { PORT: '', DATABASE_URL: '  ', S3_BUCKET: '' } });
    expect(c.server.port).toBe(8080);
    expect(c.database.kind).toBe('pglite');
    expect(c.blobs.kind).toBe('fs');
  });
});

describe('loadConfig from the environment', () => {
  it('reads every field', () => {
    const c = loadConfig({
      cwd: '/srv',
      env: {
        TOLLGATE_DATA_DIR: 'data',
        DATABASE_URL: 'postgresql://tollgate:pw@db.example.com:5432/tollgate?sslmode=require',
        ...S3_ENV,
        S3_ENDPOINT: 'http://127.0.0.1:9000',
        S3_REGION: 'eu-central-1',
        PORT: '9090',
        HOST: '0.0.0.0',
        TOLLGATE_MAX_BYTES: '50MB',
        TOLLGATE_MAX_PIXELS: '40000000',
        TOLLGATE_MAX_VIDEO_SECONDS: '90.5',
        TOLLGATE_MAX_FRAMES: '30',
        TOLLGATE_SAMPLE_FPS: '0.5',
        TOLLGATE_WORKER_CONCURRENCY: '8',
        TOLLGATE_WORKER_PROCESSES: '3',
        TOLLGATE_ANALYSIS_THREADS: '0',
        TOLLGATE_DETECTOR_TIMEOUT_MS: '2500',
        TOLLGATE_JOB_RETRIES: '0',
        TOLLGATE_WEBHOOK_URL: 'https://hooks.example.com/tollgate',
        TOLLGATE_WEBHOOK_SECRET: '0123456789abcdef0123',
        REDIS_URL: 'redis://:redispw@127.0.0.1:6379/0',
        LOG_LEVEL: 'DEBUG',
      },
    });
    expect(c.dataDir).toBe('/srv/data');
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgresql://tollgate:pw@db.example.com:5432/tollgate?sslmode=require' });
    expect(c.blobs).toEqual({
      kind: 's3',
      bucket: 'uploads',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-central-1',
      accessKeyId: S3_ENV.S3_ACCESS_KEY_ID,
      secretAccessKey: S3_ENV.S3_SECRET_ACCESS_KEY,
      forcePathStyle: true,
    });
    expect(c.server).toEqual({ host: '0.0.0.0', port: 9090 });
    expect(c.limits).toEqual({ maxBytes: 50 * 1024 * 1024, maxPixels: 40_000_000, maxVideoSeconds: 90.5, maxFrames: 30, sampleFps: 0.5 });
    expect(c.workers).toEqual({ concurrency: 8, processes: 3, backlog: 0, analysisThreads: 0, detectorTimeoutMs: 2500, jobRetries: 0 });
    expect(c.webhooks).toEqual({ url: 'https://hooks.example.com/tollgate', secret: '0123456789abcdef0123' });
    expect(c.redis).toEqual({ url: 'redis://:redispw@127.0.0.1:6379/0' });
    expect(c.log.level).toBe('debug');
    expect(c.sources.PORT).toBe('env');
  });

  it('defaults S3 to us-east-1, and path-style only with a custom endpoint', () => {
    const aws = loadConfig({ env: S3_ENV });
    expect(aws.blobs).toMatchObject({ kind: 's3', region: 'us-east-1', forcePathStyle: false });
    expect(aws.blobs).not.toHaveProperty('endpoint');
    const minio = loadConfig({ env: { ...S3_ENV, S3_ENDPOINT: 'https://minio.local', S3_FORCE_PATH_STYLE: 'no' } });
    expect(minio.blobs).toMatchObject({ forcePathStyle: false });
  });

  it('accepts byte sizes with units', () => {
    expect(loadConfig({ env: { TOLLGATE_MAX_BYTES: '1.5GiB' } }).limits.maxBytes).toBe(1.5 * 1024 ** 3);
    expect(loadConfig({ env: { TOLLGATE_MAX_BYTES: '1024' } }).limits.maxBytes).toBe(1024);
    expect(loadConfig({ env: { TOLLGATE_MAX_BYTES: '10k' } }).limits.maxBytes).toBe(10_240);
  });
});

describe('validation messages', () => {
  it('names the variable, the rule and the value', () => {
    expect(configError({ env: { PORT: 'abc' } })).toEqual(['PORT must be an integer 1..65535, got "abc"']);
    expect(configError({ env: { PORT: '70000' } })).toEqual(['PORT must be an integer 1..65535, got "70000"']);
    expect(configError({ env: { PORT: '80.5' } })[0]).toMatch(/^PORT must be an integer/);
    expect(configError({ env: { TOLLGATE_WORKER_CONCURRENCY: '0' } })).toEqual(['TOLLGATE_WORKER_CONCURRENCY must be an integer 1..1024, got "0"']);
    expect(configError({ env: { TOLLGATE_ANALYSIS_THREADS: 'many' } })).toEqual(['TOLLGATE_ANALYSIS_THREADS must be auto or an integer 0..64 (0 = analyse on the main thread), got "many"']);
    expect(loadConfig({ env: { TOLLGATE_ANALYSIS_THREADS: ' AUTO ' } }).workers.analysisThreads).toBe('auto');
    expect(loadConfig({ env: { TOLLGATE_ANALYSIS_THREADS: '3' } }).workers.analysisThreads).toBe(3);
    expect(configError({ env: { TOLLGATE_SAMPLE_FPS: '-1' } })[0]).toMatch(/^TOLLGATE_SAMPLE_FPS must be a number .* got "-1"$/);
    expect(configError({ env: { TOLLGATE_MAX_BYTES: '12 parsecs' } })[0]).toMatch(/^TOLLGATE_MAX_BYTES must be a byte count/);
    expect(configError({ env: { S3_FORCE_PATH_STYLE: 'maybe', ...S3_ENV } })[0]).toMatch(/^S3_FORCE_PATH_STYLE must be a boolean/);
    expect(configError({ env: { LOG_LEVEL: 'loud' } })[0]).toBe('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"');
    expect(configError({ env: { TOLLGATE_WEBHOOK_URL: 'ftp://x' } })[0]).toMatch(/^TOLLGATE_WEBHOOK_URL must be an http/);
  });

  it('takes PostgreSQL over a Unix socket, its directory percent-encoded as the host', () => {
    const url = 'postgresql://tollgate@%2Fvar%2Frun%2Fpostgresql/tollgate';
    expect(loadConfig({ env: { DATABASE_URL: url } }).database).toEqual({ kind: 'postgres', url });
    // WHATWG URLs refuse credentials without a host; the message shows the form that works.
    expect(configError({ env: { DATABASE_URL: 'postgresql://tollgate@/tollgate?host=/var/run/postgresql' } })[0]).toContain('%2Fvar%2Frun%2Fpostgresql');
  });

  it('reports every bad value at once', () => {
    const issues = configError({ env: { PORT: 'abc', HOST: 'a b', TOLLGATE_JOB_RETRIES: '-1' } });
    expect(issues).toHaveLength(3);
  });

  it('never echoes secrets', () => {
    const [dbIssue] = configError({ env: { DATABASE_URL: 'mysql://root:hunter2@db/x' } });
    expect(dbIssue).toMatch(/^DATABASE_URL must be a postgres/);
    expect(dbIssue).not.toContain('hunter2');
    const [secretIssue] = configError({ env: { TOLLGATE_WEBHOOK_SECRET: 'short-secret' } });
    expect(secretIssue).toBe('TOLLGATE_WEBHOOK_SECRET must be a secret of 16..1024 characters, got a value of 12 characters');
  });

  it('rejects a partial S3 setup instead of silently using the local disk', () => {
    const [issue] = configError({ env: { S3_BUCKET: 'uploads' } });
    expect(issue).toContain('S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY must also be set');
    expect(configError({ env: { ...S3_ENV, S3_BUCKET: 'Bad_Bucket' } })[0]).toMatch(/^S3_BUCKET must be an S3 bucket name/);
  });
});

describe('config file', () => {
  it('reads nested sections and env-style keys; environment beats file', () => {
    const file = writeJson('nested.json', {
      $schema: './tollgate.schema.json',
      dataDir: 'state',
      server: { port: 7000, host: '0.0.0.0' },
      limits: { maxFrames: 12 },
      s3: { bucket: 'from-file', accessKeyId: 'AKIAFILEFILEFILE', secretAccessKey: 'file-secret' },
      TOLLGATE_JOB_RETRIES: 5,
    });
    const c = loadConfig({ env: { PORT: '7001' }, file, cwd: '/elsewhere' });
    expect(c.file).toBe(file);
    expect(c.dataDir).toBe(path.join(dir, 'state')); // relative to the file, not to cwd
    expect(c.server).toEqual({ host: '0.0.0.0', port: 7001 });
    expect(c.sources.PORT).toBe('env');
    expect(c.sources.HOST).toBe('file');
    expect(c.limits.maxFrames).toBe(12);
    expect(c.workers.jobRetries).toBe(5);
    expect(c.blobs).toMatchObject({ kind: 's3', bucket: 'from-file' });
  });

  it('is found through TOLLGATE_CONFIG and --config', () => {
    const file = writeJson('viaenv.json', { PORT: 6000 });
    expect(loadConfig({ env: { TOLLGATE_CONFIG: file } }).server.port).toBe(6000);
    expect(configFileFromArgv(['serve', '--config', file])).toBe(file);
    expect(configFileFromArgv(['serve', `--config=${file}`])).toBe(file);
    expect(configFileFromArgv(['serve'])).toBeUndefined();
    expect(() => configFileFromArgv(['serve', '--config'])).toThrow(/needs a file path/);
  });

  it('reports bad values with the file location, and unknown keys', () => {
    const file = writeJson('bad.json', { server: { port: 'abc' }, sever: { port: 1 }, limits: { maxFrame: 3 } });
    const issues = configError({ env: {}, file });
    expect(issues).toContain(`PORT (server.port in ${file}) must be an integer 1..65535, got "abc"`);
    expect(issues).toContain(`unknown setting "sever" in ${file}`);
    expect(issues).toContain(`unknown setting "limits.maxFrame" in ${file}`);
  });

  it('fails clearly on a missing file, broken JSON or a non-object', () => {
    expect(configError({ env: {}, file: path.join(dir, 'nope.json') })[0]).toMatch(/file not found/);
    expect(configError({ env: {}, file: writeJson('broken.json', '{"PORT": ') })[0]).toMatch(/not valid JSON/);
    expect(configError({ env: {}, file: writeJson('array.json', [1]) })[0]).toMatch(/must hold a JSON object/);
  });
});

describe('describeConfig', () => {
  it('prints every area with secrets masked', () => {
    const c = loadConfig({
      env: {
        DATABASE_URL: 'postgres://tollgate:dbpassword@db:5432/t',
        ...S3_ENV,
        TOLLGATE_WEBHOOK_SECRET: 'webhook-secret-0123456789',
        REDIS_URL: 'rediss://default:redispassword@cache:6380',
      },
    });
    const text = describeConfig(c);
    for (const secret of ['dbpassword', S3_ENV.S3_SECRET_ACCESS_KEY, S3_ENV.S3_ACCESS_KEY_ID, 'webhook-secret-0123456789', 'redispassword']) {
      expect(text).not.toContain(secret);
    }
    expect(JSON.stringify(redactConfig(c))).not.toContain('dbpassword');
    expect(text).toContain('postgres://tollgate:****@db:5432/t');
    expect(text).toContain('accessKeyId=AKIA****');
    expect(text).toContain('http://127.0.0.1:8080');
    expect(text).toMatch(/^limits +maxBytes=200 MiB/m);
    // The original object is untouched.
    expect(c.blobs.kind === 's3' && c.blobs.secretAccessKey).toBe(S3_ENV.S3_SECRET_ACCESS_KEY);
  });

  it('describes the embedded default', () => {
    const text = describeConfig(loadConfig({ env: {}, cwd: '/srv' }));
    expect(text).toContain('embedded PGlite in /srv/.tollgate/pgdata');
    expect(text).toContain('filesystem /srv/.tollgate/blobs');
  });
});
