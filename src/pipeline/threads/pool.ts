/**
 * Analysis on worker threads. Node runs a process's JavaScript on one thread, and the detectors' own
 * arithmetic (PDQ, spectra, the AI classifier's features) is most of an analysis: on the main thread it
 * competes with HTTP, the queue and the database client, and one process cannot use a second core for it.
 * Each thread builds the configured detectors itself; the main thread sends it an upload's bytes, facts
 * and policy, answers its lookups (src/pipeline/threads/channel.ts) and gets the result back.
 */
import { Worker } from 'node:worker_threads';
import type { Config } from '../../config/types.ts';
import type { DetectorLookups } from '../../detectors/types.ts';
import { TollgateError } from '../../errors.ts';
import type { Analysed, AnalysisRequest, Analyser } from '../analyser.ts';
import { callbackId, Channel, isCallbackToken, type Target } from './channel.ts';

/**
 * How long an analysis may take before its thread is ended and replaced: a detector stuck in a loop would
 * otherwise hold its thread, and the job's slot in this process, for ever. By then the queue has given the
 * job up (its lease, `expireSeconds`, is 120 s) and retries it.
 */
export const DEFAULT_ANALYSIS_DEADLINE_MS = 120_000;

/** What a thread is started with: enough to build the same detectors as the main thread would. */
export interface ThreadData {
  config: Config;
  /** Names of the built-in detectors to run (the composition root's filter, applied by name). */
  detectors: string[];
}

/** An AnalysisRequest as it crosses to a thread: the bytes as a copy the thread takes over. */
export type WireRequest = Omit<AnalysisRequest, 'bytes'> & { bytes: Uint8Array };

const ENTRY = new URL('./entry.js', import.meta.url);

/** A thread that dies this many times in a row before it ever answered is not restarted (a broken configuration). */
const MAX_START_FAILURES = 3;

interface Slot {
  worker: Worker;
  channel: Channel;
  /** Analyses in flight on this thread. */
  jobs: number;
  /** The lookups of those analyses, by the job id their `analyse` call carried. */
  lookups: Map<number, DetectorLookups>;
  ready: Promise<void>;
  answered: boolean;
  /** Why the pool ended this thread itself (an analysis past its deadline). */
  ended?: string;
}

export class AnalysisThreads implements Analyser {
  readonly #slots: Slot[] = [];
  readonly #count: number;
  readonly #data: ThreadData;
  #nextJob = 1;
  #closing = false;
  #startFailures = 0;
  #broken: Error | undefined;

  readonly #deadlineMs: number;

  constructor(count: number, data: ThreadData, deadlineMs = DEFAULT_ANALYSIS_DEADLINE_MS) {
    if (count < 1) throw new TollgateError('config.invalid', 'analysis threads: at least one thread');
    this.#count = count;
    this.#data = data;
    this.#deadlineMs = deadlineMs;
  }

  /** The number of threads. */
  get size(): number {
    return this.#count;
  }

  /** Starts the threads (if not yet) and resolves once each has loaded its detectors. */
  async start(): Promise<void> {
    this.#fill();
    await Promise.all(this.#slots.map((slot) => slot.ready));
  }

  async analyse(request: AnalysisRequest, lookups: DetectorLookups): Promise<Analysed> {
    if (this.#broken) throw this.#broken;
    if (this.#closing) throw new TollgateError('pipeline.failed', 'analysis threads are shutting down');
    this.#fill();
    const slot = this.#slots.reduce((best, candidate) => (candidate.jobs < best.jobs ? candidate : best));
    const job = this.#nextJob++;
    const bytes = bytesForThread(request);
    const wire: WireRequest = { ...request, bytes };
    const methods = Object.keys(lookups).filter((method) => typeof (lookups as unknown as Record<string, unknown>)[method] === 'function');
    slot.jobs++;
    slot.lookups.set(job, lookups);
    let deadline: NodeJS.Timeout | undefined;
    try {
      // Counted once the thread has started: loading the detectors is not the analysis's time.
      await slot.ready;
      deadline = setTimeout(() => {
        slot.ended = `an analysis did not finish in ${this.#deadlineMs / 1000} s`;
        void slot.worker.terminate();
      }, this.#deadlineMs);
      return (await slot.channel.call({ kind: 'analyse' }, [job, wire, methods], [bytes.buffer])) as Analysed;
    } finally {
      clearTimeout(deadline);
      slot.jobs--;
      slot.lookups.delete(job);
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(
      this.#slots.splice(0).map(async (slot) => {
        await Promise.race([slot.channel.call({ kind: 'close' }, []).catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
        await slot.worker.terminate();
      }),
    );
  }

  /** Threads start on first use, so commands that never analyse (migrate, banks) never load the detectors twice. */
  #fill(): void {
    while (this.#slots.length < this.#count) this.#slots.push(this.#spawn());
  }

  #spawn(): Slot {
    const worker = new Worker(ENTRY, { workerData: this.#data });
    const lookups = new Map<number, DetectorLookups>();
    const channel: Channel = new Channel(worker, (target, args) => this.#answer(channel, lookups, target, args));
    const slot: Slot = {
      worker,
      channel,
      lookups,
      jobs: 0,
      answered: false,
      ready: channel.call({ kind: 'ready' }, []).then(() => {
        slot.answered = true;
        this.#startFailures = 0;
      }),
    };
    // Observed by analyse's callers and start(); this keeps a thread that dies at start from being an unhandled rejection.
    slot.ready.catch(() => undefined);
    let lastError: Error | undefined;
    worker.on('error', (error) => (lastError = error));
    worker.on('exit', (code) => {
      const failure = new TollgateError('pipeline.failed', `analysis thread exited (${slot.ended ?? lastError?.message ?? `code ${code}`})`);
      slot.channel.failPending(failure);
      const index = this.#slots.indexOf(slot);
      if (index < 0 || this.#closing) return;
      if (!slot.answered && ++this.#startFailures >= MAX_START_FAILURES) {
        this.#broken = failure;
        return;
      }
      this.#slots[index] = this.#spawn();
    });
    return slot;
  }

  /** A call from a thread: one of its jobs' lookups, with any function arguments made calls back to it. */
  async #answer(channel: Channel, jobs: Map<number, DetectorLookups>, target: Target, args: unknown[]): Promise<unknown> {
    if (target.kind !== 'lookup') throw new Error(`analysis threads: a thread cannot call ${target.kind} on the main thread`);
    const lookups = jobs.get(target.job) as unknown as Record<string, ((...a: unknown[]) => Promise<unknown>) | undefined> | undefined;
    const method = lookups?.[target.method];
    if (!lookups || !method) throw new Error(`analysis threads: job ${target.job} has no lookup ${target.method}`);
    const decoded = args.map((arg) => (isCallbackToken(arg) ? (...a: unknown[]) => channel.call({ kind: 'callback', fn: callbackId(arg) }, a) : arg));
    return method.apply(lookups, decoded);
  }
}

/**
 * The bytes as the thread takes them over (their ArrayBuffer is transferred). The caller's own memory only
 * when it hands the bytes over and they fill their ArrayBuffer alone; otherwise a copy, since a Buffer may
 * be a slice of memory others use (Node's pool for small Buffers, a caller that reads them again).
 */
export function bytesForThread(request: Pick<AnalysisRequest, 'bytes' | 'handOverBytes'>): Uint8Array<ArrayBuffer> {
  const { bytes } = request;
  const memory = bytes.buffer;
  const whole = bytes.byteOffset === 0 && bytes.byteLength === memory.byteLength;
  return request.handOverBytes && whole && memory instanceof ArrayBuffer ? new Uint8Array(memory) : new Uint8Array(bytes);
}
