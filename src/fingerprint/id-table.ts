/**
 * id → slot map for the Hamming index: open addressing with linear probing over two typed
 * arrays. A JS Map costs ~40 bytes per entry in boxed entries; at 10 M hashes that is the
 * difference between fitting in the memory budget or not. Ids are non-negative safe integers
 * (database serials), stored as float64 so ids above 2^32 still work.
 */
import { TollgateError } from '../errors.ts';

const EMPTY = -1;

export class IdTable {
  private keys: Float64Array;
  private vals: Int32Array;
  private mask: number;
  private used = 0;

  constructor(expected = 1024) {
    const cap = tableCapacity(expected);
    this.keys = new Float64Array(cap).fill(EMPTY);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.used;
  }

  get bytes(): number {
    return this.keys.byteLength + this.vals.byteLength;
  }

  static checkId(id: number): void {
    if (!Number.isSafeInteger(id) || id < 0) throw new TollgateError('input.invalid', `index ids are non-negative integers, got ${id}`);
  }

  private home(id: number): number {
    const lo = id >>> 0;
    const hi = Math.floor(id / 4294967296) >>> 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h & this.mask;
  }

  get(id: number): number {
    for (let i = this.home(id); ; i = (i + 1) & this.mask) {
      const k = this.keys[i]!;
      if (k === id) return this.vals[i]!;
      if (k === EMPTY) return -1;
    }
  }

  set(id: number, slot: number): void {
    if ((this.used + 1) * 4 > this.keys.length * 3) this.resize(this.keys.length * 2);
    for (let i = this.home(id); ; i = (i + 1) & this.mask) {
      const k = this.keys[i]!;
      if (k === id) {
        this.vals[i] = slot;
        return;
      }
      if (k === EMPTY) {
        this.keys[i] = id;
        this.vals[i] = slot;
        this.used++;
        return;
      }
    }
  }

  /** Backward-shift deletion keeps probe chains intact without tombstones. */
  delete(id: number): boolean {
    let i = this.home(id);
    for (; ; i = (i + 1) & this.mask) {
      const k = this.keys[i]!;
      if (k === EMPTY) return false;
      if (k === id) break;
    }
    let hole = i;
    for (let j = (hole + 1) & this.mask; ; j = (j + 1) & this.mask) {
      const k = this.keys[j]!;
      if (k === EMPTY) break;
      const h = this.home(k);
      // Move j into the hole when its home does not lie cyclically in (hole, j].
      const between = hole <= j ? h > hole && h <= j : h > hole || h <= j;
      if (!between) {
        this.keys[hole] = k;
        this.vals[hole] = this.vals[j]!;
        hole = j;
      }
    }
    this.keys[hole] = EMPTY;
    this.used--;
    return true;
  }

  private resize(cap: number): void {
    const { keys, vals } = this;
    this.keys = new Float64Array(cap).fill(EMPTY);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
    this.used = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) this.set(keys[i]!, vals[i]!);
  }
}

function tableCapacity(expected: number): number {
  let cap = 16;
  while (cap * 3 < expected * 4 + 4) cap *= 2;
  return cap;
}
