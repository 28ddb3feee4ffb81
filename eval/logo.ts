/**
 * Logo evaluation (`copyright.logo`): six invented logos (test/support/logos.ts: badges, a hexagon, a
 * shield, wordmarks on a transparent background) pasted into real photos at several sizes, rotations and
 * opacities; recall per condition, which logo was named, how well the reported box fits the drawn one,
 * and false matches on the clean photos and on other real photos used as distractors.
 *
 * It runs the product's code without a store: entry keypoints as `bank import` makes them for a logo
 * bank, the upload's logo-search keypoints, and the search LocalIndexes.searchLogos runs (findLogos: every
 * logo verified for a library of up to 16, the 16 best-voted for a larger one), at the same inlier threshold.
 * The headline condition and the clean photos are also searched in a library of 20 logos.
 *
 * Run: `npm run eval -- logo` (needs ../shared/data); writes docs/eval-logo.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { hammingHex } from '../src/fingerprint/bits.ts';
import type { KeypointSet } from '../src/fingerprint/keypoints/extract.ts';
import { logoEntryKeypoints, logoQueryKeypoints, LOGO_QUERY_KEYPOINTS, LOGO_QUERY_SIDE } from '../src/fingerprint/keypoints/logo.ts';
import { DescriptorIndex } from '../src/matching/local/descriptor-index.ts';
import { findLogos } from '../src/matching/local/indexes.ts';
import { LOGO_MIN_INLIERS } from '../src/matching/local/search.ts';
import { DEFAULT_MEDIA_LIMITS } from '../src/media/limits.ts';
import { openMedia } from '../src/media/open.ts';
import { fingerprintMedia } from '../src/pipeline/fingerprints.ts';
import { moreLogos, pasteLogo, renderLogoPng, SYNTHETIC_LOGOS, type PlacedBox, type Placement, type SyntheticLogo } from '../test/support/logos.ts';
import { cleanPhotos } from './copyright.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DATA = path.resolve(ROOT, '../shared/data');
const OUT = path.join(ROOT, 'docs/eval-logo.md');
/** Logo files as a tenant would supply them: 200 px wide PNGs on a transparent background. */
const LOGO_FILE_WIDTH = 200;
/** Logos in the larger library: more than searchLogos verifies one by one, so its vote picks which. */
const LARGE_LIBRARY = 20;

/** Photos of camera size (long side ≥ 1000 px) in ../shared/data; near-identical ones are dropped by PDQ below. */
const CAMERA_PHOTOS = [
  ...[
    'Reconyx_HC500_Hyperfire', 'hdr/canon_hdr_NO', 'hdr/iphone_hdr_NO', 'mobile/HMD_Nokia_8.3_5G', 'mobile/jolla', 'tests/11-tests', 'tests/22-canon_tags',
    'tests/28-hex_value', 'tests/30-type_error', 'tests/33-type_error', 'tests/35-empty', 'tests/36-memory_error', 'tests/42_IndexError', 'tests/45-gps_ifd',
    'tests/67-0_length_string', 'tests/87_OSError', 'exif-org/fujifilm-dx10', 'exif-org/sony-powershota5',
  ].map((f) => `exif-camera-samples/images/jpg/${f}.jpg`),
  ...['book-beside-flowers', 'craft-beer', 'handwritten-notes', 'japanese-shop'].map((f) => `immich-test-assets/albums/text/${f}.jpg`),
  'immich-test-assets/metadata/gps-position/empty_gps.jpg',
  ...['dfdc_1', 'dfdc_2', 'dfdc_3'].map((f) => `near-duplicates/augly-transforms/inputs/${f}.jpg`),
  'object-photos/kite.jpg',
  'pdq-reference/images/bridge-mods/aaa-orig.jpg',
  'pdq-reference/images/misc-images/b.jpg',
  'pdq-reference/images/pte-resources/sample-b.jpg',
  'pdq-reference/images/reg-test-input/exif-rotn/exif-rotn-1.jpg',
  ...['adobe-20220124-A.jpg', 'adobe-20220124-C.jpg', 'adobe-20220124-I.jpg', 'nikon-20221019-building.jpeg', 'truepic-20230212-camera.jpg', 'truepic-20230212-landscape.jpg', 'truepic-20230212-library.jpg'].map(
    (f) => `c2pa-public-testfiles/image/jpeg/${f}`,
  ),
];

interface Condition {
  name: string;
  placement: Omit<Placement, 'centre'>;
}

const CONDITIONS: readonly Condition[] = [
  { name: '12 % wide, 10°, 60 % opaque', placement: { widthShare: 0.12, rotation: 10, opacity: 0.6 } },
  { name: '12 % wide, 0°, opaque', placement: { widthShare: 0.12, rotation: 0, opacity: 1 } },
  { name: '12 % wide, 10°, opaque', placement: { widthShare: 0.12, rotation: 10, opacity: 1 } },
  { name: '12 % wide, 30°, 60 % opaque', placement: { widthShare: 0.12, rotation: 30, opacity: 0.6 } },
  { name: '12 % wide, 10°, 30 % opaque', placement: { widthShare: 0.12, rotation: 10, opacity: 0.3 } },
  { name: '8 % wide, 10°, 60 % opaque', placement: { widthShare: 0.08, rotation: 10, opacity: 0.6 } },
  { name: '20 % wide, 10°, 60 % opaque', placement: { widthShare: 0.2, rotation: 10, opacity: 0.6 } },
];

/** A tenant's logo library as the index holds it: row ids 1..n, the logo names by id. */
interface Library {
  index: DescriptorIndex;
  ids: number[];
  names: string[];
}

async function library(logos: readonly SyntheticLogo[]): Promise<Library> {
  const index = new DescriptorIndex();
  for (const [i, logo] of logos.entries()) index.add(i + 1, await logoEntryKeypoints(await openMedia(await renderLogoPng(logo, LOGO_FILE_WIDTH), DEFAULT_MEDIA_LIMITS)));
  return { index, ids: logos.map((_, i) => i + 1), names: logos.map((l) => l.name) };
}

interface Found {
  logo: string;
  inliers: number;
  box: PlacedBox;
}

/** The library searched as searchLogos does: the matches at the threshold, most inliers first, and the best count of any verified logo. */
function search(query: KeypointSet, lib: Library, scale: number): { found: Found[]; bestInliers: number } {
  const hits = findLogos(lib.index, lib.ids, query, 0);
  const found = hits
    .filter((h) => h.inliers >= LOGO_MIN_INLIERS)
    .map((h) => ({ logo: lib.names[h.id - 1]!, inliers: h.inliers, box: { x: h.box.x * scale, y: h.box.y * scale, width: h.box.width * scale, height: h.box.height * scale } }));
  return { found, bestInliers: Math.max(0, ...hits.map((h) => h.inliers)) };
}

function iou(a: PlacedBox, b: PlacedBox): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  return (w * h) / (a.width * a.height + b.width * b.height - w * h);
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

const pct = (n: number, d: number): string => (d === 0 ? '–' : `${((100 * n) / d).toFixed(0)} %`);

/** A deterministic spot for photo i's logo, away from the edges (a logo cut off by the frame is another test). */
function centreFor(i: number): { x: number; y: number } {
  return { x: 0.2 + ((i * 0.37) % 0.6), y: 0.2 + ((i * 0.61) % 0.6) };
}

async function distinctPhotos(files: readonly string[]): Promise<string[]> {
  const kept: Array<{ file: string; pdq: string }> = [];
  for (const file of files) {
    const full = path.join(DATA, file);
    if (!existsSync(full)) continue;
    const pdq = (await fingerprintMedia(await openMedia(readFileSync(full), DEFAULT_MEDIA_LIMITS))).pdq?.hash;
    if (!pdq || kept.some((k) => hammingHex(k.pdq, pdq) <= 31)) continue;
    kept.push({ file, pdq });
  }
  return kept.map((k) => k.file);
}

interface Row {
  condition: string;
  photo: string;
  logo: string;
  found: Found[];
  iou: number | null;
}

export async function runLogoEval(): Promise<string> {
  const started = Date.now();
  const logos = await library(SYNTHETIC_LOGOS);
  const largeLibrary = await library([...SYNTHETIC_LOGOS, ...moreLogos(LARGE_LIBRARY - SYNTHETIC_LOGOS.length)]);
  const photos = await distinctPhotos(CAMERA_PHOTOS);
  const distractors = (await distinctPhotos(cleanPhotos())).filter((f) => !photos.includes(f));
  const extractMs: number[] = [];
  const verifyMs: number[] = [];
  const timedSearch = async (bytes: Buffer): Promise<{ small: ReturnType<typeof search>; large: () => ReturnType<typeof search> }> => {
    const view = await openMedia(bytes, DEFAULT_MEDIA_LIMITS);
    const t0 = performance.now();
    const query = await logoQueryKeypoints(view);
    const t1 = performance.now();
    const scale = view.info.width / query.width;
    const small = search(query, logos, scale);
    extractMs.push(t1 - t0);
    verifyMs.push((performance.now() - t1) / logos.ids.length);
    return { small, large: () => search(query, largeLibrary, scale) };
  };

  const cleanBest: Array<{ file: string; best: number; found: Found[]; largeBest: number; largeFound: Found[] }> = [];
  for (const file of [...photos, ...distractors]) {
    const r = await timedSearch(readFileSync(path.join(DATA, file)));
    const large = r.large();
    cleanBest.push({ file, best: r.small.bestInliers, found: r.small.found, largeBest: large.bestInliers, largeFound: large.found });
  }

  const rows: Row[] = [];
  const largeRows: Row[] = [];
  let turn = 0;
  for (const condition of CONDITIONS) {
    for (const [i, photo] of photos.entries()) {
      const logo = SYNTHETIC_LOGOS[turn++ % SYNTHETIC_LOGOS.length]!;
      const placed = await pasteLogo(readFileSync(path.join(DATA, photo)), logo, { ...condition.placement, centre: centreFor(i) });
      const searched = await timedSearch(placed.bytes);
      const found = searched.small.found;
      const right = found.find((f) => f.logo === logo.name);
      rows.push({ condition: condition.name, photo, logo: logo.name, found, iou: right ? iou(right.box, placed.box) : null });
      if (condition === CONDITIONS[0]) largeRows.push({ condition: condition.name, photo, logo: logo.name, found: searched.large().found, iou: null });
      if (!right) process.stderr.write(`miss ${condition.name} ${logo.name} ${photo}\n`);
    }
  }

  const hit = (r: Row): boolean => r.found.some((f) => f.logo === r.logo);
  const wrong = (r: Row): boolean => r.found.some((f) => f.logo !== r.logo);
  const perCondition = CONDITIONS.map((c) => {
    const rs = rows.filter((r) => r.condition === c.name);
    const ious = rs.flatMap((r) => (r.iou === null ? [] : [r.iou]));
    return `| ${c.name} | ${rs.filter(hit).length}/${rs.length} (${pct(rs.filter(hit).length, rs.length)}) | ${rs.filter(wrong).length} | ${ious.length > 0 ? quantile(ious, 0.5).toFixed(2) : '–'} |`;
  });
  const perLogo = SYNTHETIC_LOGOS.map((l) => {
    const rs = rows.filter((r) => r.logo === l.name);
    return `| ${l.name} | ${rs.filter(hit).length}/${rs.length} (${pct(rs.filter(hit).length, rs.length)}) |`;
  });
  const falseOnPhotos = cleanBest.filter((c) => photos.includes(c.file));
  const falseOnDistractors = cleanBest.filter((c) => distractors.includes(c.file));
  const falseLine = (set: typeof cleanBest, what: string): string =>
    `- ${what}: **${set.filter((c) => c.found.length > 0).length} of ${set.length}** with a logo match; the most inliers any logo reached: ${Math.max(0, ...set.map((c) => c.best))} (${set.filter((c) => c.best >= LOGO_MIN_INLIERS - 3).length} photos within 3 of the threshold); in the ${LARGE_LIBRARY}-logo library: ${set.filter((c) => c.largeFound.length > 0).length} matched, most inliers ${Math.max(0, ...set.map((c) => c.largeBest))}`;
  const largeHits = largeRows.filter(hit).length;
  const date = new Date().toISOString().slice(0, 10);
  const lines = [
    '# Copyright risk: logos (`copyright.logo`)',
    '',
    `Generated by \`npm run eval -- logo\` on ${date} from \`../shared/data\`. Logos: ${SYNTHETIC_LOGOS.length} invented ones drawn with SVG shapes and DejaVu lettering (${SYNTHETIC_LOGOS.map((l) => l.name).join(', ')}; three are badges with their own background, three are wordmarks or marks on a transparent background), supplied as ${LOGO_FILE_WIDTH}-px-wide PNGs. Each is rendered at 7 sizes for its entry's keypoints; the upload's keypoints come from a ${LOGO_QUERY_SIDE}-px raster (smaller photos enlarged to it), at most ${LOGO_QUERY_KEYPOINTS}; a match needs ${LOGO_MIN_INLIERS} RANSAC inliers, as in the product (every logo verified, as for a tenant with up to 16).`,
    '',
    `Photos: ${photos.length} distinct real photos with a long side of at least 1 000 px (camera samples, immich, DFDC frames, PDQ reference photos, C2PA captures; near-identical ones dropped by PDQ). In each condition every photo gets one logo, the six in turn, drawn with SVG at the given width share, rotation and opacity at a spot that varies per photo, saved as JPEG q90.`,
    '',
    '## Recall per condition',
    '',
    '| condition | right logo found | another logo reported | median IoU of the reported box |',
    '|---|---:|---:|---:|',
    ...perCondition,
    '',
    '| logo (all conditions) | found |',
    '|---|---:|',
    ...perLogo,
    '',
    `In a library of ${LARGE_LIBRARY} logos (the six plus ${LARGE_LIBRARY - SYNTHETIC_LOGOS.length} invented marks of a coloured square, a disc and a word), where only the 16 best-voted logos are verified: ${CONDITIONS[0]!.name}, right logo found **${largeHits}/${largeRows.length}** (${pct(largeHits, largeRows.length)}; ${rows.filter((r) => r.condition === CONDITIONS[0]!.name).filter(hit).length} with the six alone), another logo reported ${largeRows.filter(wrong).length}.`,
    '',
    ...largeRows.filter(wrong).map((r) => `- ${r.photo}: ${r.logo} drawn; reported ${r.found.map((f) => `${f.logo} (${f.inliers} inliers)`).join(', ')}`),
    ...(largeRows.some(wrong) ? [''] : []),
    '## False matches',
    '',
    `Every photo without a logo against all ${SYNTHETIC_LOGOS.length} logos:`,
    '',
    falseLine(falseOnPhotos, `the ${falseOnPhotos.length} photos above, clean`),
    falseLine(falseOnDistractors, `${falseOnDistractors.length} other real photos (the copyright eval's clean set: object photos, immich nature and text albums, UKBench, exif.org samples; mostly under 1 000 px)`),
    ...cleanBest.filter((c) => c.found.length + c.largeFound.length > 0).map((c) => `  - ${c.file}: ${[...c.found, ...c.largeFound].map((f) => `${f.logo} (${f.inliers} inliers)`).join(', ')}`),
    '',
    '## Cost',
    '',
    `Per upload of a tenant with logos (wall time on the shared 2-core machine, so upper bounds): keypoint extraction from the ${LOGO_QUERY_SIDE}-px raster median ${quantile(extractMs, 0.5).toFixed(0)} ms (p90 ${quantile(extractMs, 0.9).toFixed(0)} ms), verification median ${quantile(verifyMs, 0.5).toFixed(0)} ms per logo (p90 ${quantile(verifyMs, 0.9).toFixed(0)} ms). Tenants without a logo bank pay nothing. Whole evaluation: ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    '',
  ];
  writeFileSync(OUT, lines.join('\n'));
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  if (!existsSync(DATA)) {
    console.error('eval/logo.ts needs ../shared/data');
    process.exit(1);
  }
  console.log(await runLogoEval());
}
