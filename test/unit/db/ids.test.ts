import { describe, expect, it } from 'vitest';
import { isUuid, newId } from '../../../src/db/ids.ts';

describe('newId', () => {
  it('makes RFC 9562 version 7 UUIDs carrying the time they were made', () => {
    const at = Date.UTC(2026, 10, 24, 12, 0, 0, 123);
    const id = newId(at);
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('sorts ids made in later milliseconds after earlier ones, as text and as PostgreSQL compares uuids', () => {
    const start = Date.UTC(2026, 0, 1);
    const ids = Array.from({ length: 1000 }, (_, i) => newId(start + i * 7));
    expect([...ids].sort()).toEqual(ids);
  });

  it('never repeats, also within one millisecond', () => {
    const at = Date.now();
    const ids = new Set(Array.from({ length: 100_000 }, () => newId(at)));
    expect(ids.size).toBe(100_000);
  });
});
