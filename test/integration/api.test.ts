import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createTenant } from '../../src/db/tenants.ts';
import { buildServer } from '../../src/server/app.ts';
import { BAD_INPUTS } from '../support/bad-inputs.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { startTestTollgate, type TestTollgate } from '../support/tollgate.ts';
import { multipart } from '../support/multipart.ts';

const PHOTOS = '../shared/data/object-photos';
const photo = (name: string): Buffer => readFileSync(new URL(`../../${PHOTOS}/${name}`, import.meta.url));
const MAX_BYTES = 3_000_000;

// In CI a missing PostgreSQL throws here, failing the file instead of skipping half of it.
const backends = (await postgresAvailable()) ? BACKENDS : BACKENDS.filter((b) => b.name === 'pglite');

interface UploadBody {
  id: string;
  status: string;
  repeated?: boolean;
  error: { code: string; message: string } | null;
  verdict: { decision: string; reasons: string[] } | null;
  signals: Array<{ code: string; evidence?: Record<string, unknown> }>;
  fingerprints: Record<string, unknown> | null;
  media: { mime: string; width: number } | null;
  contributor: { id: string; external_id: string } | null;
  client_ip: string | null;
  scores: Record<string, number> | null;
}

describe.each(backends)('HTTP API on $name', (backend) => {
  let t: TestTollgate;
  let app: FastifyInstance;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await startTestTollgate(await backend.open(), { TOLLGATE_MAX_BYTES: String(MAX_BYTES) });
    await t.tollgate.startWorkers();
    app = await buildServer(t.tollgate, { logger: false, verdictPollMs: 200 });
    const tenant = await createTenant(t.tollgate.db, 'api-test');
    auth = { authorization: `Bearer ${(await createApiKey(t.tollgate.db, tenant.id)).key}` };
  });
  afterAll(async () => {
    await app?.close();
    await t?.close();
  });

  async function upload(file: Buffer | null, fields: Record<string, string> = {}, query = '', fileName?: string) {
    const { payload, contentType } = await multipart(file, fields, fileName);
    return app.inject({ method: 'POST', url: `/v1/uploads${query}`, headers: { ...auth, 'content-type': contentType }, payload });
  }

  async function settled(id: string): Promise<UploadBody> {
    for (let i = 0; i < 300; i++) {
      const res = await app.inject({ method: 'GET', url: `/v1/uploads/${id}`, headers: auth });
      expect(res.statusCode).toBe(200);
      const body = res.json<UploadBody>();
      if (body.verdict) return body;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`upload ${id} got no verdict`);
  }

  let firstId = '';

  it('uploads a real photo and answers the verdict with ?wait', async () => {
    const res = await upload(photo('kite.jpg'), { fields: JSON.stringify({ contributor_id: 'alice', captured_at: '2026-11-01T10:00:00Z' }) }, '?wait=30000', 'kite.jpg');
    expect(res.statusCode).toBe(200);
    const body = res.json<UploadBody>();
    firstId = body.id;
    expect(body.status).toBe('done');
    expect(body.media).toMatchObject({ mime: 'image/jpeg' });
    expect(body.verdict?.decision).toMatch(/^(accept|review|reject)$/);
    expect(body.fingerprints).toHaveProperty('pdq');
    expect(body.scores).toHaveProperty('duplicate', 0);
    expect(body.contributor).toMatchObject({ external_id: 'alice' });
    // Not given by the client: the address the request came from.
    expect(body.client_ip).toBe('127.0.0.1');
    expect(body.signals.some((s) => s.code === 'dup.exact')).toBe(false);
  });

  it('rejects the same bytes from another contributor as dup.exact', async () => {
    const res = await upload(photo('kite.jpg'), { contributor_id: 'bob', client_ip: '203.0.113.7' }, '?wait=30000');
    expect(res.statusCode).toBe(200);
    const body = res.json<UploadBody>();
    expect(body.verdict?.decision).toBe('reject');
    expect(body.verdict?.reasons).toContain('dup.exact');
    expect(body.client_ip).toBe('203.0.113.7');
    const dup = body.signals.find((s) => s.code === 'dup.exact');
    expect(dup?.evidence).toMatchObject({ same_contributor: false });
    expect(JSON.stringify(dup?.evidence)).toContain(firstId);
    // The answer a worker of this process handed over equals what the database says afterwards.
    expect((await app.inject({ method: 'GET', url: `/v1/uploads/${body.id}`, headers: auth })).json()).toEqual(body);
  });

  it('answers 202 without waiting, and the same id for a repeated idempotency key', async () => {
    const first = await upload(photo('eagle.jpg'), { contributor_id: 'carol', idempotency_key: 'eagle-1' });
    expect(first.statusCode).toBe(202);
    // This process's idle worker took the upload in the ingest's own commit (JobQueue.reserveUpload).
    expect(first.json()).toMatchObject({ status: 'processing', repeated: false });
    const again = await upload(photo('eagle.jpg'), { contributor_id: 'carol', idempotency_key: 'eagle-1' });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ id: first.json<{ id: string }>().id, repeated: true });
    const done = await settled(first.json<{ id: string }>().id);
    expect(done.signals.some((s) => s.code === 'dup.exact')).toBe(false);
    // Waiting on a repeat answers the earlier upload's verdict.
    const waited = await upload(photo('eagle.jpg'), { contributor_id: 'carol', idempotency_key: 'eagle-1' }, '?wait=10000');
    expect(waited.statusCode).toBe(200);
    expect(waited.json<UploadBody>()).toMatchObject({ id: first.json<{ id: string }>().id, verdict: { decision: done.verdict?.decision } });
  });

  it('keeps every bad input, ends it as status error with its specific code and a verdict', async () => {
    const accepted = await Promise.all(
      BAD_INPUTS.map(async (input) => {
        const res = await upload(input.bytes, { contributor_id: 'mallory' }, '', input.fileName);
        expect(res.statusCode, input.name).toBe(202);
        return { input, id: res.json<{ id: string }>().id };
      }),
    );
    const outcomes = await Promise.all(accepted.map(async ({ input, id }) => ({ input, body: await settled(id) })));
    for (const { input, body } of outcomes) {
      expect({ name: input.name, status: body.status, code: body.error?.code }).toEqual({ name: input.name, status: 'error', code: input.expectedCode });
      expect(body.verdict?.decision, input.name).toMatch(/^(review|reject)$/);
    }
    const listed = await app.inject({ method: 'GET', url: '/v1/uploads?status=error&limit=500', headers: auth });
    expect(listed.json<{ items: unknown[] }>().items.length).toBe(BAD_INPUTS.length);
  });

  it('refuses an oversized file with 413 media.too_large and records nothing', async () => {
    const before = (await app.inject({ method: 'GET', url: '/v1/uploads?limit=500', headers: auth })).json<{ items: unknown[] }>().items.length;
    const res = await upload(Buffer.alloc(MAX_BYTES + 1, 0xab), { contributor_id: 'dave' });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: { code: 'media.too_large' } });
    const after = (await app.inject({ method: 'GET', url: '/v1/uploads?limit=500', headers: auth })).json<{ items: unknown[] }>().items.length;
    expect(after).toBe(before);
  });

  it('answers 401 without or with a wrong API key', async () => {
    const none = await app.inject({ method: 'GET', url: '/v1/uploads' });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ error: { code: 'auth.missing' } });
    const wrong = await app.inject({ method: 'GET', url: '/v1/uploads', headers: { authorization: 'Bearer tg_not-a-key' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: { code: 'auth.invalid' } });
    const basic = await app.inject({ method: 'GET', url: '/v1/uploads', headers: { authorization: 'Basic dTpw' } });
    expect(basic.json()).toMatchObject({ error: { code: 'auth.invalid' } });
  });

  /** A client that died mid-upload: the body stops inside the file part. */
  async function truncatedMultipart() {
    const { payload, contentType } = await multipart(photo('dog.jpg'));
    return app.inject({ method: 'POST', url: '/v1/uploads', headers: { ...auth, 'content-type': contentType }, payload: payload.subarray(0, 50_000) });
  }

  it('answers 400 input.invalid naming the field for invalid requests', async () => {
    const cases: Array<[Awaited<ReturnType<typeof upload>>, RegExp]> = [
      [await upload(photo('dog.jpg'), { client_ip: 'not-an-ip' }), /client_ip/],
      [await upload(photo('dog.jpg'), { captured_at: 'yesterday' }), /captured_at/],
      [await upload(photo('dog.jpg'), { fields: '{not json' }), /fields: not valid JSON/],
      [await upload(photo('dog.jpg'), { colour: 'red' }), /unknown form field "colour"/],
      [await upload(photo('dog.jpg'), { device: JSON.stringify({ model: 'Pixel 8' }) }), /device\.id/],
      [await upload(photo('dog.jpg'), { task: JSON.stringify({ spec: {} }) }), /task: needs task_id/],
      [await upload(null, { contributor_id: 'x' }), /file: missing/],
      [await upload(photo('dog.jpg'), { fields: JSON.stringify({ contributor_id: 'a' }), contributor_id: 'b' }), /contributor_id: given both/],
      [await app.inject({ method: 'POST', url: '/v1/uploads', headers: auth, payload: { contributor_id: 'x' } }), /object_key/],
      // Filesystem blobs: an object reference cannot be resolved, and the message says why.
      [await app.inject({ method: 'POST', url: '/v1/uploads', headers: auth, payload: { object_key: 'in/bucket.jpg' } }), /S3/],
      [await app.inject({ method: 'POST', url: '/v1/uploads?wait=999999', headers: auth, payload: { object_key: 'a' } }), /wait/],
      [await app.inject({ method: 'GET', url: '/v1/uploads?cursor=garbage', headers: auth }), /cursor/],
      [await truncatedMultipart(), /malformed multipart body/],
      [await app.inject({ method: 'POST', url: '/v1/uploads', headers: { ...auth, 'content-type': 'multipart/form-data' }, payload: 'x' }), /malformed multipart body/],
      [await app.inject({ method: 'PUT', url: '/v1/tasks/t1', headers: auth, payload: { spec: {}, given: 'now' } }), /unknown property "given"/],
      [await app.inject({ method: 'PUT', url: '/v1/policy', headers: auth, payload: { rules: [{ match: 'Bad Code!', action: 'reject' }] } }), /rules\.0\.match/],
      [await app.inject({ method: 'PUT', url: '/v1/webhook', headers: auth, payload: { url: 'ftp://x', secret: 's'.repeat(16) } }), /url/],
      [await app.inject({ method: 'POST', url: `/v1/review/items/${firstId}/decision`, headers: auth, payload: { decision: 'maybe', reviewer: 'r' } }), /decision/],
    ];
    for (const [res, message] of cases) {
      expect(res.statusCode, res.body).toBe(400);
      const body = res.json<{ error: { code: string; message: string } }>();
      expect(body.error.code).toBe('input.invalid');
      expect(body.error.message).toMatch(message);
    }
  });

  it('lists uploads with filters and a cursor, and finds contributors by external id', async () => {
    const page1 = (await app.inject({ method: 'GET', url: '/v1/uploads?limit=2', headers: auth })).json<{ items: Array<{ id: string }>; next_cursor: string }>();
    expect(page1.items).toHaveLength(2);
    const page2 = (await app.inject({ method: 'GET', url: `/v1/uploads?limit=2&cursor=${page1.next_cursor}`, headers: auth })).json<{ items: Array<{ id: string }> }>();
    expect(page2.items).toHaveLength(2);
    expect(page2.items.map((i) => i.id)).not.toContain(page1.items[0]!.id);
    const all = (await app.inject({ method: 'GET', url: '/v1/uploads?limit=500', headers: auth })).json<{ items: Array<{ id: string }> }>().items.map((i) => i.id);
    expect([...page1.items, ...page2.items].map((i) => i.id)).toEqual(all.slice(0, 4));

    const byAlice = (await app.inject({ method: 'GET', url: '/v1/uploads?contributor=alice', headers: auth })).json<{ items: Array<{ id: string }> }>();
    expect(byAlice.items.map((i) => i.id)).toEqual([firstId]);
    const rejected = (await app.inject({ method: 'GET', url: '/v1/uploads?decision=reject&contributor=bob', headers: auth })).json<{ items: unknown[] }>();
    expect(rejected.items).toHaveLength(1);

    const alice = await app.inject({ method: 'GET', url: '/v1/contributors/alice', headers: auth });
    expect(alice.json()).toMatchObject({ external_id: 'alice', uploads: 1 });
    const byId = await app.inject({ method: 'GET', url: `/v1/contributors/${alice.json<{ id: string }>().id}`, headers: auth });
    expect(byId.json()).toMatchObject({ external_id: 'alice' });
    expect((await app.inject({ method: 'GET', url: '/v1/contributors/nobody', headers: auth })).statusCode).toBe(404);
    const contributors = (await app.inject({ method: 'GET', url: '/v1/contributors?limit=1', headers: auth })).json<{ items: unknown[]; next_cursor: string | null }>();
    expect(contributors.items).toHaveLength(1);
    expect(contributors.next_cursor).not.toBeNull();
  });

  it('stores devices and tasks as the app reports them', async () => {
    const device = JSON.stringify({ id: 'phone-1', model: 'Pixel 8', os: 'Android 15', app_version: '3.2.1' });
    const res = await upload(photo('horses.jpg'), { contributor_id: 'erin', device, task_id: 'trash-1' }, '?wait=30000');
    expect(res.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/v1/uploads/${res.json<UploadBody>().id}`, headers: auth })).json()).toEqual(res.json());
    expect((await app.inject({ method: 'GET', url: '/v1/devices/phone-1', headers: auth })).json()).toMatchObject({ model: 'Pixel 8', os: 'Android 15', uploads: 1 });
    const put = await app.inject({
      method: 'PUT',
      url: '/v1/tasks/trash-1',
      headers: auth,
      payload: { spec: { media: 'video', min_seconds: 5 }, given_at: '2026-11-20T08:00:00Z' },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ external_id: 'trash-1', spec: { media: 'video', min_seconds: 5 } });
    const task = await app.inject({ method: 'GET', url: `/v1/tasks/${put.json<{ id: string }>().id}`, headers: auth });
    expect(task.json()).toMatchObject({ external_id: 'trash-1', uploads: 1, given_at: '2026-11-20T08:00:00.000Z' });
    expect((await app.inject({ method: 'GET', url: '/v1/tasks', headers: auth })).json<{ items: unknown[] }>().items).toHaveLength(1);
  });

  it('versions the tenant policy', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/policy', headers: auth })).json()).toMatchObject({ version: 0 });
    const put = await app.inject({ method: 'PUT', url: '/v1/policy', headers: auth, payload: { rules: [{ match: 'meta.*', action: 'review' }] } });
    expect(put.json()).toMatchObject({ version: 1 });
    const again = await app.inject({ method: 'PUT', url: '/v1/policy', headers: auth, payload: { score_thresholds: { ai_generated: { review: 0.4 } } } });
    expect(again.json()).toMatchObject({ version: 2 });
    expect((await app.inject({ method: 'GET', url: '/v1/policy', headers: auth })).json()).toMatchObject({ version: 2, spec: { score_thresholds: { ai_generated: { review: 0.4 } } } });
  });

  it('serves OpenAPI with a schema for every route, docs, metrics and health', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters?: unknown[] }>> }>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(Object.keys(op.responses), `${method} ${path}`).toContainEqual(expect.stringMatching(/^2\d\d$/));
        if (path.startsWith('/v1/')) expect(Object.keys(op.responses), `${method} ${path}`).toContain('401');
        if (path.includes('{id}')) expect(op.parameters, `${method} ${path}`).toContainEqual(expect.objectContaining({ name: 'id', in: 'path' }));
      }
    }
    expect(doc.paths['/v1/uploads']?.['post']).toHaveProperty('requestBody.content.multipart/form-data');
    const docs = await app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/html/);

    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.body).toMatch(/^tollgate_uploads_received_total\{source="multipart"\} \d+$/m);
    expect(metrics.body).toMatch(/^tollgate_verdicts_total\{decision="reject"\} \d+$/m);
    expect(metrics.body).toMatch(/^tollgate_processing_seconds_count \d+$/m);
    expect(metrics.body).toMatch(/^tollgate_queue_depth\{queue="upload-process"\} \d+$/m);
    expect(metrics.body).toMatch(/^tollgate_http_request_duration_seconds_bucket\{le="\+Inf",method="POST",route="\/v1\/uploads",status="413"\} 1$/m);
    expect(metrics.body).not.toContain('api-test');

    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({ status: 'ready', checks: { db: 'ok', queue: 'ok' } });
    const missing = await app.inject({ method: 'GET', url: '/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'input.not_found' } });
  });
});
