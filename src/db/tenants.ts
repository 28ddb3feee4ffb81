import { createHash, randomBytes } from 'node:crypto';
import { TollgateError } from '../errors.ts';
import { queryOne, type Queryable } from './database.ts';
import { newId } from './ids.ts';

export interface Tenant {
  id: string;
  name: string;
  webhook_url: string | null;
  webhook_secret: string | null;
  created_at: Date;
}

const KEY_PREFIX = 'tg_';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export async function createTenant(db: Queryable, name: string): Promise<Tenant> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(name)) {
    throw new TollgateError('input.invalid', 'tenant name must be 1-63 letters, digits, "_", "." or "-", starting with a letter or digit');
  }
  const existing = await findTenantByName(db, name);
  if (existing) throw new TollgateError('input.conflict', `tenant "${name}" already exists`);
  const rows = await db.query<Tenant>('INSERT INTO tenants (id, name) VALUES ($1, $2) RETURNING *', [newId(), name]);
  return rows[0]!;
}

export async function findTenantByName(db: Queryable, name: string): Promise<Tenant | undefined> {
  return queryOne<Tenant>(db, 'SELECT * FROM tenants WHERE name = $1', [name]);
}

export async function getTenant(db: Queryable, id: string): Promise<Tenant | undefined> {
  return queryOne<Tenant>(db, 'SELECT * FROM tenants WHERE id = $1', [id]);
}

export async function ensureTenant(db: Queryable, name: string): Promise<Tenant> {
  await db.query('INSERT INTO tenants (id, name) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [newId(), name]);
  return (await findTenantByName(db, name))!;
}

/** Creates a key and returns it in clear text: the only time anyone sees it. */
export async function createApiKey(db: Queryable, tenantId: string, label?: string): Promise<{ id: string; key: string }> {
  const key = KEY_PREFIX + randomBytes(24).toString('base64url');
  const id = newId();
  await db.query('INSERT INTO api_keys (id, tenant_id, key_hash, prefix, label) VALUES ($1, $2, $3, $4, $5)', [
    id,
    tenantId,
    hashApiKey(key),
    key.slice(0, 8),
    label ?? null,
  ]);
  return { id, key };
}

export async function tenantForApiKey(db: Queryable, key: string): Promise<Tenant | undefined> {
  return queryOne<Tenant>(
    db,
    `SELECT t.* FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
    [hashApiKey(key)],
  );
}

export async function setWebhook(db: Queryable, tenantId: string, url: string | null, secret: string | null): Promise<void> {
  await db.query('UPDATE tenants SET webhook_url = $2, webhook_secret = $3 WHERE id = $1', [tenantId, url, secret]);
}
