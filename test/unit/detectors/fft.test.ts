import { describe, expect, it } from 'vitest';
import { fft1d, realFft2d } from '../../../src/detectors/fft.ts';

/** The definition: F(u, v) = Σ f(x, y)·e^(−2πi(ux + vy)/n), summed directly. */
function dft2d(input: Float64Array, n: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  for (let v = 0; v < n; v++) {
    for (let u = 0; u < n; u++) {
      let sr = 0;
      let si = 0;
      for (let y = 0; y < n; y++) {
        for (let x = 0; x < n; x++) {
          const angle = (-2 * Math.PI * (u * x + v * y)) / n;
          sr += (input[y * n + x] ?? 0) * Math.cos(angle);
          si += (input[y * n + x] ?? 0) * Math.sin(angle);
        }
      }
      re[v * n + u] = sr;
      im[v * n + u] = si;
    }
  }
  return { re, im };
}

function maxError(a: Float64Array, b: Float64Array): number {
  return a.reduce((worst, value, i) => Math.max(worst, Math.abs(value - (b[i] ?? 0))), 0);
}

describe('FFT', () => {
  it('transforms a 1-D signal as the DFT does', () => {
    const n = 64;
    const re = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) * 40 + (i % 5));
    const im = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 0.3) * 9);
    const expected = { re: new Float64Array(n), im: new Float64Array(n) };
    for (let k = 0; k < n; k++) {
      for (let t = 0; t < n; t++) {
        const angle = (-2 * Math.PI * k * t) / n;
        expected.re[k] = (expected.re[k] ?? 0) + (re[t] ?? 0) * Math.cos(angle) - (im[t] ?? 0) * Math.sin(angle);
        expected.im[k] = (expected.im[k] ?? 0) + (re[t] ?? 0) * Math.sin(angle) + (im[t] ?? 0) * Math.cos(angle);
      }
    }
    fft1d(re, im);
    expect(maxError(re, expected.re)).toBeLessThan(1e-9);
    expect(maxError(im, expected.im)).toBeLessThan(1e-9);
  });

  it.each([2, 4, 16, 32])('transforms a real %i×%i image as the 2-D DFT does, mirrored half included', (n) => {
    const input = Float64Array.from({ length: n * n }, (_, i) => ((i * 2654435761) % 255) - 127 + Math.sin(i));
    const fast = realFft2d(input, n);
    const slow = dft2d(input, n);
    expect(maxError(fast.re, slow.re)).toBeLessThan(1e-8 * n * n);
    expect(maxError(fast.im, slow.im)).toBeLessThan(1e-8 * n * n);
  });
});
