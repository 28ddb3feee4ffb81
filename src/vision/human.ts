import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Tf from '@tensorflow/tfjs-core';
import { TollgateError } from '../errors.ts';

/**
 * Loads @vladmandic/human on the tfjs WASM backend, entirely from disk.
 *
 * Gotchas this file exists for:
 * - human's package.json `exports` keys lack the "./" prefix, so Node refuses every subpath
 *   (`ERR_PACKAGE_PATH_NOT_EXPORTED`): we locate `dist/human.node-wasm.js` by path on the resolve paths.
 * - Node's fetch has no file:// scheme, and human loads models with fetch. We register a tfjs IO router
 *   for file:// URLs that reads model.json and its weight shards with fs, so nothing is ever downloaded.
 * - The emscripten glue of tfjs-backend-wasm installs process-wide `uncaughtException` and
 *   `unhandledRejection` listeners that rethrow; we remove them after the backend starts so a worker's
 *   own error handling stays in charge.
 */

/** The parts of human's result we read (its typings are `any` in places; we keep ours narrow). */
export interface HumanObject {
  label: string;
  score: number;
  /** Normalised [x, y, width, height], 0..1. */
  boxRaw: [number, number, number, number];
}

export interface HumanFace {
  score: number;
  boxScore?: number;
  boxRaw: [number, number, number, number];
  embedding?: number[];
  real?: number;
  live?: number;
}

export interface HumanResult {
  object: HumanObject[];
  face: HumanFace[];
}

export interface HumanInstance {
  tf: typeof Tf;
  version: string;
  load(): Promise<void>;
  detect(input: Tf.Tensor, config?: Record<string, unknown>): Promise<HumanResult | { error: string | null }>;
}

interface HumanModule {
  Human: new (config: Record<string, unknown>) => HumanInstance;
}

function packageFile(pkg: string, relative: string): string {
  const require = createRequire(import.meta.url);
  const found = (require.resolve.paths(pkg) ?? []).map((dir) => path.join(dir, pkg, relative)).find((file) => existsSync(file));
  if (!found) throw new TollgateError('detector.failed', `vision: ${pkg}/${relative} is not installed (npm install ${pkg})`);
  return found;
}

let routerRegistered = false;

/** tfjs IO handler for file:// model URLs: model.json plus its shards, read from disk. */
function registerFileRouter(tf: typeof Tf): void {
  if (routerRegistered) return;
  routerRegistered = true;
  tf.io.registerLoadRouter((url: string | string[]): Tf.io.IOHandler => {
    // tfjs routers return null for URLs they do not handle (its own http router does); the typings omit it.
    if (typeof url !== 'string' || !url.startsWith('file://')) return null as unknown as Tf.io.IOHandler;
    const file = fileURLToPath(url);
    return {
      load: async () => {
        const json = JSON.parse(await readFile(file, 'utf8')) as Tf.io.ModelJSON;
        return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
          const specs: Tf.io.WeightsManifestEntry[] = [];
          const shards: Buffer[] = [];
          for (const group of manifest) {
            for (const shard of group.paths) shards.push(await readFile(path.join(path.dirname(file), shard)));
            specs.push(...group.weights);
          }
          const all = Buffer.concat(shards);
          return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
        });
      },
    };
  });
}

/** Model detection thresholds: low enough to keep weak detections, which the task logic then weighs. */
export const OBJECT_MIN_CONFIDENCE = 0.2;
export const FACE_MIN_CONFIDENCE = 0.3;

function humanConfig(wasmDir: string, modelDir: string): Record<string, unknown> {
  const off = { enabled: false };
  return {
    backend: 'wasm',
    wasmPath: pathToFileURL(wasmDir).href + '/',
    modelBasePath: pathToFileURL(modelDir).href + '/',
    debug: false,
    async: true,
    warmup: 'none',
    // human skips inference when a frame looks like the previous one (a webcam optimisation); our frames
    // are independent uploads, so every call must really run.
    cacheSensitivity: 0,
    filter: off,
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: 10, minConfidence: FACE_MIN_CONFIDENCE, skipFrames: 0, skipTime: 0, return: false },
      mesh: { enabled: true },
      iris: off,
      description: { enabled: true, skipFrames: 0, skipTime: 0 },
      emotion: off,
      // Anti-spoofing and liveness run only in the face check of quality.screen_recapture (see modelsFor).
      antispoof: off,
      liveness: off,
    },
    body: off,
    hand: off,
    gesture: off,
    segmentation: off,
    object: { enabled: true, minConfidence: OBJECT_MIN_CONFIDENCE, maxDetected: 20, skipFrames: 0, skipTime: 0 },
  };
}

/** What one `detect` call runs. */
export interface ModelSelection {
  objects: boolean;
  /** The face detector; the three switches below need it. */
  faces: boolean;
  /** Face mesh and 1024-d descriptors (task `self`, enrolment). */
  describeFaces: boolean;
  /** Anti-spoofing and liveness scores per face. */
  liveness: boolean;
}

/**
 * The per-call config for a selection. human merges a call's config into its own and keeps it, so every
 * call states all the switches it depends on; models first enabled here are loaded by that call.
 */
export function modelsFor(s: ModelSelection): Record<string, unknown> {
  return {
    object: { enabled: s.objects },
    face: {
      enabled: s.faces,
      mesh: { enabled: s.describeFaces },
      description: { enabled: s.describeFaces },
      antispoof: { enabled: s.liveness, skipFrames: 0, skipTime: 0 },
      liveness: { enabled: s.liveness, skipFrames: 0, skipTime: 0 },
    },
  };
}

/** Creates and loads one Human instance. Takes ~0.2–0.5 s (WASM compile + five models from disk). */
export async function loadHuman(): Promise<HumanInstance> {
  const humanFile = packageFile('@vladmandic/human', 'dist/human.node-wasm.js');
  const wasmDir = path.dirname(packageFile('@tensorflow/tfjs-backend-wasm', 'dist/tfjs-backend-wasm.wasm'));
  const modelDir = path.join(path.dirname(humanFile), '..', 'models');
  const before = {
    uncaught: new Set(process.listeners('uncaughtException')),
    rejection: new Set(process.listeners('unhandledRejection')),
  };
  try {
    const module = createRequire(import.meta.url)(humanFile) as HumanModule;
    const human = new module.Human(humanConfig(wasmDir, modelDir));
    registerFileRouter(human.tf);
    await human.load();
    if (human.tf.getBackend() !== 'wasm') throw new TollgateError('detector.failed', `vision: expected the wasm backend, got ${human.tf.getBackend()}`);
    return human;
  } finally {
    for (const l of process.listeners('uncaughtException')) if (!before.uncaught.has(l)) process.removeListener('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection')) if (!before.rejection.has(l)) process.removeListener('unhandledRejection', l);
  }
}
