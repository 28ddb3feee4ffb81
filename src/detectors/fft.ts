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
    // Twiddle by twiddle: each is read once per level, not once per group.
    for (let k = 0; k < halfLen; k++) {
      const wr = cos[k * step] ?? 1;
      const wi = sin[k * step] ?? 0;
      for (let a = k; a < n; a += len) {
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

/**
 * 2-D FFT of a real n×n array (n a power of two, at least 2), returned in full. A real input has half as much
 * to compute: two rows go through one complex transform (row a as the real part, row b as the imaginary part,
 * then split by A[k] = (Z[k] + conj Z[n−k]) / 2 and B[k] = (Z[k] − conj Z[n−k]) / 2i), and only columns
 * 0…n/2 are transformed, the others being the conjugates F(u, v) = conj F(n−u, n−v).
 */
export function realFft2d(input: Float64Array, n: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  const zr = new Float64Array(n);
  const zi = new Float64Array(n);
  for (let y = 0; y < n; y += 2) {
    zr.set(input.subarray(y * n, y * n + n));
    zi.set(input.subarray((y + 1) * n, (y + 1) * n + n));
    fft1d(zr, zi);
    const a = y * n;
    const b = a + n;
    for (let k = 0; k < n; k++) {
      const m = (n - k) & (n - 1);
      const kr = zr[k] ?? 0;
      const ki = zi[k] ?? 0;
      const mr = zr[m] ?? 0;
      const mi = zi[m] ?? 0;
      re[a + k] = (kr + mr) / 2;
      im[a + k] = (ki - mi) / 2;
      re[b + k] = (ki + mi) / 2;
      im[b + k] = (mr - kr) / 2;
    }
  }
  const half = n / 2;
  for (let u = 0; u <= half; u++) {
    for (let v = 0; v < n; v++) {
      zr[v] = re[v * n + u] ?? 0;
      zi[v] = im[v * n + u] ?? 0;
    }
    fft1d(zr, zi);
    for (let v = 0; v < n; v++) {
      re[v * n + u] = zr[v] ?? 0;
      im[v * n + u] = zi[v] ?? 0;
    }
  }
  for (let v = 0; v < n; v++) {
    const mirror = ((n - v) & (n - 1)) * n;
    for (let u = half + 1; u < n; u++) {
      re[v * n + u] = re[mirror + n - u] ?? 0;
      im[v * n + u] = -(im[mirror + n - u] ?? 0);
    }
  }
  return { re, im };
}
