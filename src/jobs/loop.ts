/**
 * This process's consumer of one pg-boss queue. Instead of pg-boss's `work` (one fetch and one
 * complete statement per job), it fetches as many jobs as it has room for in one statement, keeps a
 * few fetched ahead while busy, and lets a handler complete its job inside its own commit, so a job
 * normally costs a share of one fetch and no statement of its own. Retries, backoff, expiry and dead
 * letters stay pg-boss's: a handler that throws fails the job through `fail`, and a job whose process
 * died is expired and retried by pg-boss's maintenance.
 */
import type PgBoss from 'pg-boss';
import type { SqlExecutor } from '../db/database.ts';

export interface JobInfo<T> {
  id: string;
  data: T;
  retryCount: number;
  retryLimit: number;
  /**
   * Runs this job's completion through `via` (one of the handler's transactions, or a RecordedStatements
   * riding in its batch), so the job completes in the same commit as the handler's writes; the loop
   * then does not complete it again.
   */
  completeVia(via: SqlExecutor): Promise<void>;
}

export interface LoopOptions {
  queue: string;
  /** Jobs handled at once. */
  concurrency: number;
  /** Jobs fetched ahead while every slot is busy (they count as active in pg-boss while they wait). */
  prefetch: number;
  pollingIntervalMs: number;
}

/** How the loop takes and settles jobs in the database (JobQueue's pg-boss calls). */
export interface LoopPorts<T> {
  /** Takes up to `count` jobs, marking them active. */
  fetch(queue: string, count: number): Promise<PgBoss.JobWithMetadata<T>[]>;
  /** Puts fetched jobs back in the queue untouched (their retry count unchanged). */
  release(queue: string, ids: string[]): Promise<void>;
  /** Removes a held job whose handler succeeded, through `via` when given (the handler's commit). */
  settleHeld(queue: string, id: string, via?: SqlExecutor): Promise<void>;
  /** A held job's handler threw: the job goes back in the queue with its stored data, for pg-boss's retries. */
  requeueHeld(queue: string, id: string, stored: object): Promise<void>;
}

/** A job this process recorded itself: its id, what its handler gets, and what the queue stores. */
export interface HeldJob<T> {
  id: string;
  data: T;
  stored: object;
  retryLimit: number;
}

/** A slot reserved for a held job: start it once its job is committed, or release the slot. */
export interface HeldSlot<T> {
  start(job: HeldJob<T>): void;
  release(): void;
}

/** How a running job ends in the database. */
interface Settlement {
  completeVia(via: SqlExecutor): Promise<void>;
  complete(): Promise<void>;
  fail(error: unknown): Promise<void>;
}

export class JobLoop<T extends object> {
  #active = 0;
  #buffered: PgBoss.JobWithMetadata<T>[] = [];
  #running = new Set<Promise<void>>();
  #stopped = false;
  #wake: (() => void) | undefined;
  /** A wake-up that came while the loop was not asleep (fetching, starting jobs): it must not be lost. */
  #woken = false;
  #loop: Promise<void> | undefined;

  constructor(
    private readonly boss: PgBoss,
    private readonly options: LoopOptions,
    private readonly handler: (job: JobInfo<T>) => Promise<void>,
    private readonly onError: (error: Error) => void,
    private readonly ports: LoopPorts<T>,
  ) {}

  start(): void {
    this.#loop ??= this.#run();
  }

  /** A job was committed to this queue, or a slot came free: fetch now rather than at the next poll. */
  wake(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    if (wake) wake();
    else this.#woken = true;
  }

  /** Stops fetching and waits (up to `timeoutMs`) for the jobs in hand; unfinished ones expire and are retried. */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopped = true;
    this.wake();
    await this.#loop;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([Promise.all(this.#running), timeout]);
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const room = this.options.concurrency + this.options.prefetch - this.#active - this.#buffered.length;
      let fetched = 0;
      if (room > 0 && this.#buffered.length <= this.options.prefetch / 2) {
        try {
          const jobs = await this.ports.fetch(this.options.queue, room);
          fetched = jobs.length;
          this.#buffered.push(...jobs);
        } catch (error) {
          this.onError(asError(error));
        }
      }
      while (this.#active < this.options.concurrency && this.#buffered.length > 0 && !this.#stopped) this.#startJob(this.#buffered.shift()!);
      if (this.#stopped) break;
      // Sleep until a slot frees or a job arrives; poll when nothing came (other processes' jobs never wake us).
      const idle = fetched === 0 && this.#buffered.length === 0;
      const woken = this.#woken;
      this.#woken = false;
      if (!woken && (idle || this.#active >= this.options.concurrency)) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          setTimeout(resolve, this.options.pollingIntervalMs).unref();
        });
        this.#wake = undefined;
      }
    }
    // Jobs fetched but not started go back to the queue at once rather than waiting to expire.
    const unstarted = this.#buffered.splice(0);
    if (unstarted.length > 0) await this.ports.release(this.options.queue, unstarted.map((job) => job.id)).catch((error: unknown) => this.onError(asError(error)));
  }

  /**
   * A slot for a held job, when one is free now and no fetched job waits for it (held jobs never overtake
   * the queue). It counts as active from here, so fetches leave room for it.
   */
  reserve(): HeldSlot<T> | undefined {
    if (this.#stopped || this.#active >= this.options.concurrency || this.#buffered.length > 0) return undefined;
    this.#active++;
    let used = false;
    const use = (): void => {
      if (used) throw new Error('a held slot is used once');
      used = true;
    };
    const { queue } = this.options;
    return {
      start: ({ id, data, stored, retryLimit }) => {
        use();
        this.#runHandler({ id, data, retryCount: 0, retryLimit }, {
          completeVia: (via) => this.ports.settleHeld(queue, id, via),
          complete: () => this.ports.settleHeld(queue, id),
          fail: () => this.ports.requeueHeld(queue, id, stored),
        });
      },
      release: () => {
        use();
        this.#active--;
        this.wake();
      },
    };
  }

  #startJob(job: PgBoss.JobWithMetadata<T>): void {
    this.#active++;
    const { queue } = this.options;
    this.#runHandler({ id: job.id, data: job.data, retryCount: job.retryCount, retryLimit: job.retryLimit }, {
      completeVia: async (via) => {
        // pg-boss's typings omit the (name, id, data, options) form its code takes; null data stores no output.
        const complete = this.boss.complete.bind(this.boss) as (name: string, id: string, data: object | null, options: PgBoss.ConnectionOptions) => Promise<void>;
        await complete(queue, job.id, null, { db: via });
      },
      complete: async () => {
        await this.boss.complete(queue, job.id);
      },
      fail: async (error) => {
        await this.boss.fail(queue, job.id, errorData(error));
      },
    });
  }

  /** Runs the handler in a slot already counted as active. */
  #runHandler(job: Omit<JobInfo<T>, 'completeVia'>, settle: Settlement): void {
    let completed = false;
    const info: JobInfo<T> = {
      ...job,
      completeVia: async (via) => {
        completed = true;
        await settle.completeVia(via);
      },
    };
    const running: Promise<void> = this.handler(info)
      .then(
        () => (completed ? undefined : settle.complete()),
        (error: unknown) => settle.fail(error),
      )
      .catch((error: unknown) => this.onError(asError(error)))
      .finally(() => {
        this.#active--;
        this.#running.delete(running);
        this.wake();
      });
    this.#running.add(running);
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function errorData(error: unknown): object {
  if (error instanceof Error) return { name: error.name, message: error.message, ...('code' in error ? { code: (error as { code: unknown }).code } : {}) };
  return { message: String(error) };
}
