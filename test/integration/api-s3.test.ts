import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecentBlobs, S3BlobStore } from '../../src/blobs/index.ts';
import { createApiKey, createTenant } from '../../src/db/tenants.ts';
import { buildServer } from '../../src/server/app.ts';
import { freshPglite } from '../support/databases.ts';
import { startTestTollgate, type TestTollgate } from '../support/tollgate.ts';
import { startS3rver } from '../support/s3rver.ts';

const photo = (name: string): Buffer => readFileSync(new URL(`../../../shared/data/object-photos/${name}`, import.meta.url));
const BUCKET = 'tollgate-api-test';
const MAX_BYTES = 2_000_000;

describe('HTTP API with S3 blobs: uploads by object_key', () => {
  let dir = '';
  let s3: { child: ChildProcess; port: number } | undefined;
  let t: TestTollgate;
  let app: FastifyInstance;
  let store: S3BlobStore;
  let auth: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tollgate-api-s3-'));
    s3 = await startS3rver(dir);
    t = await startTestTollgate(await freshPglite(), {
      S3_BUCKET: BUCKET,
      S3_ENDPOINT: `http://127.0.0.1:${s3.port}`,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'true',
      TOLLGATE_MAX_BYTES: String(MAX_BYTES),
    });
    // The configured store sits behind the blob hand-off (src/blobs/recent.ts).
    const inner = t.tollgate.blobs instanceof RecentBlobs ? t.tollgate.blobs.inner : t.tollgate.blobs;
    if (!(inner instanceof S3BlobStore)) throw new Error('expected S3 blobs');
    store = inner;
    await store.ensureBucket();
    await t.tollgate.startWorkers();
    app = await buildServer(t.tollgate, { logger: false, verdictPollMs: 200 });
    const tenant = await createTenant(t.tollgate.db, 's3-tenant');
    auth = { authorization: `Bearer ${(await createApiKey(t.tollgate.db, tenant.id)).key}` };
  });
  afterAll(async () => {
    await app?.close();
    await t?.close();
    if (s3) {
      const exited = new Promise((resolve) => s3!.child.once('exit', resolve));
      s3.child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  const putObject = (key: string, body: Buffer) => store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

  it('copies an object the app put in the bucket under its content address and analyses it', async () => {
    await putObject('incoming/app/u1.jpg', photo('giraffe.jpg'));
    const res = await app.inject({
      method: 'POST',
      url: '/v1/uploads?wait=30000',
      headers: auth,
      payload: { object_key: 'incoming/app/u1.jpg', contributor_id: 'una', captured_at: '2026-11-02T09:00:00+01:00' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ id: string; status: string; sha256: string; file_name: string; verdict: { decision: string } }>();
    expect(body).toMatchObject({ status: 'done', file_name: 'u1.jpg' });
    expect(body.verdict.decision).toMatch(/^(accept|review|reject)$/);
    expect(await store.has(`sha256/${body.sha256.slice(0, 2)}/${body.sha256.slice(2, 4)}/${body.sha256}`)).toBe(true);
  });

  it('streams multipart uploads into S3 too', async () => {
    const form = new FormData();
    form.set('file', new Blob([photo('horses.jpg')]), 'horses.jpg');
    const response = new Response(form);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/uploads?wait=30000',
      headers: { ...auth, 'content-type': response.headers.get('content-type')! },
      payload: Buffer.from(await response.arrayBuffer()),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'done', media: { mime: 'image/jpeg' } });
  });

  it('answers 404 for a key not in the bucket, 413 for an object over the limit, 400 for bad fields', async () => {
    const missing = await app.inject({ method: 'POST', url: '/v1/uploads', headers: auth, payload: { object_key: 'incoming/none.jpg' } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'input.not_found' } });
    await putObject('incoming/big.bin', Buffer.alloc(MAX_BYTES + 1, 1));
    const big = await app.inject({ method: 'POST', url: '/v1/uploads', headers: auth, payload: { object_key: 'incoming/big.bin' } });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error: { code: 'media.too_large' } });
    const bad = await app.inject({ method: 'POST', url: '/v1/uploads', headers: auth, payload: { object_key: 'incoming/app/u1.jpg', client_ip: 'nope' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'input.invalid', message: expect.stringContaining('client_ip') } });
  });
});
