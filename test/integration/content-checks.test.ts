import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createTenant } from '../../src/db/tenants.ts';
import { createNsfwDetector } from '../../src/detectors/content/nsfw.ts';
import { buildServer } from '../../src/server/app.ts';
import type { NsfwProbabilities } from '../../src/vision/nsfw.ts';
import { freshPglite } from '../support/databases.ts';
import { multipart } from '../support/multipart.ts';
import { startTestTollgate, type TestTollgate } from '../support/tollgate.ts';
import { HAS_DATA, photo } from '../unit/detectors/task/helpers.ts';

interface Answer {
  verdict: { decision: string; reasons: string[] };
  signals: Array<{ code: string; severity: string; evidence?: Record<string, unknown> }>;
}

/**
 * content.nsfw per tenant: the tenant's policy (`checks.nsfw`) decides whether the pipeline runs it. The
 * classifier is injected and answers "explicit" for everything (there are no explicit images in the
 * repository), so whether a tenant's upload carries the signal shows whether the check ran for it.
 */
describe.skipIf(!HAS_DATA)('content checks chosen by each tenant policy, through the API', () => {
  let t: TestTollgate;
  let app: FastifyInstance;
  const classified: number[] = [];
  const explicit: NsfwProbabilities = { Drawing: 0, Hentai: 0.05, Neutral: 0.05, Porn: 0.9, Sexy: 0 };
  const auth: Record<'wants' | 'silent', Record<string, string>> = { wants: {}, silent: {} };

  beforeAll(async () => {
    const nsfw = createNsfwDetector(async (frame) => {
      classified.push(frame.index);
      return explicit;
    });
    // TOLLGATE_NSFW unset: `tenant`, the model may load but runs only where a policy asks for it.
    t = await startTestTollgate(await freshPglite(), {}, {}, { detectorFilter: (d) => d.name === 'quality.blank', extraDetectors: [nsfw] });
    await t.tollgate.startWorkers();
    app = await buildServer(t.tollgate, { logger: false });
    for (const name of ['wants', 'silent'] as const) {
      const tenant = await createTenant(t.tollgate.db, `nsfw-${name}`);
      auth[name] = { authorization: `Bearer ${(await createApiKey(t.tollgate.db, tenant.id)).key}` };
    }
  });
  afterAll(async () => {
    await app?.close();
    await t?.close();
  });

  const upload = async (headers: Record<string, string>): Promise<Answer> => {
    const body = await multipart(readFileSync(photo('dog.jpg')), { contributor_id: 'c1' });
    const response = await app.inject({ method: 'POST', url: '/v1/uploads?wait=30000', headers: { ...headers, 'content-type': body.contentType }, payload: body.payload });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as Answer;
  };

  it('runs content.nsfw for the tenant whose policy turns it on, and not for the other', async () => {
    const saved = await app.inject({ method: 'PUT', url: '/v1/policy', headers: auth.wants, payload: { checks: { nsfw: true } } });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json()).toMatchObject({ version: 1, spec: { checks: { nsfw: true } } });

    const wanted = await upload(auth.wants);
    expect(wanted.signals.find((s) => s.code === 'content.nsfw')).toMatchObject({ severity: 'high', evidence: { probabilities: explicit } });
    expect(wanted.verdict.reasons).toContain('content.nsfw');
    expect(classified).toHaveLength(1);

    const silent = await upload(auth.silent);
    expect(silent.signals.map((s) => s.code)).not.toContain('content.nsfw');
    expect(silent.verdict.decision).toBe('accept');
    expect(classified).toHaveLength(1);
  }, 120_000);

  it('stops running it once the tenant saves a policy that turns it off', async () => {
    await app.inject({ method: 'PUT', url: '/v1/policy', headers: auth.wants, payload: { checks: { nsfw: false } } });
    // Workers cache a tenant's policy for a few seconds.
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    const answer = await upload(auth.wants);
    expect(answer.signals.map((s) => s.code)).not.toContain('content.nsfw');
    expect(classified).toHaveLength(1);
  }, 120_000);

  it('refuses a policy with an unknown check', async () => {
    const response = await app.inject({ method: 'PUT', url: '/v1/policy', headers: auth.silent, payload: { checks: { violence: true } } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'input.invalid' } });
  });
});

describe.skipIf(!HAS_DATA)('a deployment that does not load the nsfw model (TOLLGATE_NSFW=false)', () => {
  let t: TestTollgate;
  let app: FastifyInstance;

  beforeAll(async () => {
    t = await startTestTollgate(await freshPglite(), { TOLLGATE_NSFW: 'false' }, {}, { detectorFilter: (d) => d.name === 'quality.blank' || d.name === 'content.nsfw' });
    app = await buildServer(t.tollgate, { logger: false });
  });
  afterAll(async () => {
    await app?.close();
    await t?.close();
  });

  it('has no content.nsfw detector and refuses a policy that asks for it', async () => {
    expect(t.tollgate.detectors.list().map((d) => d.name)).toEqual(['quality.blank']);
    const tenant = await createTenant(t.tollgate.db, 'nsfw-refused');
    const headers = { authorization: `Bearer ${(await createApiKey(t.tollgate.db, tenant.id)).key}` };
    const response = await app.inject({ method: 'PUT', url: '/v1/policy', headers, payload: { checks: { nsfw: true } } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'input.invalid', message: expect.stringContaining('TOLLGATE_NSFW') } });
  });
});
