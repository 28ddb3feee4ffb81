import { queryOne, type Database } from '../db/database.ts';
import type { VerdictHandoff } from '../uploads/handoff.ts';
import { VERDICT_CHANNEL, decodeVerdictNotice, type VerdictNotice } from '../uploads/process.ts';
import type { UploadView } from '../uploads/view.ts';

export interface VerdictWatcherOptions {
  /**
   * LISTEN can miss notifications (the listening connection dropped and nothing re-subscribed), so
   * waiters also poll at this slow interval: slower answers, never lost ones.
   */
  pollMs: number;
  /** Called once per verdict notification, for metrics. */
  onVerdict?: (notice: VerdictNotice) => void;
  /** This process's workers, which hand a waited-for verdict's view over directly. */
  handoff?: VerdictHandoff;
}

/** A subscription taken before the upload existed (see VerdictWatcher.watch). */
export interface VerdictWatch {
  wait(tenantId: string, timeoutMs: number): Promise<boolean>;
  /** The upload's view when a worker of this process decided it and handed it over. */
  readonly view: UploadView | undefined;
  close(): void;
}

/**
 * Lets requests wait for an upload's verdict (`POST /v1/uploads?wait=MS`). One LISTEN subscription
 * per server, fanned out to the waiting requests by upload id.
 */
export class VerdictWatcher {
  readonly #waiters = new Map<string, Set<() => void>>();
  #unlisten: (() => Promise<void>) | undefined;
  #closed = false;

  constructor(
    private readonly db: Database,
    private readonly options: VerdictWatcherOptions,
  ) {}

  async start(): Promise<void> {
    this.#unlisten = await this.db.listen(VERDICT_CHANNEL, (payload) => {
      const notice = decodeVerdictNotice(payload);
      this.options.onVerdict?.(notice);
      for (const wake of this.#waiters.get(notice.uploadId) ?? []) wake();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const set of this.#waiters.values()) for (const wake of set) wake();
    await this.#unlisten?.();
  }

  /**
   * Subscribes before the upload is enqueued (its id chosen in advance): no verdict can be missed, so the
   * first wait needs no look at the database. `close()` must be called once the caller is done.
   */
  watch(uploadId: string): VerdictWatch {
    let notified = false;
    let handed: UploadView | undefined;
    let wake: () => void = () => undefined;
    const verdict = new Promise<void>((resolve) => (wake = resolve));
    const handoff = this.options.handoff;
    const unsubscribe = this.#subscribe(uploadId, () => {
      // Committed by a worker of this process, whose hand-over is on its way.
      if (handoff?.committing(uploadId)) return;
      notified = true;
      wake();
    });
    const unexpect = handoff?.expect(uploadId, (view) => {
      handed = view;
      notified = true;
      wake();
    });
    return {
      get view() {
        return handed;
      },
      wait: async (tenantId, timeoutMs) => {
        const deadline = Date.now() + timeoutMs;
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([verdict, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(timeoutMs, this.options.pollMs))))]);
        } finally {
          clearTimeout(timer);
        }
        if (notified && !this.#closed) return true;
        // The poll interval passed first (or the server is closing): the ordinary wait, which checks.
        return this.wait(tenantId, uploadId, Math.max(0, deadline - Date.now()));
      },
      close: () => {
        unsubscribe();
        unexpect?.();
      },
    };
  }

  /** Resolves true once the upload has a verdict, false when `timeoutMs` passed first. */
  async wait(tenantId: string, uploadId: string, timeoutMs: number): Promise<boolean> {
    const decided = async (): Promise<boolean> =>
      (await queryOne(this.db, 'SELECT 1 FROM verdicts WHERE tenant_id = $1 AND upload_id = $2', [tenantId, uploadId])) !== undefined;
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed) {
      let timer: NodeJS.Timeout | undefined;
      let unsubscribe: () => void = () => undefined;
      // Subscribe before checking: a verdict committed between the check and the sleep still wakes us.
      let wasNotified = false;
      const notified = new Promise<void>((resolve) => (unsubscribe = this.#subscribe(uploadId, () => ((wasNotified = true), resolve()))));
      try {
        if (await decided()) return true;
        const left = deadline - Date.now();
        if (left <= 0) return false;
        await Promise.race([notified, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(left, this.options.pollMs))))]);
        // NOTIFY is delivered only after the verdict's transaction committed: no need to look again.
        if (wasNotified && !this.#closed) return true;
      } finally {
        clearTimeout(timer);
        unsubscribe();
      }
    }
    return decided();
  }

  #subscribe(uploadId: string, wake: () => void): () => void {
    let set = this.#waiters.get(uploadId);
    if (!set) {
      set = new Set();
      this.#waiters.set(uploadId, set);
    }
    set.add(wake);
    return () => {
      const current = this.#waiters.get(uploadId);
      current?.delete(wake);
      if (current?.size === 0) this.#waiters.delete(uploadId);
    };
  }
}
