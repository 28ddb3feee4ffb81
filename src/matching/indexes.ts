/**
 * The process's in-memory PDQ indexes, per tenant: one for upload image hashes, one for video frame
 * hashes and one for all the tenant's bank entries (one per bank would cost each bank the index's fixed
 * tail tables, ~4 MB; which bank an entry is in, and whether it is enabled, is read with the hit). PostgreSQL is the source of truth; these are derived:
 * built by streaming the tables in id order on first use, then kept current by an id watermark
 * (checked before every search, one indexed query per table) and warmed by NOTIFY so searches
 * rarely find much to catch up on. Only ids and hashes live here; what a match means (which
 * upload, whose, which source URL) is read from the database for the few hits, which keeps memory
 * at the index's typed arrays even for banks of millions.
 */
import type { Database, Row, Statement } from '../db/database.ts';
import { hexToWords } from '../fingerprint/bits.ts';
import { HammingIndex } from '../fingerprint/mih.ts';
import { PDQ_MIN_QUALITY } from '../fingerprint/pdq.ts';
import { pullPlan, pullRows, TableFollower, type FollowedTable } from './follower.ts';
import { Watermark } from './watermark.ts';


export type UploadHashKind = 'pdq' | 'vpdq';

export interface IndexHit {
  /** Row id in upload_hashes or bank_entries. */
  id: number;
  distance: number;
  /** Which query hash found it (position in the array passed to search). */
  query: number;
}

export interface MatchIndexOptions {
  /** Rows per catch-up query. */
  batch?: number;
  minQuality?: number;
  /** Subscribe to NOTIFY (default true); tests turn it off to prove the watermark alone suffices. */
  listen?: boolean;
}

interface HashRow {
  id: number;
  owner: string;
  kind: string;
  hash: string;
  quality: number;
}

const TABLES = {
  uploads: { sql: 'SELECT id, tenant_id AS owner, kind, hash, quality FROM upload_hashes' },
  banks: { sql: "SELECT id, tenant_id AS owner, 'pdq' AS kind, pdq AS hash, quality FROM bank_entries" },
} as const;
type TableName = keyof typeof TABLES;

export class MatchIndexes {
  private readonly indexes = new Map<string, HammingIndex>();
  private readonly marks: Record<TableName, Watermark> = { uploads: new Watermark(), banks: new Watermark() };
  private readonly batch: number;
  private readonly minQuality: number;
  private readonly follower: TableFollower;
  /** During the first load rows are staged and bulk-loaded (one table build instead of one per tail overflow). */
  private staging: Map<string, { ids: number[]; hashes: string[] }> | null = null;

  constructor(
    private readonly db: Database,
    options: MatchIndexOptions = {},
  ) {
    this.batch = options.batch ?? 20_000;
    this.minQuality = options.minQuality ?? PDQ_MIN_QUALITY;
    this.follower = new TableFollower(db, () => this.pull(), options.listen ?? true);
  }

  /** Loads everything and subscribes to NOTIFY. Idempotent; searches call it, workers call it at start. */
  start(): Promise<void> {
    return this.follower.start(async () => {
      this.staging = new Map();
      try {
        await this.follower.catchUp();
        for (const [key, staged] of this.staging) {
          const words = new Uint32Array(staged.ids.length * 8);
          staged.hashes.forEach((hex, i) => hexToWords(hex, words, i * 8));
          this.indexFor(key).addMany(staged.ids, words);
        }
      } finally {
        this.staging = null;
      }
    });
  }

  close(): Promise<void> {
    return this.follower.close();
  }

  /** Highest row ids seen (for tests and diagnostics). */
  get watermarks(): { uploads: number; banks: number } {
    return { uploads: this.marks.uploads.high, banks: this.marks.banks.high };
  }

  /** Number of hashes indexed for an upload kind of a tenant, or for all of a tenant's banks. */
  size(key: { tenantId: string; kind: UploadHashKind | 'banks' }): number {
    return this.indexes.get(key.kind === 'banks' ? bankKey(key.tenantId) : uploadKey(key.tenantId, key.kind))?.size ?? 0;
  }

  /** Brings the indexes up to everything committed before this call (see TableFollower.catchUp). */
  catchUp(): Promise<void> {
    return this.follower.catchUp();
  }

  /**
   * The catch-up as statements for another batch (an ingest's), so the searches made for that upload need
   * no round trip of their own: `settle` takes their rows and says whether the indexes then hold everything
   * committed before that batch (false when a table had more new rows than a page: the searches then catch
   * up themselves). Undefined until the first load is done.
   */
  catchUpPlan(): { statements: Statement[]; settle(results: readonly Row[][]): boolean } | undefined {
    if (!this.follower.loaded) return undefined;
    const plan = pullPlan(this.followedTables());
    return { statements: plan.statements, settle: (results) => plan.settle(results).length === 0 };
  }

  /** `caughtUp`: the indexes already hold everything committed before the upload searched for (`catchUpPlan`). */
  async searchUploads(tenantId: string, kind: UploadHashKind, hashes: readonly string[], radius: number, caughtUp = false): Promise<IndexHit[]> {
    if (!caughtUp) await this.ready();
    return searchAll(this.indexes.get(uploadKey(tenantId, kind)), hashes, radius);
  }

  /** Entries of any of the tenant's banks, enabled or not: the caller filters when it reads the rows. */
  async searchBanks(tenantId: string, hashes: readonly string[], radius: number, caughtUp = false): Promise<IndexHit[]> {
    if (!caughtUp) await this.ready();
    return searchAll(this.indexes.get(bankKey(tenantId)), hashes, radius);
  }

  private async ready(): Promise<void> {
    await this.start();
    await this.catchUp();
  }

  private followedTables(): FollowedTable<HashRow>[] {
    const followed = (table: TableName): FollowedTable<HashRow> => ({
      select: TABLES[table].sql,
      mark: this.marks[table],
      batch: this.batch,
      add: (rows) => this.addRows(table, rows),
    });
    return [followed('uploads'), followed('banks')];
  }

  private pull(): Promise<void> {
    return pullRows(this.db, this.followedTables());
  }

  private addRows(table: TableName, rows: readonly HashRow[]): void {
    const mark = this.marks[table];
    for (const row of rows) {
      const id = Number(row.id);
      mark.observe(id);
      if (row.quality < this.minQuality) continue;
      const key = table === 'uploads' ? uploadKey(row.owner, row.kind as UploadHashKind) : bankKey(row.owner);
      const staged = this.staging;
      if (staged) {
        let list = staged.get(key);
        if (!list) staged.set(key, (list = { ids: [], hashes: [] }));
        list.ids.push(id);
        list.hashes.push(row.hash);
      } else {
        this.indexFor(key).add(id, row.hash);
      }
    }
  }

  private indexFor(key: string): HammingIndex {
    let index = this.indexes.get(key);
    if (!index) {
      index = new HammingIndex({ bits: 256 });
      this.indexes.set(key, index);
    }
    return index;
  }
}

const uploadKey = (tenantId: string, kind: UploadHashKind): string => `u:${tenantId}:${kind}`;
const bankKey = (tenantId: string): string => `b:${tenantId}`;

/** Best distance per row over all query hashes (the dihedral variants of one image, or video frames). */
function searchAll(index: HammingIndex | undefined, hashes: readonly string[], radius: number): IndexHit[] {
  if (!index || index.size === 0) return [];
  const best = new Map<number, IndexHit>();
  hashes.forEach((hash, query) => {
    for (const m of index.search(hash, radius)) {
      const seen = best.get(m.id);
      if (!seen || m.distance < seen.distance) best.set(m.id, { id: m.id, distance: m.distance, query });
    }
  });
  return [...best.values()].sort((a, b) => a.distance - b.distance || a.id - b.id);
}
