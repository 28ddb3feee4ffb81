/**
 * The deep-phase parts of the metadata evaluation (eval/metadata.ts): running the deep checks with one
 * pooled ExifTool, `exiftool -validate` side by side with our signals, and the double-compression table.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { metaDeepDetectors } from '../src/detectors/meta/index.ts';
import { analyseDoubleCompression } from '../src/detectors/meta/double-compression.ts';
import type { DetectorContext, Signal } from '../src/detectors/types.ts';
import { DeepMetadataReader } from '../src/media/deep-metadata.ts';
import type { MediaView } from '../src/media/types.ts';

/** The exiftool CLI: the Debian one that .ci/run installs, else the copy exiftool-vendored ships. */
export const EXIFTOOL = (() => {
  try {
    execFileSync('exiftool', ['-ver'], { stdio: 'ignore' });
    return 'exiftool';
  } catch {
    const vendored = new URL('../node_modules/exiftool-vendored.pl/bin/exiftool', import.meta.url).pathname;
    if (existsSync(vendored)) return vendored;
    throw new Error('no exiftool on PATH and no exiftool-vendored.pl');
  }
})();
export const EXIFTOOL_VERSION = execFileSync(EXIFTOOL, ['-ver']).toString().trim();

export const reader = new DeepMetadataReader();

export interface DeepRun {
  signals: Signal[];
  readMs: number;
  checksMs: number;
  doubleMs: number;
}

/** The deep phase as src/pipeline/deep.ts runs it, timed by part. */
export async function deepPhase(view: MediaView, ctx: DetectorContext): Promise<DeepRun> {
  const deep = await reader.read(view.bytes, view.info.format);
  const signals: Signal[] = [];
  let checksMs = 0;
  let doubleMs = 0;
  for (const d of metaDeepDetectors) {
    if (!d.kinds.includes(view.info.kind)) continue;
    const t0 = performance.now();
    try {
      signals.push(...(await d.detect(view, { ...ctx, deep })));
    } catch (e) {
      signals.push({ code: `${d.name}.error`, severity: 'info', score: 0, message: String(e) });
    }
    const ms = performance.now() - t0;
    if (d.name === 'meta.double_compression') doubleMs += ms;
    else checksMs += ms;
  }
  return { signals: signals.filter((s) => s.code !== 'meta.deep_read'), readMs: deep.ms, checksMs, doubleMs };
}

/** `exiftool -validate -warning -a` over many files in one run: file → its warnings ([] when "OK"). */
export function validate(files: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < files.length; i += 200) {
    const batch = files.slice(i, i + 200);
    let text = '';
    try {
      text = execFileSync(EXIFTOOL, ['-validate', '-warning', '-a', '-s', '-m', ...batch], { maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    } catch (e) {
      // exiftool exits 1 when a file could not be read but still prints the others.
      text = String((e as { stdout?: Buffer }).stdout ?? '');
    }
    let current: string | undefined = batch.length === 1 ? batch[0] : undefined;
    for (const line of text.split('\n')) {
      const head = /^======== (.+)$/.exec(line);
      if (head) {
        current = head[1]!;
        out.set(current, []);
        continue;
      }
      const w = /^Warning\s*: (.+)$/.exec(line);
      if (w && current) out.set(current, [...(out.get(current) ?? []), w[1]!]);
    }
    for (const f of batch) if (!out.has(f)) out.set(f, []);
  }
  return out;
}

/** Warnings are grouped by their text with numbers and tag ids removed, to count kinds of warning. */
export function warningKind(w: string): string {
  return w.replace(/\[minor\] /, '').replace(/ 0x[0-9a-f]+/gi, '').replace(/\d+/g, 'N').replace(/\(.*\)$/, '').trim();
}

export interface DoubleRow {
  kind: string;
  n: number;
  analysed: number;
  medium: number;
  any: number;
  notAnalysed: Record<string, number>;
}

/** How `meta.double_compression` alone behaves on originals and on controlled re-saves of them. */
export async function doubleCompressionTable(originals: ReadonlyArray<{ bytes: Buffer }>): Promise<DoubleRow[]> {
  const { doubleCompression } = await import('../src/detectors/meta/double-compression.ts');
  const { openMedia } = await import('../src/media/open.ts');
  const { NO_LOOKUPS } = await import('../src/detectors/types.ts');
  const kinds: Array<[string, (b: Buffer) => Promise<Buffer>]> = [
    ['original (single compression)', async (b) => b],
    ['re-saved at libjpeg q95', (b) => sharp(b).jpeg({ quality: 95 }).toBuffer()],
    ['re-saved at libjpeg q90', (b) => sharp(b).jpeg({ quality: 90 }).toBuffer()],
    ['re-saved at libjpeg q75', (b) => sharp(b).jpeg({ quality: 75 }).toBuffer()],
    ['libjpeg q70 then q90 (a re-save of a re-save)', async (b) => sharp(await sharp(b).jpeg({ quality: 70 }).toBuffer()).jpeg({ quality: 90 }).toBuffer()],
    ['cropped 3×5 px, then re-saved at q90 (grid moved)', async (b) => {
      const m = await sharp(b).metadata();
      return sharp(b).extract({ left: 3, top: 5, width: (m.width ?? 16) - 3, height: (m.height ?? 16) - 5 }).jpeg({ quality: 90 }).toBuffer();
    }],
  ];
  const rows: DoubleRow[] = [];
  for (const [kind, make] of kinds) {
    const row: DoubleRow = { kind, n: 0, analysed: 0, medium: 0, any: 0, notAnalysed: {} };
    for (const o of originals) {
      let bytes: Buffer;
      try {
        bytes = await make(o.bytes);
      } catch {
        continue;
      }
      row.n++;
      const a = analyseDoubleCompression(bytes);
      if ('notAnalysed' in a) {
        row.notAnalysed[a.notAnalysed] = (row.notAnalysed[a.notAnalysed] ?? 0) + 1;
        continue;
      }
      row.analysed++;
      const view = await openMedia(bytes);
      const s = await doubleCompression.detect(view, { upload: { receivedAt: new Date() }, lookups: NO_LOOKUPS, abort: new AbortController().signal });
      if (s.length) row.any++;
      if (s.some((x) => x.severity === 'medium' || x.severity === 'high')) row.medium++;
    }
    rows.push(row);
  }
  return rows;
}

export function variantPath(work: string, kindIndex: number, i: number): string {
  return join(work, `k${kindIndex}-${i}.jpg`);
}
