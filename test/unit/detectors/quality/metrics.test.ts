import { describe, expect, it } from 'vitest';
import type { Raster } from '../../../../src/media/types.ts';
import { blackBorders, clippedFraction, laplacianStats, linScore, logScore, luminanceStats, meanAbsDiff } from '../../../../src/detectors/quality/metrics.ts';

function grey(width: number, height: number, f: (x: number, y: number) => number): Raster {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = Math.max(0, Math.min(255, Math.round(f(x, y))));
  return { width, height, channels: 1, data };
}

describe('quality metrics', () => {
  it('luminance stats: uniform, and trimming ignores a small bright overlay', () => {
    expect(luminanceStats(grey(10, 10, () => 7))).toMatchObject({ mean: 7, std: 0, trimmedStd: 0, p5: 7, p95: 7 });
    // 1% white pixels (a timestamp on a black frame) dominate the plain std but not the trimmed one.
    const stamped = grey(100, 100, (x, y) => (y === 0 ? 255 : 0));
    const s = luminanceStats(stamped);
    expect(s.std).toBeGreaterThan(20);
    expect(s.trimmedStd).toBe(0);
    const half = luminanceStats(grey(100, 100, (x) => (x < 50 ? 0 : 200)));
    expect(half.std).toBeCloseTo(100, 5);
  });

  it('laplacian: zero on flat and linear ramps, large on a checkerboard, tiles find a sharp corner', () => {
    expect(laplacianStats(grey(32, 32, () => 100)).variance).toBe(0);
    expect(laplacianStats(grey(32, 32, (x) => x * 4)).variance).toBeCloseTo(0, 9);
    expect(laplacianStats(grey(32, 32, (x, y) => ((x + y) % 2 ? 255 : 0))).variance).toBeGreaterThan(100_000);
    const corner = laplacianStats(grey(64, 64, (x, y) => (x < 32 && y < 16 && (x + y) % 2 ? 255 : 0)));
    expect(corner.tileP90).toBeGreaterThan(corner.variance);
    expect(laplacianStats(grey(2, 2, () => 1))).toEqual({ variance: 0, tileP90: 0 });
  });

  it('clipped fraction and mean absolute difference', () => {
    expect(clippedFraction(grey(10, 10, (x) => (x < 3 ? 255 : 100)))).toBeCloseTo(0.3);
    expect(meanAbsDiff(grey(4, 4, () => 10), grey(4, 4, () => 13))).toBe(3);
    expect(() => meanAbsDiff(grey(4, 4, () => 0), grey(5, 4, () => 0))).toThrow();
    expect(() => luminanceStats({ width: 1, height: 1, channels: 3, data: new Uint8Array(3) })).toThrow(/1-channel/);
  });

  it('black borders: counts bar rows/columns, tolerates a few bright pixels in a bar', () => {
    const r = grey(100, 60, (x, y) => (y < 6 || y >= 54 ? (x === 50 ? 200 : 3) : 128));
    expect(blackBorders(r)).toEqual({ top: 6, bottom: 6, left: 0, right: 0 });
    expect(blackBorders(grey(10, 10, () => 0))).toEqual({ top: 10, bottom: 0, left: 10, right: 0 });
  });

  it('scores are 0.5 at the threshold and move the right way', () => {
    expect(logScore(4, 4, 2, true)).toBe(0.5);
    expect(logScore(2, 4, 2, true)).toBeCloseTo(0.881, 3);
    expect(logScore(8, 4, 2, true)).toBeCloseTo(0.119, 3);
    expect(logScore(0, 4, 2, true)).toBe(1);
    expect(logScore(8, 4, 2, false)).toBeCloseTo(0.881, 3);
    expect(linScore(0.35, 0.25, 0.1, false)).toBeCloseTo(0.881, 3);
  });
});
