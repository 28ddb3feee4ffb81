import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { newId } from '../../src/db/ids.ts';
import { migrate } from '../../src/db/migrate.ts';
import { JobQueue, QUEUES, type JobInfo, type QueueOptions, type UploadJob, type UploadSlot } from '../../src/jobs/queue.ts';
import { BACKENDS, type TestDatabase } from '../support/databases.ts';

describe.each(BACKENDS)('job queue on $name', (backend) => {
  let handle: TestDatabase;
  let queue: JobQueue;
  const seen = new Map<string, () => void | Promise<void>>();
  beforeAll(async () => {
    handle = await backend.open();
    await migrate(handle.db);
    // A poll a minute apart: a job reaches the worker only through the wake-up its commit sends.
    queue = new JobQueue(handle.db, { pollingIntervalSeconds: 60, maintenanceIntervalSeconds: 3600 });
    await queue.start();
    await queue.work<UploadJob>(QUEUES.processUpload, 1, async (job) => seen.get(job.data.uploadId)?.());
  });
  afterAll(async () => {
    await queue.stop(false);
    await handle.drop();
  });

  it('hands each job to the idle worker as soon as it is committed, never at the next poll', async () => {
    // PGlite's clock ticks in milliseconds: a job fetched in the millisecond it was sent used to wait for the poll.
    for (let i = 0; i < 60; i++) {
      const id = `job-${i}`;
      const handled = new Promise<boolean>((resolve) => {
        seen.set(id, () => resolve(true));
        setTimeout(() => resolve(false), 10_000).unref();
      });
      await queue.enqueueUpload(id);
      expect(await handled, `${id} waited for the poll`).toBe(true);
    }
  });

  it("fetches another process's job when its slot comes free, not at the next poll", async () => {
    let release!: () => void;
    const running = new Promise<void>((started) => {
      seen.set('gate', () => {
        started();
        return new Promise<void>((done) => (release = done));
      });
    });
    await queue.enqueueUpload('gate');
    await running;
    // Sent by a process whose commit wakes nobody here; this consumer's last fetch came back short.
    const other = new JobQueue(handle.db, { pollingIntervalSeconds: 60, maintenanceIntervalSeconds: 3600 });
    await other.start();
    try {
      const handled = new Promise<boolean>((resolve) => {
        seen.set('from-elsewhere', () => resolve(true));
        setTimeout(() => resolve(false), 10_000).unref();
      });
      await other.enqueueUpload('from-elsewhere');
      release();
      expect(await handled, 'waited for the poll').toBe(true);
    } finally {
      await other.stop(false);
    }
  });
});

describe.each(BACKENDS)('held uploads on $name', (backend) => {
  let handle: TestDatabase;
  const queues: JobQueue[] = [];
  beforeAll(async () => {
    handle = await backend.open();
    await migrate(handle.db);
  });
  // Each test's processes alone take its jobs.
  afterEach(async () => {
    for (const queue of queues.splice(0)) await queue.stop(false);
  });
  afterAll(async () => {
    await handle.drop();
  });

  /** A queue whose consumer (one slot) passes each job to `handle`. */
  async function consumer(handle_: (job: JobInfo<UploadJob & { note?: string }>) => Promise<void>, options: Partial<QueueOptions> = {}, backlog = 0): Promise<JobQueue> {
    const queue = new JobQueue(handle.db, { pollingIntervalSeconds: 0.2, maintenanceIntervalSeconds: 3600, retryDelaySeconds: 0, ...options });
    queues.push(queue);
    await queue.start();
    await queue.work<UploadJob & { note?: string }>(QUEUES.processUpload, 1, handle_, { backlog });
    return queue;
  }

  /** A handler that records each job and finishes it only when the test says so. */
  function gated(): { runs: Array<JobInfo<UploadJob & { note?: string }>>; finish: (uploadId: string) => void; handler: (job: JobInfo<UploadJob & { note?: string }>) => Promise<void> } {
    const runs: Array<JobInfo<UploadJob & { note?: string }>> = [];
    const gates = new Map<string, () => void>();
    const handler = async (job: JobInfo<UploadJob & { note?: string }>) => {
      runs.push(job);
      await new Promise<void>((resolve) => gates.set(job.data.uploadId, resolve));
    };
    const finish = (uploadId: string) => {
      const gate = gates.get(uploadId);
      if (!gate) throw new Error(`${uploadId} is not running`);
      gate();
    };
    return { runs, finish, handler };
  }

  /** Upload ids by the names the tests give them (held uploads' ids are uuids, as the table's column). */
  const ids = new Map<string, string>();
  const idOf = (name: string): string => ids.get(name) ?? ids.set(name, newId()).get(name)!;
  const nameOf = (id: string): string => [...ids].find(([, value]) => value === id)?.[0] ?? id;

  /** Commits a hold on `name`'s upload the way an ingest does. */
  async function hold(slot: UploadSlot<UploadJob & { note?: string }>, name: string): Promise<string> {
    const uploadId = idOf(name);
    await handle.db.batch([slot.hold(uploadId)]);
    return uploadId;
  }

  const holdRows = (name: string) => handle.db.query<{ upload_id: string }>('SELECT upload_id FROM upload_holds WHERE upload_id = $1', [idOf(name)]);
  const jobRows = (name: string) => handle.db.query<{ id: string; state: string }>(`SELECT id, state FROM pgboss.job WHERE data->>'uploadId' = $1`, [idOf(name)]);

  it('runs a held upload here with what the ingest handed it, releases its hold with the handler commit, and reserves no busy slot', async () => {
    const runs: Array<JobInfo<UploadJob & { note?: string }>> = [];
    let finish!: () => void;
    const queue = await consumer(async (job) => {
      runs.push(job);
      await new Promise<void>((resolve) => (finish = resolve));
    });
    const slot = queue.reserveUpload<UploadJob & { note?: string }>();
    expect(slot).toBeDefined();
    const uploadId = await hold(slot!, 'held-1');
    expect(await holdRows('held-1')).toEqual([{ upload_id: uploadId }]);
    expect(await jobRows('held-1'), 'a held upload has no queue job').toEqual([]);
    slot!.start({ uploadId, note: 'read in the ingest' });
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    expect(runs[0]).toMatchObject({ id: uploadId, data: { uploadId, note: 'read in the ingest' }, retryCount: 0 });
    // Its one slot is taken: the next upload goes through the queue.
    expect(queue.reserveUpload()).toBeUndefined();
    finish();
    await vi.waitFor(async () => expect(await holdRows('held-1')).toEqual([]));
    expect(await jobRows('held-1')).toEqual([]);
    const again = queue.reserveUpload();
    expect(again).toBeDefined();
    again!.release();
  });

  it('queues a held upload whose handler throws, with its stored data and one retry less, in the commit that releases its hold', async () => {
    const runs: Array<JobInfo<UploadJob & { note?: string }>> = [];
    const queue = await consumer(
      async (job) => {
        runs.push(job);
        if (runs.length === 1) throw new Error('first attempt fails');
      },
      { retries: 2 },
    );
    const slot = queue.reserveUpload<UploadJob & { note?: string }>()!;
    const uploadId = await hold(slot, 'held-2');
    slot.start({ uploadId, note: 'in memory only' });
    await vi.waitFor(() => expect(runs).toHaveLength(2), { timeout: 10_000 });
    expect(runs[1]!.id).not.toBe(uploadId);
    expect(runs[1]).toMatchObject({ data: { uploadId }, retryCount: 0, retryLimit: 1 });
    expect(runs[1]!.data).not.toHaveProperty('note');
    await vi.waitFor(async () => expect(await jobRows('held-2')).toEqual([{ id: runs[1]!.id, state: 'completed' }]));
    expect(await holdRows('held-2')).toEqual([]);
  });

  it('queues a held upload whose process never ran it once its hold expires, once however many processes sweep', async () => {
    const doomed = await consumer(async () => undefined, { expireSeconds: 1 });
    const slot = doomed.reserveUpload<UploadJob>()!;
    const uploadId = await hold(slot, 'held-3');
    // The process dies between its commit and the run: the slot is never started.
    await doomed.stop(false);
    const runs: string[] = [];
    const survivor = async (job: JobInfo<UploadJob>) => void runs.push(nameOf(job.data.uploadId));
    await consumer(survivor, { expireSeconds: 1, maintenanceIntervalSeconds: 1 });
    await consumer(survivor, { expireSeconds: 1, maintenanceIntervalSeconds: 1 });
    await vi.waitFor(() => expect(runs).toEqual(['held-3']), { timeout: 10_000 });
    expect(await holdRows('held-3')).toEqual([]);
    // Two more sweeps of each process: nothing is queued again.
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    expect(runs).toEqual(['held-3']);
    expect(await jobRows('held-3')).toEqual([{ id: expect.not.stringMatching(uploadId), state: 'completed' }]);
  });

  it('holds uploads in the backlog while the slot is busy, runs them in turn behind a fetched job, and releases each with its commit', async () => {
    const { runs, finish, handler } = gated();
    const queue = await consumer(handler, {}, 2);
    const first = queue.reserveUpload<UploadJob & { note?: string }>()!;
    first.start({ uploadId: await hold(first, 'backlog-1') });
    await vi.waitFor(() => expect(runs.map((r) => nameOf(r.data.uploadId))).toEqual(['backlog-1']));
    // The slot is busy: a job sent through the queue is fetched ahead and waits here.
    await queue.enqueueUpload(idOf('backlog-queued'));
    await vi.waitFor(async () => expect((await jobRows('backlog-queued'))[0]?.state).toBe('active'));
    const second = queue.reserveUpload<UploadJob & { note?: string }>()!;
    const third = queue.reserveUpload<UploadJob & { note?: string }>()!;
    expect(second).toBeDefined();
    expect(third).toBeDefined();
    // The backlog holds two: the next upload goes through the queue.
    expect(queue.reserveUpload()).toBeUndefined();
    second.start({ uploadId: await hold(second, 'backlog-2'), note: 'read in the ingest' });
    third.release();
    expect(queue.reserveUpload(), 'a released place is free again').toBeDefined();
    for (const next of ['backlog-1', 'backlog-queued']) {
      finish(idOf(next));
      await vi.waitFor(() => expect(runs.length).toBeGreaterThan(runs.findIndex((r) => nameOf(r.data.uploadId) === next) + 1));
    }
    expect(runs.map((r) => nameOf(r.data.uploadId))).toEqual(['backlog-1', 'backlog-queued', 'backlog-2']);
    expect(runs[2]).toMatchObject({ data: { note: 'read in the ingest' }, retryCount: 0 });
    finish(idOf('backlog-2'));
    await vi.waitFor(async () => expect([...(await holdRows('backlog-1')), ...(await holdRows('backlog-2'))]).toEqual([]));
  });

  it('queues the held uploads it never started, due at once with every retry, when it stops', async () => {
    const { runs, finish, handler } = gated();
    const stopping = await consumer(handler, { retries: 2 }, 1);
    const running = stopping.reserveUpload<UploadJob>()!;
    running.start({ uploadId: await hold(running, 'stop-1') });
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    const waiting = stopping.reserveUpload<UploadJob>()!;
    const uploadId = await hold(waiting, 'stop-2');
    waiting.start({ uploadId });
    const stopped = stopping.stop(true);
    finish(idOf('stop-1'));
    await stopped;
    const requeued = await handle.db.query<{ retry_limit: number; due: boolean }>(
      `SELECT retry_limit, start_after <= now() AS due FROM pgboss.job WHERE data->>'uploadId' = $1`,
      [uploadId],
    );
    // Its hold's lease was 120 s: it is due now only because it was queued at the stop.
    expect(requeued).toEqual([{ retry_limit: 2, due: true }]);
    expect(await holdRows('stop-2')).toEqual([]);
    const taken: string[] = [];
    await consumer(async (job) => void taken.push(nameOf(job.data.uploadId)));
    await vi.waitFor(() => expect(taken).toEqual(['stop-2']), { timeout: 5_000 });
  });
});
