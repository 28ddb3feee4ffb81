import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { hammingHex } from '../../../src/fingerprint/bits.ts';
import { PDQ_DIHEDRAL_NAMES, PDQ_MIN_QUALITY, jaroszWindowSize, pdqDihedral, pdqFromLuma, pdqFromRaster } from '../../../src/fingerprint/pdq.ts';
import { fingerprintView } from '../../../src/fingerprint/view.ts';
import { openMedia } from '../../../src/media/open.ts';
import type { Raster } from '../../../src/media/types.ts';
import { PDQ_REFERENCE_DIR } from '../../../eval/pdq-conformance.ts';

function synthetic(w: number, h: number, seed = 1): Raster {
  const data = new Uint8Array(w * h * 3);
  let s = seed;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      // Smooth structure plus a little noise: what PDQ is meant to see, independent of size.
      const u = x / w;
      const t = y / h;
      const v = 128 + 60 * Math.sin(7 * u + seed) * Math.cos(5 * t - seed) + 50 * Math.cos(11 * t * u + seed) + ((s >>> 24) % 8);
      const p = (y * w + x) * 3;
      data[p] = v;
      data[p + 1] = 255 - v;
      data[p + 2] = 128 + 100 * Math.sin(3 * u * seed);
    }
  }
  return { width: w, height: h, channels: 3, data };
}

function transform(r: Raster, map: (x: number, y: number) => [number, number], w: number, h: number): Raster {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [sx, sy] = map(x, y);
      data.set(r.data.subarray((sy * r.width + sx) * 3, (sy * r.width + sx) * 3 + 3), (y * w + x) * 3);
    }
  }
  return { width: w, height: h, channels: 3, data };
}

describe('PDQ', () => {
  it('produces 64 hex chars, half the bits set, and exports the upstream quality threshold', () => {
    const { hash, quality } = pdqFromRaster(synthetic(200, 150));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const ones = [...hash].reduce((n, c) => n + [...parseInt(c, 16).toString(2)].filter((b) => b === '1').length, 0);
    expect(ones).toBe(128);
    expect(quality).toBeGreaterThanOrEqual(0);
    expect(PDQ_MIN_QUALITY).toBe(50);
  });

  it('uses ceil(size/128) box windows as upstream', () => {
    expect(jaroszWindowSize(1024, 64)).toBe(8);
    expect(jaroszWindowSize(1025, 64)).toBe(9);
    expect(jaroszWindowSize(100, 64)).toBe(1);
  });

  it('hashes images below 5 px as zero with quality 0, and a flat image with quality 0', () => {
    expect(pdqFromRaster({ width: 4, height: 100, channels: 1, data: new Uint8Array(400) })).toEqual({ hash: '0'.repeat(64), quality: 0 });
    expect(pdqFromLuma(new Float32Array(100 * 100).fill(77), 100, 100).quality).toBe(0);
  });

  it('derives the 8 dihedral hashes from one DCT, matching hashes of the transformed pixels', () => {
    const r = synthetic(96, 80, 3);
    const w = r.width;
    const h = r.height;
    const variants: Record<(typeof PDQ_DIHEDRAL_NAMES)[number], Raster> = {
      original: r,
      rotate90: transform(r, (x, y) => [w - 1 - y, x], h, w),
      rotate180: transform(r, (x, y) => [w - 1 - x, h - 1 - y], w, h),
      rotate270: transform(r, (x, y) => [y, h - 1 - x], h, w),
      flipX: transform(r, (x, y) => [x, h - 1 - y], w, h),
      flipY: transform(r, (x, y) => [w - 1 - x, y], w, h),
      flipPlus1: transform(r, (x, y) => [y, x], h, w),
      flipMinus1: transform(r, (x, y) => [w - 1 - y, h - 1 - x], h, w),
    };
    const dih = pdqDihedral(r);
    expect(dih).toHaveLength(8);
    PDQ_DIHEDRAL_NAMES.forEach((name, i) => {
      const direct = pdqFromRaster(variants[name]);
      expect(hammingHex(dih[i]!.hash, direct.hash), name).toBeLessThanOrEqual(8);
    });
    expect(dih[0]).toEqual(pdqFromRaster(r));
  });

  it.skipIf(!existsSync(PDQ_REFERENCE_DIR))('matches upstream dihedral hashes of the bridge photo (Java tool)', async () => {
    const rows = readFileSync(join(PDQ_REFERENCE_DIR, 'expected', 'pdq_expected.csv'), 'utf8').split('\n').filter((l) => l.includes('java pdq-photo-hasher-tool'));
    const expected = rows.map((l) => l.split(',')[1]!);
    const file = join(PDQ_REFERENCE_DIR, 'images', 'reg-test-input', 'dih', 'bridge-1-original.jpg');
    const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const dih = pdqDihedral({ width: info.width, height: info.height, channels: 3, data });
    dih.forEach((d, i) => expect(hammingHex(d.hash, expected[i]!), PDQ_DIHEDRAL_NAMES[i]).toBeLessThanOrEqual(16));
  });

  const PHOTOS = join(PDQ_REFERENCE_DIR, '..', 'object-photos');
  it.skipIf(!existsSync(PHOTOS))('survives re-encoding and resizing of a real photo, and separates different photos', async () => {
    const dog = readFileSync(join(PHOTOS, 'dog.jpg'));
    const jpg = await sharp(dog).resize(300).jpeg({ quality: 50 }).toBuffer();
    const a = await fingerprintView(await openMedia(dog));
    const b = await fingerprintView(await openMedia(jpg));
    expect(a.pdq.quality).toBeGreaterThanOrEqual(PDQ_MIN_QUALITY);
    expect(hammingHex(a.pdq.hash, b.pdq.hash)).toBeLessThanOrEqual(31);
    expect(hammingHex(a.phash, b.phash)).toBeLessThanOrEqual(8);
    expect(hammingHex(a.dhash, b.dhash)).toBeLessThanOrEqual(10);
    const other = await fingerprintView(await openMedia(readFileSync(join(PHOTOS, 'horses.jpg'))));
    expect(hammingHex(a.pdq.hash, other.pdq.hash)).toBeGreaterThan(31);
    expect(a.phash).toMatch(/^[0-9a-f]{16}$/);
    expect(a.dhash).toMatch(/^[0-9a-f]{16}$/);
  });
});
