/**
 * Builds qtables.json: JPEG quantization-table signatures of real cameras (from the originals in
 * ../shared/data, see corpus.ts), of editors (tables seen only in files an editor saved), and the
 * standard libjpeg tables at every quality. Run: npx tsx src/detectors/meta/tools/build-qtables.ts
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import exifr from 'exifr';
import { estimateQuality, libjpegTable, markerLayout, STD_CHROMA, STD_LUMA, tablesHash, walkJpeg } from '../jpeg.ts';
import { classifySoftware } from '../software.ts';
import { cameraKey, type QtableDb } from '../qtables.ts';
import { categorize, CORPUS_DIRS, DATA_ROOT } from './corpus.ts';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : /\.jpe?g$/i.test(n) ? [p] : [];
  });
}

const db: QtableDb = { generated: new Date().toISOString().slice(0, 10), cameras: {}, software: {}, libjpeg: {} };
const cameraHashes = new Set<string>();
const editorSeen: Record<string, Set<string>> = {};
for (const dir of CORPUS_DIRS) {
  for (const file of walk(join(DATA_ROOT, dir))) {
    const rel = relative(DATA_ROOT, file);
    const bytes = readFileSync(file);
    const s = walkJpeg(bytes);
    if (s.tables.length === 0) continue;
    const meta = ((await exifr.parse(bytes, { tiff: true, xmp: true }).catch(() => undefined)) ?? {}) as Record<string, unknown>;
    const hash = tablesHash(s.tables);
    const q = estimateQuality(s.tables);
    if (categorize(rel) === 'original') {
      const key = cameraKey(meta['Make'], meta['Model']);
      if (!key) continue;
      const entry = (db.cameras[key] ??= { tables: [], standard: [], layouts: [], appTypes: [], sources: [] });
      for (const g of s.segments) {
        const t = g.marker.toString(16);
        if (g.marker >= 0xe0 && g.marker <= 0xef && !entry.appTypes.includes(t)) entry.appTypes.push(t);
      }
      if (!entry.tables.includes(hash)) entry.tables.push(hash);
      const layout = markerLayout(s);
      if (!entry.layouts.includes(layout)) entry.layouts.push(layout);
      if (q?.standard && !entry.standard.includes(q.quality)) entry.standard.push(q.quality);
      entry.sources.push(rel);
      cameraHashes.add(hash);
    } else {
      const sw = [meta['Software'], meta['CreatorTool']].find((v): v is string => typeof v === 'string');
      const c = sw ? classifySoftware(sw) : undefined;
      if (c && !q?.standard) (editorSeen[c.name] ??= new Set()).add(hash);
    }
  }
}
// Adobe's encoder is shared by Photoshop, Lightroom and Camera Raw: name every editor seen with a table.
for (const [name, hashes] of Object.entries(editorSeen)) {
  for (const h of hashes) {
    if (cameraHashes.has(h)) continue;
    const prev = db.software[h];
    db.software[h] = prev && !prev.split(' / ').includes(name) ? `${prev} / ${name}` : (prev ?? name);
  }
}
for (let q = 1; q <= 100; q++) {
  const luma = { id: 0, precision: 8 as const, values: libjpegTable(STD_LUMA, q) };
  const chroma = { id: 1, precision: 8 as const, values: libjpegTable(STD_CHROMA, q) };
  db.libjpeg[tablesHash([luma, chroma])] = q;
  db.libjpeg[tablesHash([luma])] = q;
}
const out = new URL('../qtables.json', import.meta.url).pathname;
writeFileSync(out, JSON.stringify(db, null, 1) + '\n');
console.log(`cameras ${Object.keys(db.cameras).length}, editor tables ${Object.keys(db.software).length} → ${out}`);
