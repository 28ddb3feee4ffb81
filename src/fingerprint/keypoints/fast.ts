/**
 * FAST-9 corner test (Rosten & Drummond, "Machine learning for high-speed corner detection", 2006)
 * ranked by the Harris response (Harris & Stephens 1988), as ORB does (Rublee et al. 2011): FAST
 * finds many candidates cheaply, Harris orders them by how corner-like they are, because FAST's own
 * score favours edges.
 */

/** The 16-pixel Bresenham circle of radius 3, clockwise from 12 o'clock. */
const CIRCLE: ReadonlyArray<readonly [number, number]> = [
  [0, -3], [1, -3], [2, -2], [3, -1], [3, 0], [3, 1], [2, 2], [1, 3],
  [0, 3], [-1, 3], [-2, 2], [-3, 1], [-3, 0], [-3, -1], [-2, -2], [-1, -3],
];

export interface Corner {
  x: number;
  y: number;
  score: number;
}

/** 1 when 9 contiguous circle pixels are all brighter than p + t (or all darker than p − t). */
function isCorner(img: Uint8Array, p: number, offsets: Int32Array, t: number): boolean {
  const c = img[p]!;
  const hi = c + t;
  const lo = c - t;
  // Of the 4 compass pixels, a 9-arc covers at least 2 adjacent ones: reject most pixels on 4 reads.
  const n = img[p + offsets[0]!]!;
  const e = img[p + offsets[4]!]!;
  const s = img[p + offsets[8]!]!;
  const w = img[p + offsets[12]!]!;
  const brightQuad = (n > hi ? 1 : 0) + (e > hi ? 1 : 0) + (s > hi ? 1 : 0) + (w > hi ? 1 : 0);
  const darkQuad = (n < lo ? 1 : 0) + (e < lo ? 1 : 0) + (s < lo ? 1 : 0) + (w < lo ? 1 : 0);
  if (brightQuad < 2 && darkQuad < 2) return false;
  let bright = 0;
  let dark = 0;
  // Walk the circle twice so arcs that wrap around 12 o'clock are counted whole.
  for (let k = 0; k < 25; k++) {
    const v = img[p + offsets[k & 15]!]!;
    if (v > hi) {
      bright++;
      dark = 0;
      if (bright >= 9) return true;
    } else if (v < lo) {
      dark++;
      bright = 0;
      if (dark >= 9) return true;
    } else {
      bright = 0;
      dark = 0;
    }
  }
  return false;
}

/** Harris response det(M) − k·trace(M)² over a 7×7 window of central-difference gradients. */
function harris(img: Uint8Array, width: number, x: number, y: number): number {
  let a = 0;
  let b = 0;
  let c = 0;
  for (let dy = -3; dy <= 3; dy++) {
    let p = (y + dy) * width + x - 3;
    for (let dx = -3; dx <= 3; dx++, p++) {
      const ix = img[p + 1]! - img[p - 1]!;
      const iy = img[p + width]! - img[p - width]!;
      a += ix * ix;
      b += iy * iy;
      c += ix * iy;
    }
  }
  const trace = a + b;
  return a * b - c * c - 0.04 * trace * trace;
}

/**
 * Corners at least `border` pixels from the edges, 3×3 non-maximum suppressed on the Harris score.
 * The border must be ≥ 4 (circle radius 3, gradient window 3 + 1).
 */
export function detectCorners(img: Uint8Array, width: number, height: number, threshold: number, border: number): Corner[] {
  const offsets = new Int32Array(16);
  CIRCLE.forEach(([dx, dy], i) => (offsets[i] = dy * width + dx));
  const scores = new Float32Array(width * height);
  const found: number[] = [];
  for (let y = border; y < height - border; y++) {
    for (let x = border, p = y * width + border; x < width - border; x++, p++) {
      if (!isCorner(img, p, offsets, threshold)) continue;
      const r = harris(img, width, x, y);
      if (r <= 0) continue;
      scores[p] = r;
      found.push(p);
    }
  }
  const out: Corner[] = [];
  for (const p of found) {
    const s = scores[p]!;
    if (
      s < scores[p - 1]! || s < scores[p + 1]! ||
      s < scores[p - width - 1]! || s < scores[p - width]! || s < scores[p - width + 1]! ||
      s < scores[p + width - 1]! || s < scores[p + width]! || s < scores[p + width + 1]!
    ) continue;
    out.push({ x: p % width, y: Math.floor(p / width), score: s });
  }
  return out;
}
