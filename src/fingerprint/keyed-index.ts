/**
 * HammingIndex keyed by strings (upload ids, UUIDs) for callers whose ids are not integers.
 * The core index takes integer ids so 10 M entries stay in typed arrays; this wrapper adds a
 * Map and an array of keys (~100 bytes per entry), fine for per-tenant and bank indexes of a
 * few million, while the largest banks should key the core index by their row serials.
 */
import { HammingIndex, type HammingIndexOptions } from './mih.ts';

export interface KeyedMatch {
  id: string;
  distance: number;
}

export class KeyedHammingIndex {
  private readonly index: HammingIndex;
  private readonly numOf = new Map<string, number>();
  private readonly keyOf: Array<string | undefined> = [];
  private readonly free: number[] = [];

  constructor(options: HammingIndexOptions) {
    this.index = new HammingIndex(options);
  }

  get size(): number {
    return this.index.size;
  }

  has(id: string): boolean {
    return this.numOf.has(id);
  }

  add(id: string, hex: string): void {
    let n = this.numOf.get(id);
    if (n === undefined) {
      // Reuse numbers of removed keys so the key array does not grow with churn.
      n = this.free.pop() ?? this.keyOf.length;
      this.index.add(n, hex);
      this.numOf.set(id, n);
      this.keyOf[n] = id;
      return;
    }
    this.index.add(n, hex);
  }

  remove(id: string): boolean {
    const n = this.numOf.get(id);
    if (n === undefined) return false;
    this.index.remove(n);
    this.numOf.delete(id);
    this.keyOf[n] = undefined;
    this.free.push(n);
    return true;
  }

  get(id: string): string | undefined {
    const n = this.numOf.get(id);
    return n === undefined ? undefined : this.index.get(n);
  }

  /** Nearest first; ties in the order of the internal numbers (insertion order). */
  search(hex: string, radius: number): KeyedMatch[] {
    return this.index.search(hex, radius).map((m) => ({ id: this.keyOf[m.id]!, distance: m.distance }));
  }
}
