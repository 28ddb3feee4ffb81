import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTenant } from '../../src/db/tenants.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { startTestTollgate, type TestTollgate } from '../support/tollgate.ts';

const ORIGINAL = readFileSync('../shared/data/exif-camera-samples/images/jpg/Canon_40D.jpg');

describe.each(BACKENDS)('meta.cloned_metadata through the store on $name', (backend) => {
  let t: TestTollgate | undefined;

  beforeAll(async () => {
    if (backend.name === 'postgres' && !(await postgresAvailable())) return;
    t = await startTestTollgate(await backend.open());
    await t.startWorkers();
  });
  afterAll(async () => t?.close());

  it("flags another contributor's different picture carrying the same camera record", async (context) => {
    if (!t) return context.skip();
    const tenant = await ensureTenant(t.tollgate.db, 'cloned');
    // Different pixels, same EXIF: what pasting a real phone's metadata onto another picture looks like.
    const pasted = await sharp(ORIGINAL).flop().withMetadata().jpeg({ quality: 90 }).toBuffer();
    const upload = (bytes: Buffer, contributor: string) => t!.upload(tenant.id, bytes, { contributor_id: contributor });
    const first = await upload(ORIGINAL, 'alice');
    expect(first.signals.map((s) => s.code)).not.toContain('meta.cloned_metadata');
    const second = await upload(pasted, 'bob');
    const cloned = second.signals.find((s) => s.code === 'meta.cloned_metadata');
    expect(cloned?.severity).toBe('high');
    expect(JSON.stringify(cloned?.evidence)).toContain(first.id);
  });
});
