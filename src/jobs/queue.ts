import PgBoss from 'pg-boss';
import { executorFor, RecordedStatements, type Database, type Queryable, type SqlExecutor } from '../db/database.ts';
import { JobLoop, type JobInfo } from './loop.ts';

function executorOf(via: Queryable | SqlExecutor): SqlExecutor {
  return 'executeSql' in via ? via : executorFor(via);
}

export const QUEUES = {
  processUpload: 'upload-process',
  /** Jobs land here when every retry failed or the worker died on the last one. */
  deadUpload: 'upload-dead',
  deliverWebhook: 'webhook-deliver',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface QueueOptions {
  retries: number;
  /** Seconds before a job whose worker vanished is retried. */
  expireSeconds: number;
  retryDelaySeconds: number;
  pollingIntervalSeconds: number;
  maintenanceIntervalSeconds: number;
}

export const DEFAULT_QUEUE_OPTIONS: QueueOptions = {
  retries: 3,
  expireSeconds: 120,
  retryDelaySeconds: 2,
  pollingIntervalSeconds: 0.5,
  maintenanceIntervalSeconds: 30,
};

export type { JobInfo } from './loop.ts';

/**
 * A new job's start_after: a millisecond before its transaction's now(). pg-boss fetches jobs whose
 * start_after < now(), and PGlite's clock has millisecond resolution, so a job fetched in the millisecond it
 * was sent (a worker woken by the commit) would be skipped until the next poll. As an interval pg-boss adds it
 * to the database's own now(), so no clock but the database's is involved.
 */
const DUE_AT_ONCE = '-1 millisecond';

export interface UploadJob {
  uploadId: string;
}

/** A slot of this process's upload consumer, reserved for an upload it is ingesting (`JobQueue.reserveUpload`). */
export interface UploadSlot<T extends UploadJob> {
  /** Records the upload's job through `via`, held back; resolves with its id once `via` has run. */
  enqueue(uploadId: string, via: SqlExecutor): Promise<string>;
  /** After the commit: runs the upload's handler here, given `data` (the job's, plus what the ingest read for it). */
  start(jobId: string, data: T): void;
  /** Nothing was committed: the slot is free again. */
  release(): void;
}

export interface WebhookJob {
  deliveryId: string;
}

/** The job queue: pg-boss on the same database as everything else (PGlite or PostgreSQL). */
export class JobQueue {
  readonly #boss: PgBoss;
  readonly #options: QueueOptions;
  readonly #loops = new Map<QueueName, JobLoop<object>>();
  readonly #db: Database;

  constructor(db: Database, options: Partial<QueueOptions> = {}) {
    this.#db = db;
    this.#options = { ...DEFAULT_QUEUE_OPTIONS, ...options };
    this.#boss = new PgBoss({
      db: db.sqlExecutor(),
      schema: 'pgboss',
      maintenanceIntervalSeconds: this.#options.maintenanceIntervalSeconds,
    });
    this.#boss.on('error', (error: Error) => {
      // pg-boss reports transient maintenance errors here; they must not crash the process.
      process.emitWarning(`queue: ${error.message}`);
    });
  }

  async start(): Promise<void> {
    await this.#boss.start();
    const retry = {
      retryLimit: this.#options.retries,
      retryDelay: this.#options.retryDelaySeconds,
      retryBackoff: true,
      expireInSeconds: this.#options.expireSeconds,
    };
    // Queue settings are stored in the database; updating them on every start makes the current
    // configuration win over whatever an earlier process created the queue with.
    await this.#ensureQueue(QUEUES.deadUpload, { retryLimit: 5, retryDelay: 5 });
    await this.#ensureQueue(QUEUES.processUpload, { ...retry, deadLetter: QUEUES.deadUpload });
    await this.#ensureQueue(QUEUES.deliverWebhook, { retryLimit: 8, retryDelay: 5, retryBackoff: true, expireInSeconds: 60 });
  }

  async #ensureQueue(name: string, options: Omit<PgBoss.Queue, 'name'>): Promise<void> {
    await this.#boss.createQueue(name, { name, ...options });
    await this.#boss.updateQueue(name, { name, ...options });
  }

  /**
   * Enqueues through `via` when given (one of our transactions, or a RecordedStatements that rides in a
   * batch), so the job exists iff the row does; the caller then wakes the queue after its commit.
   */
  async enqueueUpload(uploadId: string, via?: Queryable | SqlExecutor): Promise<void> {
    await this.#sendUpload(uploadId, DUE_AT_ONCE, via ? executorOf(via) : undefined);
    if (!via) this.wake(QUEUES.processUpload);
  }

  /** `retryLimit` overrides the queue's for this job. */
  async #sendUpload(uploadId: string, startAfter: string | number, via: SqlExecutor | undefined, retryLimit?: number): Promise<string> {
    const options = { singletonKey: uploadId, startAfter, ...(via ? { db: via } : {}), ...(retryLimit !== undefined ? { retryLimit } : {}) };
    const id = await this.#boss.send(QUEUES.processUpload, { uploadId } satisfies UploadJob, options);
    if (!id) throw new Error(`the queue recorded no job for upload ${uploadId}`);
    return id;
  }

  /**
   * A slot of this process's upload consumer for an upload it is ingesting: a free one, or a place in its
   * backlog while every slot is busy (`work`'s `backlog`). The ingest then records the upload's job held
   * back, due only after `expireSeconds` (the lease a fetched job has), and this process runs the upload
   * when the slot is its turn: no fetch, and the claim is read in the ingest's own commit. The held job is
   * deleted in the verdict's commit, so the queue runs it only when this process dies first (or has held
   * it past its lease: the second run then finds the verdict); a failed attempt puts it back in the queue
   * for pg-boss's retries, and a stopping consumer puts back those it never started.
   */
  reserveUpload<T extends UploadJob>(): UploadSlot<T> | undefined {
    const slot = this.#loops.get(QUEUES.processUpload)?.reserve();
    if (!slot) return undefined;
    return {
      enqueue: (uploadId, via) => this.#sendUpload(uploadId, this.#options.expireSeconds, via),
      start: (jobId, data) => slot.start({ id: jobId, data, stored: { uploadId: data.uploadId } satisfies UploadJob, retryLimit: this.#options.retries }),
      release: () => slot.release(),
    };
  }

  async enqueueWebhook(deliveryId: string, via?: Queryable | SqlExecutor): Promise<void> {
    await this.#boss.send(QUEUES.deliverWebhook, { deliveryId } satisfies WebhookJob, { singletonKey: deliveryId, startAfter: DUE_AT_ONCE, ...(via ? { db: executorOf(via) } : {}) });
    if (!via) this.wake(QUEUES.deliverWebhook);
  }

  /**
   * Handles the queue's jobs, `concurrency` at a time (src/jobs/loop.ts); a throw means retry (with
   * backoff). One consumer per queue and process. `backlog`: uploads this process's ingests may hold for
   * it while every slot is busy (`reserveUpload`).
   */
  async work<T extends object>(queue: QueueName, concurrency: number, handler: (job: JobInfo<T>) => Promise<void>, { backlog = 0 }: { backlog?: number } = {}): Promise<void> {
    if (this.#loops.has(queue)) throw new Error(`queue ${queue} already has a consumer in this process`);
    const loop = new JobLoop<T>(
      this.#boss,
      { queue, concurrency, prefetch: concurrency, backlog, pollingIntervalMs: this.#options.pollingIntervalSeconds * 1000 },
      handler,
      (error) => process.emitWarning(`queue ${queue}: ${error.message}`),
      {
        fetch: (name, count) => this.#fetch<T>(name, count),
        release: (name, ids) => this.#release(name, ids),
        settleHeld: async (name, id, via) => {
          await this.#boss.deleteJob(name, id, via ? { db: via } : {});
        },
        // Only upload jobs are held (reserveUpload).
        requeueHeld: (_name, jobs, afterFailure) => this.#requeueHeldUploads(jobs as ReadonlyArray<{ id: string; stored: UploadJob }>, afterFailure),
      },
    );
    this.#loops.set(queue, loop as unknown as JobLoop<object>);
    loop.start();
  }

  #fetch<T extends object>(queue: string, count: number): Promise<PgBoss.JobWithMetadata<T>[]> {
    return this.#boss.fetch<T>(queue, { batchSize: count, includeMetadata: true });
  }

  /** Cancel then resume in one transaction: the jobs are 'created' again with their retry counts untouched. */
  async #release(queue: string, ids: string[]): Promise<void> {
    const recorded = new RecordedStatements();
    const cancelled = this.#boss.cancel(queue, ids, { db: recorded });
    const resumed = this.#boss.resume(queue, ids, { db: recorded });
    await recorded.runWith(this.#db, []);
    await Promise.all([cancelled, resumed]);
  }

  /**
   * Held jobs replaced in one transaction by queued ones (pg-boss moves no job's start time, so each gets a
   * new id). After a failed first attempt the new job is due after the first retry delay and has one retry
   * less, so the upload gets as many attempts as a fetched job would; a job that never started (the
   * consumer stopped) is due at once with every retry.
   */
  async #requeueHeldUploads(jobs: ReadonlyArray<{ id: string; stored: UploadJob }>, afterFailure: boolean): Promise<void> {
    const recorded = new RecordedStatements();
    const { retries, retryDelaySeconds } = this.#options;
    const startAfter = afterFailure && retryDelaySeconds > 0 ? retryDelaySeconds : DUE_AT_ONCE;
    const sent = jobs.flatMap(({ id, stored }) => [
      this.#boss.deleteJob(QUEUES.processUpload, id, { db: recorded }),
      this.#sendUpload(stored.uploadId, startAfter, recorded, afterFailure ? Math.max(0, retries - 1) : undefined),
    ]);
    await recorded.runWith(this.#db, []);
    await Promise.all(sent);
    if (startAfter === DUE_AT_ONCE) this.wake(QUEUES.processUpload);
  }

  /** Job counts by state, for /metrics and progress displays. */
  async depth(queue: string): Promise<number> {
    return this.#boss.getQueueSize(queue);
  }

  async stop(graceful = true): Promise<void> {
    await Promise.all([...this.#loops.values()].map((loop) => loop.stop(graceful ? 10_000 : 0)));
    this.#loops.clear();
    await this.#boss.stop({ graceful, wait: true, close: false, timeout: 10_000 });
  }

  /** A job was committed to `queue`: this process's consumer fetches it now instead of at its next poll. */
  wake(queue: QueueName): void {
    this.#loops.get(queue)?.wake();
  }
}
