import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBank } from '../../src/banks/banks.ts';
import { importBank } from '../../src/banks/import.ts';
import { openBankSource } from '../../src/banks/sources/index.ts';
import { ensureTenant } from '../../src/db/tenants.ts';
import type { KeypointSet } from '../../src/fingerprint/keypoints/extract.ts';
import { storeLookups } from '../../src/uploads/lookups.ts';
import type { UploadReport } from '../../src/uploads/report.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { startTestTollgate, type TestTollgate } from '../support/tollgate.ts';

const PHOTOS = '../shared/data/object-photos';
const photo = (name: string): Buffer => readFileSync(join(PHOTOS, name));

/** The middle half of the width and height: a quarter of the picture, which PDQ no longer recognises. */
async function heavyCrop(bytes: Buffer): Promise<Buffer> {
  const { width = 0, height = 0 } = await sharp(bytes).metadata();
  return sharp(bytes)
    .extract({ left: Math.round(width / 4), top: Math.round(height / 4), width: Math.round(width / 2), height: Math.round(height / 2) })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/** The picture pasted at 60 % of a phone's width into a social app's frame: status bar, header, caption, navigation. */
async function phoneScreenshot(bytes: Buffer): Promise<Buffer> {
  const picture = await sharp(bytes).resize(650).toBuffer();
  const { height = 0 } = await sharp(picture).metadata();
  const svg = (h: number, body: string): Buffer => Buffer.from(`<svg width="1080" height="${h}">${body}</svg>`);
  const text = (y: number, size: number, fill: string, words: string): string => `<text x="60" y="${y}" font-family="DejaVu Sans" font-size="${size}" fill="${fill}">${words}</text>`;
  return sharp({ create: { width: 1080, height: 2340, channels: 3, background: '#ffffff' } })
    .composite([
      { input: svg(100, `<rect width="1080" height="100" fill="#000"/>${text(70, 44, '#fff', '9:41')}`), top: 0, left: 0 },
      { input: svg(160, `<rect width="1080" height="160" fill="#1877f2"/>${text(105, 60, '#fff', 'friendsbook')}`), top: 100, left: 0 },
      { input: svg(120, text(80, 44, '#222', 'Look what I saw on my walk today!')), top: 320, left: 0 },
      { input: picture, top: 480, left: 215 },
      { input: svg(120, text(80, 40, '#555', '128 likes · 14 comments')), top: 500 + height, left: 0 },
      { input: svg(170, `<rect width="1080" height="170" fill="#f0f0f0"/>`), top: 2170, left: 0 },
    ])
    .png()
    .toBuffer();
}

/** Issue 3's done-means with the default configuration: local features on for bank images, automatically. */
describe.each(BACKENDS)('bank copies with the default configuration on $name', (backend) => {
  let t: TestTollgate | undefined;
  let refs: string;

  beforeAll(async () => {
    if (backend.name === 'postgres' && !(await postgresAvailable())) return;
    t = await startTestTollgate(await backend.open());
    expect(t.tollgate.config.matching?.local.mode).toBe('auto');
    await t.startWorkers();
    refs = mkdtempSync(join(tmpdir(), 'tollgate-auto-refs-'));
    cpSync(join(PHOTOS, 'horses.jpg'), join(refs, 'horses.jpg'));
    cpSync(join(PHOTOS, 'eagle.jpg'), join(refs, 'eagle.jpg'));
  });
  afterAll(async () => {
    await t?.close();
    if (refs) rmSync(refs, { recursive: true, force: true });
  });

  const upload = (tenantId: string, bytes: Buffer): Promise<UploadReport> => t!.upload(tenantId, bytes, { contributor_id: 'mallory' });
  const refMatch = (r: UploadReport) => r.signals.find((s) => s.code === 'ref.match');

  it('rejects a heavy crop, a mirrored one and a phone screenshot of a bank image with ref.match naming the entry and its source', async (context) => {
    if (!t) return context.skip();
    const tenantId = (await ensureTenant(t.tollgate.db, 'auto-banks')).id;
    const bank = await createBank(t.tollgate.db, tenantId, 'stock-library', 'stock');
    const summary = await importBank({ db: t.tollgate.db, limits: t.tollgate.config.limits, bank, source: await openBankSource(refs), concurrency: 1 });
    expect(summary).toMatchObject({ status: 'done', added: 2 });

    const crop = await upload(tenantId, await heavyCrop(photo('horses.jpg')));
    expect(crop.verdict?.decision).toBe('reject');
    expect(crop.verdict?.reasons).toContain('ref.match');
    expect(refMatch(crop)).toMatchObject({ evidence: { bank: 'stock-library', bank_kind: 'stock', key: 'horses.jpg', matcher: 'local', inliers: expect.any(Number) } });
    expect(refMatch(crop)?.message).toContain('horses.jpg');

    // Mirrored as well as cropped: found through the upload's mirrored keypoints.
    const mirrored = await upload(tenantId, await sharp(await heavyCrop(photo('horses.jpg'))).flop().jpeg({ quality: 85 }).toBuffer());
    expect(mirrored.verdict?.decision).toBe('reject');
    expect(refMatch(mirrored)).toMatchObject({ evidence: { key: 'horses.jpg', matcher: 'local', mirrored: true } });

    const shot = await upload(tenantId, await phoneScreenshot(photo('eagle.jpg')));
    expect(shot.verdict?.decision).toBe('reject');
    expect(shot.verdict?.reasons).toContain('ref.match');
    expect(refMatch(shot)).toMatchObject({ evidence: { bank: 'stock-library', key: 'eagle.jpg', matcher: 'local' } });

    // Uploads are only searched against banks by default: their own keypoints are never stored.
    const stored = await t.tollgate.db.query<{ n: number }>('SELECT count(*)::int AS n FROM upload_keypoints');
    expect(stored[0]!.n).toBe(0);
  });

  it('extracts keypoints only for a tenant whose banks hold images', async (context) => {
    if (!t) return context.skip();
    const local = t.tollgate.process.local!;
    const lookupsOf = async (tenant: string) => storeLookups(t!.tollgate.db, (await ensureTenant(t!.tollgate.db, tenant)).id, randomUUID(), t!.tollgate.indexes, local);
    const extract = vi.fn<() => Promise<KeypointSet>>().mockRejectedValue(new Error('extracted'));
    const withoutBanks = await lookupsOf('auto-no-banks');
    expect(withoutBanks.nearUploadsByKeypoints).toBeUndefined();
    expect(await withoutBanks.bankMatchesByKeypoints!(extract)).toEqual([]);
    expect(extract).not.toHaveBeenCalled();
    await expect((await lookupsOf('auto-banks')).bankMatchesByKeypoints!(extract)).rejects.toThrow('extracted');
    expect(extract).toHaveBeenCalledOnce();
  });
});
