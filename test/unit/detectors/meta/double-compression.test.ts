import { existsSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { analyseDoubleCompression, doubleCompression } from '../../../../src/detectors/meta/double-compression.ts';
import { decodeLuma } from '../../../../src/detectors/meta/jpeg-entropy.ts';
import { DATA_ROOT } from '../../../../src/detectors/meta/tools/corpus.ts';
import { NO_LOOKUPS, type Signal } from '../../../../src/detectors/types.ts';
import { openMedia } from '../../../../src/media/open.ts';

const hasData = existsSync(DATA_ROOT);
const NIKON = `${DATA_ROOT}exif-camera-samples/images/jpg/gps/DSCN0010.jpg`;

async function detect(bytes: Buffer): Promise<Signal[]> {
  const view = await openMedia(bytes);
  return doubleCompression.detect(view, { upload: { receivedAt: new Date() }, lookups: NO_LOOKUPS, abort: new AbortController().signal });
}

describe.skipIf(!hasData)('baseline entropy decoding', () => {
  it('decodes the stored coefficients: the first DC matches the decoded pixels of its block', async () => {
    const bytes = readFileSync(NIKON);
    const r = decodeLuma(bytes);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // 640×480: every one of the 80×60 luma blocks fits in the block budget.
    expect(r.luma.blocks).toBe(4800);
    const { data } = await sharp(bytes).extract({ left: 0, top: 0, width: 8, height: 8 }).greyscale().raw().toBuffer({ resolveWithObject: true });
    const mean = data.reduce((a, x) => a + x, 0) / 64;
    // DC = 8 × (mean − 128) / q; greyscale from RGB differs from Y by a few levels at most.
    expect(Math.abs((r.luma.coefficients[0]! * r.luma.table.values[0]!) / 8 + 128 - mean)).toBeLessThan(4);
  });

  it('reports progressive files and non-JPEG bytes as not analysed', async () => {
    const progressive = await sharp(readFileSync(NIKON)).jpeg({ progressive: true }).toBuffer();
    expect(decodeLuma(progressive)).toEqual({ ok: false, reason: 'progressive' });
    expect(decodeLuma(Buffer.from('not a jpeg'))).toEqual({ ok: false, reason: 'not_jpeg' });
  });

  it('stops at garbage entropy data without throwing', () => {
    const bytes = Buffer.from(readFileSync(NIKON));
    const sos = bytes.lastIndexOf(Buffer.from([0xff, 0xda]));
    bytes.fill(0xab, sos + 200, sos + 2000);
    expect(() => decodeLuma(bytes)).not.toThrow();
  });
});

describe.skipIf(!hasData)('meta.double_compression', () => {
  it('says nothing about the camera original', async () => {
    expect(await detect(readFileSync(NIKON))).toEqual([]);
  });

  it('flags the original re-saved on the same grid at q90 and estimates the first quantization', async () => {
    const resaved = await sharp(readFileSync(NIKON)).jpeg({ quality: 90 }).toBuffer();
    const [s] = await detect(resaved);
    expect(s).toMatchObject({ code: 'meta.double_compression', severity: 'medium' });
    // The Nikon's luma table has 4 at the low AC positions; libjpeg q90 has 2–3.
    expect(Object.values(s!.evidence!['primaryToCurrent'] as Record<string, string>)).toContain('4→2');
  });

  it('does not see through a crop that moves the 8×8 grid (documented limit)', async () => {
    const bytes = readFileSync(NIKON);
    const cropped = await sharp(bytes).extract({ left: 3, top: 5, width: 600, height: 400 }).jpeg({ quality: 90 }).toBuffer();
    const a = analyseDoubleCompression(cropped);
    expect('verdicts' in a && a.verdicts.filter((v) => v.q1 !== undefined).length).toBeLessThan(3);
  });
});
