/** A radix-2 FFT shared by the detectors that look at spectra (the AI classifier's features, screen moiré). */

const TWIDDLES = new Map<number, { cos: Float64Array; sin: Float64Array }>();

/** cos/sin of -2πk/n for k < n/2, cached per size: trig calls dominated the transform otherwise. */
function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  let t = TWIDDLES.get(n);
  if (!t) {
    t = { cos: new Float64Array(n / 2), sin: new Float64Array(n / 2) };
    for (let k = 0; k < n / 2; k++) {
      t.cos[k] = Math.cos((-2 * Math.PI * k) / n);
      t.sin[k] = Math.sin((-2 * Math.PI * k) / n);
    }
    TWIDDLES.set(n, t);
  }
  return t;
}

/** In-place iterative radix-2 FFT on (re, im) of length n (power of two). */
export function fft1d(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const tr = re[i] ?? 0;
      re[i] = re[j] ?? 0;
      re[j] = tr;
      const ti = im[i] ?? 0;
      im[i] = im[j] ?? 0;
      im[j] = ti;
    }
  }
  const { cos, sin } = twiddles(n);
  for (let len = 2; len <= n; len <<= 1) {
    const step = n / len;
    const halfLen = len >> 1;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < halfLen; k++) {
        const wr = cos[k * step] ?? 1;
        const wi = sin[k * step] ?? 0;
        const a = i + k;
        const b = a + halfLen;
        const br = re[b] ?? 0;
        const bi = im[b] ?? 0;
        const xr = br * wr - bi * wi;
        const xi = br * wi + bi * wr;
        const ar = re[a] ?? 0;
        const ai = im[a] ?? 0;
        re[b] = ar - xr;
        im[b] = ai - xi;
        re[a] = ar + xr;
        im[a] = ai + xi;
      }
    }
  }
}
