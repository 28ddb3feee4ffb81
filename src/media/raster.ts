import sharp from 'sharp';
import type { Raster, RasterRequest } from './types.ts';

/**
 * Raster sizes and the derivation of small rasters from a cached working raster.
 *
 * Why a working raster: detectors ask for several sizes (PDQ 512, pHash 32, dHash 9×8, a classifier 224,
 * quality 256 …). Resizing an in-memory 1024-px RGB raster costs 1–3 ms, while every fresh decode of a
 * 12 MP JPEG costs 20–60 ms even with shrink-on-load, so after the first decode everything small is
 * derived. Requests larger than the working raster go back to the source (and are cached too).
 */
export const WORKING_SIDE = 1024;

export interface Size {
  width: number;
  height: number;
}

/** The size a request asks for, given the source's display size. Deterministic: every path uses it. */
export function targetSize(src: Size, request: RasterRequest): Size {
  if (request.exact) {
    return { width: Math.max(1, Math.round(request.exact.width)), height: Math.max(1, Math.round(request.exact.height)) };
  }
  const longest = Math.max(src.width, src.height);
  const scale = request.maxSide && request.maxSide < longest ? request.maxSide / longest : 1;
  return { width: Math.max(1, Math.round(src.width * scale)), height: Math.max(1, Math.round(src.height * scale)) };
}

/** Resizes an RGB raster to exactly `size` (Lanczos3, sharp's default), or returns it when equal. */
export async function resizeRgb(src: Raster, size: Size): Promise<Raster> {
  if (src.width === size.width && src.height === size.height) return src;
  const data = await sharp(src.data, { raw: { width: src.width, height: src.height, channels: 3 } })
    .resize(size.width, size.height, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { width: size.width, height: size.height, channels: 3, data };
}

/**
 * BT.601 luma (the contract's definition), computed here rather than by libvips, whose b-w conversion
 * uses different weights; hashes must match reference implementations that use 0.299/0.587/0.114.
 */
export function toLuma(src: Raster): Raster {
  const n = src.width * src.height;
  const out = new Uint8Array(n);
  const d = src.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    out[i] = (299 * (d[j] ?? 0) + 587 * (d[j + 1] ?? 0) + 114 * (d[j + 2] ?? 0) + 500) / 1000;
  }
  return { width: src.width, height: src.height, channels: 1, data: out };
}

/** Memoises promises by key; a failed promise is dropped so a later call can retry. */
export class PromiseCache<T> {
  private readonly entries = new Map<string, Promise<T>>();

  get(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.entries.get(key);
    if (!p) {
      p = make();
      this.entries.set(key, p);
      p.catch(() => this.entries.delete(key));
    }
    return p;
  }

  peek(key: string): Promise<T> | undefined {
    return this.entries.get(key);
  }
}

/**
 * A raster source: `base` is the decoded working raster (RGB, display orientation); `direct` decodes the
 * source at a given size (only its top `rows` rows when given) when the request is larger than `base`.
 * Returns the request function of a view.
 */
export function rasterFunction(
  display: Size,
  base: () => Promise<Raster>,
  direct: ((size: Size, rows?: number) => Promise<Raster>) | undefined,
): (request?: RasterRequest) => Promise<Raster> {
  const cache = new PromiseCache<Raster>();
  const wholeKey = (size: Size): string => `${size.width}x${size.height}:c3`;
  const rgb = (size: Size): Promise<Raster> =>
    cache.get(wholeKey(size), async () => {
      const working = await base();
      if (fits(size, working) || !direct) return resizeRgb(working, size);
      return direct(size);
    });
  const rgbBand = (size: Size, rows: number): Promise<Raster> =>
    cache.get(`${size.width}x${size.height}:c3:${rows}`, async () => {
      // A band of a raster in hand, or of a size derived from the working raster, costs no decode.
      const whole = cache.peek(wholeKey(size));
      if (whole || fits(size, await base()) || !direct) return topRows(await (whole ?? rgb(size)), rows);
      return direct(size, rows);
    });
  return (request: RasterRequest = {}) => {
    const size = targetSize(display, request);
    const rows = request.rows === undefined ? size.height : Math.max(1, Math.min(size.height, Math.floor(request.rows)));
    const colour = (): Promise<Raster> => (rows < size.height ? rgbBand(size, rows) : rgb(size));
    if (request.channels !== 1) return colour();
    return cache.get(`${size.width}x${size.height}:c1:${rows}`, async () => toLuma(await colour()));
  };
}

function fits(size: Size, working: Raster): boolean {
  return size.width <= working.width && size.height <= working.height;
}

/** The first `rows` rows of a raster, sharing its memory. */
export function topRows(src: Raster, rows: number): Raster {
  if (rows >= src.height) return src;
  return { width: src.width, height: rows, channels: src.channels, data: src.data.subarray(0, rows * src.width * src.channels) };
}
