import type { Detector, DetectorContext, Signal } from '../types.ts';
import type { MediaView } from '../../media/types.ts';
import { findXmpPacket, isWebp, readWebpMetadata } from './containers.ts';
import { parseA1111, parseComfyPrompt, parseFooocus, type GeneratorFinding } from './generators.ts';
import { findingsFromExifFields, findingsFromPngText, findingsFromXmp, parseTiffBlock } from './metadata-sources.ts';
import { isPng, readPngMetadata } from './png-chunks.ts';
import { decodePngWithAlpha, decodeStealth } from './stealth.ts';

/**
 * `ai.generator_metadata`: the file says, in its own metadata, that a generator made it.
 * This is the cheapest and most certain AI signal we have, so it reads every place generators write:
 * PNG text chunks, A1111 stealth alpha bits, EXIF (JPEG/WebP/PNG eXIf), XMP and IPTC DigitalSourceType.
 */

export interface GeneratorMetadataResult {
  findings: GeneratorFinding[];
  /** Parse problems (bad CRC, truncated chunk, broken zTXt…), each prefixed by a stable code. */
  warnings: string[];
}

/** Stealth data needs a full decode; beyond this size the cost is not worth it on the hot path. */
const STEALTH_MAX_PIXELS = 40_000_000;

export async function readGeneratorMetadata(view: MediaView): Promise<GeneratorMetadataResult> {
  const findings: GeneratorFinding[] = [];
  const warnings: string[] = [];
  const bytes = view.bytes;
  if (isPng(bytes)) {
    const png = readPngMetadata(bytes);
    warnings.push(...png.warnings);
    findings.push(...findingsFromPngText(png.texts));
    if (png.exif) findings.push(...findingsFromExifFields(await parseTiffBlock(png.exif), 'png:eXIf'));
    const pixels = (png.header?.width ?? 0) * (png.header?.height ?? 0);
    if (findings.length === 0 && pixels > 0 && pixels <= STEALTH_MAX_PIXELS) {
      findings.push(...(await stealthFindings(bytes, warnings)));
    }
  } else if (isWebp(bytes)) {
    const webp = readWebpMetadata(bytes);
    if (webp.exif) findings.push(...findingsFromExifFields(await parseTiffBlock(webp.exif), 'webp:EXIF'));
    if (webp.xmp) findings.push(...findingsFromXmp(webp.xmp, 'webp:XMP'));
  }
  const meta = await view.metadata();
  findings.push(...findingsFromExifFields(meta, 'exif'));
  const xmp = findXmpPacket(bytes);
  if (xmp) findings.push(...findingsFromXmp(xmp));
  return { findings: dedupe(findings), warnings };
}

async function stealthFindings(bytes: Buffer, warnings: string[]): Promise<GeneratorFinding[]> {
  try {
    const payload = decodeStealth(await decodePngWithAlpha(bytes, STEALTH_MAX_PIXELS));
    if (!payload) return [];
    const source = `png:stealth_${payload.mode}${payload.compressed ? ':gzip' : ''}`;
    const found = parseA1111(payload.text, source) ?? parseFooocus(payload.text, source) ?? parseComfyPrompt(payload.text, source);
    return [found ?? { generator: 'AUTOMATIC1111 (stealth pnginfo)', source, kind: 'generated' }];
  } catch (error) {
    warnings.push(`png.undecodable: pixels could not be read for stealth metadata: ${(error as Error).message}`);
    return [];
  }
}

/** One finding per generator+source; richer findings (model/prompt) win. */
function dedupe(findings: GeneratorFinding[]): GeneratorFinding[] {
  const byKey = new Map<string, GeneratorFinding>();
  for (const f of findings) {
    const key = `${f.generator}|${f.source}`;
    const prev = byKey.get(key);
    if (!prev || richness(f) > richness(prev)) byKey.set(key, f);
  }
  return [...byKey.values()];
}

/** ComfyUI's API `prompt` names the model and positive prompt exactly; its UI `workflow` only approximately. */
function richness(f: GeneratorFinding): number {
  return (f.model ? 2 : 0) + (f.prompt ? 1 : 0) + (/workflow/i.test(f.source) ? 0 : 0.5);
}

/** Structured generation parameters are near-proof; a software name or source-type tag can be forged or copied. */
function scoreOf(f: GeneratorFinding): number {
  const structured = f.model !== undefined || f.prompt !== undefined || /^png:(?:tEXt|zTXt|iTXt|stealth)/.test(f.source);
  return structured ? 0.98 : 0.92;
}

export function generatorSignals(result: GeneratorMetadataResult): Signal[] {
  const signals: Signal[] = [];
  if (result.findings.length > 0) {
    const ranked = [...result.findings].sort((a, b) => scoreOf(b) - scoreOf(a) || richness(b) - richness(a));
    const best = ranked[0] as GeneratorFinding;
    // The model and prompt may come from a different chunk than the best-scored one (ComfyUI prompt vs workflow).
    const model = best.model ?? ranked.find((f) => f.generator === best.generator && f.model)?.model;
    const prompt = best.prompt ?? ranked.find((f) => f.generator === best.generator && f.prompt)?.prompt;
    const score = scoreOf(best);
    // An AI edit of an input image is flagged as strongly as a generation (the pixels are not all human-made),
    // but reviewers need to know which it was.
    const kind = ranked.some((f) => f.kind === 'composite') ? 'composite' : 'generated';
    const what = kind === 'composite' ? 'edited with' : 'generated by';
    signals.push({
      code: 'ai.generator_metadata',
      score,
      severity: score >= 0.9 ? 'high' : 'medium',
      message: `metadata says the image was ${what} ${best.generator}${model ? ` (model ${model})` : ''}, found in ${best.source}`,
      evidence: {
        generator: best.generator,
        kind,
        ...(model ? { model } : {}),
        ...(prompt ? { prompt } : {}),
        source: best.source,
        sources: ranked.map((f) => `${f.generator} @ ${f.source}`),
        ...(result.warnings.length ? { warnings: result.warnings } : {}),
      },
    });
  }
  if (result.warnings.length > 0) {
    signals.push({
      code: 'ai.metadata_malformed',
      score: 1,
      severity: 'low',
      message: `metadata structure is damaged: ${result.warnings[0]}${result.warnings.length > 1 ? ` (+${result.warnings.length - 1} more)` : ''}`,
      evidence: { warnings: result.warnings },
    });
  }
  return signals;
}

export const generatorMetadataDetector: Detector = {
  name: 'ai.generator_metadata',
  codes: ['ai.generator_metadata', 'ai.metadata_malformed'],
  kinds: ['image', 'video'],
  async detect(view: MediaView, _context: DetectorContext): Promise<Signal[]> {
    return generatorSignals(await readGeneratorMetadata(view));
  },
};
