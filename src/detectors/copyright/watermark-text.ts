import type { MediaView } from '../../media/types.ts';
import { defaultOcrService, type OcrLine, type OcrRegion, type OcrResult, type OcrService } from '../../vision/ocr.ts';
import type { Detector, Signal } from '../types.ts';
import { hintsAtAgency, matchAgency, matchFragments, matchPartialLine, matchWholeLine, type AgencyMatch } from './agencies.ts';

/**
 * `copyright.watermark_text`: text burnt into the picture that names a stock agency ("shutterstock",
 * "Getty Images", "iStock by Getty Images", "© Alamy") or is a copyright notice. Stock previews carry
 * the agency's name, so a match means the contributor did not take the photo.
 */

/** A copyright notice: OCR has no "©" in its dictionary, so it reads as "(C)", "C" or "@" before a name. */
const NOTICE = /\bcopyright\b|\ball rights reserved\b|\(c\)\s*\w|©\s*\w/i;

interface Finding {
  line: OcrLine;
  text: string;
  agency: AgencyMatch | null;
}

/** Each line alone, then each line joined with the next: a name split over two boxes ("Shutter" "stock") still matches. */
function findings(lines: readonly OcrLine[]): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<OcrLine>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const agency = matchAgency(line.text) ?? matchWholeLine(line.text) ?? matchPartialLine(line.text);
    if (agency) {
      out.push({ line, text: line.text, agency });
      seen.add(line);
      continue;
    }
    const next = lines[i + 1];
    if (next && !seen.has(next)) {
      const joined = matchAgency(`${line.text}${next.text}`);
      if (joined && !matchAgency(next.text)) {
        out.push({ line: { ...line, box: union(line.box, next.box) }, text: `${line.text} ${next.text}`, agency: joined });
        seen.add(next);
        continue;
      }
    }
    if (NOTICE.test(line.text)) out.push({ line, text: line.text, agency: null });
  }
  if (out.some((f) => f.agency)) return out;
  const tiled = matchFragments(lines.map((l) => l.text));
  if (!tiled) return out;
  const pieces = tiled.lines.map((i) => lines[i]!);
  const box = pieces.map((l) => l.box).reduce(union);
  const confidence = round3(pieces.reduce((a, l) => a + l.confidence, 0) / pieces.length);
  return [{ line: { text: pieces.map((l) => l.text).join(' '), confidence, box }, text: pieces.map((l) => l.text).join(' '), agency: { ...tiled, edits: 1 } }, ...out];
}

function union(a: OcrLine['box'], b: OcrLine['box']): OcrLine['box'] {
  const x = Math.min(a[0], b[0]);
  const y = Math.min(a[1], b[1]);
  const r = Math.max(a[0] + a[2], b[0] + b[2]);
  const bottom = Math.max(a[1] + a[3], b[1] + b[3]);
  return [x, y, round3(r - x), round3(bottom - y)];
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function where(box: OcrLine['box']): string {
  const cx = box[0] + box[2] / 2;
  const cy = box[1] + box[3] / 2;
  const v = cy < 0.33 ? 'top' : cy > 0.67 ? 'bottom' : 'middle';
  const h = cx < 0.33 ? 'left' : cx > 0.67 ? 'right' : 'centre';
  return v === 'middle' && h === 'centre' ? 'centre' : `${v} ${h}`;
}

export function watermarkSignals(result: OcrResult): Signal[] {
  const found = findings(result.lines);
  if (found.length === 0) return [];
  const agencies = found.filter((f) => f.agency);
  const common = {
    model: result.model,
    raster: { width: result.width, height: result.height, tiles: result.tiles },
  };
  if (agencies.length > 0) {
    const byAgency = new Map<string, Finding[]>();
    for (const f of agencies) byAgency.set(f.agency!.agency, [...(byAgency.get(f.agency!.agency) ?? []), f]);
    const [agency, hits] = [...byAgency.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
    const best = hits.reduce((a, b) => (b.agency!.edits < a.agency!.edits || (b.agency!.edits === a.agency!.edits && b.line.confidence > a.line.confidence) ? b : a));
    // Every repetition of a tiled watermark is more evidence; an inexact read is less.
    const score = round3(Math.min(0.99, 0.9 + 0.03 * (hits.length - 1) - 0.05 * best.agency!.edits));
    const times = hits.length > 1 ? `, ${hits.length} times` : '';
    return [
      {
        code: 'copyright.watermark_text',
        score,
        severity: 'high',
        message: `stock agency watermark in the picture: ${agency} (read "${best.text}" at the ${where(best.line.box)}${times})`,
        evidence: {
          agency,
          text: best.text,
          confidence: best.line.confidence,
          box: best.line.box,
          edits: best.agency!.edits,
          occurrences: hits.length,
          others: [...byAgency.keys()].filter((a) => a !== agency),
          lines: hits.slice(0, 8).map((h) => ({ text: h.text, confidence: h.line.confidence, box: h.line.box })),
          ...common,
        },
      },
    ];
  }
  const notice = found.reduce((a, b) => (b.line.confidence > a.line.confidence ? b : a));
  return [
    {
      code: 'copyright.watermark_text',
      score: 0.6,
      severity: 'medium',
      message: `copyright notice in the picture: "${notice.text}" at the ${where(notice.line.box)}`,
      evidence: { agency: null, text: notice.text, confidence: notice.line.confidence, box: notice.line.box, occurrences: found.length, ...common },
    },
  ];
}

/**
 * Where agencies put the credit line of a preview ("© Dreamstime.com", "Alamy Stock Photo", "Credit: Getty
 * Images"): a small line in the bottom tenth. Twice the size is most of the second pass's cost (bench/ocr.ts);
 * at 1.5× fewer of the faint credits the first pass missed were read.
 */
const CREDIT_BAND: OcrRegion = { box: [0, 0.9, 1, 0.1], magnify: 2 };
const WHOLE_PICTURE: OcrRegion = { box: [0, 0, 1, 1], magnify: 1 };

function namesAgency(result: OcrResult): boolean {
  return watermarkSignals(result).some((s) => typeof s.evidence?.['agency'] === 'string');
}

/**
 * The first pass reads the whole picture once. When it names no agency, a closer second pass reads the
 * credit band at twice the size and, if the first pass read something that might be part of an agency's
 * name (a garbled "N23KF", pieces of a faint tiled mark), the whole picture again with its local contrast
 * equalised. Photos without such text pay only for the narrow band.
 */
export async function readWatermarkText(service: OcrService, view: MediaView, signal?: AbortSignal): Promise<OcrResult> {
  const first = await service.read(view, signal);
  if (namesAgency(first)) return first;
  const regions = first.lines.some((l) => hintsAtAgency(l.text)) ? [CREDIT_BAND, WHOLE_PICTURE] : [CREDIT_BAND];
  const closer = await service.readCloser(view, regions, signal);
  return { ...first, lines: [...first.lines, ...closer.lines], tiles: first.tiles + closer.tiles, ms: first.ms + closer.ms };
}

export function createWatermarkTextDetector(service: () => OcrService = defaultOcrService): Detector {
  return {
    name: 'copyright.watermark_text',
    codes: ['copyright.watermark_text'],
    kinds: ['image', 'video'],
    // The first call loads the models (about a second) and a pass takes ~0.3–2 s on a busy machine.
    timeoutMs: 30_000,
    async detect(view, context) {
      return watermarkSignals(await readWatermarkText(service(), view, context.abort));
    },
  };
}
