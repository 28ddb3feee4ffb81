import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { TollgateError } from '../errors.ts';

/**
 * heic-decode (libheif compiled to WASM) runs synchronously: 0.5–1.5 s of a blocked event loop per phone
 * photo, and a hostile file could block it for good. So it runs in worker threads, one decode each: the
 * event loop stays free, photos decode side by side up to the pool's size (one per core, at most four: each
 * worker's WASM heap grows to the largest image it decoded and never shrinks), a decode that overruns its
 * time is ended by terminating its worker alone, and a worker idle for a while exits, releasing its heap.
 * A decode's time limit starts when a worker takes it, not while it waits for one.
 *
 * The worker's code is a CommonJS string (eval) so it runs the same under node, tsx and vitest, none of
 * which agree on how to load a TypeScript worker file.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
// libheif-js logs decode failures itself; they reach the caller as errors, so keep stdout clean.
console.log = console.warn = console.error = () => {};
const decode = require(workerData.modulePath);
parentPort.on('message', async ({ bytes }) => {
  try {
    const { width, height, data } = await decode({ buffer: bytes });
    parentPort.postMessage({ width, height, data }, [data.buffer]);
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err), typeError: err instanceof TypeError });
  }
});
`;

const IDLE_MS = 30_000;
const POOL_SIZE = Math.max(1, Math.min(4, availableParallelism()));

export interface HeicPixels {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel. */
  data: Uint8Array;
}

interface Decode {
  bytes: Buffer;
  timeoutMs: number;
  resolve(value: HeicPixels): void;
  reject(error: unknown): void;
}

interface Decoder {
  worker: Worker;
  current: { decode: Decode; timer: NodeJS.Timeout } | undefined;
  idleTimer: NodeJS.Timeout | undefined;
}

const decoders = new Set<Decoder>();
const waiting: Decode[] = [];

/** Decodes the primary image to RGBA. Rejects with media.timeout (its worker terminated) after `timeoutMs` of decoding. */
export function decodeHeicInWorker(bytes: Buffer, timeoutMs: number): Promise<HeicPixels> {
  return new Promise((resolve, reject) => {
    waiting.push({ bytes, timeoutMs, resolve, reject });
    dispatch();
  });
}

function dispatch(): void {
  while (waiting.length > 0) {
    let decoder = [...decoders].find((d) => d.current === undefined);
    if (!decoder && decoders.size < POOL_SIZE) {
      try {
        decoder = spawn();
      } catch (error) {
        for (const decode of waiting.splice(0)) decode.reject(error);
        return;
      }
    }
    if (!decoder) return;
    start(decoder, waiting.shift()!);
  }
}

function start(decoder: Decoder, decode: Decode): void {
  if (decoder.idleTimer) clearTimeout(decoder.idleTimer);
  decoder.idleTimer = undefined;
  const timer = setTimeout(() => {
    // Terminating is the only way to stop WASM mid-decode.
    retire(decoder);
    decode.reject(new TollgateError('media.timeout', `HEIC decode took longer than ${decode.timeoutMs} ms`));
    dispatch();
  }, decode.timeoutMs);
  decoder.current = { decode, timer };
  decoder.worker.ref(); // keep the process alive while a decode is outstanding
  // Copied by structured clone: the caller's Buffer (maybe a slice of a pool) stays intact.
  const { bytes } = decode;
  decoder.worker.postMessage({ bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
}

/** Takes the decoder's current decode off it (the caller settles it). */
function finish(decoder: Decoder): Decode | undefined {
  const current = decoder.current;
  if (!current) return undefined;
  clearTimeout(current.timer);
  decoder.current = undefined;
  return current.decode;
}

function retire(decoder: Decoder): void {
  if (!decoders.delete(decoder)) return;
  finish(decoder);
  if (decoder.idleTimer) clearTimeout(decoder.idleTimer);
  void decoder.worker.terminate();
}

function onMessage(decoder: Decoder, message: unknown): void {
  const decode = finish(decoder);
  if (!decode) return;
  if (typeof message === 'object' && message !== null && 'error' in message) {
    const text = String(message.error);
    const unavailable = 'typeError' in message && message.typeError === true;
    decode.reject(unavailable ? new TollgateError('media.decoder_unavailable', `heic-decode: ${text}`) : new Error(text));
  } else if (isPixels(message)) {
    const { width, height, data } = message;
    decode.resolve({ width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
  } else decode.reject(new Error('heic worker sent an unexpected message'));
  dispatch();
  if (decoder.current === undefined && decoders.has(decoder)) {
    decoder.worker.unref(); // an idle decoder must not keep the process alive
    decoder.idleTimer = setTimeout(() => retire(decoder), IDLE_MS);
    decoder.idleTimer.unref();
  }
}

function isPixels(message: unknown): message is { width: number; height: number; data: Uint8ClampedArray } {
  return typeof message === 'object' && message !== null && 'width' in message && 'height' in message && 'data' in message && message.data instanceof Uint8ClampedArray;
}

function spawn(): Decoder {
  let modulePath: string;
  try {
    modulePath = createRequire(import.meta.url).resolve('heic-decode');
  } catch (err) {
    throw new TollgateError('media.decoder_unavailable', 'heic-decode is not installed', undefined, { cause: err });
  }
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { modulePath } });
  worker.unref();
  const decoder: Decoder = { worker, current: undefined, idleTimer: undefined };
  worker.on('message', (message: unknown) => onMessage(decoder, message));
  worker.on('error', (err) => {
    const decode = finish(decoder);
    retire(decoder);
    decode?.reject(new TollgateError('media.decoder_unavailable', `heic worker failed: ${err.message}`, undefined, { cause: err }));
    dispatch();
  });
  worker.on('exit', () => {
    const decode = finish(decoder);
    decoders.delete(decoder);
    decode?.reject(new TollgateError('media.corrupt', 'heic worker exited during a decode'));
    dispatch();
  });
  decoders.add(decoder);
  return decoder;
}
