import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createTenant } from '../../src/db/tenants.ts';
import { buildServer } from '../../src/server/app.ts';
import { SIGNATURE_HEADER, verifySignature } from '../../src/webhooks/signature.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { startTestTollgate, type TestTollgate } from '../support/tollgate.ts';
import { multipart } from '../support/multipart.ts';

const photo = (name: string): Buffer => readFileSync(new URL(`../../../shared/data/object-photos/${name}`, import.meta.url));
const backends = (await postgresAvailable()) ? BACKENDS : BACKENDS.filter((b) => b.name === 'pglite');

interface Received {
  body: string;
  signature: string;
  delivery: string;
  status: number;
}

/** A webhook receiver on a real port that answers 500 to the first `failFirst` requests. */
async function startReceiver(failFirst = 0): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = received.length < failFirst ? 500 : 204;
      received.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: String(req.headers[SIGNATURE_HEADER] ?? ''),
        delivery: String(req.headers['tollgate-delivery'] ?? ''),
        status,
      });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each(backends)('webhooks on $name', (backend) => {
  let t: TestTollgate;
  let app: FastifyInstance;

  beforeAll(async () => {
    t = await startTestTollgate(await backend.open());
    await t.tollgate.startWorkers();
    app = await buildServer(t.tollgate, { logger: false, verdictPollMs: 200 });
  });
  afterAll(async () => {
    await app?.close();
    await t?.close();
  });

  async function tenantWithWebhook(name: string, url: string, secret: string): Promise<Record<string, string>> {
    const tenant = await createTenant(t.tollgate.db, name);
    const auth = { authorization: `Bearer ${(await createApiKey(t.tollgate.db, tenant.id)).key}` };
    const res = await app.inject({ method: 'PUT', url: '/v1/webhook', headers: auth, payload: { url, secret } });
    expect(res.json()).toEqual({ url, has_secret: true });
    expect((await app.inject({ method: 'GET', url: '/v1/webhook', headers: auth })).json()).toEqual({ url, has_secret: true });
    return auth;
  }

  async function upload(auth: Record<string, string>, file: Buffer, fields: Record<string, string>): Promise<{ id: string; verdict: { decision: string } }> {
    const { payload, contentType } = await multipart(file, fields);
    const res = await app.inject({ method: 'POST', url: '/v1/uploads?wait=30000', headers: { ...auth, 'content-type': contentType }, payload });
    expect(res.statusCode).toBe(200);
    return res.json();
  }

  it('signs verdict webhooks with HMAC-SHA256 that a receiver can verify', async () => {
    const receiver = await startReceiver();
    const secret = 'whsec_verdicts_0123456789';
    try {
      const auth = await tenantWithWebhook('hooks-signed', receiver.url, secret);
      const uploaded = await upload(auth, photo('giraffe.jpg'), { contributor_id: 'zoe' });
      const hit = await until('the verdict webhook', () => receiver.received[0]);
      expect(verifySignature(secret, hit.body, hit.signature)).toBe(true);
      expect(verifySignature('some-other-secret-value', hit.body, hit.signature)).toBe(false);
      expect(verifySignature(secret, hit.body.replace('"upload.verdict"', '"upload.forged"'), hit.signature)).toBe(false);
      const payload = JSON.parse(hit.body) as Record<string, unknown>;
      expect(payload).toMatchObject({ event: 'upload.verdict', upload_id: uploaded.id, status: 'done', verdict: { decision: uploaded.verdict.decision } });
    } finally {
      await receiver.close();
    }
  });

  it('retries a receiver that fails twice until it accepts', { timeout: 120_000 }, async () => {
    const receiver = await startReceiver(2);
    const secret = 'whsec_retries_0123456789';
    try {
      const auth = await tenantWithWebhook('hooks-retry', receiver.url, secret);
      const uploaded = await upload(auth, photo('person.jpg'), { contributor_id: 'yan' });
      await until('three delivery attempts', () => (receiver.received.length >= 3 ? true : undefined), 110_000);
      expect(receiver.received.map((r) => r.status)).toEqual([500, 500, 204]);
      // Every attempt is the same delivery, signed afresh.
      expect(new Set(receiver.received.map((r) => r.delivery)).size).toBe(1);
      for (const r of receiver.received) expect(verifySignature(secret, r.body, r.signature)).toBe(true);
      const row = await until('the delivery marked delivered', async () => {
        const rows = await t.tollgate.db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM webhook_deliveries WHERE upload_id = $1', [uploaded.id]);
        return rows[0]?.status === 'delivered' ? rows[0] : undefined;
      });
      expect(row.attempts).toBe(3);
    } finally {
      await receiver.close();
    }
  });

  it('sends upload.reviewed when a reviewer decides', async () => {
    const receiver = await startReceiver();
    const secret = 'whsec_reviews_0123456789';
    try {
      const auth = await tenantWithWebhook('hooks-review', receiver.url, secret);
      // A tenant rule sends repeats of the same contributor to review instead of rejecting them.
      const policy = await app.inject({ method: 'PUT', url: '/v1/policy', headers: auth, payload: { rules: [{ match: 'dup.exact', action: 'review' }] } });
      expect(policy.statusCode).toBe(200);
      await upload(auth, photo('scream.jpg'), { contributor_id: 'xia' });
      const repeat = await upload(auth, photo('scream.jpg'), { contributor_id: 'xia' });
      expect(repeat.verdict.decision).toBe('review');

      const items = (await app.inject({ method: 'GET', url: '/v1/review/items', headers: auth })).json<{ items: Array<{ id: string; upload_id: string }> }>().items;
      const item = items.find((i) => i.upload_id === repeat.id);
      expect(item).toBeDefined();
      const claim = await app.inject({ method: 'POST', url: `/v1/review/items/${item!.id}/claim`, headers: auth, payload: { reviewer: 'rita' } });
      expect(claim.json()).toMatchObject({ status: 'claimed', claimed_by: 'rita' });
      const stolen = await app.inject({ method: 'POST', url: `/v1/review/items/${item!.id}/decision`, headers: auth, payload: { decision: 'accept', reviewer: 'sam' } });
      expect(stolen.statusCode).toBe(409);
      const decided = await app.inject({
        method: 'POST',
        url: `/v1/review/items/${item!.id}/decision`,
        headers: auth,
        payload: { decision: 'reject', reviewer: 'rita', labels: ['duplicate'], notes: 'same photo twice' },
      });
      expect(decided.statusCode).toBe(200);
      expect(decided.json()).toMatchObject({ item: { status: 'decided' } });
      const again = await app.inject({ method: 'POST', url: `/v1/review/items/${item!.id}/decision`, headers: auth, payload: { decision: 'accept', reviewer: 'rita' } });
      expect(again.statusCode).toBe(409);

      const reviewed = await until('the upload.reviewed webhook', () => receiver.received.find((r) => r.body.includes('"upload.reviewed"')));
      expect(verifySignature(secret, reviewed.body, reviewed.signature)).toBe(true);
      expect(JSON.parse(reviewed.body)).toMatchObject({ event: 'upload.reviewed', upload_id: repeat.id, decision: 'reject', reviewer: 'rita', labels: ['duplicate'] });
      const view = await app.inject({ method: 'GET', url: `/v1/uploads/${repeat.id}`, headers: auth });
      expect(view.json()).toMatchObject({ review: { item: { status: 'decided' }, decisions: [{ decision: 'reject', reviewer: 'rita', notes: 'same photo twice' }] } });
    } finally {
      await receiver.close();
    }
  });
});
