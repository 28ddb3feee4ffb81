import PgBoss from 'pg-boss';
import { executorFor, RecordedStatements, type Database, type Queryable, type SqlExecutor, type Statement } from '../db/database.ts';
import { countHolds, holdStatement, releaseHoldsStatement, takeExpiredHoldsStatement } from './holds.ts';
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
  /** pg-boss's maintenance (expiring jobs whose worker vanished), and the sweep of expired upload holds. */
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

/** Expired holds queued per transaction of a sweep. */
const SWEEP_BATCH = 100;

export interface UploadJob {
  uploadId: string;
}

/** A slot of this process's upload consumer, reserved for an upload it is ingesting (`JobQueue.reserveUpload`). */
export interface UploadSlot<T extends UploadJob> {
  /** The upload's hold (src/jobs/holds.ts): it must commit with the upload row. */
  hold(uploadId: string): Statement;
  /** After the commit: runs the upload's handler here, given `data` (the upload, plus what the ingest read for it). */
  start(data: T): void;
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
  #sweeper: NodeJS.Timeout | undefined;
  #sweeping: Promise<void> | undefined;

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
   * backlog while every slot is busy (`work`'s `backlog`). The ingest then commits a hold on the upload
   * instead of a queue job, with `expireSeconds` as its lease (the lease a fetched job has), and this
   * process runs the upload when the slot is its turn: no job, no fetch, and the claim is read in the
   * ingest's own commit. The hold is released in the verdict's commit, so the queue gets the upload only
   * when this process dies first (or holds it past its lease: the second run then finds the verdict),
   * through the sweep of expired holds; a failed attempt puts it in the queue for pg-boss's retries, and a
   * stopping consumer queues those it never started.
   */
  reserveUpload<T extends UploadJob>(): UploadSlot<T> | undefined {
    const slot = this.#loops.get(QUEUES.processUpload)?.reserve();
    if (!slot) return undefined;
    return {
      hold: (uploadId) => holdStatement(uploadId, this.#options.expireSeconds),
      start: (data) => slot.start({ id: data.uploadId, data, stored: { uploadId: data.uploadId } satisfies UploadJob, retryLimit: this.#options.retries }),
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
        // Only uploads are held (reserveUpload): a held job's id is its upload's.
        settleHeld: async (_name, uploadId, via) => {
          const { sql, params = [] } = releaseHoldsStatement([uploadId]);
          await (via ?? executorFor(this.#db)).executeSql(sql, [...params]);
        },
        requeueHeld: (_name, jobs, afterFailure) => this.#requeueHeldUploads(jobs as ReadonlyArray<{ id: string; stored: UploadJob }>, afterFailure),
      },
    );
    this.#loops.set(queue, loop as unknown as JobLoop<object>);
    loop.start();
    if (queue === QUEUES.processUpload) this.#startSweeping();
  }

  /** Sweeps expired holds now and then every maintenance interval, one sweep at a time. */
  #startSweeping(): void {
    const sweep = () => {
      this.#sweeping ??= this.#queueExpiredHolds()
        .catch((error: unknown) => process.emitWarning(`queue: sweeping expired upload holds: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => (this.#sweeping = undefined));
    };
    sweep();
    this.#sweeper = setInterval(sweep, this.#options.maintenanceIntervalSeconds * 1000).unref();
  }

  /** Queues the uploads whose hold expired, due at once with every retry, each in the transaction that deletes its hold. */
  async #queueExpiredHolds(): Promise<void> {
    let queued = 0;
    for (let taken = SWEEP_BATCH; taken === SWEEP_BATCH; ) {
      taken = await this.#db.transaction(async (tx) => {
        const { sql, params } = takeExpiredHoldsStatement(SWEEP_BATCH);
        const expired = await tx.query<{ upload_id: string }>(sql, params);
        for (const { upload_id } of expired) await this.#sendUpload(upload_id, DUE_AT_ONCE, executorFor(tx));
        return expired.length;
      });
      queued += taken;
    }
    if (queued > 0) this.wake(QUEUES.processUpload);
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
   * Held uploads' holds replaced in one transaction by queued jobs. After a failed first attempt the job is
   * due after the first retry delay and has one retry less, so the upload gets as many attempts as a fetched
   * job would; an upload that never started (the consumer stopped) is due at once with every retry.
   */
  async #requeueHeldUploads(jobs: ReadonlyArray<{ id: string; stored: UploadJob }>, afterFailure: boolean): Promise<void> {
    const recorded = new RecordedStatements();
    const { retries, retryDelaySeconds } = this.#options;
    const startAfter = afterFailure && retryDelaySeconds > 0 ? retryDelaySeconds : DUE_AT_ONCE;
    const sent = jobs.map(({ stored }) => this.#sendUpload(stored.uploadId, startAfter, recorded, afterFailure ? Math.max(0, retries - 1) : undefined));
    await recorded.runWith(this.#db, [releaseHoldsStatement(jobs.map(({ id }) => id))]);
    await Promise.all(sent);
    if (startAfter === DUE_AT_ONCE) this.wake(QUEUES.processUpload);
  }

  /** Jobs waiting in a queue, for /metrics and readiness; for uploads, with those held by a process. */
  async depth(queue: string): Promise<number> {
    const [queued, held] = await Promise.all([this.#boss.getQueueSize(queue), queue === QUEUES.processUpload ? countHolds(this.#db) : 0]);
    return queued + held;
  }

  async stop(graceful = true): Promise<void> {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    await this.#sweeping;
    await Promise.all([...this.#loops.values()].map((loop) => loop.stop(graceful ? 10_000 : 0)));
    this.#loops.clear();
    await this.#boss.stop({ graceful, wait: true, close: false, timeout: 10_000 });
  }

  /** A job was committed to `queue`: this process's consumer fetches it now instead of at its next poll. */
  wake(queue: QueueName): void {
    this.#loops.get(queue)?.wake();
  }
}
