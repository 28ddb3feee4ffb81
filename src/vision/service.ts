import type { MediaFrame, MediaView, Raster } from '../media/types.ts';
import { loadHuman, modelsFor, type HumanInstance, type ModelSelection } from './human.ts';

/**
 * The vision service: COCO objects and faces (with 1024-d descriptors) on an upload's frames.
 * One lazily loaded model instance per process; nothing loads until a task or policy asks for vision.
 */

/** Rasters are downscaled to this long side: the detectors' own input is 512 (CenterNet) / 256 (faces). */
export const VISION_RASTER_SIDE = 640;
/** Videos: frames analysed, spread evenly over the sampled ones (about 0.2 s each on one core). */
export const VISION_MAX_FRAMES = 8;

export type Box = [number, number, number, number];

export interface DetectedObject {
  label: string;
  score: number;
  /** Normalised [x, y, width, height]. */
  box: Box;
}

export interface DetectedFace {
  score: number;
  box: Box;
  /** 1024-d descriptor from human's faceres model; absent when the face was too small to describe. */
  descriptor?: number[];
  /** Anti-spoofing model: 1 = a real face, 0 = a face shown on a screen or print (face check only). */
  real?: number;
  /** Liveness model: 1 = a live face (face check only). */
  live?: number;
}

export interface FrameVision {
  index: number;
  timeS: number;
  width: number;
  height: number;
  objects: DetectedObject[];
  faces: DetectedFace[];
}

export interface VisionResult {
  /** Names the models, so stored descriptors are only compared with descriptors of the same model. */
  model: string;
  frames: FrameVision[];
  /** Frames the media offered (videos: sampled at 1 fps); `frames` is a subset of these. */
  availableFrames: number;
  ms: number;
}

/** Which models a caller needs: a task that only asks for objects skips the face models, and the reverse. */
export interface VisionNeeds {
  objects: boolean;
  /** Faces with descriptors. */
  faces: boolean;
}

export const ALL_VISION: VisionNeeds = { objects: true, faces: true };

export interface VisionService {
  analyse(view: MediaView, signal?: AbortSignal, needs?: VisionNeeds): Promise<VisionResult>;
}

/** Faces of a still image with anti-spoofing and liveness scores (quality.screen_recapture). */
export interface FaceCheckService {
  faceCheck(view: MediaView): Promise<DetectedFace[]>;
}

/** Task analysis: objects, faces and descriptors. */
const TASK_MODELS: ModelSelection = { objects: true, faces: true, describeFaces: true, liveness: false };
/** Face check: the face detector plus the two small anti-spoof models (~1/5 of a task analysis). */
const FACE_CHECK_MODELS: ModelSelection = { objects: false, faces: true, describeFaces: false, liveness: true };

/** Evenly spread picks, always including the first and last when there is more than one. */
export function pickFrames<T>(frames: readonly T[], max: number): T[] {
  if (frames.length <= max) return [...frames];
  if (max <= 1) return frames.slice(0, 1);
  return Array.from({ length: max }, (_, i) => frames[Math.round((i * (frames.length - 1)) / (max - 1))]!);
}

export class HumanVisionService implements VisionService, FaceCheckService {
  private human: Promise<HumanInstance> | undefined;
  /** human keeps per-call state (tensors, timers): calls run one after another. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Per view, keyed by the needs ("of" = objects and faces); a full result also serves any subset. */
  private readonly cache = new WeakMap<MediaView, Map<string, Promise<VisionResult>>>();
  private readonly faceCache = new WeakMap<MediaView, Promise<DetectedFace[]>>();

  constructor(private readonly maxFrames = VISION_MAX_FRAMES) {}

  private instance(): Promise<HumanInstance> {
    this.human ??= loadHuman().catch((error: unknown) => {
      // A failed load is retried by the next upload instead of poisoning the process.
      this.human = undefined;
      throw error;
    });
    return this.human;
  }

  /** Results are cached per view: several task detectors share one run of the models. */
  analyse(view: MediaView, signal?: AbortSignal, needs: VisionNeeds = ALL_VISION): Promise<VisionResult> {
    const key = `${needs.objects ? 'o' : ''}${needs.faces ? 'f' : ''}`;
    let byNeeds = this.cache.get(view);
    if (!byNeeds) {
      byNeeds = new Map();
      this.cache.set(view, byNeeds);
    }
    let result = byNeeds.get(key) ?? byNeeds.get('of');
    if (!result) {
      const models: ModelSelection = { objects: needs.objects, faces: needs.faces, describeFaces: needs.faces, liveness: false };
      result = this.run(view, models, signal);
      byNeeds.set(key, result);
      const added = byNeeds;
      result.catch(() => added.delete(key));
    }
    return result;
  }

  /** Loads the models (once) and answers when tfjs runs on the WASM backend, for other tfjs models to share it. */
  async ready(): Promise<void> {
    await this.instance();
  }

  /** Faces of the image (first frame of a video) with anti-spoofing and liveness scores; cached per view. */
  faceCheck(view: MediaView): Promise<DetectedFace[]> {
    let result = this.faceCache.get(view);
    if (!result) {
      result = this.instance().then(async (human) => (await this.detect(human, await view.raster({ maxSide: VISION_RASTER_SIDE }), 0, 0, FACE_CHECK_MODELS)).faces);
      this.faceCache.set(view, result);
      result.catch(() => this.faceCache.delete(view));
    }
    return result;
  }

  private async run(view: MediaView, models: ModelSelection, signal?: AbortSignal): Promise<VisionResult> {
    const started = performance.now();
    const human = await this.instance();
    const all: readonly MediaFrame[] = view.info.kind === 'video' ? await view.frames() : [];
    const chosen = view.info.kind === 'video' ? pickFrames(all, this.maxFrames) : [];
    const frames: FrameVision[] = [];
    if (view.info.kind === 'image') {
      frames.push(await this.detect(human, await view.raster({ maxSide: VISION_RASTER_SIDE }), 0, 0, models));
    } else {
      for (const frame of chosen) {
        signal?.throwIfAborted();
        frames.push(await this.detect(human, await frame.raster({ maxSide: VISION_RASTER_SIDE }), frame.index, frame.timeS, models));
      }
    }
    return {
      model: `human-${human.version}`,
      frames,
      availableFrames: view.info.kind === 'video' ? all.length : 1,
      ms: performance.now() - started,
    };
  }

  /** Runs both models on one raster (exported through `analyseRaster` for the evaluation). */
  detect(human: HumanInstance, raster: Raster, index: number, timeS: number, models: ModelSelection = TASK_MODELS): Promise<FrameVision> {
    const job = this.queue.then(async () => {
      const tf = human.tf;
      const rgb = raster.channels === 3 ? raster.data : toRgb(raster);
      const tensor = tf.tensor3d(rgb, [raster.height, raster.width, 3], 'int32');
      try {
        const result = await human.detect(tensor, modelsFor(models));
        if ('error' in result && typeof result.error === 'string') throw new Error(`vision: ${result.error}`);
        if (!('object' in result)) throw new Error('vision: no result');
        return {
          index,
          timeS,
          width: raster.width,
          height: raster.height,
          objects: result.object.map((o) => ({ label: o.label, score: round3(o.score), box: o.boxRaw })),
          faces: result.face.map((f) => ({
            score: round3(f.boxScore ?? f.score),
            box: f.boxRaw,
            ...(f.embedding && f.embedding.length > 0 ? { descriptor: Array.from(f.embedding) } : {}),
            // human leaves out a score of exactly 0, which for these two means "certainly not".
            ...(models.liveness ? { real: round3(f.real ?? 0), live: round3(f.live ?? 0) } : {}),
          })),
        };
      } finally {
        tensor.dispose();
      }
    });
    this.queue = job.catch(() => undefined);
    return job;
  }

  /** One raster, outside any MediaView (evaluation, enrolment from a selfie raster). */
  async analyseRaster(raster: Raster): Promise<FrameVision> {
    return this.detect(await this.instance(), raster, 0, 0);
  }
}

function toRgb(raster: Raster): Uint8Array {
  const pixels = raster.width * raster.height;
  const out = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const src = i * raster.channels;
    out[i * 3] = raster.data[src]!;
    out[i * 3 + 1] = raster.data[raster.channels === 1 ? src : src + 1]!;
    out[i * 3 + 2] = raster.data[raster.channels === 1 ? src : src + 2]!;
  }
  return out;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

let shared: HumanVisionService | undefined;

/** The process-wide service; the models load on its first `analyse`. */
export function defaultVisionService(): HumanVisionService {
  shared ??= new HumanVisionService();
  return shared;
}
