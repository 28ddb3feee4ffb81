import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createTenant } from '../../src/db/tenants.ts';
import { buildServer } from '../../src/server/app.ts';
import { freshPglite } from '../support/databases.ts';
import { startTestTollgate, type TestTollgate } from '../support/tollgate.ts';
import { multipart } from '../support/multipart.ts';

// One person's face (an AugLy frame) and another person's (immich's portrait test asset).
const SELF = readFileSync('../shared/data/near-duplicates/augly-transforms/inputs/dfdc_1.jpg');
const OTHER = readFileSync('../shared/data/immich-test-assets/metadata/faces/portrait.jpg');
const NO_FACE = readFileSync('../shared/data/object-photos/horses.jpg');

describe('face enrolment through the API, checked by self tasks', () => {
  let t: TestTollgate;
  let app: FastifyInstance;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await startTestTollgate(await freshPglite(), {}, {}, { detectorFilter: (d) => d.name.startsWith('task.') });
    await t.tollgate.startWorkers();
    app = await buildServer(t.tollgate, { logger: false });
    const tenant = await createTenant(t.tollgate.db, 'faces');
    auth = { authorization: `Bearer ${(await createApiKey(t.tollgate.db, tenant.id)).key}` };
  });
  afterAll(async () => {
    await app.close();
    await t.close();
  });

  const enrol = async (contributor: string, file: Buffer) => {
    const body = await multipart(file);
    return app.inject({ method: 'PUT', url: `/v1/contributors/${contributor}/face`, headers: { ...auth, 'content-type': body.contentType }, payload: body.payload });
  };
  const upload = async (contributor: string, file: Buffer) => {
    // Re-encoded so the bytes differ from the enrolment selfie, as a new capture would.
    const bytes = await sharp(file).jpeg({ quality: 88 }).toBuffer();
    const fields = { contributor_id: contributor, task_id: 'selfie-task', task: JSON.stringify({ spec: { media: 'image', self: true } }) };
    const body = await multipart(bytes, { fields: JSON.stringify({ ...fields, task: JSON.parse(fields.task) }) });
    const response = await app.inject({ method: 'POST', url: '/v1/uploads?wait=30000', headers: { ...auth, 'content-type': body.contentType }, payload: body.payload });
    expect(response.statusCode, response.body).toBe(200);
    return (response.json() as { signals: Array<{ code: string; evidence?: Record<string, unknown> }> }).signals.map((s) => s.code);
  };

  it('stores the face and lets the contributor pass a self task; another face or no enrolment does not', async () => {
    const enrolled = await enrol('alice', SELF);
    expect(enrolled.statusCode).toBe(201);
    expect(enrolled.json()).toMatchObject({ model: expect.stringMatching(/^human-/) });

    const own = await upload('alice', SELF);
    expect(own.filter((code) => code.startsWith('task.self'))).toEqual([]);
    expect(await upload('alice', OTHER)).toContain('task.self_mismatch');
    expect(await upload('bob', SELF)).toContain('task.self_not_enrolled');
  }, 240_000);

  it('refuses a selfie without a face and an unknown id of ours', async () => {
    const noFace = await enrol('carol', NO_FACE);
    expect(noFace.statusCode).toBe(400);
    expect(noFace.json()).toMatchObject({ error: { code: 'input.invalid' } });
    const unknown = await enrol('00000000-0000-4000-8000-000000000000', SELF);
    expect(unknown.statusCode).toBe(404);
  }, 120_000);
});
