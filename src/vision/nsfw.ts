import type { Raster } from '../media/types.ts';
import { TollgateError } from '../errors.ts';
import { defaultVisionService } from './service.ts';

/**
 * nsfwjs 4.3 (MobileNetV2, 224 px) on the tfjs WASM backend the vision service already runs. Its weights are
 * bundled in the package as JS modules (dist/models/…), so nothing is downloaded. Loaded once per process on
 * the first call, which only happens when content.nsfw is enabled (TOLLGATE_NSFW).
 */

export const NSFW_INPUT_SIDE = 224;
export const NSFW_MODEL = 'nsfwjs-4.3-MobileNetV2';
export const NSFW_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;
export type NsfwClass = (typeof NSFW_CLASSES)[number];
export type NsfwProbabilities = Record<NsfwClass, number>;

interface Loaded {
  tf: typeof import('@tensorflow/tfjs');
  model: import('nsfwjs').NSFWJS;
}

let loading: Promise<Loaded> | undefined;
/** tfjs keeps per-call state in its engine; classifications run one after another, like the vision service's. */
let queue: Promise<unknown> = Promise.resolve();

async function load(): Promise<Loaded> {
  // The vision service registers the WASM backend (with our file:// loader); nsfwjs's own tfjs import shares
  // tfjs's global engine, so it runs there too instead of on the slow pure-JS CPU backend.
  await defaultVisionService().ready();
  const tf = await import('@tensorflow/tfjs');
  const nsfwjs = await import('nsfwjs');
  if (tf.getBackend() !== 'wasm') throw new TollgateError('detector.failed', `nsfw: expected the wasm backend, got ${tf.getBackend()}`);
  const info = console.info;
  // nsfwjs announces its default model on every load; workers' logs are JSON lines.
  console.info = () => undefined;
  try {
    return { tf, model: await nsfwjs.load('MobileNetV2', { size: NSFW_INPUT_SIDE }) };
  } finally {
    console.info = info;
  }
}

function loaded(): Promise<Loaded> {
  loading ??= load().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

/** Class probabilities of one RGB raster, ideally already 224×224 (the model stretches anything else to it). */
export async function classifyNsfw(raster: Raster): Promise<NsfwProbabilities> {
  if (raster.channels !== 3) throw new TollgateError('detector.failed', 'nsfw: expects an RGB raster');
  const { tf, model } = await loaded();
  const job = queue.then(async () => {
    const input = tf.tensor3d(raster.data, [raster.height, raster.width, 3], 'int32');
    try {
      const predictions = await model.classify(input, NSFW_CLASSES.length);
      const out = Object.fromEntries(NSFW_CLASSES.map((c) => [c, 0])) as NsfwProbabilities;
      for (const p of predictions) out[p.className as NsfwClass] = Math.round(p.probability * 1000) / 1000;
      return out;
    } finally {
      input.dispose();
    }
  });
  queue = job.catch(() => undefined);
  return job;
}
