/**
 * The process's in-memory local-feature indexes, per tenant: one over upload keypoints, one over all
 * the tenant's bank entries' keypoints. Derived from upload_keypoints and bank_entry_keypoints the
 * same way MatchIndexes derives the PDQ indexes: streamed in id order on first use, kept current by
 * an id watermark checked before every search and warmed by the same NOTIFY channel. A search is
 * vote (DescriptorIndex) → verify (RANSAC) on the few best-voted images, so what it returns is
 * already geometrically confirmed. Logo-bank entries are kept apart from the other banks' images: they
 * are searched for inside uploads (searchLogos, copyright.logo), never as copies (searchBanks, ref.match).
 */
import type { Database } from '../../db/database.ts';
import { decodeKeypoints } from '../../fingerprint/keypoints/format.ts';
import type { KeypointSet } from '../../fingerprint/keypoints/extract.ts';
import { pullRows, TableFollower, type FollowedTable } from '../follower.ts';
import { Watermark } from '../watermark.ts';
import { DescriptorIndex } from './descriptor-index.ts';
import { verifyLogo, type LogoVerification } from './logo-verify.ts';
import { verifyPair, type Verification } from './verify.ts';

/** Best-voted images verified per query: verification is ~1–5 ms each, voting is what scales. */
const VERIFY_CANDIDATES = 8;
/** A tenant's logos verified one by one up to this many (tens of ms each); beyond it, the best-voted this many. */
const LOGO_CANDIDATES = 16;
/** Two logo boxes overlapping this much (of the smaller) are one place. */
const SAME_PLACE_OVERLAP = 0.5;

export interface LocalHit extends Verification {
  /** Row id in upload_keypoints or bank_entry_keypoints. */
  id: number;
  votes: number;
  /** Found by the query's mirrored keypoints: the upload is a mirror image of the stored one. */
  mirrored?: true;
}

export interface LogoHit extends LogoVerification {
  /** Row id in bank_entry_keypoints. */
  id: number;
}

export interface LocalIndexOptions {
  batch?: number;
  listen?: boolean;
  /** Also follow upload_keypoints (default true); bank-only matching leaves uploads' rows, if any, out of memory. */
  uploads?: boolean;
}

interface KeypointRow {
  id: number;
  owner: string;
  data: Uint8Array;
  /** A logo bank's entry (bank rows only). */
  logo?: boolean;
}

const TABLES = {
  uploads: 'SELECT id, tenant_id AS owner, data FROM upload_keypoints',
  // A subquery so that pullRows' `WHERE id …` applies to the keypoint row's id; a bank's kind never changes.
  banks: `SELECT * FROM (SELECT k.id, k.tenant_id AS owner, k.data, b.kind = 'logo' AS logo
            FROM bank_entry_keypoints k JOIN bank_entries e ON e.id = k.entry_id JOIN banks b ON b.id = e.bank_id) AS bank_keypoints`,
} as const;
type TableName = keyof typeof TABLES;
type IndexName = TableName | 'logos';

export class LocalIndexes {
  private readonly indexes = new Map<string, DescriptorIndex>();
  /** Per tenant, its logo entries' row ids, for verifying each when there are few. */
  private readonly logos = new Map<string, number[]>();
  private readonly marks: Record<TableName, Watermark> = { uploads: new Watermark(), banks: new Watermark() };
  private readonly batch: number;
  private readonly follower: TableFollower;
  private readonly tables: readonly TableName[];

  constructor(
    private readonly db: Database,
    options: LocalIndexOptions = {},
  ) {
    // Rows are ~20 KB each: smaller batches than the PDQ index keep each catch-up query's result modest.
    this.batch = options.batch ?? 2_000;
    this.tables = options.uploads === false ? ['banks'] : ['uploads', 'banks'];
    this.follower = new TableFollower(db, () => this.pull(), options.listen ?? true);
  }

  start(): Promise<void> {
    return this.follower.start();
  }

  close(): Promise<void> {
    return this.follower.close();
  }

  /** Images indexed for a tenant's uploads, banks or logo banks. */
  size(tenantId: string, index: IndexName): number {
    return this.indexes.get(key(index, tenantId))?.size ?? 0;
  }

  /** Same contract as MatchIndexes.catchUp: resolves once everything committed before the call is indexed. */
  catchUp(): Promise<void> {
    return this.follower.catchUp();
  }

  /** Whether the tenant's banks hold any image's keypoints (any kind, enabled or not): answered from memory once caught up. */
  async hasBankImages(tenantId: string): Promise<boolean> {
    await this.start();
    await this.catchUp();
    return this.size(tenantId, 'banks') > 0;
  }

  /** Whether the tenant has any logo-bank entry (enabled or not): answered from memory once caught up. */
  async hasLogos(tenantId: string): Promise<boolean> {
    await this.start();
    await this.catchUp();
    return this.size(tenantId, 'logos') > 0;
  }

  /** Logo entries found inside the query (keypoints from logoQueryKeypoints), most inliers first. */
  async searchLogos(tenantId: string, query: KeypointSet, minInliers: number): Promise<LogoHit[]> {
    await this.start();
    await this.catchUp();
    const index = this.indexes.get(key('logos', tenantId));
    const logos = this.logos.get(tenantId);
    return index && logos ? findLogos(index, logos, query, minInliers) : [];
  }

  /** With `mirrored` (the query's mirrored keypoints), a query that finds nothing is repeated with them. */
  async searchUploads(tenantId: string, query: KeypointSet, minInliers: number, mirrored?: KeypointSet): Promise<LocalHit[]> {
    return this.search('uploads', tenantId, query, minInliers, mirrored);
  }

  async searchBanks(tenantId: string, query: KeypointSet, minInliers: number, mirrored?: KeypointSet): Promise<LocalHit[]> {
    return this.search('banks', tenantId, query, minInliers, mirrored);
  }

  private async search(table: TableName, tenantId: string, query: KeypointSet, minInliers: number, mirrored?: KeypointSet): Promise<LocalHit[]> {
    await this.start();
    await this.catchUp();
    const index = this.indexes.get(key(table, tenantId));
    if (!index) return [];
    return verifyCandidates(index, query, minInliers, mirrored);
  }

  private pull(): Promise<void> {
    return pullRows(
      this.db,
      this.tables.map((table): FollowedTable<KeypointRow> => ({ select: TABLES[table], mark: this.marks[table], batch: this.batch, add: (rows) => this.addRows(table, rows) })),
    );
  }

  private addRows(table: TableName, rows: readonly KeypointRow[]): void {
    for (const row of rows) {
      const id = Number(row.id);
      this.marks[table].observe(id);
      const k = key(row.logo ? 'logos' : table, row.owner);
      let index = this.indexes.get(k);
      if (!index) this.indexes.set(k, (index = new DescriptorIndex()));
      if (index.has(id)) continue;
      index.add(id, decodeKeypoints(row.data));
      if (row.logo && index.has(id)) {
        let ids = this.logos.get(row.owner);
        if (!ids) this.logos.set(row.owner, (ids = []));
        ids.push(id);
      }
    }
  }
}

const key = (index: IndexName, tenantId: string): string => `${index}:${tenantId}`;

/**
 * The logos of `ids` (all in `index`) found in the query: each verified when there are few, else the
 * best-voted LOGO_CANDIDATES. Where several are found at one place, only the strongest is: wordmarks set in
 * one typeface share letters, so a logo's text also verifies, more weakly, as other logos.
 */
export function findLogos(index: DescriptorIndex, ids: readonly number[], query: KeypointSet, minInliers: number): LogoHit[] {
  const verified = ids.length <= LOGO_CANDIDATES ? ids : index.candidates(query, LOGO_CANDIDATES, 1).map((c) => c.id);
  const hits: LogoHit[] = [];
  for (const id of verified) {
    const logo = index.get(id);
    const v = logo ? verifyLogo(query, logo) : null;
    if (v && v.inliers >= minInliers) hits.push({ id, ...v });
  }
  hits.sort((a, b) => b.inliers - a.inliers || a.id - b.id);
  const kept: LogoHit[] = [];
  for (const hit of hits) if (!kept.some((k) => overlapOfSmaller(k.box, hit.box) >= SAME_PLACE_OVERLAP)) kept.push(hit);
  return kept;
}

/** Share of the smaller box inside the other one. */
function overlapOfSmaller(a: LogoHit['box'], b: LogoHit['box']): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  return (w * h) / Math.max(1e-9, Math.min(a.width * a.height, b.width * b.height));
}

/**
 * Vote, then verify the best-voted images; verified hits only, most inliers first. When that finds nothing
 * and the query's `mirrored` keypoints are given, the same with them: a mirrored copy costs a second vote
 * (~the first's time) only for uploads that match nothing directly.
 */
export function verifyCandidates(index: DescriptorIndex, query: KeypointSet, minInliers: number, mirrored?: KeypointSet): LocalHit[] {
  const direct = verifyVoted(index, query, minInliers);
  if (direct.length > 0 || !mirrored) return direct;
  return verifyVoted(index, mirrored, minInliers).map((h) => ({ ...h, mirrored: true }));
}

function verifyVoted(index: DescriptorIndex, query: KeypointSet, minInliers: number): LocalHit[] {
  const out: LocalHit[] = [];
  for (const c of index.candidates(query, VERIFY_CANDIDATES, minInliers)) {
    const ref = index.get(c.id);
    const v = ref ? verifyPair(query, ref) : null;
    if (v && v.inliers >= minInliers) out.push({ id: c.id, votes: c.votes, ...v });
  }
  return out.sort((a, b) => b.inliers - a.inliers || a.id - b.id);
}
