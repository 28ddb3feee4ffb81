/**
 * Geometric verification of one query against one reference: descriptor matches (nearest
 * neighbour with Lowe's ratio test), then RANSAC (Fischler & Bolles 1981) with a similarity
 * hypothesis from two matches, refined by least-squares affine fits on its inliers (the
 * "locally optimised" variant, Chum et al. 2003), so shears, aspect changes and mild perspective
 * are absorbed. Inliers must also agree with the model's rotation, which a chance alignment of
 * unrelated corners rarely does. Deterministic: sampling uses a fixed-seed PRNG.
 */
import { popcount32 } from '../../fingerprint/bits.ts';
import { DESCRIPTOR_WORDS, mulberry32 } from '../../fingerprint/keypoints/brief.ts';
import type { KeypointSet } from '../../fingerprint/keypoints/extract.ts';

export interface VerifyOptions {
  /** Hamming distance (of 256) above which two descriptors never match. */
  maxDistance?: number;
  /** Lowe's ratio: best must be below this fraction of the second best. */
  ratio?: number;
  /** Reprojection tolerance as a fraction of the reference's longer side. */
  tolerance?: number;
  iterations?: number;
}

export interface Verification {
  /** Matches consistent with the fitted transform. */
  inliers: number;
  /** Ratio-test matches the transform was fitted to. */
  matches: number;
  /** Query → reference: [a, b, tx, c, d, ty] (x' = a·x + b·y + tx, y' = c·x + d·y + ty). */
  transform: number[];
  /** Share of the reference's area inside the inliers' bounding box, 0..1. */
  coverage: number;
}

interface Match {
  q: number;
  r: number;
}

/** Largest descriptor distance (of 256 bits) a match may have; the index's votes use the same bound. */
export const MATCH_MAX_DISTANCE = 64;
/** Lowe's ratio test: the best neighbour must be this much closer than the second best. */
export const MATCH_RATIO = 0.85;

/** Ratio-test nearest neighbours of every query descriptor among the reference's, by brute force. */
export function matchDescriptors(query: KeypointSet, ref: KeypointSet, maxDistance = MATCH_MAX_DISTANCE, ratio = MATCH_RATIO): Match[] {
  const out: Match[] = [];
  const qd = query.descriptors;
  const rd = ref.descriptors;
  for (let q = 0; q < query.count; q++) {
    const qo = q * DESCRIPTOR_WORDS;
    let best = 257;
    let second = 257;
    let bestR = -1;
    for (let r = 0, ro = 0; r < ref.count; r++, ro += DESCRIPTOR_WORDS) {
      let d = 0;
      for (let k = 0; k < DESCRIPTOR_WORDS && d < second; k++) d += popcount32((qd[qo + k]! ^ rd[ro + k]!) >>> 0);
      if (d < best) {
        second = best;
        best = d;
        bestR = r;
      } else if (d < second) second = d;
    }
    if (bestR >= 0 && best <= maxDistance && best < ratio * second) out.push({ q, r: bestR });
  }
  return out;
}

type Affine = [number, number, number, number, number, number];

function similarityFrom(query: KeypointSet, ref: KeypointSet, m1: Match, m2: Match): Affine | null {
  const qx = query.x[m2.q]! - query.x[m1.q]!;
  const qy = query.y[m2.q]! - query.y[m1.q]!;
  const rx = ref.x[m2.r]! - ref.x[m1.r]!;
  const ry = ref.y[m2.r]! - ref.y[m1.r]!;
  const den = qx * qx + qy * qy;
  if (den < 16) return null;
  // (rx + i·ry) / (qx + i·qy) = a + i·b: rotation and scale in one complex number.
  const a = (rx * qx + ry * qy) / den;
  const b = (ry * qx - rx * qy) / den;
  const tx = ref.x[m1.r]! - (a * query.x[m1.q]! - b * query.y[m1.q]!);
  const ty = ref.y[m1.r]! - (b * query.x[m1.q]! + a * query.y[m1.q]!);
  return [a, -b, tx, b, a, ty];
}

/** Least-squares affine fit over the given matches (normal equations, 3×3, solved by Cramer). */
function affineFit(query: KeypointSet, ref: KeypointSet, matches: readonly Match[]): Affine | null {
  let sxx = 0, sxy = 0, syy = 0, sx = 0, sy = 0;
  let ux = 0, uy = 0, u = 0, vx = 0, vy = 0, v = 0;
  for (const m of matches) {
    const x = query.x[m.q]!;
    const y = query.y[m.q]!;
    const X = ref.x[m.r]!;
    const Y = ref.y[m.r]!;
    sxx += x * x; sxy += x * y; syy += y * y; sx += x; sy += y;
    ux += X * x; uy += X * y; u += X;
    vx += Y * x; vy += Y * y; v += Y;
  }
  const n = matches.length;
  const det = sxx * (syy * n - sy * sy) - sxy * (sxy * n - sy * sx) + sx * (sxy * sy - syy * sx);
  if (Math.abs(det) < 1e-9) return null;
  const solve = (b0: number, b1: number, b2: number): [number, number, number] => [
    (b0 * (syy * n - sy * sy) - sxy * (b1 * n - sy * b2) + sx * (b1 * sy - syy * b2)) / det,
    (sxx * (b1 * n - b2 * sy) - b0 * (sxy * n - sy * sx) + sx * (sxy * b2 - b1 * sx)) / det,
    (sxx * (syy * b2 - sy * b1) - sxy * (sxy * b2 - b1 * sx) + b0 * (sxy * sy - syy * sx)) / det,
  ];
  const [a, b, tx] = solve(ux, uy, u);
  const [c, d, ty] = solve(vx, vy, v);
  return [a, b, tx, c, d, ty];
}

/** Plausible copy geometry: not mirrored (BRIEF is not flip-invariant anyway), not collapsed, not wildly stretched. */
function plausible(t: Affine): boolean {
  const det = t[0] * t[4] - t[1] * t[3];
  if (det <= 0) return false;
  const scale = Math.sqrt(det);
  if (scale < 1 / 8 || scale > 8) return false;
  // Singular values' ratio bounds the anisotropy (shear plus aspect change).
  const p = t[0] ** 2 + t[1] ** 2 + t[3] ** 2 + t[4] ** 2;
  const root = Math.sqrt(Math.max(0, p * p - 4 * det * det));
  return Math.sqrt((p + root) / (p - root || 1e-12)) <= 3;
}

const ANGLE_TOLERANCE = Math.PI / 6;

function inliersOf(query: KeypointSet, ref: KeypointSet, matches: readonly Match[], t: Affine, tol2: number): Match[] {
  const rotation = Math.atan2(t[3], t[0]);
  const out: Match[] = [];
  for (const m of matches) {
    const x = query.x[m.q]!;
    const y = query.y[m.q]!;
    const dx = t[0] * x + t[1] * y + t[2] - ref.x[m.r]!;
    const dy = t[3] * x + t[4] * y + t[5] - ref.y[m.r]!;
    if (dx * dx + dy * dy > tol2) continue;
    let da = ref.angle[m.r]! - query.angle[m.q]! - rotation;
    da = Math.abs(Math.atan2(Math.sin(da), Math.cos(da)));
    if (da <= ANGLE_TOLERANCE) out.push(m);
  }
  return out;
}

/** Inliers counted once per reference keypoint: several query points landing on one would inflate the count. */
function distinct(matches: readonly Match[]): number {
  return new Set(matches.map((m) => m.r)).size;
}

export function verifyPair(query: KeypointSet, ref: KeypointSet, options: VerifyOptions = {}): Verification | null {
  const matches = matchDescriptors(query, ref, options.maxDistance, options.ratio);
  return verifyMatches(query, ref, matches, options);
}

export function verifyMatches(query: KeypointSet, ref: KeypointSet, matches: readonly Match[], options: VerifyOptions = {}): Verification | null {
  if (matches.length < 4) return null;
  const tol = (options.tolerance ?? 0.015) * Math.max(ref.width, ref.height);
  const tol2 = tol * tol;
  const rand = mulberry32(matches.length * 7919 + query.count);
  let iterations = options.iterations ?? 400;
  let best: Match[] = [];
  let bestT: Affine | null = null;
  for (let it = 0; it < iterations; it++) {
    const i = Math.floor(rand() * matches.length);
    let j = Math.floor(rand() * (matches.length - 1));
    if (j >= i) j++;
    let t = similarityFrom(query, ref, matches[i]!, matches[j]!);
    if (!t || !plausible(t)) continue;
    let inliers = inliersOf(query, ref, matches, t, tol2 * 4);
    if (inliers.length < 3 || inliers.length <= best.length) continue;
    // Local optimisation: affine fits on the loose inlier set, tightening to the final tolerance.
    for (const scale of [4, 2, 1]) {
      const refined = inliers.length >= 3 ? affineFit(query, ref, inliers) : null;
      if (!refined || !plausible(refined)) break;
      const next = inliersOf(query, ref, matches, refined, tol2 * scale);
      if (next.length < 3) break;
      t = refined;
      inliers = next;
    }
    const final = inliersOf(query, ref, matches, t, tol2);
    if (distinct(final) > distinct(best)) {
      best = final;
      bestT = t;
      // Standard adaptive stop: enough samples for a 99 % chance of one all-inlier pair at this inlier share.
      const w = best.length / matches.length;
      iterations = Math.min(iterations, Math.ceil(Math.log(0.01) / Math.log(Math.max(1e-9, 1 - w * w))) + 10);
    }
  }
  if (!bestT || best.length === 0) return null;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const m of best) {
    minX = Math.min(minX, ref.x[m.r]!);
    maxX = Math.max(maxX, ref.x[m.r]!);
    minY = Math.min(minY, ref.y[m.r]!);
    maxY = Math.max(maxY, ref.y[m.r]!);
  }
  return {
    inliers: distinct(best),
    matches: matches.length,
    transform: bestT.map((v) => Math.round(v * 1000) / 1000),
    coverage: Math.round((((maxX - minX) * (maxY - minY)) / (ref.width * ref.height)) * 1000) / 1000,
  };
}
