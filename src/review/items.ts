import { TollgateError } from '../errors.ts';
import { queryOne, type Queryable } from '../db/database.ts';
import { newId } from '../db/ids.ts';
import { audit } from '../db/audit.ts';

export interface ReviewItem {
  id: string;
  upload_id: string;
  priority: number;
  reasons: string[];
  status: 'open' | 'claimed' | 'decided';
  claimed_by: string | null;
  claim_expires_at: Date | null;
  created_at: Date;
}

export interface ReviewDecisionInput {
  decision: 'accept' | 'reject';
  reviewer: string;
  labels?: string[] | undefined;
  notes?: string | undefined;
}

/** Open items first by priority; claimed items whose claim expired count as open again. */
export async function listReviewItems(
  db: Queryable,
  tenantId: string,
  filter: { status?: 'open' | 'claimed' | 'decided'; limit: number },
): Promise<ReviewItem[]> {
  const status = filter.status ?? 'open';
  const where =
    status === 'open'
      ? `(status = 'open' OR (status = 'claimed' AND claim_expires_at < now()))`
      : status === 'claimed'
        ? `status = 'claimed' AND claim_expires_at >= now()`
        : `status = 'decided'`;
  return db.query<ReviewItem>(
    `SELECT id, upload_id, priority, reasons, status, claimed_by, claim_expires_at, created_at FROM review_items
      WHERE tenant_id = $1 AND ${where} ORDER BY priority DESC, created_at LIMIT $2`,
    [tenantId, filter.limit],
  );
}

export async function getReviewItem(db: Queryable, tenantId: string, id: string): Promise<ReviewItem | undefined> {
  return queryOne<ReviewItem>(
    db,
    'SELECT id, upload_id, priority, reasons, status, claimed_by, claim_expires_at, created_at FROM review_items WHERE tenant_id = $1 AND id = $2',
    [tenantId, id],
  );
}

/** A claim expires so an abandoned item returns to the queue by itself. */
export async function claimReviewItem(db: Queryable, tenantId: string, id: string, reviewer: string, ttlSeconds: number): Promise<ReviewItem> {
  const claimed = await queryOne<ReviewItem>(
    db,
    `UPDATE review_items SET status = 'claimed', claimed_by = $3, claim_expires_at = now() + ($4 || ' seconds')::interval
      WHERE tenant_id = $1 AND id = $2 AND (status = 'open' OR (status = 'claimed' AND (claim_expires_at < now() OR claimed_by = $3)))
      RETURNING id, upload_id, priority, reasons, status, claimed_by, claim_expires_at, created_at`,
    [tenantId, id, reviewer, String(ttlSeconds)],
  );
  if (!claimed) {
    const item = await getReviewItem(db, tenantId, id);
    if (!item) throw new TollgateError('input.not_found', 'review item not found');
    throw new TollgateError('input.conflict', item.status === 'decided' ? 'review item already decided' : `review item is claimed by ${item.claimed_by}`);
  }
  return claimed;
}

export async function decideReviewItem(tx: Queryable, tenantId: string, id: string, input: ReviewDecisionInput): Promise<{ item: ReviewItem; decisionId: string }> {
  const item = await queryOne<ReviewItem>(tx, 'SELECT * FROM review_items WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [tenantId, id]);
  if (!item) throw new TollgateError('input.not_found', 'review item not found');
  if (item.status === 'decided') throw new TollgateError('input.conflict', 'review item already decided');
  if (item.status === 'claimed' && item.claimed_by !== input.reviewer && item.claim_expires_at && new Date(item.claim_expires_at) > new Date()) {
    throw new TollgateError('input.conflict', `review item is claimed by ${item.claimed_by}`);
  }
  const decisionId = newId();
  await tx.query(
    `INSERT INTO review_decisions (id, tenant_id, review_item_id, upload_id, decision, reviewer, labels, notes)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [decisionId, tenantId, id, item.upload_id, input.decision, input.reviewer, JSON.stringify(input.labels ?? []), input.notes ?? null],
  );
  await tx.query(`UPDATE review_items SET status = 'decided', claim_expires_at = NULL WHERE id = $1`, [id]);
  await audit(tx, {
    tenantId,
    actor: input.reviewer,
    action: 'review.decide',
    subjectType: 'upload',
    subjectId: item.upload_id,
    data: { review_item: id, decision: input.decision, labels: input.labels ?? [], notes: input.notes ?? null },
  });
  return { item: { ...item, status: 'decided' }, decisionId };
}
