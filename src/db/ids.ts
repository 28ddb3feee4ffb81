import { randomFillSync } from 'node:crypto';

/** Random bytes fetched in blocks: one call to the system's generator per 256 ids instead of one each. */
const pool = Buffer.alloc(16 * 256);
let used = pool.length;

/**
 * A UUID version 7 (RFC 9562 §5.7): 48 bits of Unix time in milliseconds, then 74 random bits. Ids made
 * close in time sort close together, so the rows a day adds land in a few B-tree pages at the right
 * edge of each index instead of one random page each: after a checkpoint PostgreSQL writes the whole of
 * every page it changes again to the WAL, and on a store of 500,000 uploads random ids made that 2–3 times
 * PostgreSQL's CPU per upload (docs/BENCH.md, store size). The time in an id is when it was made, not a secret.
 */
export function newId(now = Date.now()): string {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const id = pool.subarray(used, used + 16);
  used += 16;
  id.writeUIntBE(now, 0, 6);
  id[6] = 0x70 | (id[6]! & 0x0f); // version 7
  id[8] = 0x80 | (id[8]! & 0x3f); // variant 10
  const hex = id.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids from URLs are checked before they reach SQL so a malformed id is a 404, not a cast error. */
export const isUuid = (value: string): boolean => UUID.test(value);
