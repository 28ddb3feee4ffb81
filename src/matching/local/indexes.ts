/**
 * The process's in-memory local-feature indexes, per tenant: one over upload keypoints, one over all
 * the tenant's bank entries' keypoints. Derived from upload_keypoints and bank_entry_keypoints the
 * same way MatchIndexes derives the PDQ indexes: streamed in id order on first use, kept current by
 * an id watermark checked before every search and warmed by the same NOTIFY channel. A search is
 * vote (DescriptorIndex) → verify (RANSAC) on the few best-voted images, so what it returns is
 * already geometrically confirmed.
 */
import type { Database } from '../../db/database.ts';
import { decodeKeypoints } from '../../fingerprint/keypoints/format.ts';
import type { KeypointSet } from '../../fingerprint/keypoints/extract.ts';
import { HASHES_CHANNEL } from '../indexes.ts';
import { Watermark } from '../watermark.ts';
import { DescriptorIndex } from './descriptor-index.ts';
import { verifyPair, type Verification } from './verify.ts';

const WARM_UP_DELAY_MS = 1_000;
/** Best-voted images verified per query: verification is ~1–5 ms each, voting is what scales. */
const VERIFY_CANDIDATES = 8;

export interface LocalHit extends Verification {
  /** Row id in upload_keypoints or bank_entry_keypoints. */
  id: number;
  votes: number;
}

export interface LocalIndexOptions {
  batch?: number;
  listen?: boolean;
}

interface KeypointRow {
  id: number;
  owner: string;
  data: Uint8Array;
}

const TABLES = {
  uploads: 'SELECT id, tenant_id AS owner, data FROM upload_keypoints',
  banks: 'SELECT id, tenant_id AS owner, data FROM bank_entry_keypoints',
} as const;
type TableName = keyof typeof TABLES;

export class LocalIndexes {
  private readonly indexes = new Map<string, DescriptorIndex>();
  private readonly marks: Record<TableName, Watermark> = { uploads: new Watermark(), banks: new Watermark() };
  private readonly batch: number;
  private readonly listenEnabled: boolean;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private warmTimer: NodeJS.Timeout | null = null;
  private started: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly db: Database,
    options: LocalIndexOptions = {},
  ) {
    // Rows are ~20 KB each: smaller batches than the PDQ index keep each catch-up query's result modest.
    this.batch = options.batch ?? 2_000;
    this.listenEnabled = options.listen ?? true;
  }

  start(): Promise<void> {
    this.started ??= (async () => {
      if (this.listenEnabled && !this.unlisten) {
        this.unlisten = await this.db.listen(HASHES_CHANNEL, () => {
          if (this.closed || this.warmTimer) return;
          this.warmTimer = setTimeout(() => {
            this.warmTimer = null;
            if (!this.closed) this.catchUp().catch(() => undefined);
          }, WARM_UP_DELAY_MS);
          this.warmTimer.unref();
        });
      }
      await this.catchUp();
    })();
    this.started.catch(() => {
      this.started = null;
    });
    return this.started;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.warmTimer) clearTimeout(this.warmTimer);
    await this.unlisten?.().catch(() => undefined);
    await this.running?.catch(() => undefined);
  }

  /** Images indexed for a tenant's uploads or banks. */
  size(tenantId: string, table: TableName): number {
    return this.indexes.get(key(table, tenantId))?.size ?? 0;
  }

  /** Same contract as MatchIndexes.catchUp: resolves once everything committed before the call is indexed. */
  catchUp(): Promise<void> {
    if (!this.running) {
      this.running = this.pull().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    if (!this.queued) {
      const next = (): Promise<void> => {
        this.queued = null;
        return this.catchUp();
      };
      this.queued = this.running.then(next, next);
    }
    return this.queued;
  }

  async searchUploads(tenantId: string, query: KeypointSet, minInliers: number): Promise<LocalHit[]> {
    return this.search('uploads', tenantId, query, minInliers);
  }

  async searchBanks(tenantId: string, query: KeypointSet, minInliers: number): Promise<LocalHit[]> {
    return this.search('banks', tenantId, query, minInliers);
  }

  private async search(table: TableName, tenantId: string, query: KeypointSet, minInliers: number): Promise<LocalHit[]> {
    await this.start();
    await this.catchUp();
    const index = this.indexes.get(key(table, tenantId));
    if (!index) return [];
    return verifyCandidates(index, query, minInliers);
  }

  private async pull(): Promise<void> {
    await this.pullTable('uploads');
    await this.pullTable('banks');
  }

  private async pullTable(table: TableName): Promise<void> {
    const mark = this.marks[table];
    const gaps = mark.pending();
    if (gaps.length > 0) this.addRows(table, await this.db.query<KeypointRow>(`${TABLES[table]} WHERE id = ANY($1::bigint[]) ORDER BY id`, [gaps]));
    for (;;) {
      const rows = await this.db.query<KeypointRow>(`${TABLES[table]} WHERE id > $1 ORDER BY id LIMIT $2`, [mark.high, this.batch]);
      this.addRows(table, rows);
      if (rows.length < this.batch) return;
    }
  }

  private addRows(table: TableName, rows: readonly KeypointRow[]): void {
    for (const row of rows) {
      const id = Number(row.id);
      this.marks[table].observe(id);
      const k = key(table, row.owner);
      let index = this.indexes.get(k);
      if (!index) this.indexes.set(k, (index = new DescriptorIndex()));
      index.add(id, decodeKeypoints(row.data));
    }
  }
}

const key = (table: TableName, tenantId: string): string => `${table}:${tenantId}`;

/** Vote, then verify the best-voted images; verified hits only, most inliers first. */
export function verifyCandidates(index: DescriptorIndex, query: KeypointSet, minInliers: number): LocalHit[] {
  const out: LocalHit[] = [];
  for (const c of index.candidates(query, VERIFY_CANDIDATES, minInliers)) {
    const ref = index.get(c.id);
    const v = ref ? verifyPair(query, ref) : null;
    if (v && v.inliers >= minInliers) out.push({ id: c.id, votes: c.votes, ...v });
  }
  return out.sort((a, b) => b.inliers - a.inliers || a.id - b.id);
}
