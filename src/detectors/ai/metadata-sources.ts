import exifr from 'exifr';
import type { MediaMetadata } from '../../media/types.ts';
import {
  matchDigitalSourceType,
  matchSoftware,
  parseA1111,
  parseComfyPrompt,
  parseComfyWorkflow,
  parseFooocus,
  parseInvoke,
  parseMidjourneyDescription,
  parseNovelAi,
  parseSwarmUi,
  parseTaggedComfy,
  type GeneratorFinding,
} from './generators.ts';
import type { PngTextChunk } from './png-chunks.ts';

/**
 * Turns each metadata source (PNG text chunks, EXIF tags, an XMP packet) into generator findings.
 * Kept apart from the detector so each source can be tested on its own bytes.
 */

/** Findings from PNG text chunks, keyed by the writer's own keyword conventions. */
export function findingsFromPngText(texts: readonly PngTextChunk[]): GeneratorFinding[] {
  const out: GeneratorFinding[] = [];
  const byKeyword = new Map<string, string>();
  for (const t of texts) if (!byKeyword.has(t.keyword)) byKeyword.set(t.keyword, t.text);
  for (const t of texts) {
    const source = `png:${t.chunk}:${t.keyword}`;
    const key = t.keyword;
    let found: GeneratorFinding | null = null;
    if (key === 'parameters') found = parseA1111(t.text, source) ?? parseFooocus(t.text, source) ?? parseSwarmUi(t.text, source);
    else if (key === 'Description') found = parseMidjourneyDescription(t.text, source) ?? parseA1111(t.text, source);
    else if (key === 'prompt') found = parseComfyPrompt(t.text, source);
    else if (key === 'workflow') found = parseComfyWorkflow(t.text, source);
    else if (key === 'Dream' || key === 'sd-metadata' || key === 'invokeai_metadata') found = parseInvoke(key, t.text, source);
    else if (key === 'Comment') found = parseFooocus(t.text, source);
    else if (key === 'fooocus_scheme') found = { generator: 'Fooocus', source, kind: 'generated' };
    else if (key === 'sui_image_params') found = { generator: 'SwarmUI', source, kind: 'generated' };
    else if (SOFTWARE_KEYWORDS.has(key)) found = matchSoftware(t.text, source);
    else found = parseA1111(t.text, source);
    if (found) out.push(found);
  }
  const novel = parseNovelAi(byKeyword, 'png:tEXt:');
  if (novel) out.push(novel);
  return out;
}

const SOFTWARE_KEYWORDS = new Set(['Software', 'Source', 'Author', 'Artist', 'Creator', 'Title', 'Make', 'Model']);

/** EXIF / IFD / IPTC / XMP fields (exifr names) whose text may name a generator. */
// Lower-case names are video container tags (ffprobe style) as the media layer passes them through.
const SOFTWARE_FIELDS = ['Software', 'Artist', 'Make', 'Model', 'CreatorTool', 'Credit', 'Creator', 'Source', 'HostComputer', 'ProcessingSoftware', 'encoder', 'software', 'artist'];
// exifr spells UserComment in lower camel case when it returns the raw bytes.
const PARAMETER_FIELDS = ['UserComment', 'userComment', 'ImageDescription', 'XPComment', 'Description', 'parameters', 'Comment', 'comment', 'description'];

/** Findings from parsed EXIF/XMP/IPTC fields, as exifr returns them. */
export function findingsFromExifFields(meta: MediaMetadata, prefix: string): GeneratorFinding[] {
  const out: GeneratorFinding[] = [];
  for (const field of PARAMETER_FIELDS) {
    const text = fieldText(meta[field]);
    if (!text) continue;
    const source = `${prefix}:${field}`;
    const found =
      parseA1111(text, source) ?? parseTaggedComfy(text, source) ?? parseFooocus(text, source) ?? parseMidjourneyDescription(text, source) ?? matchSoftware(text, source);
    if (found) out.push(found);
  }
  for (const field of SOFTWARE_FIELDS) {
    const text = fieldText(meta[field]);
    if (!text) continue;
    const source = `${prefix}:${field}`;
    const found = parseTaggedComfy(text, source) ?? matchSoftware(text, source);
    if (found) out.push(found);
  }
  const dst = fieldText(meta['DigitalSourceType']);
  const type = dst ? matchDigitalSourceType(dst) : null;
  if (type) out.push({ generator: `IPTC DigitalSourceType ${type.code}`, source: `${prefix}:DigitalSourceType`, kind: type.kind });
  return out;
}

/** Decodes the text-ish shapes exifr returns: strings, string arrays, EXIF UserComment bytes. */
export function fieldText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join('\n').trim() || undefined;
  if (value instanceof Uint8Array) return decodeUserComment(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return decodeUserComment(Uint8Array.from(value as number[]));
  if (typeof value === 'object' && value !== null && 'value' in value) return fieldText((value as { value: unknown }).value);
  return undefined;
}

/**
 * EXIF UserComment: an 8-byte charset header then the text. A1111 writes "UNICODE\0" + UTF-16 in the
 * TIFF's byte order; we guess the order from where the zero bytes fall, since exifr does not say.
 */
export function decodeUserComment(bytes: Uint8Array): string | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = buf.toString('latin1', 0, 8);
  let text: string;
  if (header.startsWith('UNICODE')) {
    const body = buf.subarray(8);
    const evenZeros = countZeros(body, 0);
    const oddZeros = countZeros(body, 1);
    text = evenZeros > oddZeros ? swap16(body).toString('utf16le') : body.toString('utf16le');
  } else if (header.startsWith('ASCII') || header === '\0\0\0\0\0\0\0\0') {
    text = buf.subarray(8).toString('utf8');
  } else {
    text = buf.toString('utf8');
  }
  const clean = text.replace(/\0+$/g, '').trim();
  return clean || undefined;
}

function countZeros(buf: Buffer, parity: number): number {
  let n = 0;
  for (let i = parity; i < Math.min(buf.length, 512); i += 2) if (buf[i] === 0) n++;
  return n;
}

function swap16(buf: Buffer): Buffer {
  const out = Buffer.from(buf.subarray(0, buf.length - (buf.length & 1)));
  return out.swap16();
}

/** Findings from an XMP packet read as text, independent of exifr's XMP namespace handling. */
export function findingsFromXmp(xmp: string, prefix = 'xmp'): GeneratorFinding[] {
  const out: GeneratorFinding[] = [];
  for (const m of xmp.matchAll(/DigitalSourceType(?:\s*=\s*["']|>\s*)([^"'<]+)/gi)) {
    const type = matchDigitalSourceType(m[1] ?? '');
    if (type) out.push({ generator: `IPTC DigitalSourceType ${type.code}`, source: `${prefix}:DigitalSourceType`, kind: type.kind });
  }
  const fields = /(CreatorTool|Credit|Creator|Software|Description|Artist)(?:\s*=\s*"([^"]*)"|>([\s\S]{0,2000}?)<\/)/gi;
  for (const m of xmp.matchAll(fields)) {
    const value = (m[2] ?? m[3] ?? '').replace(/<[^>]+>/g, ' ');
    const found = matchSoftware(value, `${prefix}:${m[1] ?? 'field'}`);
    if (found) out.push(found);
  }
  return out;
}

/** Parses a raw TIFF/EXIF block (WebP EXIF chunk, PNG eXIf) with exifr; never throws. */
export async function parseTiffBlock(tiff: Buffer): Promise<MediaMetadata> {
  try {
    const parsed: unknown = await exifr.parse(tiff, { tiff: true, exif: true, xmp: false, icc: false, iptc: false, userComment: true });
    return (typeof parsed === 'object' && parsed !== null ? parsed : {}) as MediaMetadata;
  } catch {
    return {};
  }
}
