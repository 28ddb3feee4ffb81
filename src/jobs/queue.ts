import PgBoss from 'pg-boss';
import { executorFor, type Database, type Queryable, type SqlExecutor } from '../db/database.ts';

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

/** One pg-boss poller of this process. */
interface Poller {
  id: string;
  busy: boolean;
}

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
  readonly #pollers = new Map<QueueName, Poller[]>();

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

  /**
   * Enqueues through `via` when given (one of our transactions, or a RecordedStatements that rides in a
   * batch), so the job exists iff the row does; the caller then wakes the queue after its commit.
   */
  async enqueueUpload(uploadId: string, via?: Queryable | SqlExecutor): Promise<void> {
    await this.#boss.send(QUEUES.processUpload, { uploadId } satisfies UploadJob, { singletonKey: uploadId, ...(via ? { db: executorOf(via) } : {}) });
    if (!via) this.wake(QUEUES.processUpload);
  }

  async enqueueWebhook(deliveryId: string, via?: Queryable | SqlExecutor): Promise<void> {
    await this.#boss.send(QUEUES.deliverWebhook, { deliveryId } satisfies WebhookJob, { singletonKey: deliveryId, ...(via ? { db: executorOf(via) } : {}) });
    if (!via) this.wake(QUEUES.deliverWebhook);
  }

  /** Starts `concurrency` pollers, each handling one job at a time; a throw means retry (with backoff). */
  async work<T extends object>(queue: QueueName, concurrency: number, handler: (job: JobInfo<T>) => Promise<void>): Promise<void> {
    const pollers = this.#pollers.get(queue) ?? [];
    this.#pollers.set(queue, pollers);
    for (let i = 0; i < concurrency; i++) {
      const poller: Poller = { id: '', busy: false };
      pollers.push(poller);
      poller.id = await this.#boss.work<T>(
        queue,
        { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: this.#options.pollingIntervalSeconds },
        async (jobs) => {
          poller.busy = true;
          try {
            for (const job of jobs) {
              await handler({ id: job.id, data: job.data, retryCount: job.retryCount, retryLimit: job.retryLimit });
            }
          } finally {
            poller.busy = false;
            // Fetch again at once: while there is work a poller drains the queue instead of sleeping a
            // polling interval between jobs (other processes' enqueues never wake this one).
            if (poller.id) this.#boss.notifyWorker(poller.id);
          }
        },
      );
    }
  }

  /** Job counts by state, for /metrics and progress displays. */
  async depth(queue: string): Promise<number> {
    return this.#boss.getQueueSize(queue);
  }

  async stop(graceful = true): Promise<void> {
    await this.#boss.stop({ graceful, wait: true, close: false, timeout: 10_000 });
  }

  /**
   * A job was committed to `queue`: one idle poller of this process fetches it now instead of at its next
   * poll. Busy pollers need no wake-up, they fetch again as soon as their job is done.
   */
  wake(queue: QueueName): void {
    const idle = this.#pollers.get(queue)?.find((poller) => !poller.busy && poller.id);
    if (idle) this.#boss.notifyWorker(idle.id);
  }

}
