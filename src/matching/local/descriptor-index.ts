/**
 * In-memory index of many images' binary descriptors, for finding which stored images share
 * enough local features with a query to be worth verifying. Multi-probe LSH over bit sampling
 * (Indyk & Motwani 1998; multi-probe: Lv et al. 2007; the layout FLANN uses for ORB): each table
 * keys a descriptor by 16 fixed bit positions, and a query probes its own key and the 16 keys one
 * bit away, so two descriptors 40 bits apart (of 256) meet in at least one of 8 tables with ~90 %
 * probability. Every query descriptor then votes for the image of its nearest neighbour when that is
 * within the vote distance and clearly nearer than any other image's; the images with most votes go
 * on to geometric verification. Overfull buckets are
 * skipped as stop words, which bounds a query's work.
 *
 * Memory: typed arrays only. Per descriptor 4 bytes per table (chained buckets: heads per key,
 * `next` per descriptor, so adding is O(1) and never rebuilds) plus 6 bytes of owner; the
 * keypoints themselves (~48 bytes each) stay in their KeypointSet for verification.
 */
import { popcount32 } from '../../fingerprint/bits.ts';
import { DESCRIPTOR_BITS, DESCRIPTOR_WORDS, mulberry32 } from '../../fingerprint/keypoints/brief.ts';
import type { KeypointSet } from '../../fingerprint/keypoints/extract.ts';

const TABLES = 8;
const KEY_BITS = 16;
const KEY_SEED = 0x10ca1;
/** A bucket holding more than this many times the average share of descriptors is skipped (see candidates). */
const STOP_FACTOR = 8;
/** A query descriptor votes only when its nearest image's distance is below this share of the next image's. */
const VOTE_RATIO = 0.8;
/** Images this close to the nearest one's distance share its vote (the same picture stored more than once). */
const NEAR_TIE = 6;

export interface Candidate {
  id: number;
  votes: number;
}

/** The bit positions each table samples: fixed, so every process builds the same tables. */
const KEY_POSITIONS: Int32Array[] = (() => {
  const rand = mulberry32(KEY_SEED);
  return Array.from({ length: TABLES }, () => {
    const chosen = new Set<number>();
    while (chosen.size < KEY_BITS) chosen.add(Math.floor(rand() * DESCRIPTOR_BITS));
    return Int32Array.from([...chosen]);
  });
})();

function keyOf(words: Uint32Array, off: number, positions: Int32Array): number {
  let key = 0;
  for (let j = 0; j < KEY_BITS; j++) {
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
  private readonly heads: Int32Array[] = Array.from({ length: TABLES }, () => new Int32Array(1 << KEY_BITS).fill(-1));
  private readonly sizes: Int32Array[] = Array.from({ length: TABLES }, () => new Int32Array(1 << KEY_BITS));
  private next: Int32Array[] = Array.from({ length: TABLES }, () => new Int32Array(1024));
  /** Per descriptor: the image slot it belongs to and its position in that image's set. */
  private owner = new Int32Array(1024);
  private local = new Uint16Array(1024);
  /** Per descriptor, the epoch (query descriptor) that last compared it: no clearing between queries. */
  private descEpoch = new Int32Array(0);
  private epoch = 0;
  private readonly bestBySlot = new Map<number, number>();
  private readonly sets: KeypointSet[] = [];
  private readonly ids: number[] = [];
  private readonly slotOf = new Map<number, number>();
  private count = 0;

  constructor(
    private readonly voteDistance = 56,
    private readonly stopFactor = STOP_FACTOR,
  ) {}

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
      for (let t = 0; t < TABLES; t++) {
        const key = keyOf(set.descriptors, i * DESCRIPTOR_WORDS, KEY_POSITIONS[t]!);
        this.next[t]![d] = this.heads[t]![key]!;
        this.heads[t]![key] = d;
        this.sizes[t]![key]!++;
      }
    }
  }

  /**
   * Images with at least `minVotes` query descriptors that have a near descriptor in them, most
   * votes first (ties: lower id), at most `limit`.
   */
  candidates(query: KeypointSet, limit: number, minVotes: number): Candidate[] {
    if (this.count === 0 || query.count === 0) return [];
    // Each descriptor compared once per query descriptor however many tables hold it.
    this.descEpoch = grow(this.descEpoch, this.count, (n) => new Int32Array(n));
    if (this.epoch > 2 ** 30) {
      this.epoch = 0;
      this.descEpoch.fill(0);
    }
    const votes = new Map<number, number>();
    const qd = query.descriptors;
    // Stop words: steered BRIEF bits are far from balanced (measured: mean |P(1) − ½| = 0.24), so a few
    // keys collect a large share of all descriptors. Like the commonest visual words in image retrieval,
    // those buckets say little about which image it is and would make every query walk most of the index.
    const stopSize = Math.max(64, Math.ceil((this.stopFactor * this.count) / (1 << KEY_BITS)));
    for (let q = 0; q < query.count; q++) {
      const qo = q * DESCRIPTOR_WORDS;
      const epoch = ++this.epoch;
      // Nearest-neighbour voting with a ratio test: unrelated BRIEF descriptors are often within the vote
      // distance (biased bits), so "every image with a near descriptor" votes for much of the index. The
      // images whose best distance is within NEAR_TIE of the nearest all vote (copies of one picture stored
      // twice must not cancel each other), if the next image beyond them is clearly further away.
      const bestBySlot = this.bestBySlot;
      bestBySlot.clear();
      for (let t = 0; t < TABLES; t++) {
        const key = keyOf(qd, qo, KEY_POSITIONS[t]!);
        const heads = this.heads[t]!;
        const sizes = this.sizes[t]!;
        const next = this.next[t]!;
        for (let probe = -1; probe < KEY_BITS; probe++) {
          const probed = probe < 0 ? key : key ^ (1 << probe);
          if (sizes[probed]! > stopSize) continue;
          for (let d = heads[probed]!; d >= 0; d = next[d]!) {
            if (this.descEpoch[d] === epoch) continue;
            this.descEpoch[d] = epoch;
            const slot = this.owner[d]!;
            const ro = this.local[d]! * DESCRIPTOR_WORDS;
            const rd = this.sets[slot]!.descriptors;
            let dist = 0;
            for (let k = 0; k < DESCRIPTOR_WORDS; k++) dist += popcount32((qd[qo + k]! ^ rd[ro + k]!) >>> 0);
            const seen = bestBySlot.get(slot);
            if (seen === undefined || dist < seen) bestBySlot.set(slot, dist);
          }
        }
      }
      let best = 257;
      for (const dist of bestBySlot.values()) if (dist < best) best = dist;
      if (best > this.voteDistance) continue;
      let beyond = 257;
      for (const dist of bestBySlot.values()) if (dist > best + NEAR_TIE && dist < beyond) beyond = dist;
      if (best >= VOTE_RATIO * beyond) continue;
      for (const [slot, dist] of bestBySlot) if (dist <= best + NEAR_TIE) votes.set(slot, (votes.get(slot) ?? 0) + 1);
    }
    const out: Candidate[] = [];
    for (const [slot, n] of votes) if (n >= minVotes) out.push({ id: this.ids[slot]!, votes: n });
    return out.sort((a, b) => b.votes - a.votes || a.id - b.id).slice(0, limit);
  }
}
