import { queryOne, type Queryable } from '../db/database.ts';
import { isUuid } from '../db/ids.ts';
import { TollgateError } from '../errors.ts';

export { num, uploadView } from '../uploads/view.ts';

/** Opaque page cursors: clients pass back `next_cursor` and never build one themselves. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string | undefined, check: (value: unknown) => value is T): T | undefined {
  if (cursor === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!check(value)) throw new TollgateError('input.invalid', 'cursor: not a cursor this API returned');
  return value;
}

/** Resolves a contributor/device/task given as our uuid or the app's external id to our id, within the tenant. */
export async function resolvePartyId(
  db: Queryable,
  table: 'contributors' | 'devices' | 'tasks',
  tenantId: string,
  idOrExternal: string,
): Promise<string | null> {
  const row = await queryOne<{ id: string }>(
    db,
    `SELECT id FROM ${table} WHERE tenant_id = $1 AND (external_id = $2 ${isUuid(idOrExternal) ? 'OR id = $2::uuid' : ''})
      ORDER BY (external_id = $2) DESC LIMIT 1`,
    [tenantId, idOrExternal],
  );
  return row?.id ?? null;
}
