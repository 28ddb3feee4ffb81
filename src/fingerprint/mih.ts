/**
 * Exact Hamming-radius search by multi-index hashing (Norouzi, Punjani & Fleet): the hash is
 * cut into m disjoint chunks; two hashes within distance r agree within floor(r/m) bits on at
 * least one chunk (pigeonhole), so for every chunk we probe all keys within that many flips of
 * the query's chunk, then verify each candidate on the full hash and drop duplicates.
 *
 * Choosing m (measured in bench/fingerprint.ts): with 16-bit chunks a 10 M index puts ~150
 * hashes in every bucket and radius 31 verifies ~40 k random candidates per query, each a cache
 * miss. Wider chunks (the paper suggests ~log2 N bits) empty the buckets but need more flips
 * per chunk, so the layout is re-planned from the size at every rebuild by a cost model
 * (mih-chunks.ts): m = 11 chunks of 23–24 bits (≤ 2 flips at r = 31) at 10 M, the upstream
 * 16 × 16 bits at 1 M and below. `chunks` pins m; `tuneRadius` sets the radius planned for.
 *
 * Memory layout (why): at 10 M hashes an object per hash would not fit, so everything is typed
 * arrays. Hashes sit in one Uint32Array by slot. Each chunk has a CSR table (2^bits + 1 offsets
 * and slot lists grouped by key), so a probe is one contiguous read. Additions after the last
 * build go to a per-chunk linked tail; removals tombstone the slot; past a fraction of the base
 * the tables are rebuilt by counting sort, one chunk at a time to bound transient memory.
 */
import { TollgateError } from '../errors.ts';
import { hammingWords, hexToWords, popcount32, wordsToHex } from './bits.ts';
import { IdTable } from './id-table.ts';
import { chunkKey, flipMasks, planChunks, type ChunkPlan } from './mih-chunks.ts';

export interface HammingMatch {
  id: number;
  distance: number;
}

export interface HammingIndexOptions {
  /** Hash length: 256 for PDQ, 64 for pHash/dHash. Any multiple of 32. */
  bits: number;
  /** Expected number of hashes, to size arrays once. */
  capacity?: number;
  /** Fix the number of chunks m instead of deriving it from the index size. */
  chunks?: number;
  /** Radius the automatic chunk plan optimises for (default 31 for 256 bits, 8 for 64). */
  tuneRadius?: number;
  /** 'auto' scans linearly when that is cheaper than probing (tiny index, huge radius). */
  strategy?: 'auto' | 'mih' | 'linear';
}

const DEAD = -1;
const MIN_TAIL = 4096;

export class HammingIndex {
  readonly bits: number;
  readonly words: number;
  private readonly fixedChunks: number | undefined;
  private readonly tuneRadius: number | undefined;
  private readonly strategy: 'auto' | 'mih' | 'linear';
  private hashes: Uint32Array;
  private ids: Float64Array;
  private slots = 0;
  private live = 0;
  private readonly idTable: IdTable;
  private plan: ChunkPlan;
  /**
   * The tail holds at most max(4096, base/8) hashes, so it gets its own narrow plan: 8-bit chunks
   * (32 KB of heads, cheap for the many small per-tenant indexes) until the base passes 32 k,
   * then 16-bit chunks (4 MB) instead of the base's 2^24-entry tables.
   */
  private tailPlan: ChunkPlan;
  /** Slots < baseEnd are in the CSR tables; the rest are in the tail lists. */
  private baseEnd = 0;
  private baseOffsets: Uint32Array[] = [];
  private baseEntries: Uint32Array[] = [];
  private tailHead: Int32Array[] = [];
  private tailNext = new Int32Array(0);

  constructor(options: HammingIndexOptions) {
    const { bits } = options;
    if (!Number.isInteger(bits) || bits <= 0 || bits % 32 !== 0) throw new TollgateError('input.invalid', `hash bits must be a multiple of 32, got ${bits}`);
    this.bits = bits;
    this.words = bits / 32;
    this.fixedChunks = options.chunks;
    this.tuneRadius = options.tuneRadius;
    this.strategy = options.strategy ?? 'auto';
    const cap = Math.max(16, options.capacity ?? 1024);
    this.hashes = new Uint32Array(cap * this.words);
    this.ids = new Float64Array(cap);
    this.idTable = new IdTable(cap);
    this.plan = planChunks(bits, 0, this.fixedChunks, this.tuneRadius);
    this.tailPlan = planChunks(bits, 0, bits / 8);
    this.tailHead = Array.from(this.tailPlan.lens, (len) => new Int32Array(2 ** len).fill(-1));
    this.resetTables();
  }

  get size(): number {
    return this.live;
  }

  /** Current number of chunks m. */
  get chunkCount(): number {
    return this.plan.count;
  }

  /** Bytes held in typed arrays: the index's resident footprint apart from the JS engine. */
  get bytes(): number {
    let b = this.hashes.byteLength + this.ids.byteLength + this.idTable.bytes + this.tailNext.byteLength;
    for (let c = 0; c < this.plan.count; c++) b += this.baseOffsets[c]!.byteLength + this.baseEntries[c]!.byteLength;
    for (const h of this.tailHead) b += h.byteLength;
    return b;
  }

  has(id: number): boolean {
    return this.idTable.get(id) >= 0;
  }

  get(id: number): string | undefined {
    const s = this.idTable.get(id);
    return s < 0 ? undefined : wordsToHex(this.hashes, s * this.words, this.words);
  }

  /** Adds or replaces the hash stored under `id` (a non-negative integer, e.g. a row id). */
  add(id: number, hex: string): void {
    this.checkHex(hex);
    this.addWords(id, hexToWords(hex));
  }

  /** Adds the hash held as `this.words` uint32 (hex order) in `src` at `offset`. */
  addWords(id: number, src: Uint32Array, offset = 0): void {
    IdTable.checkId(id);
    if (this.idTable.get(id) >= 0) this.remove(id);
    this.linkTail(this.appendSlot(id, src, offset));
    this.maybeRebuild();
  }

  /** Bulk load: `src` holds ids.length hashes back to back; one rebuild at the end. */
  addMany(ids: ArrayLike<number>, src: Uint32Array): void {
    if (src.length !== ids.length * this.words) throw new TollgateError('input.invalid', 'addMany: hash buffer length does not match ids');
    this.reserve(this.slots + ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      IdTable.checkId(id);
      if (this.idTable.get(id) >= 0) this.remove(id);
      this.appendSlot(id, src, i * this.words);
    }
    this.rebuild();
  }

  /**
   * Bulk load from (id, hex) pairs, e.g. rows streamed from the database at start-up: one
   * rebuild at the end instead of the ~log(n)/log(1.125) rebuilds that add() in a loop triggers.
   */
  addAll(entries: Iterable<readonly [number, string]>): void {
    const ids: number[] = [];
    let buf = new Uint32Array(1024 * this.words);
    for (const [id, hex] of entries) {
      this.checkHex(hex);
      if ((ids.length + 1) * this.words > buf.length) {
        const next = new Uint32Array(buf.length * 2);
        next.set(buf);
        buf = next;
      }
      hexToWords(hex, buf, ids.length * this.words);
      ids.push(id);
    }
    this.addMany(ids, buf.subarray(0, ids.length * this.words));
  }

  remove(id: number): boolean {
    const slot = this.idTable.get(id);
    if (slot < 0) return false;
    this.idTable.delete(id);
    this.ids[slot] = DEAD;
    this.live--;
    this.maybeRebuild();
    return true;
  }

  search(hex: string, radius: number): HammingMatch[] {
    this.checkHex(hex);
    return this.searchWords(hexToWords(hex), radius);
  }

  /** All live hashes within `radius` of the query, nearest first (ties by id). */
  searchWords(q: Uint32Array, radius: number): HammingMatch[] {
    if (!Number.isInteger(radius) || radius < 0) throw new TollgateError('input.invalid', `radius must be a non-negative integer, got ${radius}`);
    if (q.length !== this.words) throw new TollgateError('input.invalid', `expected ${this.words} words, got ${q.length}`);
    const flips = Math.floor(radius / this.plan.count);
    const out = this.useLinear(flips) ? this.scan(q, radius) : this.probe(q, radius, flips);
    return out.sort((a, b) => a.distance - b.distance || a.id - b.id);
  }

  private checkHex(hex: string): void {
    if (hex.length * 4 !== this.bits) throw new TollgateError('input.invalid', `expected a ${this.bits}-bit hash, got ${hex.length} hex chars`);
  }

  private useLinear(flips: number): boolean {
    if (this.strategy !== 'auto') return this.strategy === 'linear';
    // Probing costs a bucket visit per probe plus its candidates; a scan one compare per hash.
    let cost = 0;
    for (let c = 0; c < this.plan.count; c++) {
      const len = this.plan.lens[c]!;
      if (flips >= len) return true;
      cost += flipMasks(len, flips).length * (1 + this.slots / 2 ** len);
    }
    return cost >= this.slots;
  }

  private scan(q: Uint32Array, radius: number): HammingMatch[] {
    const out: HammingMatch[] = [];
    const { words, hashes, ids } = this;
    for (let s = 0; s < this.slots; s++) {
      const id = ids[s]!;
      if (id === DEAD) continue;
      const d = hammingWords(q, 0, hashes, s * words, words);
      if (d <= radius) out.push({ id, distance: d });
    }
    return out;
  }

  private probe(q: Uint32Array, radius: number, flips: number): HammingMatch[] {
    // A match shows up once per chunk where it is within the flip budget; candidates that fail
    // the full check are never stored, so the set only ever holds matches.
    const seen = new Set<number>();
    const out: HammingMatch[] = [];
    const { plan, tailPlan } = this;
    for (let c = 0; c < plan.count; c++) {
      const key = chunkKey(q, 0, plan.starts[c]!, plan.lens[c]!);
      const masks = flipMasks(plan.lens[c]!, flips);
      const offs = this.baseOffsets[c]!;
      const ents = this.baseEntries[c]!;
      for (let p = 0; p < masks.length; p++) {
        const k = key ^ masks[p]!;
        this.verifyRun(q, radius, ents, offs[k]!, offs[k + 1]!, seen, out);
      }
    }
    if (this.slots > this.baseEnd) {
      const tf = Math.floor(radius / tailPlan.count);
      const m = tailPlan.count;
      for (let c = 0; c < m; c++) {
        const key = chunkKey(q, 0, tailPlan.starts[c]!, tailPlan.lens[c]!);
        const masks = flipMasks(tailPlan.lens[c]!, tf);
        const head = this.tailHead[c]!;
        for (let p = 0; p < masks.length; p++) {
          for (let s = head[key ^ masks[p]!]!; s >= 0; s = this.tailNext[(s - this.baseEnd) * m + c]!) {
            this.check(q, radius, s, seen, out);
          }
        }
      }
    }
    return out;
  }

  private check(q: Uint32Array, radius: number, s: number, seen: Set<number>, out: HammingMatch[]): void {
    const id = this.ids[s]!;
    if (id === DEAD) return;
    const d = hammingWords(q, 0, this.hashes, s * this.words, this.words);
    if (d <= radius && !seen.has(s)) {
      seen.add(s);
      out.push({ id, distance: d });
    }
  }

  private verifyRun(q: Uint32Array, radius: number, ents: Uint32Array, from: number, to: number, seen: Set<number>, out: HammingMatch[]): void {
    if (from === to) return;
    if (this.words !== 8) {
      for (let e = from; e < to; e++) this.check(q, radius, ents[e]!, seen, out);
      return;
    }
    // PDQ is the hot case: with the query in locals and the popcount unrolled, V8 keeps the
    // whole candidate check in registers (measured ~2x faster than the generic loop).
    const { hashes, ids } = this;
    const q0 = q[0]!, q1 = q[1]!, q2 = q[2]!, q3 = q[3]!, q4 = q[4]!, q5 = q[5]!, q6 = q[6]!, q7 = q[7]!;
    for (let e = from; e < to; e++) {
      const s = ents[e]!;
      const o = s * 8;
      const d =
        popcount32((hashes[o]! ^ q0) >>> 0) + popcount32((hashes[o + 1]! ^ q1) >>> 0) +
        popcount32((hashes[o + 2]! ^ q2) >>> 0) + popcount32((hashes[o + 3]! ^ q3) >>> 0) +
        popcount32((hashes[o + 4]! ^ q4) >>> 0) + popcount32((hashes[o + 5]! ^ q5) >>> 0) +
        popcount32((hashes[o + 6]! ^ q6) >>> 0) + popcount32((hashes[o + 7]! ^ q7) >>> 0);
      if (d <= radius) {
        const id = ids[s]!;
        if (id !== DEAD && !seen.has(s)) {
          seen.add(s);
          out.push({ id, distance: d });
        }
      }
    }
  }

  private reserve(n: number): void {
    if (n <= this.ids.length) return;
    const cap = Math.max(n, Math.ceil(this.ids.length * 1.5));
    const h = new Uint32Array(cap * this.words);
    h.set(this.hashes.subarray(0, this.slots * this.words));
    this.hashes = h;
    const ids = new Float64Array(cap);
    ids.set(this.ids.subarray(0, this.slots));
    this.ids = ids;
  }

  private appendSlot(id: number, src: Uint32Array, offset: number): number {
    this.reserve(this.slots + 1);
    const slot = this.slots++;
    for (let k = 0; k < this.words; k++) this.hashes[slot * this.words + k] = src[offset + k]!;
    this.ids[slot] = id;
    this.idTable.set(id, slot);
    this.live++;
    return slot;
  }

  private linkTail(slot: number): void {
    const m = this.tailPlan.count;
    const t = slot - this.baseEnd;
    if ((t + 1) * m > this.tailNext.length) {
      const next = new Int32Array(Math.max((t + 1) * m, this.tailNext.length * 2));
      next.set(this.tailNext);
      this.tailNext = next;
    }
    for (let c = 0; c < m; c++) {
      const k = chunkKey(this.hashes, slot * this.words, this.tailPlan.starts[c]!, this.tailPlan.lens[c]!);
      const head = this.tailHead[c]!;
      this.tailNext[t * m + c] = head[k]!;
      head[k] = slot;
    }
  }

  private maybeRebuild(): void {
    const tail = this.slots - this.baseEnd;
    const dead = this.slots - this.live;
    // Tail lists are pointer chases; past ~1/8 of the base they cost more than a rebuild amortises.
    if (tail > Math.max(MIN_TAIL, this.baseEnd / 8) || dead > Math.max(MIN_TAIL, this.live / 4)) this.rebuild();
  }

  private resetTables(): void {
    const { plan } = this;
    this.baseOffsets = Array.from({ length: plan.count }, (_, c) => new Uint32Array(2 ** plan.lens[c]! + 1));
    this.baseEntries = Array.from({ length: plan.count }, () => new Uint32Array(0));
  }

  /** Drops tombstones, re-plans the chunks for the current size and rebuilds every CSR table. */
  rebuild(): void {
    this.compact();
    const n = this.slots;
    const plan = planChunks(this.bits, n, this.fixedChunks, this.tuneRadius);
    if (plan.count !== this.plan.count || plan.lens.some((l, c) => l !== this.plan.lens[c])) {
      this.plan = plan;
      this.resetTables();
    }
    // Counting sort per chunk. Keys are extracted once per chunk into a reused buffer, and the
    // offsets double as fill cursors (shifted back afterwards) so no table is copied.
    const keys = new Uint32Array(n);
    for (let c = 0; c < plan.count; c++) {
      const start = plan.starts[c]!;
      const len = plan.lens[c]!;
      const offs = this.baseOffsets[c]!;
      offs.fill(0);
      for (let s = 0; s < n; s++) {
        const k = chunkKey(this.hashes, s * this.words, start, len);
        keys[s] = k;
        offs[k + 1]!++;
      }
      for (let k = 1; k < offs.length; k++) offs[k] = offs[k]! + offs[k - 1]!;
      this.baseEntries[c] = new Uint32Array(0); // release before allocating the new table
      const ents = new Uint32Array(n);
      for (let s = 0; s < n; s++) ents[offs[keys[s]!]!++] = s;
      // Each offs[k] now holds the end of bucket k, i.e. the start of k + 1: shift back by one.
      offs.copyWithin(1, 0, offs.length - 1);
      offs[0] = 0;
      this.baseEntries[c] = ents;
    }
    this.baseEnd = n;
    this.tailNext = new Int32Array(0);
  }

  private compact(): void {
    if (this.live === this.slots) return;
    const { words, hashes, ids } = this;
    let w = 0;
    for (let s = 0; s < this.slots; s++) {
      const id = ids[s]!;
      if (id === DEAD) continue;
      if (w !== s) {
        hashes.copyWithin(w * words, s * words, (s + 1) * words);
        ids[w] = id;
        this.idTable.set(id, w);
      }
      w++;
    }
    this.slots = w;
  }
}

