import PgBoss from 'pg-boss';
import { executorFor, type Database, type Queryable } from '../db/database.ts';

export const QUEUES = {
  processUpload: 'upload-process',
  /** Jobs land here when every retry failed or the worker died on the last one. */
  deadUpload: 'upload-dead',
  deliverWebhook: 'webhook-deliver',
} as const;

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

export interface JobInfo<T> {
  id: string;
  data: T;
  retryCount: number;
  retryLimit: number;
}

export interface UploadJob {
  uploadId: string;
}
export interface WebhookJob {
  deliveryId: string;
}

/** The job queue: pg-boss on the same database as everything else (PGlite or PostgreSQL). */
export class JobQueue {
  readonly #boss: PgBoss;
  readonly #options: QueueOptions;
  readonly #workerIds: string[] = [];

  constructor(db: Database, options: Partial<QueueOptions> = {}) {
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

  /** Enqueues inside the caller's transaction when `tx` is given, so the job exists iff the row does. */
  async enqueueUpload(uploadId: string, tx?: Queryable): Promise<void> {
    await this.#boss.send(QUEUES.processUpload, { uploadId } satisfies UploadJob, {
      singletonKey: uploadId,
      ...(tx ? { db: executorFor(tx) } : {}),
    });
    if (!tx) this.wake();
  }

  async enqueueWebhook(deliveryId: string, tx?: Queryable): Promise<void> {
    await this.#boss.send(QUEUES.deliverWebhook, { deliveryId } satisfies WebhookJob, {
      singletonKey: deliveryId,
      ...(tx ? { db: executorFor(tx) } : {}),
    });
    if (!tx) this.wake();
  }

  /** Starts `concurrency` pollers, each handling one job at a time; a throw means retry (with backoff). */
  async work<T extends object>(queue: string, concurrency: number, handler: (job: JobInfo<T>) => Promise<void>): Promise<void> {
    for (let i = 0; i < concurrency; i++) {
      const id = await this.#boss.work<T>(
        queue,
        { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: this.#options.pollingIntervalSeconds },
        async (jobs) => {
          for (const job of jobs) {
            await handler({ id: job.id, data: job.data, retryCount: job.retryCount, retryLimit: job.retryLimit });
          }
        },
      );
      this.#workerIds.push(id);
    }
  }

  /** Job counts by state, for /metrics and progress displays. */
  async depth(queue: string): Promise<number> {
    return this.#boss.getQueueSize(queue);
  }

  async stop(graceful = true): Promise<void> {
    await this.#boss.stop({ graceful, wait: true, close: false, timeout: 10_000 });
  }

  /** In-process workers skip the polling interval; call after committing a transaction that enqueued. */
  wake(): void {
    for (const id of this.#workerIds) this.#boss.notifyWorker(id);
  }
}
