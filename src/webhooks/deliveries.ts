import { TollgateError } from '../errors.ts';
import { queryOne, type Queryable } from '../db/database.ts';
import { newId } from '../db/ids.ts';
import { SIGNATURE_HEADER, signPayload } from './signature.ts';

export type WebhookEvent = 'upload.verdict' | 'upload.reviewed';

interface DeliveryRow {
  id: string;
  tenant_id: string;
  url: string;
  event: string;
  payload: Record<string, unknown>;
  status: string;
  attempts: number;
  webhook_secret: string | null;
}

/**
 * Records a delivery for the tenant's webhook, if it has one. Returns the delivery id to enqueue.
 * One delivery per (upload, event): a retried verdict never notifies twice.
 */
export async function createDelivery(
  tx: Queryable,
  tenantId: string,
  uploadId: string,
  event: WebhookEvent,
  payload: Record<string, unknown>,
  fallback?: { url?: string | undefined; secret?: string | undefined },
): Promise<string | null> {
  // The tenant's own URL wins over the configured default; with neither there is nothing to deliver.
  const rows = await tx.query<{ id: string }>(
    `INSERT INTO webhook_deliveries (id, tenant_id, upload_id, event, url, payload)
     SELECT $1, $2, $3, $4, target.url, $6
       FROM (SELECT COALESCE((SELECT webhook_url FROM tenants WHERE id = $2), $5::text) AS url) target
      WHERE target.url IS NOT NULL
     ON CONFLICT (upload_id, event) DO NOTHING RETURNING id`,
    [newId(), tenantId, uploadId, event, fallback?.url ?? null, JSON.stringify({ event, ...payload })],
  );
  return rows[0]?.id ?? null;
}

export interface DeliveryOutcome {
  delivered: boolean;
  status?: number;
  error?: string;
}

/** One attempt. Throws when the receiver did not take it, so the queue retries with backoff. */
export async function attemptDelivery(db: Queryable, deliveryId: string, defaultSecret: string | undefined, timeoutMs = 10_000): Promise<DeliveryOutcome> {
  const row = await queryOne<DeliveryRow>(
    db,
    `SELECT d.*, t.webhook_secret FROM webhook_deliveries d JOIN tenants t ON t.id = d.tenant_id WHERE d.id = $1`,
    [deliveryId],
  );
  if (!row || row.status === 'delivered') return { delivered: true };
  const body = JSON.stringify(row.payload);
  const secret = row.webhook_secret ?? defaultSecret;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'tollgate-webhooks/1', 'tollgate-delivery': row.id };
  if (secret) headers[SIGNATURE_HEADER] = signPayload(secret, body);
  let outcome: DeliveryOutcome;
  try {
    const response = await fetch(row.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await response.arrayBuffer().catch(() => undefined);
    outcome = response.ok ? { delivered: true, status: response.status } : { delivered: false, status: response.status, error: `HTTP ${response.status}` };
  } catch (error) {
    outcome = { delivered: false, error: error instanceof Error ? error.message : String(error) };
  }
  await db.query(
    `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2, last_error = $3,
       status = CASE WHEN $4 THEN 'delivered' ELSE status END, delivered_at = CASE WHEN $4 THEN now() ELSE NULL END
     WHERE id = $1`,
    [deliveryId, outcome.status ?? null, outcome.error ?? null, outcome.delivered],
  );
  if (!outcome.delivered) throw new TollgateError('webhook.failed', `webhook delivery ${deliveryId} failed: ${outcome.error}`);
  return outcome;
}

export async function markDeliveryFailed(db: Queryable, deliveryId: string): Promise<void> {
  await db.query(`UPDATE webhook_deliveries SET status = 'failed' WHERE id = $1 AND status = 'pending'`, [deliveryId]);
}
