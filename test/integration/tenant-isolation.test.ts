import { readFileSync } from 'node:fs';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createTenant } from '../../src/db/tenants.ts';
import { buildServer, registeredRoutes, type RegisteredRoute } from '../../src/server/app.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { startTestTollgate, type TestTollgate } from '../support/tollgate.ts';
import { multipart } from '../support/multipart.ts';

const photo = (name: string): Buffer => readFileSync(new URL(`../../../shared/data/object-photos/${name}`, import.meta.url));
const backends = (await postgresAvailable()) ? BACKENDS : BACKENDS.filter((b) => b.name === 'pglite');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A minimal valid value for a JSON schema, so a route added later gets a plausible body without this
 * test knowing it. Routes this test does know get a realistic body from `KNOWN_BODIES` instead.
 */
function exampleFor(schema: unknown): Json {
  if (typeof schema !== 'object' || schema === null) return {};
  const s = schema as Record<string, unknown>;
  if (s['content'] && typeof s['content'] === 'object') {
    const json = (s['content'] as Record<string, { schema?: unknown }>)['application/json'];
    return exampleFor(json?.schema);
  }
  if (Array.isArray(s['enum'])) return s['enum'][0] as Json;
  const types = [s['type']].flat().filter((t) => t !== 'null');
  switch (types[0]) {
    case 'object': {
      const props = (s['properties'] ?? {}) as Record<string, unknown>;
      const required = (s['required'] ?? []) as string[];
      return Object.fromEntries(required.map((name) => [name, exampleFor(props[name])]));
    }
    case 'array':
      return [];
    case 'integer':
    case 'number':
      return typeof s['minimum'] === 'number' ? s['minimum'] : 1;
    case 'boolean':
      return true;
    case 'string':
      if (s['format'] === 'date-time') return new Date().toISOString();
      return 'x'.repeat(Math.max(1, typeof s['minLength'] === 'number' ? s['minLength'] : 1));
    default:
      return {};
  }
}

describe.each(backends)('tenant isolation on $name', (backend) => {
  let t: TestTollgate;
  let app: FastifyInstance;
  let authA: Record<string, string>;
  let authB: Record<string, string>;
  /** Everything of A's that B must never see, by what it is. */
  const a = { tenantId: '', uploadId: '', reviewItemId: '', contributorId: '', deviceId: '', taskId: '', sha256: '' };
  const MARKER = 'a-private-7f3c9e';
  const A_WEBHOOK = `http://127.0.0.1:9/${MARKER}`;

  beforeAll(async () => {
    t = await startTestTollgate(await backend.open());
    await t.tollgate.startWorkers();
    app = await buildServer(t.tollgate, { logger: false, verdictPollMs: 200 });
    const tenantA = await createTenant(t.tollgate.db, 'tenant-a');
    const tenantB = await createTenant(t.tollgate.db, 'tenant-b');
    a.tenantId = tenantA.id;
    authA = { authorization: `Bearer ${(await createApiKey(t.tollgate.db, tenantA.id)).key}` };
    authB = { authorization: `Bearer ${(await createApiKey(t.tollgate.db, tenantB.id)).key}` };

    // A's objects: a policy that sends repeats to review, a webhook, two uploads (the second in review), a task.
    const injectA = (opts: InjectOptions) => app.inject({ ...opts, headers: { ...authA, ...opts.headers } });
    expect((await injectA({ method: 'PUT', url: '/v1/policy', payload: { rules: [{ match: 'dup.exact', action: 'review' }] } })).statusCode).toBe(200);
    expect((await injectA({ method: 'PUT', url: '/v1/webhook', payload: { url: A_WEBHOOK, secret: `${MARKER}-secret` } })).statusCode).toBe(200);
    const fields = { contributor_id: `${MARKER}-alice`, device: JSON.stringify({ id: `${MARKER}-phone` }), task_id: `${MARKER}-task` };
    for (let i = 0; i < 2; i++) {
      const { payload, contentType } = await multipart(photo('dog.jpg'), fields);
      const res = await injectA({ method: 'POST', url: '/v1/uploads?wait=30000', headers: { 'content-type': contentType }, payload });
      expect(res.statusCode).toBe(200);
      const body = res.json<{ id: string; sha256: string; contributor: { id: string }; device: { id: string }; task: { id: string } }>();
      Object.assign(a, { uploadId: body.id, sha256: body.sha256, contributorId: body.contributor.id, deviceId: body.device.id, taskId: body.task.id });
    }
    expect((await injectA({ method: 'PUT', url: `/v1/tasks/${MARKER}-task`, payload: { spec: { secret: MARKER } } })).statusCode).toBe(200);
    const items = (await injectA({ method: 'GET', url: '/v1/review/items' })).json<{ items: Array<{ id: string; upload_id: string }> }>().items;
    a.reviewItemId = items.find((i) => i.upload_id === a.uploadId)!.id;
  });
  afterAll(async () => {
    await app?.close();
    await t?.close();
  });

  /** Values a param may take: each of A's objects by our id, and by the app's external id where it has one. */
  const candidates = (): string[] => [a.uploadId, a.reviewItemId, a.contributorId, a.deviceId, a.taskId, `${MARKER}-alice`, `${MARKER}-phone`, `${MARKER}-task`];
  const forbidden = (): string[] => [a.tenantId, a.sha256, MARKER, ...candidates()];

  async function requestAsB(route: RegisteredRoute, url: string): Promise<{ status: number; body: string; sent: string }> {
    if (route.method === 'POST' && route.url === '/v1/uploads') {
      // Other bytes than A's: the same bytes would rightly carry the same sha256 (tested separately below).
      const { payload, contentType } = await multipart(photo('eagle.jpg'), { contributor_id: 'bob' });
      const res = await app.inject({ method: 'POST', url: `${url}?wait=30000`, headers: { ...authB, 'content-type': contentType }, payload });
      return { status: res.statusCode, body: res.body, sent: url };
    }
    const known: Record<string, Json> = {
      'PUT /v1/webhook': { url: 'http://127.0.0.1:9/b', secret: 'b'.repeat(16) },
      'PUT /v1/policy': { rules: [] },
      'POST /v1/review/items/:id/decision': { decision: 'accept', reviewer: 'bob' },
    };
    const hasBody = route.method !== 'GET' && route.method !== 'DELETE' && route.method !== 'HEAD';
    const payload = known[`${route.method} ${route.url}`] ?? exampleFor(route.bodySchema);
    const res = await app.inject({
      method: route.method as InjectOptions['method'],
      url,
      headers: hasBody ? { ...authB, 'content-type': 'application/json' } : authB,
      ...(hasBody ? { payload: JSON.stringify(payload) } : {}),
    });
    return { status: res.statusCode, body: res.body, sent: `${url} ${JSON.stringify(payload)}` };
  }

  it('walks every registered route as tenant B and never reaches A\'s objects', async () => {
    const routes = registeredRoutes(app).filter((r) => r.authenticated && r.method !== 'HEAD' && r.method !== 'OPTIONS');
    // The walk must see the routes we know of; anything added later is walked the same way.
    expect(routes.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining(['POST /v1/uploads', 'GET /v1/uploads/:id', 'GET /v1/uploads/:id/ela.png', 'POST /v1/review/items/:id/decision', 'PUT /v1/policy', 'PUT /v1/webhook', 'PUT /v1/tasks/:id']),
    );
    let walked = 0;
    for (const route of routes) {
      const params = route.url.match(/:[A-Za-z_]+/g) ?? [];
      const urls = params.length === 0 ? [route.url] : candidates().map((value) => params.reduce((u, p) => u.replace(p, encodeURIComponent(value)), route.url));
      for (const url of urls) {
        const res = await requestAsB(route, url);
        walked++;
        const what = `${route.method} ${url} → ${res.status} ${res.body.slice(0, 200)}`;
        expect(res.status, what).toBeLessThan(500);
        expect(res.status, what).not.toBe(401);
        if (params.length > 0 && route.method !== 'PUT') expect(res.status, what).toBe(404);
        // A PUT may create B's own object under a name A also uses; what it may never do is show A's.
        for (const value of forbidden()) if (!res.sent.includes(value)) expect(res.body, `${what} leaks ${value}`).not.toContain(value);
        if (params.length === 0 && route.method === 'GET' && res.status === 200) {
          const body = JSON.parse(res.body) as { items?: unknown[] };
          // B's lists hold only what B made during this walk (its own upload, contributor and tasks).
          if (Array.isArray(body.items)) for (const item of body.items) expect(JSON.stringify(item)).not.toContain(MARKER + '-alice');
        }
      }
    }
    expect(walked).toBeGreaterThan(routes.length);
  });

  it("leaves A's objects as they were, and B's upload of the same bytes is not A's duplicate", async () => {
    const getA = (url: string) => app.inject({ method: 'GET', url, headers: authA });
    expect((await getA('/v1/policy')).json()).toMatchObject({ version: 1 });
    expect((await getA('/v1/webhook')).json()).toEqual({ url: A_WEBHOOK, has_secret: true });
    expect((await getA(`/v1/tasks/${MARKER}-task`)).json()).toMatchObject({ spec: { secret: MARKER } });
    expect((await getA(`/v1/uploads/${a.uploadId}`)).json()).toMatchObject({ review: { item: { status: 'open' }, decisions: [] } });
    const ela = await getA(`/v1/uploads/${a.uploadId}/ela.png`);
    expect(ela.headers['content-type']).toBe('image/png');
    expect(ela.rawPayload.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect((await getA('/v1/review/items')).json<{ items: Array<{ id: string }> }>().items.map((i) => i.id)).toContain(a.reviewItemId);

    const { payload, contentType } = await multipart(photo('dog.jpg'), { contributor_id: 'bob' });
    const same = await app.inject({ method: 'POST', url: '/v1/uploads?wait=30000', headers: { ...authB, 'content-type': contentType }, payload });
    expect(same.json()).toMatchObject({ sha256: a.sha256, status: 'done' });
    const bUploads = (await app.inject({ method: 'GET', url: '/v1/uploads', headers: authB })).json<{ items: Array<{ id: string; sha256: string }> }>().items;
    expect(bUploads.length).toBeGreaterThan(0);
    for (const u of bUploads) {
      const view = (await app.inject({ method: 'GET', url: `/v1/uploads/${u.id}`, headers: authB })).json<{ signals: Array<{ code: string }> }>();
      expect(view.signals.map((s) => s.code)).not.toContain('dup.exact');
    }
    // B's review queue and policy are B's own.
    expect((await app.inject({ method: 'GET', url: '/v1/review/items', headers: authB })).json()).toEqual({ items: [] });
  });
});
