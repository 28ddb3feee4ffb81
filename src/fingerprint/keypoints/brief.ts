/**
 * Steered BRIEF descriptors (Calonder et al. 2010; rotation by the keypoint's orientation as in
 * ORB, Rublee et al. 2011): 256 intensity comparisons between point pairs drawn once from an
 * isotropic Gaussian (BRIEF's "G II" layout, σ = patch/5) inside a disc of radius 15, so any
 * rotation of the pattern stays inside the patch. Orientation is the intensity centroid of the
 * disc (Rosin 1999). The pattern comes from a fixed seed: descriptors stored today must compare
 * with descriptors computed tomorrow, so the seed and the sampling are part of the format.
 */

export const PATCH_RADIUS = 15;
export const DESCRIPTOR_BITS = 256;
export const DESCRIPTOR_WORDS = DESCRIPTOR_BITS / 32;
/** Orientation bins the rotated patterns are precomputed for (12° each, as ORB). */
const ANGLE_BINS = 30;
const PATTERN_SEED = 0x5eed_b41f;

/** Deterministic PRNG (mulberry32): the same sequence on every platform. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussianPoint(rand: () => number, sigma: number): [number, number] {
  for (;;) {
    // Box–Muller; redraw points outside the disc rather than clamping (clamping piles them on the rim).
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    const r = sigma * Math.sqrt(-2 * Math.log(u));
    const x = r * Math.cos(2 * Math.PI * v);
    const y = r * Math.sin(2 * Math.PI * v);
    if (x * x + y * y <= (PATCH_RADIUS - 0.5) ** 2) return [x, y];
  }
}

/** The unrotated pattern: x1, y1, x2, y2 per test, in patch coordinates. */
const BASE_PATTERN: Float64Array = (() => {
  const rand = mulberry32(PATTERN_SEED);
  const out = new Float64Array(DESCRIPTOR_BITS * 4);
  const sigma = (2 * PATCH_RADIUS + 1) / 5;
  for (let i = 0; i < DESCRIPTOR_BITS; i++) {
    let a: [number, number];
    let b: [number, number];
    // A pair of the same pixel compares nothing.
    do {
      a = gaussianPoint(rand, sigma);
      b = gaussianPoint(rand, sigma);
    } while (Math.round(a[0]) === Math.round(b[0]) && Math.round(a[1]) === Math.round(b[1]));
    out.set([a[0], a[1], b[0], b[1]], i * 4);
  }
  return out;
})();

/** Integer offsets (dx, dy) of every test point, per orientation bin; `flipY` reflects the pattern first. */
function rotatedPatterns(flipY: boolean): Int8Array[] {
  return Array.from({ length: ANGLE_BINS }, (_, bin) => {
    const angle = (bin * 2 * Math.PI) / ANGLE_BINS;
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    const out = new Int8Array(DESCRIPTOR_BITS * 4);
    for (let i = 0; i < DESCRIPTOR_BITS * 2; i++) {
      const x = BASE_PATTERN[i * 2]!;
      const y = flipY ? -BASE_PATTERN[i * 2 + 1]! : BASE_PATTERN[i * 2 + 1]!;
      out[i * 2] = Math.round(c * x - s * y);
      out[i * 2 + 1] = Math.round(s * x + c * y);
    }
    return out;
  });
}

const ROTATED = rotatedPatterns(false);
/**
 * What the mirror image's descriptor tests look like back in this image. Mirroring x turns a keypoint's
 * orientation θ into π − θ, and x-mirror ∘ rotation(π − θ) = rotation(θ) ∘ y-mirror: the mirror image's
 * descriptor is the y-reflected pattern, turned by θ, read here. Bins are symmetric (π is bin 15), so
 * the bins agree too; only rounding at half-bins differs from extracting the mirrored picture.
 */
const ROTATED_MIRRORED = rotatedPatterns(true);

/** Row extents of the orientation disc: for dy in −R..R, the largest |dx| inside it. */
const DISC_HALF_WIDTH: Int32Array = (() => {
  const out = new Int32Array(2 * PATCH_RADIUS + 1);
  for (let dy = -PATCH_RADIUS; dy <= PATCH_RADIUS; dy++) out[dy + PATCH_RADIUS] = Math.floor(Math.sqrt(PATCH_RADIUS * PATCH_RADIUS - dy * dy));
  return out;
})();

/** Angle in radians (−π..π] of the intensity centroid of the disc around (x, y). */
export function orientation(img: Uint8Array, width: number, x: number, y: number): number {
  let m01 = 0;
  let m10 = 0;
  for (let dy = -PATCH_RADIUS; dy <= PATCH_RADIUS; dy++) {
    const half = DISC_HALF_WIDTH[dy + PATCH_RADIUS]!;
    const row = (y + dy) * width + x;
    let sum = 0;
    for (let dx = -half; dx <= half; dx++) {
      const v = img[row + dx]!;
      m10 += dx * v;
      sum += v;
    }
    m01 += dy * sum;
  }
  return Math.atan2(m01, m10);
}

/**
 * Writes the 256-bit descriptor of the keypoint at (x, y) with the given orientation into
 * `out` at word offset `off`. `img` should be smoothed: single-pixel tests are noise-sensitive.
 * With `mirrored`, the descriptor the same point has in the horizontally mirrored image.
 */
export function describe(img: Uint8Array, width: number, x: number, y: number, angle: number, out: Uint32Array, off: number, mirrored = false): void {
  let bin = Math.round((angle * ANGLE_BINS) / (2 * Math.PI)) % ANGLE_BINS;
  if (bin < 0) bin += ANGLE_BINS;
  const pattern = (mirrored ? ROTATED_MIRRORED : ROTATED)[bin]!;
  const centre = y * width + x;
  for (let w = 0; w < DESCRIPTOR_WORDS; w++) {
    let word = 0;
    for (let b = 0; b < 32; b++) {
      const k = (w * 32 + b) * 4;
      const p = img[centre + pattern[k + 1]! * width + pattern[k]!]!;
      const q = img[centre + pattern[k + 3]! * width + pattern[k + 2]!]!;
      if (p < q) word |= 1 << b;
    }
    out[off + w] = word >>> 0;
  }
}
