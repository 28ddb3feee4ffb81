import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobQueue, QUEUES, type UploadJob } from '../../src/jobs/queue.ts';
import { BACKENDS, type TestDatabase } from '../support/databases.ts';

describe.each(BACKENDS)('job queue on $name', (backend) => {
  let handle: TestDatabase;
  let queue: JobQueue;
  const seen = new Map<string, () => void>();
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
});
