/**
 * `meta.double_compression`: the JPEG was compressed twice on the same 8×8 grid, after Lukáš & Fridrich,
 * "Estimation of Primary Quantization Matrix in Double Compressed JPEG Images" (DFRWS 2003).
 *
 * Quantizing with q1 and then with q2 leaves the per-frequency histogram of the stored integers with
 * periodic gaps or peaks that one quantization never makes. To know what a single compression would look
 * like, the image is decompressed (IDCT of the stored coefficients), cropped by 4 px so that the old grid
 * is lost, and transformed again: quantizing those values once with q2 gives the expected histogram, and
 * quantizing them with q1 then q2 gives the double-compressed one. Where some q1 ≠ q2 explains the
 * observed histogram far better than q2 alone, the file was re-saved, and q1 estimates the first table.
 *
 * A crop before the re-save moves the grid and the gaps disappear: cropped-then-re-saved files are not
 * detected here (meta.quantization_mismatch / meta.recompressed still see the encoder change).
 */
import type { Detector } from '../types.ts';
import { lumaCoefficients, type LumaCoefficients } from './jpeg-entropy.ts';
import { signal } from './util.ts';

/** Zig-zag positions analysed: the low AC frequencies, where coefficients are numerous and q is small. */
const FREQS = [1, 2, 3, 4, 5, 6, 7, 8, 9];
/** Histogram range in units of q2; rarer values are folded into the end bins. */
const RANGE = 12;
/** Below this many non-zero samples a histogram says little. */
const MIN_NONZERO = 400;
/** The double model must leave at most this share of the single model's error. */
const RATIO = 0.4;

const COS = new Float64Array(64);
for (let x = 0; x < 8; x++) for (let u = 0; u < 8; u++) COS[x * 8 + u] = Math.cos(((2 * x + 1) * u * Math.PI) / 16) * (u === 0 ? Math.SQRT1_2 : 1) * 0.5;

/** Zig-zag index → natural (row-major) index. */
const NATURAL = (() => {
  const order: number[] = [];
  for (let s = 0; s < 15; s++) {
    const diag: number[] = [];
    for (let y = 0; y < 8; y++) if (s - y >= 0 && s - y < 8) diag.push(y * 8 + s - y);
    order.push(...(s % 2 === 1 ? diag : diag.reverse()));
  }
  return order;
})();

/** The decoded luma strip (0..255, rounded and clipped like a decoder) of the complete block rows. */
function decompress(l: LumaCoefficients): { plane: Float64Array; w: number; h: number } {
  const cols = Math.max(...l.blockX) + 1;
  let rows = 0;
  // Only rows whose blocks were all decoded: the last MCU row is usually cut by the block budget.
  const perRow = new Map<number, number>();
  for (let i = 0; i < l.blocks; i++) perRow.set(l.blockY[i]!, (perRow.get(l.blockY[i]!) ?? 0) + 1);
  while ((perRow.get(rows) ?? 0) === cols) rows++;
  const w = cols * 8;
  const h = rows * 8;
  const plane = new Float64Array(w * h);
  const deq = new Float64Array(64);
  const tmp = new Float64Array(64);
  for (let b = 0; b < l.blocks; b++) {
    const by = l.blockY[b]!;
    if (by >= rows) continue;
    deq.fill(0);
    for (let k = 0; k < 64; k++) {
      deq[NATURAL[k]!] = (l.coefficients[b * 64 + k] ?? 0) * (l.table.values[k] ?? 1);
    }
    // Separable IDCT: rows then columns.
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) {
      let s = 0;
      for (let u = 0; u < 8; u++) s += COS[x * 8 + u]! * deq[y * 8 + u]!;
      tmp[y * 8 + x] = s;
    }
    const bx = l.blockX[b]!;
    for (let x = 0; x < 8; x++) for (let y = 0; y < 8; y++) {
      let s = 0;
      for (let v = 0; v < 8; v++) s += COS[y * 8 + v]! * tmp[v * 8 + x]!;
      plane[(by * 8 + y) * w + bx * 8 + x] = Math.min(255, Math.max(0, Math.round(s + 128)));
    }
  }
  return { plane, w, h };
}

/** DCT basis of each analysed frequency, row-major over the 8×8 block. */
const BASIS = FREQS.map((k) => {
  const nat = NATURAL[k]!;
  const u = nat % 8;
  const v = Math.floor(nat / 8);
  const b = new Float64Array(64);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) b[y * 8 + x] = COS[x * 8 + u]! * COS[y * 8 + v]!;
  return b;
});

/** Forward DCT values at the analysed frequencies of every 8×8 block of the plane shifted by 4 px. */
function calibrated(plane: Float64Array, w: number, h: number): Float64Array[] {
  const bw = Math.floor((w - 4) / 8);
  const bh = Math.floor((h - 4) / 8);
  const out = FREQS.map(() => new Float64Array(bw * bh));
  const blk = new Float64Array(64);
  for (let by = 0; by < bh; by++) for (let bx = 0; bx < bw; bx++) {
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) blk[y * 8 + x] = plane[(4 + by * 8 + y) * w + 4 + bx * 8 + x]! - 128;
    for (let i = 0; i < BASIS.length; i++) {
      const basis = BASIS[i]!;
      let s = 0;
      for (let j = 0; j < 64; j++) s += basis[j]! * blk[j]!;
      out[i]![by * bw + bx] = s;
    }
  }
  return out;
}

/** Normalized histogram of the values quantized with q1 (when given) and then with q2, clamped to ±RANGE. */
function histogram(values: ArrayLike<number>, q2: number, q1?: number): Float64Array {
  const h = new Float64Array(2 * RANGE + 1);
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    const q = q1 === undefined ? Math.round(x / q2) : Math.round((Math.round(x / q1) * q1) / q2);
    const v = q < -RANGE ? -RANGE : q > RANGE ? RANGE : q;
    h[v + RANGE]! += 1;
  }
  for (let i = 0; i < h.length; i++) h[i]! /= n || 1;
  return h;
}

function distance(a: Float64Array, b: Float64Array): number {
  let d = 0;
  // The zero bin is dominated by smooth areas in both models; the pattern lives in the others.
  for (let i = 0; i < a.length; i++) if (i !== RANGE) d += (a[i]! - b[i]!) ** 2;
  return d;
}

export interface FrequencyVerdict {
  k: number;
  q2: number;
  /** Best first-quantization step, when a double model wins clearly. */
  q1?: number;
  ratio: number;
}

/** Per-frequency analysis; undefined when the file cannot be analysed (not baseline, too small). */
export function analyseDoubleCompression(bytes: Buffer): { verdicts: FrequencyVerdict[]; blocks: number } | { notAnalysed: string } {
  const r = lumaCoefficients(bytes);
  if (!r.ok) return { notAnalysed: r.reason };
  const l = r.luma;
  const { plane, w, h } = decompress(l);
  if (w < 64 || h < 64) return { notAnalysed: 'too_small' };
  const cal = calibrated(plane, w, h);
  const verdicts: FrequencyVerdict[] = [];
  FREQS.forEach((k, i) => {
    const q2 = l.table.values[k] ?? 1;
    const observed = new Int16Array(l.blocks);
    let nonzero = 0;
    for (let b = 0; b < l.blocks; b++) {
      observed[b] = l.coefficients[b * 64 + k] ?? 0;
      if (observed[b] !== 0) nonzero++;
    }
    if (nonzero < MIN_NONZERO) return;
    const hObs = histogram(observed, 1);
    const x = cal[i]!;
    const single = distance(hObs, histogram(x, q2));
    let best = { q1: q2, d: single };
    for (let q1 = 1; q1 <= Math.min(3 * q2 + 2, 120); q1++) {
      if (q1 === q2) continue;
      const d = distance(hObs, histogram(x, q2, q1));
      if (d < best.d) best = { q1, d };
    }
    const ratio = single > 0 ? best.d / single : 1;
    verdicts.push({ k, q2, ratio: Math.round(ratio * 1000) / 1000, ...(best.q1 !== q2 && ratio < RATIO ? { q1: best.q1 } : {}) });
  });
  return { verdicts, blocks: l.blocks };
}

export const doubleCompression: Detector = {
  name: 'meta.double_compression',
  codes: ['meta.double_compression'],
  kinds: ['image'],
  async detect(view) {
    if (view.info.format !== 'jpeg') return [];
    const a = analyseDoubleCompression(view.bytes);
    if ('notAnalysed' in a) return [];
    const votes = a.verdicts.filter((v) => v.q1 !== undefined);
    if (a.verdicts.length < 3 || votes.length < 3) return [];
    const share = votes.length / a.verdicts.length;
    const primary = Object.fromEntries(votes.map((v) => [`k${v.k}`, `${v.q1}→${v.q2}`]));
    const evidence = { frequencies: a.verdicts.length, doubleAt: votes.length, primaryToCurrent: primary, blocks: a.blocks };
    return [share >= 0.6
      ? signal('meta.double_compression', 'medium', 0.5 + 0.3 * share, `compressed twice: DCT histograms show an earlier quantization (${Object.values(primary).slice(0, 3).join(', ')} …)`, evidence)
      : signal('meta.double_compression', 'low', 0.3, `possibly compressed twice (${votes.length} of ${a.verdicts.length} frequencies)`, evidence)];
  },
};
