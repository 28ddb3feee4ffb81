/**
 * This process's consumer of one pg-boss queue. Instead of pg-boss's `work` (one fetch and one
 * complete statement per job), it fetches as many jobs as it has room for in one statement, keeps a
 * few fetched ahead while busy, and lets a handler complete its job inside its own commit, so a job
 * normally costs a share of one fetch and no statement of its own. Jobs this process records itself
 * for its own slots (`reserve`) cost no fetch at all; they wait in the same line as fetched ones. Retries, backoff, expiry and dead
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
  /** Held jobs (`reserve`) that may wait here for a slot while every slot is busy; 0 takes held jobs only into a free slot. */
  backlog: number;
  pollingIntervalMs: number;
}

/** How the loop takes and settles jobs in the database (JobQueue's pg-boss calls). */
export interface LoopPorts<T> {
  /** Takes up to `count` jobs, marking them active. */
  fetch(queue: string, count: number): Promise<PgBoss.JobWithMetadata<T>[]>;
  /** Puts fetched jobs back in the queue untouched (their retry count unchanged). */
  release(queue: string, ids: string[]): Promise<void>;
  /** Settles a held job whose handler succeeded (for uploads, releases its hold), through `via` when given (the handler's commit). */
  settleHeld(queue: string, id: string, via?: SqlExecutor): Promise<void>;
  /**
   * Puts held jobs back in the queue with their stored data, in one commit: after their handler threw (for
   * pg-boss's retries) or, with `afterFailure` false, unstarted when the loop stops (due at once, every retry left).
   */
  requeueHeld(queue: string, jobs: ReadonlyArray<{ id: string; stored: object }>, afterFailure: boolean): Promise<void>;
}

/** A job this process recorded itself: its id, what its handler gets, and what the queue stores. */
export interface HeldJob<T> {
  id: string;
  data: T;
  stored: object;
  retryLimit: number;
}

/** A slot reserved for a held job: start it once its record (an upload's hold) is committed, or release the slot. */
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

/** A job waiting here for a slot, in the order it came: fetched from the queue, or held by this process. */
type Waiting<T> = { fetched: PgBoss.JobWithMetadata<T> } | { held: HeldJob<T> };

export class JobLoop<T extends object> {
  #active = 0;
  #waiting: Waiting<T>[] = [];
  /** Fetched jobs among `#waiting`: only they count against the fetch's room. */
  #fetchedWaiting = 0;
  /** Held jobs waiting, or reserved for the backlog and not yet started or released. */
  #heldWaiting = 0;
  /**
   * False after a fetch came back short, until a job is committed to the queue here (`wake`) or the poll
   * comes round. While held jobs wait, a slot coming free then only starts the next, with no fetch that
   * would likely find nothing; with none waiting it fetches, since other processes' jobs wake nobody here.
   */
  #queueMayHaveJobs = true;
  #running = new Set<Promise<void>>();
  #stopped = false;
  #sleeping: (() => void) | undefined;
  /** A nudge that came while the loop was not asleep (fetching, starting jobs): it must not be lost. */
  #nudged = false;
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

  /** A job was committed to this queue: fetch now rather than at the next poll. */
  wake(): void {
    this.#queueMayHaveJobs = true;
    this.#nudge();
  }

  /** Stops fetching and waits (up to `timeoutMs`) for the jobs in hand; unfinished ones expire and are retried. */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopped = true;
    this.#nudge();
    await this.#loop;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([Promise.all(this.#running), timeout]);
  }

  #nudge(): void {
    const sleeping = this.#sleeping;
    this.#sleeping = undefined;
    if (sleeping) sleeping();
    else this.#nudged = true;
  }

  async #run(): Promise<void> {
    const { concurrency, prefetch, pollingIntervalMs } = this.options;
    while (!this.#stopped) {
      const room = concurrency + prefetch - this.#active - this.#fetchedWaiting;
      const mayHaveJobs = this.#queueMayHaveJobs || this.#heldWaiting === 0;
      if (mayHaveJobs && room > 0 && this.#fetchedWaiting <= prefetch / 2) {
        // Cleared before the fetch, so a job committed while it runs sets it again.
        this.#queueMayHaveJobs = false;
        try {
          const jobs = await this.ports.fetch(this.options.queue, room);
          if (jobs.length === room) this.#queueMayHaveJobs = true;
          for (const job of jobs) this.#waiting.push({ fetched: job });
          this.#fetchedWaiting += jobs.length;
        } catch (error) {
          this.#queueMayHaveJobs = true;
          this.onError(asError(error));
        }
      }
      this.#drain();
      if (this.#stopped) break;
      // Sleep until a slot frees or a job arrives; the poll finds what other processes committed.
      if (!this.#nudged) {
        let poll: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          this.#sleeping = resolve;
          poll = setTimeout(() => {
            this.#queueMayHaveJobs = true;
            resolve();
          }, pollingIntervalMs).unref();
        });
        clearTimeout(poll);
        this.#sleeping = undefined;
      }
      this.#nudged = false;
    }
    // Jobs waiting here go back to the queue at once rather than waiting to expire.
    const unstarted = this.#waiting.splice(0);
    const fetched = unstarted.flatMap((w) => ('fetched' in w ? [w.fetched.id] : []));
    const held = unstarted.flatMap((w) => ('held' in w ? [w.held] : []));
    if (fetched.length > 0) await this.ports.release(this.options.queue, fetched).catch((error: unknown) => this.onError(asError(error)));
    if (held.length > 0) await this.#returnHeld(held);
  }

  /** Starts waiting jobs, oldest first, while slots are free. */
  #drain(): void {
    while (this.#active < this.options.concurrency && this.#waiting.length > 0 && !this.#stopped) {
      const next = this.#waiting.shift()!;
      this.#active++;
      if ('fetched' in next) {
        this.#fetchedWaiting--;
        this.#startFetched(next.fetched);
      } else {
        this.#heldWaiting--;
        this.#startHeld(next.held);
      }
    }
  }

  /**
   * A slot for a held job (one this process records itself, `JobQueue.reserveUpload`). A free slot when no
   * job waits for one; otherwise a place at the back of the line, up to `backlog` held jobs, so held jobs
   * never overtake fetched ones. Undefined when neither is left: the job then goes through the queue. A
   * free slot counts as active from here, so fetches leave room for it.
   */
  reserve(): HeldSlot<T> | undefined {
    if (this.#stopped) return undefined;
    const now = this.#active < this.options.concurrency && this.#waiting.length === 0;
    if (!now && this.#heldWaiting >= this.options.backlog) return undefined;
    if (now) this.#active++;
    else this.#heldWaiting++;
    let used = false;
    const use = (): void => {
      if (used) throw new Error('a held slot is used once');
      used = true;
    };
    return {
      start: (job) => {
        use();
        if (now) this.#startHeld(job);
        else if (this.#stopped) {
          this.#heldWaiting--;
          void this.#returnHeld([job]);
        } else {
          this.#waiting.push({ held: job });
          this.#drain();
        }
      },
      release: () => {
        use();
        if (now) this.#active--;
        else this.#heldWaiting--;
        this.#nudge();
      },
    };
  }

  async #returnHeld(jobs: readonly HeldJob<T>[]): Promise<void> {
    await this.ports.requeueHeld(this.options.queue, jobs, false).catch((error: unknown) => this.onError(asError(error)));
  }

  #startHeld({ id, data, stored, retryLimit }: HeldJob<T>): void {
    const { queue } = this.options;
    this.#runHandler({ id, data, retryCount: 0, retryLimit }, {
      completeVia: (via) => this.ports.settleHeld(queue, id, via),
      complete: () => this.ports.settleHeld(queue, id),
      fail: () => this.ports.requeueHeld(queue, [{ id, stored }], true),
    });
  }

  #startFetched(job: PgBoss.JobWithMetadata<T>): void {
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
        this.#drain();
        this.#nudge();
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
