import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RecordedStatements } from '../../src/db/database.ts';
import { JobQueue, QUEUES, type JobInfo, type QueueOptions, type UploadJob, type UploadSlot } from '../../src/jobs/queue.ts';
import { BACKENDS, type TestDatabase } from '../support/databases.ts';

describe.each(BACKENDS)('job queue on $name', (backend) => {
  let handle: TestDatabase;
  let queue: JobQueue;
  const seen = new Map<string, () => void | Promise<void>>();
  beforeAll(async () => {
    handle = await backend.open();
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

describe.each(BACKENDS)('held upload jobs on $name', (backend) => {
  let handle: TestDatabase;
  const queues: JobQueue[] = [];
  beforeAll(async () => {
    handle = await backend.open();
  });
  afterAll(async () => {
    for (const queue of queues) await queue.stop(false);
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

  /** Records a held job for `uploadId` the way an ingest does, and returns its id. */
  async function hold(slot: UploadSlot<UploadJob & { note?: string }>, uploadId: string): Promise<string> {
    const recorded = new RecordedStatements();
    const jobId = slot.enqueue(uploadId, recorded);
    await recorded.runWith(handle.db, []);
    return jobId;
  }

  const jobRows = (uploadId: string) => handle.db.query<{ id: string; state: string }>(`SELECT id, state FROM pgboss.job WHERE data->>'uploadId' = $1`, [uploadId]);

  it('runs a held job here with what the ingest handed it, deletes it with the handler commit, and reserves no busy slot', async () => {
    const runs: Array<JobInfo<UploadJob & { note?: string }>> = [];
    let finish!: () => void;
    const queue = await consumer(async (job) => {
      runs.push(job);
      await new Promise<void>((resolve) => (finish = resolve));
    });
    const slot = queue.reserveUpload<UploadJob & { note?: string }>();
    expect(slot).toBeDefined();
    const jobId = await hold(slot!, 'held-1');
    expect(await jobRows('held-1')).toEqual([{ id: jobId, state: 'created' }]);
    slot!.start(jobId, { uploadId: 'held-1', note: 'read in the ingest' });
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    expect(runs[0]).toMatchObject({ id: jobId, data: { uploadId: 'held-1', note: 'read in the ingest' }, retryCount: 0 });
    // Its one slot is taken: the next upload goes through the queue.
    expect(queue.reserveUpload()).toBeUndefined();
    finish();
    await vi.waitFor(async () => expect(await jobRows('held-1')).toEqual([]));
    const again = queue.reserveUpload();
    expect(again).toBeDefined();
    again!.release();
  });

  it('puts a held job whose handler throws back in the queue, with its stored data and one retry less', async () => {
    const runs: Array<JobInfo<UploadJob & { note?: string }>> = [];
    const queue = await consumer(
      async (job) => {
        runs.push(job);
        if (runs.length === 1) throw new Error('first attempt fails');
      },
      { retries: 2 },
    );
    const slot = queue.reserveUpload<UploadJob & { note?: string }>()!;
    const jobId = await hold(slot, 'held-2');
    slot.start(jobId, { uploadId: 'held-2', note: 'in memory only' });
    await vi.waitFor(() => expect(runs).toHaveLength(2), { timeout: 10_000 });
    expect(runs[1]!.id).not.toBe(jobId);
    expect(runs[1]).toMatchObject({ data: { uploadId: 'held-2' }, retryCount: 0, retryLimit: 1 });
    expect(runs[1]!.data).not.toHaveProperty('note');
    await vi.waitFor(async () => expect(await jobRows('held-2')).toEqual([{ id: runs[1]!.id, state: 'completed' }]));
  });

  it('leaves a held job whose process never ran it to the queue once its lease ends', async () => {
    const doomed = await consumer(async () => undefined, { expireSeconds: 1 });
    const slot = doomed.reserveUpload<UploadJob>()!;
    const jobId = await hold(slot, 'held-3');
    // The process dies between its commit and the run: the slot is never started.
    await doomed.stop(false);
    const runs: string[] = [];
    await consumer(async (job) => void runs.push(job.id), { expireSeconds: 1 });
    await vi.waitFor(() => expect(runs).toEqual([jobId]), { timeout: 10_000 });
  });

  it('holds uploads in the backlog while the slot is busy, runs them in turn behind a fetched job, and deletes each with its commit', async () => {
    const { runs, finish, handler } = gated();
    const queue = await consumer(handler, {}, 2);
    const first = queue.reserveUpload<UploadJob & { note?: string }>()!;
    first.start(await hold(first, 'backlog-1'), { uploadId: 'backlog-1' });
    await vi.waitFor(() => expect(runs.map((r) => r.data.uploadId)).toEqual(['backlog-1']));
    // The slot is busy: a job sent through the queue is fetched ahead and waits here.
    await queue.enqueueUpload('backlog-queued');
    await vi.waitFor(async () => expect((await jobRows('backlog-queued'))[0]?.state).toBe('active'));
    const second = queue.reserveUpload<UploadJob & { note?: string }>()!;
    const third = queue.reserveUpload<UploadJob & { note?: string }>()!;
    expect(second).toBeDefined();
    expect(third).toBeDefined();
    // The backlog holds two: the next upload goes through the queue.
    expect(queue.reserveUpload()).toBeUndefined();
    second.start(await hold(second, 'backlog-2'), { uploadId: 'backlog-2', note: 'read in the ingest' });
    third.release();
    expect(queue.reserveUpload(), 'a released place is free again').toBeDefined();
    for (const next of ['backlog-1', 'backlog-queued']) {
      finish(next);
      await vi.waitFor(() => expect(runs.length).toBeGreaterThan(runs.findIndex((r) => r.data.uploadId === next) + 1));
    }
    expect(runs.map((r) => r.data.uploadId)).toEqual(['backlog-1', 'backlog-queued', 'backlog-2']);
    expect(runs[2]).toMatchObject({ data: { note: 'read in the ingest' }, retryCount: 0 });
    finish('backlog-2');
    await vi.waitFor(async () => expect([...(await jobRows('backlog-1')), ...(await jobRows('backlog-2'))]).toEqual([]));
  });

  it('puts the held jobs it never started back in the queue, due at once with every retry, when it stops', async () => {
    const { runs, finish, handler } = gated();
    const stopping = await consumer(handler, { retries: 2 }, 1);
    const running = stopping.reserveUpload<UploadJob>()!;
    running.start(await hold(running, 'stop-1'), { uploadId: 'stop-1' });
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    const waiting = stopping.reserveUpload<UploadJob>()!;
    const heldId = await hold(waiting, 'stop-2');
    waiting.start(heldId, { uploadId: 'stop-2' });
    const stopped = stopping.stop(true);
    finish('stop-1');
    await stopped;
    const requeued = await handle.db.query<{ id: string; retry_limit: number; due: boolean }>(
      `SELECT id, retry_limit, start_after <= now() AS due FROM pgboss.job WHERE data->>'uploadId' = 'stop-2'`,
    );
    // Its lease was 120 s: it is due now only because it was put back.
    expect(requeued).toEqual([{ id: expect.not.stringMatching(heldId), retry_limit: 2, due: true }]);
    await vi.waitFor(async () => expect(['active', 'completed']).toContain((await jobRows('stop-2'))[0]?.state), { timeout: 5_000 });
  });
});
