/**
 * In-memory index of many images' binary descriptors, for finding which stored images share
 * enough local features with a query to be worth verifying. Bit-sampling LSH (Indyk & Motwani
 * 1998; the layout FLANN uses for ORB): each of 8 tables keys a descriptor by a few of its bits,
 * learned to be balanced and uncorrelated (key-bits.ts), so a bucket is a visual word and the
 * tables are independent vocabularies. A query descriptor votes for the images in its bucket of
 * each table whose descriptor there is within HE_DISTANCE bits of it (Hamming embedding, Jégou et
 * al. 2008), weighted by the bucket's inverse document frequency (Sivic & Zisserman 2003) and by
 * closeness. A copy's descriptors lie within a few bits of the original's and meet them in several
 * tables; an unrelated image collects only the chance collisions every image gets, spread thinly.
 * The work per query is the entries in the buckets it lands in: keys grow from 14 to 18 bits as the
 * index grows so that buckets stay small, and overfull buckets (stop words) are skipped. The images
 * with the highest score go on to geometric verification.
 *
 * Memory: typed arrays only. Per descriptor 4 bytes per table (chained buckets: heads per key,
 * `next` per descriptor, so adding is O(1)) plus 6 bytes of owner; the keypoints themselves
 * (~48 bytes each) stay in their KeypointSet for verification. Per index 8 B per key and table:
 * 1 MB with 14-bit keys, 4 MB with 16 (from about 280 images), 16 MB with 18 (from about 1 100).
 */
import { popcount32 } from '../../fingerprint/bits.ts';
import { DESCRIPTOR_WORDS } from '../../fingerprint/keypoints/brief.ts';
import type { KeypointSet } from '../../fingerprint/keypoints/extract.ts';
import { KEY_BITS_BY_TABLE } from './key-bits.ts';
import { MATCH_MAX_DISTANCE } from './verify.ts';

const TABLES = KEY_BITS_BY_TABLE.length;
const MIN_KEY_BITS = 14;
const MAX_KEY_BITS = Math.min(...KEY_BITS_BY_TABLE.map((bits) => bits.length));
/** Keys lengthen by two bits once buckets average this many descriptors (one rebuild each time). */
const REKEY_AT_BUCKET_MEAN = 8;
/** A bucket holding more than this many times the average share of descriptors is skipped (see candidates). */
const STOP_FACTOR = 4;
/**
 * Descriptors further apart than this never vote: the largest distance verification's matcher accepts. Unrelated
 * descriptors that share a bucket are mostly further (biased bits make chance collisions common).
 */
const HE_DISTANCE = MATCH_MAX_DISTANCE;
/**
 * Every image collects some score by chance, more with the short keys of a small index. In a large index a
 * candidate must stand this many robust standard deviations (median absolute deviation × 1.4826) above the
 * median of the images the query touched: on the bench copies stand ≥ 40 above it at 1 000 images and
 * ≥ 120 at 10 000, the best chance image ≤ 15. A small index verifies its best-voted images without it.
 */
const OUTLIER_Z = 20;
const OUTLIER_MIN_TOUCHED = 500;

export interface Candidate {
  id: number;
  /** Query descriptors with one of the image's within HE_DISTANCE in a shared bucket. */
  votes: number;
  /** Sum over those meetings of the bucket's idf, scaled down with distance: what candidates are ranked by. */
  score: number;
}

const KEY_POSITIONS: Int32Array[] = KEY_BITS_BY_TABLE.map((bits) => Int32Array.from(bits));

/** The descriptor's key in one table: the first `bits` of the table's key bits. */
function keyOf(words: Uint32Array, off: number, positions: Int32Array, bits: number): number {
  let key = 0;
  for (let j = 0; j < bits; j++) {
    const p = positions[j]!;
    key |= ((words[off + (p >>> 5)]! >>> (p & 31)) & 1) << j;
  }
  return key;
}

function grow<T extends Int32Array | Uint16Array>(a: T, need: number, make: (n: number) => T): T {
  if (need <= a.length) return a;
  const b = make(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

export class DescriptorIndex {
  private keyBits = MIN_KEY_BITS;
  private heads: Int32Array[] = [];
  private sizes: Int32Array[] = [];
  private next: Int32Array[] = Array.from({ length: TABLES }, () => new Int32Array(1024));
  /** Per descriptor: the image slot it belongs to and its position in that image's set. */
  private owner = new Int32Array(1024);
  private local = new Uint16Array(1024);
  /** Per image slot: the query's score, its vote count, and the last (descriptor, table) and descriptor that voted. */
  private score = new Float64Array(0);
  private votes = new Int32Array(0);
  private votedInBucket = new Int32Array(0);
  private votedByDescriptor = new Int32Array(0);
  private stamp = 0;
  private readonly sets: KeypointSet[] = [];
  /** The sets' descriptors again, in an array of one element type: the vote reads them for every bucket entry. */
  private readonly codes: Uint32Array[] = [];
  private readonly ids: number[] = [];
  private readonly slotOf = new Map<number, number>();
  private count = 0;

  constructor(private readonly stopFactor = STOP_FACTOR) {
    this.clearTables();
  }

  /** Images indexed. */
  get size(): number {
    return this.sets.length;
  }

  get descriptorCount(): number {
    return this.count;
  }

  has(id: number): boolean {
    return this.slotOf.has(id);
  }

  get(id: number): KeypointSet | undefined {
    const slot = this.slotOf.get(id);
    return slot === undefined ? undefined : this.sets[slot];
  }

  add(id: number, set: KeypointSet): void {
    if (this.slotOf.has(id) || set.count === 0) return;
    const slot = this.sets.length;
    this.sets.push(set);
    this.codes.push(set.descriptors);
    this.ids.push(id);
    this.slotOf.set(id, slot);
    const need = this.count + set.count;
    this.owner = grow(this.owner, need, (n) => new Int32Array(n));
    this.local = grow(this.local, need, (n) => new Uint16Array(n));
    for (let t = 0; t < TABLES; t++) this.next[t] = grow(this.next[t]!, need, (n) => new Int32Array(n));
    for (let i = 0; i < set.count; i++) {
      const d = this.count++;
      this.owner[d] = slot;
      this.local[d] = i;
      this.link(d);
    }
    if (this.keyBits < MAX_KEY_BITS && this.count > REKEY_AT_BUCKET_MEAN * 2 ** this.keyBits) this.rekey(this.keyBits + 2);
  }

  private clearTables(): void {
    this.heads = Array.from({ length: TABLES }, () => new Int32Array(1 << this.keyBits).fill(-1));
    this.sizes = Array.from({ length: TABLES }, () => new Int32Array(1 << this.keyBits));
  }

  /** Puts descriptor `d` into its bucket of every table. */
  private link(d: number): void {
    const words = this.codes[this.owner[d]!]!;
    const off = this.local[d]! * DESCRIPTOR_WORDS;
    for (let t = 0; t < TABLES; t++) {
      const key = keyOf(words, off, KEY_POSITIONS[t]!, this.keyBits);
      this.next[t]![d] = this.heads[t]![key]!;
      this.heads[t]![key] = d;
      this.sizes[t]![key]!++;
    }
  }

  /** Longer keys for a grown index: every descriptor re-bucketed, in the order they were added. */
  private rekey(bits: number): void {
    this.keyBits = Math.min(bits, MAX_KEY_BITS);
    this.clearTables();
    for (let d = 0; d < this.count; d++) this.link(d);
  }

  /**
   * Images with at least `minVotes` query descriptors meeting one of theirs and a score that stands out
   * from chance, best score first (ties: lower id), at most `limit`.
   */
  candidates(query: KeypointSet, limit: number, minVotes: number): Candidate[] {
    if (this.count === 0 || query.count === 0) return [];
    const slots = this.sets.length;
    if (this.score.length < slots) {
      this.score = new Float64Array(slots * 2);
      this.votes = new Int32Array(slots * 2);
      this.votedInBucket = new Int32Array(slots * 2);
      this.votedByDescriptor = new Int32Array(slots * 2);
    }
    if (this.stamp > 2 ** 30) {
      this.stamp = 0;
      this.votedInBucket.fill(0);
      this.votedByDescriptor.fill(0);
    }
    const { score, votes, votedInBucket, votedByDescriptor, owner, local, codes } = this;
    const touched: number[] = [];
    // Stop words: even on balanced key bits, flat and repetitive patches give a few keys a large share of all
    // descriptors. Like the commonest visual words in image retrieval, those buckets say little about which
    // image it is and would make every query walk much of the index.
    const stopSize = Math.max(64, Math.ceil((this.stopFactor * this.count) / (1 << this.keyBits)));
    const qd = query.descriptors;
    for (let q = 0; q < query.count; q++) {
      const descriptorStamp = ++this.stamp;
      const qo = q * DESCRIPTOR_WORDS;
      for (let t = 0; t < TABLES; t++) {
        const key = keyOf(qd, qo, KEY_POSITIONS[t]!, this.keyBits);
        const size = this.sizes[t]![key]!;
        if (size === 0 || size > stopSize) continue;
        // Bucket size stands in for the number of images holding the word: one descriptor each, mostly.
        const idf = Math.log(1 + slots / size);
        const bucketStamp = ++this.stamp;
        const next = this.next[t]!;
        for (let d = this.heads[t]![key]!; d >= 0; d = next[d]!) {
          const slot = owner[d]!;
          // A repeated texture puts many of one image's descriptors in a bucket: it counts once.
          if (votedInBucket[slot] === bucketStamp) continue;
          const rd = codes[slot]!;
          const ro = local[d]! * DESCRIPTOR_WORDS;
          let dist = 0;
          for (let k = 0; k < DESCRIPTOR_WORDS && dist <= HE_DISTANCE; k++) dist += popcount32((qd[qo + k]! ^ rd[ro + k]!) >>> 0);
          if (dist > HE_DISTANCE) continue;
          votedInBucket[slot] = bucketStamp;
          if (votes[slot] === 0) touched.push(slot);
          score[slot]! += idf * (1 - dist / (HE_DISTANCE + 1));
          if (votedByDescriptor[slot] !== descriptorStamp) {
            votedByDescriptor[slot] = descriptorStamp;
            votes[slot]!++;
          }
        }
      }
    }
    const floor = touched.length < OUTLIER_MIN_TOUCHED ? 0 : outlierFloor(Float64Array.from(touched, (slot) => score[slot]!));
    const out: Candidate[] = [];
    for (const slot of touched) {
      if (votes[slot]! >= minVotes && score[slot]! >= floor) out.push({ id: this.ids[slot]!, votes: votes[slot]!, score: score[slot]! });
      score[slot] = 0;
      votes[slot] = 0;
    }
    return out.sort((a, b) => b.score - a.score || a.id - b.id).slice(0, limit);
  }
}

/** median + OUTLIER_Z robust standard deviations of the scores (sorted in place). */
function outlierFloor(scores: Float64Array): number {
  scores.sort();
  const median = scores[scores.length >> 1]!;
  for (let i = 0; i < scores.length; i++) scores[i] = Math.abs(scores[i]! - median);
  scores.sort();
  return median + OUTLIER_Z * 1.4826 * scores[scores.length >> 1]!;
}
