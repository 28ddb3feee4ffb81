/**
 * Catch-up position over a bigserial table. Serials are handed out at INSERT but become visible at
 * COMMIT, so a reader can see id 7 before id 6 commits; a plain "id > highest seen" would skip 6
 * forever. Ids jumped over are remembered as gaps and asked for again until they appear or expire
 * (a rolled-back insert burns its serial and never appears).
 */
export class Watermark {
  high = 0;
  private readonly gaps = new Map<number, number>();

  constructor(
    private readonly gapTtlMs = 120_000,
    /** A jump wider than this is a sequence restart or a bulk delete, not in-flight inserts. */
    private readonly maxGap = 10_000,
  ) {}

  /** Ids to ask for again besides everything above `high`. */
  pending(now = Date.now()): number[] {
    for (const [id, since] of this.gaps) if (now - since > this.gapTtlMs) this.gaps.delete(id);
    return [...this.gaps.keys()];
  }

  /** Records ids seen, in ascending order. */
  observe(id: number, now = Date.now()): void {
    if (id <= this.high) {
      this.gaps.delete(id);
      return;
    }
    if (id - this.high - 1 <= this.maxGap) for (let g = this.high + 1; g < id; g++) this.gaps.set(g, now);
    this.high = id;
  }

  get gapCount(): number {
    return this.gaps.size;
  }
}
