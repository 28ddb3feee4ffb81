import { gunzipSync, gzipSync } from 'node:zlib';
import sharp from 'sharp';

/**
 * A1111 "stealth pnginfo": the generation parameters hidden in the least significant bits of the
 * alpha channel (or of R, G, B), so they survive tools that strip PNG text chunks.
 *
 * Layout (from the extension's documented format): pixels are visited column by column (x outer,
 * y inner); each pixel gives one bit (alpha mode) or three bits (RGB mode, R then G then B).
 * The stream is a 15-byte ASCII signature, a 32-bit big-endian length *in bits*, then the payload,
 * gzip-compressed when the signature ends in `comp`.
 */

export type StealthMode = 'alpha' | 'rgb';

export interface StealthPayload {
  mode: StealthMode;
  compressed: boolean;
  signature: string;
  text: string;
}

const SIGNATURES: Record<string, { mode: StealthMode; compressed: boolean }> = {
  stealth_pnginfo: { mode: 'alpha', compressed: false },
  stealth_pngcomp: { mode: 'alpha', compressed: true },
  stealth_rgbinfo: { mode: 'rgb', compressed: false },
  stealth_rgbcomp: { mode: 'rgb', compressed: true },
};
const SIGNATURE_BITS = 15 * 8;
/** Parameters are a few KB; anything claiming more is noise that happened to match. */
const MAX_PAYLOAD_BITS = 8 * 1024 * 1024 * 8;

/** Interleaved 8-bit pixels with an alpha channel when `channels` is 2 or 4. */
export interface PixelBuffer {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/** Reads the LSB stream in the extension's order. Returns null when no signature is present. */
export function decodeStealth(pixels: PixelBuffer): StealthPayload | null {
  const hasAlpha = pixels.channels === 2 || pixels.channels === 4;
  const modes: StealthMode[] = hasAlpha ? ['alpha', 'rgb'] : ['rgb'];
  for (const mode of modes) {
    if (mode === 'rgb' && pixels.channels < 3) continue;
    const found = decodeMode(pixels, mode);
    if (found) return found;
  }
  return null;
}

function decodeMode(pixels: PixelBuffer, mode: StealthMode): StealthPayload | null {
  const { width, height, channels, data } = pixels;
  const perPixel = mode === 'alpha' ? 1 : 3;
  const capacity = width * height * perPixel;
  const bitAt = (i: number): number => {
    const pixel = Math.floor(i / perPixel);
    const x = Math.floor(pixel / height);
    const y = pixel - x * height;
    const base = (y * width + x) * channels;
    const channel = mode === 'alpha' ? channels - 1 : i - pixel * perPixel;
    return (data[base + channel] ?? 0) & 1;
  };
  const readBytes = (start: number, count: number): Buffer => {
    const out = Buffer.alloc(count);
    for (let b = 0; b < count; b++) {
      let v = 0;
      for (let k = 0; k < 8; k++) v = (v << 1) | bitAt(start + b * 8 + k);
      out[b] = v;
    }
    return out;
  };
  if (capacity < SIGNATURE_BITS + 32) return null;
  const signature = readBytes(0, 15).toString('latin1');
  const spec = SIGNATURES[signature];
  if (!spec || spec.mode !== mode) return null;
  const length = readBytes(SIGNATURE_BITS, 4).readUInt32BE(0);
  if (length === 0 || length > MAX_PAYLOAD_BITS || SIGNATURE_BITS + 32 + length > capacity) return null;
  const payload = readBytes(SIGNATURE_BITS + 32, Math.floor(length / 8));
  let text: string;
  try {
    text = (spec.compressed ? gunzipSync(payload, { maxOutputLength: 8 * 1024 * 1024 }) : payload).toString('utf8');
  } catch {
    return null;
  }
  return { mode, compressed: spec.compressed, signature, text };
}

/** Decodes a PNG with its alpha channel kept (the shared MediaView raster drops alpha). */
export async function decodePngWithAlpha(bytes: Buffer, maxPixels: number): Promise<PixelBuffer> {
  const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels }).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data };
}

/** Writes a stealth payload (used by tests to build fixtures from real photos). */
export function encodeStealth(pixels: PixelBuffer, text: string, mode: StealthMode, compressed: boolean): PixelBuffer {
  const signature = `stealth_${mode === 'alpha' ? 'png' : 'rgb'}${compressed ? 'comp' : 'info'}`;
  const body = compressed ? gzipSync(Buffer.from(text, 'utf8')) : Buffer.from(text, 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length * 8, 0);
  const stream = Buffer.concat([Buffer.from(signature, 'latin1'), header, body]);
  const out = { ...pixels, data: Uint8Array.from(pixels.data) };
  const perPixel = mode === 'alpha' ? 1 : 3;
  if (stream.length * 8 > pixels.width * pixels.height * perPixel) throw new Error('image too small for the payload');
  for (let i = 0; i < stream.length * 8; i++) {
    const bit = ((stream[i >> 3] ?? 0) >> (7 - (i & 7))) & 1;
    const pixel = Math.floor(i / perPixel);
    const x = Math.floor(pixel / pixels.height);
    const y = pixel - x * pixels.height;
    const channel = mode === 'alpha' ? pixels.channels - 1 : i - pixel * perPixel;
    const index = (y * pixels.width + x) * pixels.channels + channel;
    out.data[index] = ((out.data[index] ?? 0) & 0xfe) | bit;
  }
  return out;
}
