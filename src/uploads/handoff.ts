import type { UploadView } from './view.ts';

/**
 * Verdicts handed from this process's workers to this process's waiting requests (`?wait`). A request
 * that waits for an upload says so before the upload is enqueued; the worker that decides it reads the
 * upload's view in the same round trip as its commit and hands it over, so the answer needs no query of
 * its own. Verdicts decided elsewhere (another worker process) still arrive by NOTIFY.
 *
 * The NOTIFY of a verdict committed here can reach the listening connection before the committing
 * worker has its result back; `committing` tells the waiter to keep waiting for the hand-over then.
 */
export class VerdictHandoff {
  readonly #waiting = new Map<string, Set<(view: UploadView | undefined) => void>>();
  readonly #committing = new Set<string>();

  /** Registers a receiver; `undefined` means "decided, but read it yourself". Returns the unregister function. */
  expect(uploadId: string, receive: (view: UploadView | undefined) => void): () => void {
    let set = this.#waiting.get(uploadId);
    if (!set) this.#waiting.set(uploadId, (set = new Set()));
    set.add(receive);
    return () => {
      set.delete(receive);
      if (set.size === 0 && this.#waiting.get(uploadId) === set) this.#waiting.delete(uploadId);
    };
  }

  /** A worker is about to commit the upload's verdict: true when a request waits for it (and the view should be read). */
  begin(uploadId: string): boolean {
    if (!this.#waiting.has(uploadId)) return false;
    this.#committing.add(uploadId);
    return true;
  }

  committing(uploadId: string): boolean {
    return this.#committing.has(uploadId);
  }

  /** The commit is done: hands over the view, or `undefined` when another run had decided the upload. */
  deliver(uploadId: string, view: UploadView | undefined): void {
    this.#committing.delete(uploadId);
    for (const receive of this.#waiting.get(uploadId) ?? []) receive(view);
  }

  /** The commit failed: nothing was decided here, so waiters go on waiting for a NOTIFY. */
  cancel(uploadId: string): void {
    this.#committing.delete(uploadId);
  }
}
