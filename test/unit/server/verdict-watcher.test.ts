import { describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import { VerdictWatcher } from '../../../src/server/verdicts.ts';
import { VerdictHandoff } from '../../../src/uploads/handoff.ts';
import { encodeVerdictNotice, VERDICT_CHANNEL } from '../../../src/uploads/process.ts';

/** A database whose only behaviour is LISTEN fan-out and a count of the queries asked of it. */
function fakeDatabase(decided: Set<string>) {
  const handlers: Array<(payload: string) => void> = [];
  let queries = 0;
  const db = {
    kind: 'postgres',
    query: async (_sql: string, params: readonly unknown[] = []) => {
      queries++;
      return decided.has(String(params[1])) ? [{ '?column?': 1 }] : [];
    },
    listen: async (channel: string, handler: (payload: string) => void) => {
      expect(channel).toBe(VERDICT_CHANNEL);
      handlers.push(handler);
      return async () => undefined;
    },
  } as unknown as Database;
  const notify = (uploadId: string) => {
    decided.add(uploadId);
    for (const h of handlers) h(encodeVerdictNotice({ uploadId, decision: 'accept', seconds: 0.1 }));
  };
  return { db, notify, queries: () => queries };
}

describe('VerdictWatcher', () => {
  it('sees a verdict notified before the request starts waiting, without asking the database', async () => {
    const fake = fakeDatabase(new Set());
    const watcher = new VerdictWatcher(fake.db, { pollMs: 5_000 });
    await watcher.start();
    const watch = watcher.watch('u1');
    fake.notify('u1');
    await expect(watch.wait('t', 1_000)).resolves.toBe(true);
    watch.close();
    expect(fake.queries()).toBe(0);
    await watcher.close();
  });

  it('takes the view a worker of this process hands over, and stops expecting it once closed', async () => {
    const fake = fakeDatabase(new Set());
    const handoff = new VerdictHandoff();
    const watcher = new VerdictWatcher(fake.db, { pollMs: 5_000, handoff });
    await watcher.start();
    const watch = watcher.watch('u4');
    let answered = false;
    const waiting = watch.wait('t', 1_000).then((decided) => ((answered = true), decided));
    expect(handoff.begin('u4')).toBe(true);
    // The verdict's NOTIFY may overtake the committing worker's result: the waiter holds on for the view.
    fake.notify('u4');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answered).toBe(false);
    handoff.deliver('u4', { id: 'u4', status: 'done' });
    await expect(waiting).resolves.toBe(true);
    expect(watch.view).toEqual({ id: 'u4', status: 'done' });
    watch.close();
    expect(handoff.begin('u4')).toBe(false);
    expect(fake.queries()).toBe(0);
    await watcher.close();
  });

  it('falls back to checking the database when the poll interval passes without a notification', async () => {
    const decided = new Set(['u2']);
    const fake = fakeDatabase(decided);
    const watcher = new VerdictWatcher(fake.db, { pollMs: 20 });
    await watcher.start();
    const watch = watcher.watch('u2');
    await expect(watch.wait('t', 1_000)).resolves.toBe(true);
    watch.close();
    expect(fake.queries()).toBe(1);
    await watcher.close();
  });

  it('answers false when the deadline passes with no verdict', async () => {
    const fake = fakeDatabase(new Set());
    const watcher = new VerdictWatcher(fake.db, { pollMs: 10 });
    await watcher.start();
    const watch = watcher.watch('u3');
    const started = Date.now();
    await expect(watch.wait('t', 60)).resolves.toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    watch.close();
    await watcher.close();
  });
});
