/**
 * Calls in both directions over one worker-thread port. The main thread calls `analyse` on a thread; while
 * that runs, the thread calls the job's lookups back on the main thread (which owns the database and the
 * indexes), and the main thread may call functions the thread passed as lookup arguments (the keypoint
 * extraction the bank lookups run only when a tenant has bank images).
 */
import { ERROR_CODES, TollgateError, type ErrorCode } from '../../errors.ts';

export type Target =
  /** Answered once the thread has loaded its detectors. */
  | { kind: 'ready' }
  | { kind: 'analyse' }
  /** Ends the thread's own resources (its ExifTool process); the pool then terminates it. */
  | { kind: 'close' }
  /** A lookup method of the job `job` (an id the `analyse` call carried). */
  | { kind: 'lookup'; job: number; method: string }
  /** A function the other side passed as an argument. */
  | { kind: 'callback'; fn: number };

export interface WireError {
  message: string;
  code?: string;
  details?: Readonly<Record<string, unknown>>;
}

export type Message =
  | { type: 'call'; call: number; target: Target; args: unknown[] }
  | { type: 'reply'; call: number; ok: true; value: unknown }
  | { type: 'reply'; call: number; ok: false; error: WireError };

/** The half of a MessagePort or Worker the channel uses. */
export interface Port {
  postMessage(message: unknown, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

export type CallHandler = (target: Target, args: unknown[]) => Promise<unknown>;

export class Channel {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  constructor(
    private readonly port: Port,
    private readonly handle: CallHandler,
  ) {
    port.on('message', (message) => this.#receive(message as Message));
  }

  /** `transfer`: buffers moved to the other side rather than copied (unusable here afterwards). */
  call(target: Target, args: unknown[], transfer: readonly ArrayBuffer[] = []): Promise<unknown> {
    const call = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(call, { resolve, reject });
      this.port.postMessage({ type: 'call', call, target, args } satisfies Message, transfer);
    });
  }

  /** The other side is gone: every call waiting on it fails with `error`. */
  failPending(error: Error): void {
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }

  get pendingCalls(): number {
    return this.#pending.size;
  }

  #receive(message: Message): void {
    if (message.type === 'reply') {
      const pending = this.#pending.get(message.call);
      this.#pending.delete(message.call);
      if (message.ok) pending?.resolve(message.value);
      else pending?.reject(errorFromWire(message.error));
      return;
    }
    const { call } = message;
    this.handle(message.target, message.args).then(
      (value) => this.#reply({ type: 'reply', call, ok: true, value }),
      (error: unknown) => this.#reply({ type: 'reply', call, ok: false, error: errorToWire(error) }),
    );
  }

  #reply(message: Message): void {
    try {
      this.port.postMessage(message);
    } catch (error) {
      // A value the structured clone cannot copy (a function, a class with private state): say so instead of hanging the caller.
      this.port.postMessage({ type: 'reply', call: message.call, ok: false, error: errorToWire(error) } satisfies Message);
    }
  }
}

/** A TollgateError crosses with its code (and details), anything else as its message. */
function errorToWire(error: unknown): WireError {
  if (error instanceof TollgateError) return error.toJSON();
  return { message: error instanceof Error ? error.message : String(error) };
}

function errorFromWire(error: WireError): Error {
  return error.code && error.code in ERROR_CODES ? new TollgateError(error.code as ErrorCode, error.message, error.details) : new Error(error.message);
}

/** How a function travels as an argument: an id the receiving side calls back with. */
const CALLBACK = 'tollgateCallback';

export function isCallbackToken(value: unknown): value is { [CALLBACK]: number } {
  return typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[CALLBACK] === 'number';
}

export function callbackToken(fn: number): { [CALLBACK]: number } {
  return { [CALLBACK]: fn };
}

export function callbackId(token: { [CALLBACK]: number }): number {
  return token[CALLBACK];
}
