/**
 * Error-level analysis for reviewers (after Krawetz, "A Picture's Worth…", Black Hat 2007, as FotoForensics
 * shows it): re-save the JPEG at one fixed quality and show the amplified absolute difference. Regions
 * saved fewer times than the rest, or pasted from another JPEG, stand out from the image's even error level.
 * Computed on demand only (an API route and `tollgate inspect --ela`), never on the hot path.
 */
import sharp from 'sharp';
import { TollgateError } from '../errors.ts';
import { DEFAULT_MEDIA_LIMITS, type MediaLimits } from './limits.ts';
import { sniff } from './sniff.ts';

export interface ElaOptions {
  /** Re-save quality; 90 keeps the differences of an untouched camera JPEG small and even. */
  quality?: number;
  /** Amplification of the absolute difference. */
  scale?: number;
  limits?: MediaLimits;
}

/** The ELA image as PNG. Throws `media.not_jpeg` for anything but a JPEG (other formats have no error level). */
export async function errorLevelPng(bytes: Buffer, options: ElaOptions = {}): Promise<Buffer> {
  const sniffed = sniff(bytes);
  if (sniffed.format !== 'jpeg') {
    throw new TollgateError('media.not_jpeg', `error-level analysis needs a JPEG, not ${sniffed.format}`, { format: sniffed.format });
  }
  const quality = options.quality ?? 90;
  const scale = options.scale ?? 20;
  const limits = options.limits ?? DEFAULT_MEDIA_LIMITS;
  try {
    // No auto-rotation: the 8×8 grid of the file must stay where the encoder put it.
    const original = await sharp(bytes, { limitInputPixels: limits.maxPixels }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const { width, height, channels } = original.info;
    const resaved = await sharp(original.data, { raw: { width, height, channels } }).jpeg({ quality, chromaSubsampling: '4:2:0' }).toBuffer();
    const again = await sharp(resaved).raw().toBuffer();
    const out = Buffer.alloc(original.data.length);
    for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.abs((original.data[i] ?? 0) - (again[i] ?? 0)) * scale);
    return await sharp(out, { raw: { width, height, channels } }).png({ compressionLevel: 6 }).toBuffer();
  } catch (thrown) {
    throw new TollgateError('media.corrupt', thrown instanceof Error ? thrown.message : String(thrown), undefined, { cause: thrown });
  }
}
