import { describe, expect, it } from 'vitest';
import { hammingHex } from '../../../src/fingerprint/bits.ts';
import { KeyedHammingIndex } from '../../../src/fingerprint/keyed-index.ts';
import { dhash, phash, resampleArea } from '../../../src/fingerprint/phash.ts';
import type { Raster } from '../../../src/media/types.ts';

function grey(w: number, h: number, f: (x: number, y: number) => number): Raster {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = Math.max(0, Math.min(255, Math.round(f(x, y))));
  return { width: w, height: h, channels: 1, data };
}

describe('pHash and dHash', () => {
  it('dHash reads horizontal gradients: brighter to the right sets every bit', () => {
    expect(dhash(grey(90, 80, (x) => x * 2.5))).toBe('ffffffffffffffff');
    expect(dhash(grey(90, 80, (x) => 250 - x * 2.5))).toBe('0000000000000000');
  });

  it('area resampling preserves the mean and handles non-integer ratios', () => {
    const src = Float32Array.from({ length: 7 * 5 }, (_, i) => i);
    const out = resampleArea(src, 7, 5, 3, 2);
    const mean = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(out)).toBeCloseTo(mean(src), 4);
  });

  it('pHash is stable under resizing and brightness shifts, and differs for different content', () => {
    const scene = (w: number, h: number, shift = 0): Raster =>
      grey(w, h, (x, y) => 120 + shift + 70 * Math.sin((x / w) * 6.3) * Math.cos((y / h) * 4.1) + 40 * Math.sin(((x + y) / w) * 9));
    const a = phash(scene(400, 300));
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(hammingHex(a, phash(scene(173, 130)))).toBeLessThanOrEqual(4);
    expect(hammingHex(a, phash(scene(400, 300, 20)))).toBeLessThanOrEqual(4);
    const b = phash(grey(400, 300, (x, y) => 128 + 100 * Math.sin((y / 300) * 17) * Math.sin((x / 400) * 3)));
    expect(hammingHex(a, b)).toBeGreaterThan(10);
  });

  it('KeyedHammingIndex maps string ids and reuses removed numbers', () => {
    const ix = new KeyedHammingIndex({ bits: 64 });
    ix.add('upload-a', 'ffffffffffffffff');
    ix.add('upload-b', 'fffffffffffffff0');
    expect(ix.search('ffffffffffffffff', 4)).toEqual([{ id: 'upload-a', distance: 0 }, { id: 'upload-b', distance: 4 }]);
    expect(ix.remove('upload-a')).toBe(true);
    ix.add('upload-c', '0000000000000000');
    expect(ix.search('0000000000000001', 1)).toEqual([{ id: 'upload-c', distance: 1 }]);
    expect(ix.get('upload-b')).toBe('fffffffffffffff0');
    expect(ix.size).toBe(2);
  });
});
