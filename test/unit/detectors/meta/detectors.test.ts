import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { metaDetectors } from '../../../../src/detectors/meta/index.ts';
import { DATA_ROOT } from '../../../../src/detectors/meta/tools/corpus.ts';
import { NO_LOOKUPS, type Signal, type UploadFacts } from '../../../../src/detectors/types.ts';
import { openMedia } from '../../../../src/media/open.ts';

const hasData = existsSync(DATA_ROOT);
const file = (p: string): Buffer => readFileSync(`${DATA_ROOT}${p}`);
const hasExiftool = (() => {
  try {
    execFileSync('exiftool', ['-ver']);
    return true;
  } catch {
    return false;
  }
})();

async function run(bytes: Buffer, upload: Partial<UploadFacts> = {}): Promise<Signal[]> {
  const view = await openMedia(bytes);
  const ctx = { upload: { receivedAt: new Date('2026-01-01T00:00:00Z'), ...upload }, lookups: NO_LOOKUPS, abort: new AbortController().signal };
  const out: Signal[] = [];
  for (const d of metaDetectors) if (d.kinds.includes(view.info.kind)) out.push(...(await d.detect(view, ctx)));
  return out;
}
const codes = (s: Signal[], min: 'low' | 'medium' | 'high' = 'medium'): string[] => {
  const rank = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
  return s.filter((x) => rank[x.severity] >= rank[min]).map((x) => x.code).sort();
};

describe.skipIf(!hasData)('meta detectors on real camera files', () => {
  const NIKON = 'exif-camera-samples/images/jpg/gps/DSCN0010.jpg';
  const IXUS = 'exif-camera-samples/images/jpg/exif-org/canon-ixus.jpg';

  it('an honest Nikon original: summary, nothing above low', async () => {
    const s = await run(file(NIKON));
    expect(s.find((x) => x.code === 'meta.summary')?.message).toContain('NIKON COOLPIX P6000');
    expect(codes(s)).toEqual([]);
  });

  it('re-saving a Canon original through sharp breaks its quantization signature', async () => {
    const resaved = await sharp(file(IXUS)).withMetadata().jpeg({ quality: 90 }).toBuffer();
    expect(codes(await run(resaved), 'high')).toContain('meta.quantization_mismatch');
  });

  it('a pasted patch under the old EXIF thumbnail is seen', async () => {
    const b = file(NIKON);
    const patch = await sharp(b).extract({ left: 0, top: 0, width: 256, height: 192 }).negate().toBuffer();
    const edited = await sharp(b).composite([{ input: patch, left: 192, top: 144 }]).withMetadata().jpeg({ quality: 95 }).toBuffer();
    expect(codes(await run(edited))).toContain('meta.thumbnail_mismatch');
  });

  it('capture before the task, stripped for a fresh-capture task, device mismatch', async () => {
    const b = file(NIKON);
    const task = { spec: { capture: 'fresh' }, givenAt: new Date('2009-01-01T00:00:00Z') };
    expect(codes(await run(b, { task }), 'high')).toContain('meta.capture_before_task');
    const bare = await sharp(b).jpeg().toBuffer();
    expect(codes(await run(bare, { task }))).toContain('meta.stripped');
    expect(codes(await run(b, { device: { model: 'iPhone 14', os: 'iOS 17.4' } }), 'high')).toContain('meta.device_mismatch');
  });

  it('editor software and XMP history on a Photoshop export', async () => {
    const s = await run(file('immich-test-assets/albums/nature/prairie_falcon.jpg'));
    expect(codes(s)).toEqual(expect.arrayContaining(['meta.edit_software', 'meta.edit_history']));
    expect(s.find((x) => x.code === 'meta.edit_software')?.message).toContain('Adobe Photoshop 23.4');
  });

  it.skipIf(!hasExiftool)('dates moved with exiftool and a swapped Make are caught', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meta-test-'));
    const p = join(dir, 'a.jpg');
    writeFileSync(p, file(IXUS));
    execFileSync('exiftool', ['-q', '-overwrite_original', '-DateTimeOriginal=2001:09:01 10:00:00', p]);
    expect(codes(await run(readFileSync(p)))).toContain('meta.date_inconsistent');
    writeFileSync(p, file(NIKON));
    execFileSync('exiftool', ['-q', '-overwrite_original', '-Make=Apple', '-Model=iPhone 14 Pro', p]);
    expect(codes(await run(readFileSync(p)))).toEqual(expect.arrayContaining(['meta.exif_inconsistent']));
  });

  it('future dates relative to the upload', async () => {
    const s = await run(file(NIKON), { receivedAt: new Date('2008-10-01T00:00:00Z') });
    expect(codes(s, 'high')).toContain('meta.future_date');
  });
});

describe('video container tags', () => {
  it('flags Lavf re-encodes and screen recorders from ffprobe-style tags', async () => {
    const { videoReencoded, screenRecording } = await import('../../../../src/detectors/meta/index.ts');
    const view = {
      info: { kind: 'video', format: 'mp4' },
      metadata: async () => ({ container: { format: 'mov,mp4', tags: { encoder: 'Lavf60.3.100' }, streams: [{ tags: { handler_name: 'AZ Screen Recorder' } }] } }),
    } as unknown as Parameters<typeof videoReencoded.detect>[0];
    const ctx = { upload: { receivedAt: new Date() }, lookups: NO_LOOKUPS, abort: new AbortController().signal };
    expect((await videoReencoded.detect(view, ctx))[0]?.code).toBe('meta.video_reencoded');
    expect((await screenRecording.detect(view, ctx))[0]?.code).toBe('meta.screen_recording');
  });
});

describe.skipIf(!hasData)('cloned metadata', () => {
  it('the same capture record on different pixels from another contributor is high, from the same contributor low', async () => {
    const { clonedMetadata, metadataFingerprint } = await import('../../../../src/detectors/meta/cloned.ts');
    const a = file('exif-camera-samples/images/jpg/hdr/iphone_hdr_NO.jpg');
    // Other pixels under A's EXIF (what a transplant produces).
    const b = await sharp(a).flip().withMetadata().jpeg().toBuffer();
    const viewA = await openMedia(a);
    const viewB = await openMedia(b);
    const fp = metadataFingerprint(await viewA.metadata());
    expect(fp).toMatch(/^[0-9a-f]{32}$/);
    const prior = { uploadId: 'u1', contributorId: 'alice', receivedAt: new Date(0), decision: null };
    const lookups = { uploadsBySha256: async () => [], uploadsByMetadataFingerprint: async (f: string) => (f === fp ? [prior] : []) };
    const ctx = (contributorId: string) => ({ upload: { receivedAt: new Date(), contributorId }, lookups, abort: new AbortController().signal });
    // The HDR and normal frames of one shot have different records (exposure differs): not cloned.
    const hdr = await openMedia(file('exif-camera-samples/images/jpg/hdr/iphone_hdr_YES.jpg'));
    expect(metadataFingerprint(await hdr.metadata())).not.toBe(fp);
    // The same person's edited copy shares the record honestly; another person's upload does not.
    expect((await clonedMetadata.detect(viewB, ctx('alice')))[0]?.severity).toBe('low');
    expect((await clonedMetadata.detect(viewB, ctx('mallory')))[0]?.severity).toBe('high');
    expect(await clonedMetadata.detect(viewB, { ...ctx('mallory'), lookups: NO_LOOKUPS })).toEqual([]);
  });
});
