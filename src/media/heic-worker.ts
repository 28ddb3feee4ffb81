import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { TollgateError } from '../errors.ts';

/**
 * heic-decode (libheif compiled to WASM) runs synchronously: 0.5–1.5 s of a blocked event loop per phone
 * photo, and a hostile file could block it for good. So it runs in one worker thread: the event loop stays
 * free, a decode that overruns its time is ended by terminating the worker, and the WASM heap (which never
 * shrinks) is released when the worker has been idle for a while.
 *
 * The worker's code is a CommonJS string (eval) so it runs the same under node, tsx and vitest, none of
 * which agree on how to load a TypeScript worker file.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
// libheif-js logs decode failures itself; they reach the caller as errors, so keep stdout clean.
console.log = console.warn = console.error = () => {};
const decode = require(workerData.modulePath);
parentPort.on('message', async ({ id, bytes }) => {
  try {
    const { width, height, data } = await decode({ buffer: bytes });
    parentPort.postMessage({ id, width, height, data }, [data.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err), typeError: err instanceof TypeError });
  }
});
`;

const IDLE_MS = 30_000;

export interface HeicPixels {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel. */
  data: Uint8Array;
}

interface Pending {
  resolve(value: HeicPixels): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

let worker: Worker | undefined;
let nextId = 0;
let idleTimer: NodeJS.Timeout | undefined;
const pending = new Map<number, Pending>();

function failAll(error: TollgateError): void {
  for (const [id, p] of pending) {
    clearTimeout(p.timer);
    p.reject(error);
    pending.delete(id);
  }
}

function stop(): void {
  const w = worker;
  worker = undefined;
  if (idleTimer) clearTimeout(idleTimer);
  void w?.terminate();
}

function onMessage(message: unknown): void {
  if (typeof message !== 'object' || message === null || !('id' in message) || typeof message.id !== 'number') return;
  const p = pending.get(message.id);
  if (!p) return;
  pending.delete(message.id);
  clearTimeout(p.timer);
  if ('error' in message) {
    const text = String(message.error);
    const unavailable = 'typeError' in message && message.typeError === true;
    p.reject(unavailable ? new TollgateError('media.decoder_unavailable', `heic-decode: ${text}`) : new Error(text));
  } else if ('width' in message && 'height' in message && 'data' in message && message.data instanceof Uint8ClampedArray) {
    const { width, height, data } = message as { width: number; height: number; data: Uint8ClampedArray };
    p.resolve({ width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
  } else p.reject(new Error('heic worker sent an unexpected message'));
  if (pending.size === 0) {
    worker?.unref();
    idleTimer = setTimeout(stop, IDLE_MS);
    idleTimer.unref();
  }
}

function getWorker(): Worker {
  if (idleTimer) clearTimeout(idleTimer);
  if (worker) return worker;
  let modulePath: string;
  try {
    modulePath = createRequire(import.meta.url).resolve('heic-decode');
  } catch (err) {
    throw new TollgateError('media.decoder_unavailable', 'heic-decode is not installed', undefined, { cause: err });
  }
  const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { modulePath } });
  w.unref(); // an idle decoder must not keep the process alive
  w.on('message', onMessage);
  w.on('error', (err) => {
    if (worker === w) worker = undefined;
    failAll(new TollgateError('media.decoder_unavailable', `heic worker failed: ${err.message}`, undefined, { cause: err }));
  });
  w.on('exit', () => {
    if (worker === w) worker = undefined;
    failAll(new TollgateError('media.corrupt', 'heic worker exited during a decode'));
  });
  worker = w;
  return w;
}

/** Decodes the primary image to RGBA. Rejects with media.timeout (worker terminated) after `timeoutMs`. */
export function decodeHeicInWorker(bytes: Buffer, timeoutMs: number): Promise<HeicPixels> {
  return new Promise((resolve, reject) => {
    const w = getWorker();
    const id = nextId++;
    const timer = setTimeout(() => {
      // Terminating is the only way to stop WASM mid-decode; other queued decodes fail with it.
      pending.delete(id);
      reject(new TollgateError('media.timeout', `HEIC decode took longer than ${timeoutMs} ms`));
      stop();
      failAll(new TollgateError('media.timeout', 'HEIC decoder restarted after another decode timed out'));
    }, timeoutMs);
    pending.set(id, { resolve, reject, timer });
    w.ref(); // keep the process alive while a decode is outstanding
    // Copied by structured clone: the caller's Buffer (maybe a slice of a pool) stays intact.
    w.postMessage({ id, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  });
}
