/**
 * Geometric verification of a logo inside an upload. The same RANSAC as copies (verifyMatches), with
 * two differences that come from a logo entry being several renderings of one drawing
 * (src/fingerprint/keypoints/logo.ts): the ratio test's second-best neighbour is taken only among the
 * entry's keypoints at another place in the logo (the same corner described at two sizes is not an
 * ambiguity), and the result says where in the upload the logo is.
 */
import { popcount32 } from '../../fingerprint/bits.ts';
import { DESCRIPTOR_WORDS } from '../../fingerprint/keypoints/brief.ts';
import type { KeypointSet } from '../../fingerprint/keypoints/extract.ts';
import { MATCH_MAX_DISTANCE, MATCH_RATIO, verifyMatches, type Verification } from './verify.ts';

/** Entry keypoints closer than this share of the logo's longer side are one place described twice. */
const SAME_PLACE = 0.03;
/** Nearest neighbours kept per query descriptor: enough to find the best one at another place. */
const KEPT = 4;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LogoVerification extends Verification {
  /** The logo's frame mapped into the query raster: the axis-aligned box around its four corners. */
  box: Box;
}

interface Match {
  q: number;
  r: number;
}

export function matchLogoDescriptors(query: KeypointSet, logo: KeypointSet): Match[] {
  const out: Match[] = [];
  const qd = query.descriptors;
  const ld = logo.descriptors;
  const samePlace = SAME_PLACE * Math.max(logo.width, logo.height);
  const dist = new Int32Array(KEPT);
  const index = new Int32Array(KEPT);
  for (let q = 0; q < query.count; q++) {
    const qo = q * DESCRIPTOR_WORDS;
    dist.fill(257);
    index.fill(-1);
    for (let r = 0, ro = 0; r < logo.count; r++, ro += DESCRIPTOR_WORDS) {
      const worst = dist[KEPT - 1]!;
      let d = 0;
      for (let k = 0; k < DESCRIPTOR_WORDS && d < worst; k++) d += popcount32((qd[qo + k]! ^ ld[ro + k]!) >>> 0);
      if (d >= worst) continue;
      let at = KEPT - 1;
      while (at > 0 && dist[at - 1]! > d) {
        dist[at] = dist[at - 1]!;
        index[at] = index[at - 1]!;
        at--;
      }
      dist[at] = d;
      index[at] = r;
    }
    const best = index[0]!;
    if (best < 0 || dist[0]! > MATCH_MAX_DISTANCE) continue;
    // The kept list holds no neighbour elsewhere: the next one is at least as far as the last kept.
    let second = dist[KEPT - 1]!;
    for (let k = 1; k < KEPT; k++) {
      const r = index[k]!;
      if (r < 0) break;
      if (Math.abs(logo.x[r]! - logo.x[best]!) > samePlace || Math.abs(logo.y[r]! - logo.y[best]!) > samePlace) {
        second = dist[k]!;
        break;
      }
    }
    if (dist[0]! < MATCH_RATIO * second) out.push({ q, r: best });
  }
  return out;
}

/** The logo's frame corners through the inverse of the fitted query → logo transform. */
function boxInQuery(t: readonly number[], logo: KeypointSet): Box | null {
  const [a, b, tx, c, d, ty] = t as [number, number, number, number, number, number];
  const det = a * d - b * c;
  if (Math.abs(det) < 1e-9) return null;
  const corners = [
    [0, 0],
    [logo.width, 0],
    [0, logo.height],
    [logo.width, logo.height],
  ].map(([X, Y]) => [(d * (X! - tx) - b * (Y! - ty)) / det, (-c * (X! - tx) + a * (Y! - ty)) / det] as const);
  const xs = corners.map((p) => p[0]);
  const ys = corners.map((p) => p[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

export function verifyLogo(query: KeypointSet, logo: KeypointSet): LogoVerification | null {
  const verification = verifyMatches(query, logo, matchLogoDescriptors(query, logo));
  if (!verification) return null;
  const box = boxInQuery(verification.transform, logo);
  return box ? { ...verification, box } : null;
}
