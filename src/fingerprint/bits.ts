/**
 * Hex / bit helpers and Hamming distance for perceptual hashes.
 *
 * Hashes are held as Uint32Array words in hex order (word 0 = the first 8 hex chars). We picked
 * 32-bit words with a SWAR popcount over bigint: V8 keeps Uint32Array elements and the
 * Math.imul-based popcount in registers, while every bigint XOR allocates a heap object and
 * bigint has no popcount at all (see bench/fingerprint.ts for the measured numbers).
 */
import { TollgateError } from '../errors.ts';

/** Population count of a 32-bit integer (SWAR, branch-free). */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Hamming distance between `words` word runs of two arrays, starting at the given offsets. */
export function hammingWords(a: Uint32Array, aOff: number, b: Uint32Array, bOff: number, words: number): number {
  let d = 0;
  for (let k = 0; k < words; k++) d += popcount32((a[aOff + k]! ^ b[bOff + k]!) >>> 0);
  return d;
}

const HEX_RE = /^[0-9a-fA-F]+$/;

/** Parses a hex hash (length a multiple of 8) into words; throws input.invalid on bad text. */
export function hexToWords(hex: string, out?: Uint32Array, outOff = 0): Uint32Array {
  if (hex.length === 0 || hex.length % 8 !== 0 || !HEX_RE.test(hex)) {
    throw new TollgateError('input.invalid', `not a hex hash of whole 32-bit words: "${hex.slice(0, 80)}"`);
  }
  const n = hex.length / 8;
  const words = out ?? new Uint32Array(n);
  for (let k = 0; k < n; k++) words[outOff + k] = parseInt(hex.slice(8 * k, 8 * k + 8), 16) >>> 0;
  return words;
}

export function wordsToHex(words: Uint32Array, off = 0, count = words.length - off): string {
  let s = '';
  for (let k = 0; k < count; k++) s += (words[off + k]! >>> 0).toString(16).padStart(8, '0');
  return s;
}

/** Hamming distance of two equal-length hex hashes (any multiple of 32 bits). */
export function hammingHex(a: string, b: string): number {
  if (a.length !== b.length) throw new TollgateError('input.invalid', `hash lengths differ: ${a.length} vs ${b.length}`);
  // parseInt stops at the first bad character instead of failing, so validate the whole text.
  if (!HEX_RE.test(a) || !HEX_RE.test(b)) throw new TollgateError('input.invalid', 'not a hex hash');
  let d = 0;
  // Eight hex chars at a time keeps every parseInt result a non-negative 32-bit value.
  for (let k = 0; k < a.length; k += 8) d += popcount32((parseInt(a.slice(k, k + 8), 16) ^ parseInt(b.slice(k, k + 8), 16)) >>> 0);
  return d;
}

/** Builds a hex string from a bit array, most significant bit first (bit 0 = top bit of char 0). */
export function bitsToHex(bits: ArrayLike<number>): string {
  let s = '';
  for (let k = 0; k < bits.length; k += 4) {
    const nib = (bits[k]! << 3) | (bits[k + 1]! << 2) | (bits[k + 2]! << 1) | bits[k + 3]!;
    s += nib.toString(16);
  }
  return s;
}

/** Hex → bigint, for callers that store hashes as numeric columns. */
export function hexToBigInt(hex: string): bigint {
  if (!HEX_RE.test(hex)) throw new TollgateError('input.invalid', 'not a hex hash');
  return BigInt(`0x${hex}`);
}

/** Hamming distance on bigints; kept for comparison in the benchmark, the word version is faster. */
export function hammingBigInt(a: bigint, b: bigint): number {
  let x = a ^ b;
  let d = 0;
  while (x > 0n) {
    d += popcount32(Number(x & 0xffffffffn));
    x >>= 32n;
  }
  return d;
}
