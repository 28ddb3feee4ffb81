/**
 * PDQ conformance against upstream's reference vectors (../shared/data/pdq-reference).
 *
 * Each expected hash was produced by an upstream implementation from the pixels *its* decoder
 * produced, so the algorithm is checked on equivalent pixels ("reference" column): full
 * resolution, EXIF orientation not applied (neither CImg, PIL nor ImageIO apply it), alpha
 * dropped, and 16-bit greyscale clipped to 255 as PIL's I→RGB conversion does. The other
 * columns measure what production does: Tollgate's own decode (openMedia: orientation applied,
 * 16-bit scaled) and the downsampled rasters fingerprintView may use.
 *
 * Run: npx tsx eval/pdq-conformance.ts  → prints the table and writes docs/pdq-conformance.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { openMedia } from '../src/media/open.ts';
import type { Raster } from '../src/media/types.ts';
import { hammingHex } from '../src/fingerprint/bits.ts';
import { pdqDihedral, pdqFromRaster, type PdqHash } from '../src/fingerprint/pdq.ts';
import { PDQ_RASTER_MAX_SIDE } from '../src/fingerprint/view.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PDQ_REFERENCE_DIR = join(ROOT, '..', 'shared', 'data', 'pdq-reference');

export interface ConformanceRow {
  image: string;
  implementation: string;
  expectedHash: string;
  expectedQuality: number | null;
  /** Upstream asserts exact equality for these rows (python-threatexchange tests). */
  bitExact: boolean;
  quality: number;
  /** Hamming distance per decode variant, see VARIANTS. */
  distance: Record<Variant, number>;
}

export const VARIANTS = ['reference', 'max1024', 'max512', 'product', 'productDihedral'] as const;
export type Variant = (typeof VARIANTS)[number];

/** Minimal CSV reader for the expected file: comma separated, double quotes around fields with commas. */
function parseCsv(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const cells: string[] = [];
      let cur = '';
      let quoted = false;
      for (const ch of line) {
        if (ch === '"') quoted = !quoted;
        else if (ch === ',' && !quoted) {
          cells.push(cur);
          cur = '';
        } else cur += ch;
      }
      cells.push(cur);
      return cells;
    });
}

/** Pixels as the reference decoders saw them (see the header comment). */
export async function referenceRaster(file: string, maxSide?: number): Promise<Raster> {
  const meta = await sharp(file).metadata();
  let img = sharp(file);
  if (maxSide) img = img.resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true });
  if (meta.depth === 'ushort' && (meta.channels ?? 3) <= 2) {
    const { data, info } = await img.toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    const u16 = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
    const px = new Uint8Array(info.width * info.height);
    for (let i = 0; i < px.length; i++) px[i] = Math.min(255, u16[i * info.channels]!);
    return { width: info.width, height: info.height, channels: 1, data: px };
  }
  const { data, info } = await img.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels as 1 | 3, data };
}

export async function runPdqConformance(dir = PDQ_REFERENCE_DIR): Promise<ConformanceRow[]> {
  const rows = parseCsv(readFileSync(join(dir, 'expected', 'pdq_expected.csv'), 'utf8')).slice(1);
  const cache = new Map<string, { q: number; h: Record<Exclude<Variant, 'productDihedral'>, string>; dih: PdqHash[] }>();
  const out: ConformanceRow[] = [];
  for (const [image, hex, quality, implementation] of rows) {
    if (!image || !hex || implementation === undefined) continue;
    const file = join(dir, image);
    let c = cache.get(image);
    if (!c) {
      const ref = pdqFromRaster(await referenceRaster(file));
      const view = await openMedia(readFileSync(file));
      const product = await view.raster({ channels: 3 });
      c = {
        q: ref.quality,
        h: {
          reference: ref.hash,
          max1024: pdqFromRaster(await referenceRaster(file, 1024)).hash,
          max512: pdqFromRaster(await referenceRaster(file, 512)).hash,
          product: pdqFromRaster(await view.raster({ maxSide: PDQ_RASTER_MAX_SIDE, channels: 3 })).hash,
        },
        dih: pdqDihedral(product),
      };
      cache.set(image, c);
    }
    const h = c.h;
    out.push({
      image,
      implementation,
      expectedHash: hex,
      expectedQuality: quality ? Number(quality) : null,
      bitExact: implementation.includes('exact assert'),
      quality: c.q,
      distance: {
        reference: hammingHex(h.reference, hex),
        max1024: hammingHex(h.max1024, hex),
        max512: hammingHex(h.max512, hex),
        product: hammingHex(h.product, hex),
        productDihedral: Math.min(...c.dih.map((d) => hammingHex(d.hash, hex))),
      },
    });
  }
  return out;
}

const BUCKETS: Array<[string, (d: number) => boolean]> = [
  ['0', (d) => d === 0],
  ['1–4', (d) => d >= 1 && d <= 4],
  ['5–8', (d) => d >= 5 && d <= 8],
  ['9–12', (d) => d >= 9 && d <= 12],
  ['13–16', (d) => d >= 13 && d <= 16],
  ['> 16', (d) => d > 16],
];

export function conformanceMarkdown(rows: readonly ConformanceRow[]): string {
  const lines: string[] = [];
  const exact = rows.filter((r) => r.bitExact);
  const exactOk = exact.filter((r) => r.distance.reference === 0 && r.quality === r.expectedQuality).length;
  const refMax = Math.max(...rows.map((r) => r.distance.reference));
  lines.push(`Rows: ${rows.length} (${exact.length} bit-exact). Product rasters use maxSide ${PDQ_RASTER_MAX_SIDE ?? 'full'}.`, '');
  lines.push(`**Result:** reference distance ≤ 16 on ${rows.filter((r) => r.distance.reference <= 16).length}/${rows.length} rows (max ${refMax}); ` +
    `bit-exact rows identical in hash and quality: ${exactOk}/${exact.length}.`, '');
  lines.push(`| distance | ${VARIANTS.join(' | ')} |`, `|---|${VARIANTS.map(() => '---:').join('|')}|`);
  for (const [label, test] of BUCKETS) lines.push(`| ${label} | ${VARIANTS.map((v) => rows.filter((r) => test(r.distance[v])).length).join(' | ')} |`);
  const stat = (f: (xs: number[]) => number): string => VARIANTS.map((v) => f(rows.map((r) => r.distance[v])).toFixed(2)).join(' | ');
  lines.push(`| mean | ${stat((xs) => xs.reduce((a, b) => a + b, 0) / xs.length)} |`);
  lines.push(`| max | ${stat((xs) => Math.max(...xs))} |`, '');
  lines.push('| image | implementation | quality exp/ours | ' + VARIANTS.join(' | ') + ' |', `|---|---|---|${VARIANTS.map(() => '---:').join('|')}|`);
  for (const r of rows) {
    const mark = r.bitExact ? ' **(bit-exact)**' : '';
    lines.push(`| ${r.image}${mark} | ${r.implementation} | ${r.expectedQuality ?? '–'}/${r.quality} | ${VARIANTS.map((v) => r.distance[v]).join(' | ')} |`);
  }
  return lines.join('\n');
}

const DOC_HEADER = `# PDQ conformance

Generated by \`npx tsx eval/pdq-conformance.ts\` from \`../shared/data/pdq-reference\` (facebook/ThreatExchange
reference vectors, BSD-3). Cells are Hamming distances (of 256 bits) between our hash and upstream's.

Columns:
- **reference**: our PDQ on the pixels the reference decoder produced (full resolution, no EXIF orientation,
  alpha dropped, 16-bit grey clipped as PIL does). This is the algorithm check: every row must be ≤ 16 and the
  bit-exact rows (python-threatexchange asserts equality) must be 0 with equal quality.
- **max1024 / max512**: the same pixels downsampled by sharp first (longest side 1024 / 512).
- **product**: Tollgate's decode (\`openMedia\`, EXIF orientation applied, 16-bit scaled to 8-bit) at the raster
  size \`fingerprintView\` uses.
- **productDihedral**: the closest of the 8 dihedral hashes of the product raster. EXIF-rotated photos (exif-rotn-3/6/8)
  differ from upstream only because upstream ignores the orientation tag; the dihedral hash finds them at the
  reference distance.

Known product-path differences (decoder semantics, not hashing):
- \`I16.png\` is a 16-bit greyscale PNG whose values are mostly above 255. PIL clips them to white (quality 36);
  our decoder scales 16→8 bits, which is a different image.
- \`LA.png\` is grey + alpha with half its pixels transparent. PIL's RGB conversion drops alpha and keeps the hidden
  grey values; our decoder flattens onto white, as the image is displayed.
`;

async function main(): Promise<void> {
  if (!existsSync(PDQ_REFERENCE_DIR)) {
    console.log(`skipped: ${PDQ_REFERENCE_DIR} not found`);
    return;
  }
  const rows = await runPdqConformance();
  const md = conformanceMarkdown(rows);
  console.log(md);
  writeFileSync(join(ROOT, 'docs', 'pdq-conformance.md'), `${DOC_HEADER}\n${md}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
