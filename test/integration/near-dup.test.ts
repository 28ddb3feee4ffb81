import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureTenant } from '../../src/db/tenants.ts';
import { ingestBytes } from '../../src/uploads/ingest.ts';
import { processUpload } from '../../src/uploads/process.ts';
import { uploadReport, type UploadReport } from '../../src/uploads/report.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { startDupOnlyTollgate, type TestTollgate } from '../support/tollgate.ts';

const dupOnlyTollgate = startDupOnlyTollgate;

const photo = (name: string): Buffer => readFileSync(`../shared/data/object-photos/${name}`);
const GIRAFFE = photo('giraffe.jpg');
const HORSES = photo('horses.jpg');
const KITE = photo('kite.jpg');
const DOG = photo('dog.jpg');

/** Copies a fraud would submit: smaller and recompressed, turned on its side, converted to WebP. */
const resized = (b: Buffer) => sharp(b).resize(800).jpeg({ quality: 60 }).toBuffer();
const rotated = (b: Buffer) => sharp(b).rotate(90).jpeg({ quality: 85 }).toBuffer();
const webp = (b: Buffer) => sharp(b).webp({ quality: 50 }).toBuffer();

describe.each(BACKENDS)('near duplicates on $name', (backend) => {
  let t: TestTollgate | undefined;
  let tenantId: string;

  beforeAll(async () => {
    if (backend.name === 'postgres' && !(await postgresAvailable())) return;
    t = await dupOnlyTollgate(await backend.open());
    await t.startWorkers();
    tenantId = (await ensureTenant(t.tollgate.db, 'near-dup')).id;
  });
  afterAll(async () => t?.close());

  const upload = (bytes: Buffer, contributor: string): Promise<UploadReport> => t!.upload(tenantId, bytes, { contributor_id: contributor });
  const signal = (r: UploadReport, code: string) => r.signals.find((s) => s.code === code);

  it("sends the contributor's own resized, rotated or re-encoded copy to review as dup.near", async (context) => {
    if (!t) return context.skip();
    const original = await upload(GIRAFFE, 'alice');
    expect(original.verdict?.decision).toBe('accept');
    for (const make of [resized, rotated, webp]) {
      const copy = await upload(await make(GIRAFFE), 'alice');
      expect(copy.verdict, make.name).toEqual({ decision: 'review', reasons: ['dup.near'] });
      expect(signal(copy, 'dup.near')?.evidence, make.name).toMatchObject({
        matched_upload: original.id,
        same_contributor: true,
        earlier_decision: 'accept',
        distance: expect.any(Number),
      });
      expect(signal(copy, 'dup.cross_account'), make.name).toBeUndefined();
    }
    const turned = await upload(await rotated(GIRAFFE), 'alice');
    expect(signal(turned, 'dup.near')?.evidence?.['variant']).not.toBe('original');
  });

  it('finds the copy with the index brought up to date in the ingest, without a catch-up of its own', async (context) => {
    if (!t) return context.skip();
    const original = await upload(DOG, 'frank');
    // The idle worker takes the copy at once: its ingest's batch read the original's hashes.
    const catchUps = vi.spyOn(t.tollgate.indexes, 'catchUp');
    try {
      const copy = await upload(await webp(DOG), 'frank');
      expect(signal(copy, 'dup.near')?.evidence).toMatchObject({ matched_upload: original.id });
      expect(catchUps).not.toHaveBeenCalled();
    } finally {
      catchUps.mockRestore();
    }
  });

  it("rejects someone else's copy as dup.cross_account, a different reason from the own re-upload", async (context) => {
    if (!t) return context.skip();
    const original = await upload(HORSES, 'bob');
    const copy = await upload(await resized(HORSES), 'carol');
    expect(copy.verdict).toEqual({ decision: 'reject', reasons: ['dup.cross_account'] });
    expect(signal(copy, 'dup.cross_account')).toMatchObject({
      severity: 'critical',
      evidence: { matched_upload: original.id, match: 'near', same_contributor: false, earlier_decision: 'accept' },
    });
    expect(signal(copy, 'dup.near')).toBeUndefined();
    // The exact same bytes by another account: dup.exact and dup.cross_account together.
    const exact = await upload(HORSES, 'dave');
    expect(exact.verdict?.decision).toBe('reject');
    expect(exact.verdict?.reasons).toEqual(expect.arrayContaining(['dup.exact', 'dup.cross_account']));
    expect(signal(exact, 'dup.cross_account')?.evidence).toMatchObject({ match: 'exact', distance: 0 });
  });

  it('only counts earlier uploads and leaves unrelated photos alone', async (context) => {
    if (!t) return context.skip();
    const kite = await upload(KITE, 'erin');
    expect(kite.signals.filter((s) => s.code.startsWith('dup.'))).toEqual([]);
    expect(kite.verdict?.decision).toBe('accept');
    // The original's report was written before its copies existed and stays without a dup signal.
    const rows = await t.tollgate.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM signals s JOIN uploads u ON u.id = s.upload_id WHERE u.tenant_id = $1 AND s.code LIKE 'dup.%' AND u.contributor_id IS NOT NULL AND s.evidence->>'matched_upload' = s.upload_id::text",
      [tenantId],
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('finds heavy crops and tilted copies PDQ misses through the local-feature matcher', async (context) => {
    if (!t) return context.skip();
    const original = await upload(photo('eagle.jpg'), 'gina');
    const { width = 0, height = 0 } = await sharp(photo('eagle.jpg')).metadata();
    const crop = await sharp(photo('eagle.jpg'))
      .extract({ left: Math.round(width * 0.25), top: Math.round(height * 0.25), width: Math.round(width / 2), height: Math.round(height / 2) })
      .jpeg({ quality: 80 })
      .toBuffer();
    const own = await upload(crop, 'gina');
    expect(own.verdict).toEqual({ decision: 'review', reasons: ['dup.near'] });
    expect(signal(own, 'dup.near')?.evidence).toMatchObject({ matched_upload: original.id, matcher: 'local', inliers: expect.any(Number), same_contributor: true });
    const tilted = await upload(await sharp(photo('eagle.jpg')).rotate(17, { background: '#000000' }).jpeg().toBuffer(), 'hank');
    expect(tilted.verdict).toEqual({ decision: 'reject', reasons: ['dup.cross_account'] });
    expect(signal(tilted, 'dup.cross_account')?.evidence).toMatchObject({ match: 'near', matcher: 'local', same_contributor: false });
    expect(signal(tilted, 'dup.cross_account')?.message).toContain('local features agree');
  });
});

describe.each(BACKENDS)('near duplicates through the queue on $name', (backend) => {
  let t: TestTollgate | undefined;
  let tenantId: string;

  beforeAll(async () => {
    if (backend.name === 'postgres' && !(await postgresAvailable())) return;
    // No consumer: every upload goes through the queue and is claimed by processUpload.
    t = await dupOnlyTollgate(await backend.open());
    await t.tollgate.indexes.start();
    tenantId = (await ensureTenant(t.tollgate.db, 'near-dup-queue')).id;
  });
  afterAll(async () => t?.close());

  const processed = async (bytes: Buffer): Promise<UploadReport> => {
    const { uploadId } = await ingestBytes(t!.tollgate, tenantId, bytes, { contributor_id: 'hana' });
    expect((await processUpload(t!.tollgate.process, uploadId)).outcome).toBe('decided');
    return (await uploadReport(t!.tollgate.db, tenantId, uploadId))!;
  };

  it('finds the copy with the index brought up to date in the claim, without a catch-up of its own', async (context) => {
    if (!t) return context.skip();
    const original = await processed(KITE);
    const catchUps = vi.spyOn(t.tollgate.indexes, 'catchUp');
    try {
      const copy = await processed(await resized(KITE));
      expect(copy.signals.find((s) => s.code === 'dup.near')?.evidence).toMatchObject({ matched_upload: original.id });
      expect(catchUps).not.toHaveBeenCalled();
    } finally {
      catchUps.mockRestore();
    }
  });
});
