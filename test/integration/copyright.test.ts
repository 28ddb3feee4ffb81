import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createTenant } from '../../src/db/tenants.ts';
import { buildServer } from '../../src/server/app.ts';
import { freshPglite } from '../support/databases.ts';
import { multipart } from '../support/multipart.ts';
import { startTestTollgate, type TestTollgate } from '../support/tollgate.ts';
import { renderWatermark } from '../support/watermarks.ts';
import { HAS_DATA, photo } from '../unit/detectors/task/helpers.ts';

interface Answer {
  verdict: { decision: string; reasons: string[] };
  scores: Record<string, number>;
  signals: Array<{ code: string; message: string; evidence?: Record<string, unknown> }>;
}

/** Copyright checks through the HTTP API with the default policy: upload → worker → OCR → verdict. */
describe.skipIf(!HAS_DATA)('copyright risk through the API', () => {
  let t: TestTollgate;
  let app: FastifyInstance;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await startTestTollgate(await freshPglite(), { TOLLGATE_OCR: 'true' }, {}, { detectorFilter: (d) => d.name.startsWith('copyright.') });
    await t.tollgate.startWorkers();
    app = await buildServer(t.tollgate, { logger: false });
    const tenant = await createTenant(t.tollgate.db, 'stock-check');
    auth = { authorization: `Bearer ${(await createApiKey(t.tollgate.db, tenant.id)).key}` };
  });
  afterAll(async () => {
    await app?.close();
    await t?.close();
  });

  const upload = async (bytes: Buffer, contributor: string): Promise<Answer> => {
    const body = await multipart(bytes, { contributor_id: contributor });
    let response = await app.inject({ method: 'POST', url: '/v1/uploads?wait=30000', headers: { ...auth, 'content-type': body.contentType }, payload: body.payload });
    // The first upload loads the OCR models; on a busy machine that can outlast one wait.
    for (let i = 0; i < 5 && response.statusCode === 202; i++) {
      const { id } = response.json() as { id: string };
      response = await app.inject({ method: 'GET', url: `/v1/uploads/${id}?wait=30000`, headers: auth });
    }
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as Answer;
  };

  it('rejects a photo carrying a Shutterstock watermark and names the agency', async () => {
    const marked = await renderWatermark(readFileSync(photo('dog.jpg')), 'Shutterstock', 'centred', 0.5);
    const answer = await upload(marked, 'mallory');
    expect(answer.verdict.decision).toBe('reject');
    expect(answer.verdict.reasons).toContain('copyright.watermark_text');
    const signal = answer.signals.find((s) => s.code === 'copyright.watermark_text');
    expect(signal?.evidence).toMatchObject({ agency: 'Shutterstock' });
    expect(signal?.message).toContain('Shutterstock');
    expect(answer.scores['copyright_risk']).toBeGreaterThanOrEqual(0.9);
  }, 180_000);

  it('accepts the same photo without the watermark', async () => {
    const answer = await upload(readFileSync(photo('dog.jpg')), 'alice');
    expect(answer.signals.filter((s) => s.code.startsWith('copyright.'))).toEqual([]);
    expect(answer.verdict.decision).toBe('accept');
  }, 180_000);
});
