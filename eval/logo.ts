/**
 * Logo evaluation (`copyright.logo`): six invented logos (test/support/logos.ts: badges, a hexagon, a
 * shield, wordmarks on a transparent background) pasted into real photos at several sizes, rotations and
 * opacities; recall per condition, which logo was named, how well the reported box fits the drawn one,
 * and false matches on the clean photos and on other real photos used as distractors.
 *
 * It runs the product's code without a store: entry keypoints as `bank import` makes them for a logo
 * bank, the upload's logo-search keypoints, and the verification LocalIndexes.searchLogos runs on each
 * logo of a tenant with up to 16 of them, at the same inlier threshold.
 *
 * Run: `npm run eval -- logo` (needs ../shared/data); writes docs/eval-logo.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { hammingHex } from '../src/fingerprint/bits.ts';
import type { KeypointSet } from '../src/fingerprint/keypoints/extract.ts';
import { logoEntryKeypoints, logoQueryKeypoints, LOGO_QUERY_KEYPOINTS, LOGO_QUERY_SIDE } from '../src/fingerprint/keypoints/logo.ts';
import { verifyLogo } from '../src/matching/local/logo-verify.ts';
import { LOGO_MIN_INLIERS } from '../src/matching/local/search.ts';
import { DEFAULT_MEDIA_LIMITS } from '../src/media/limits.ts';
import { openMedia } from '../src/media/open.ts';
import { fingerprintMedia } from '../src/pipeline/fingerprints.ts';
import { pasteLogo, renderLogoPng, SYNTHETIC_LOGOS, type PlacedBox, type Placement } from '../test/support/logos.ts';
import { cleanPhotos } from './copyright.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DATA = path.resolve(ROOT, '../shared/data');
const OUT = path.join(ROOT, 'docs/eval-logo.md');
/** Logo files as a tenant would supply them: 200 px wide PNGs on a transparent background. */
const LOGO_FILE_WIDTH = 200;

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

interface Logo {
  name: string;
  keypoints: KeypointSet;
}

interface Found {
  logo: string;
  inliers: number;
  box: PlacedBox;
}

/** Every logo verified against the upload, as searchLogos does: the matches at the threshold, most inliers first, and the best count below it. */
function search(query: KeypointSet, logos: readonly Logo[], scale: number): { found: Found[]; bestInliers: number } {
  const found: Found[] = [];
  let bestInliers = 0;
  for (const logo of logos) {
    const v = verifyLogo(query, logo.keypoints);
    bestInliers = Math.max(bestInliers, v?.inliers ?? 0);
    if (v && v.inliers >= LOGO_MIN_INLIERS) found.push({ logo: logo.name, inliers: v.inliers, box: { x: v.box.x * scale, y: v.box.y * scale, width: v.box.width * scale, height: v.box.height * scale } });
  }
  return { found: found.sort((a, b) => b.inliers - a.inliers), bestInliers };
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
  const logos: Logo[] = [];
  for (const logo of SYNTHETIC_LOGOS) {
    logos.push({ name: logo.name, keypoints: await logoEntryKeypoints(await openMedia(await renderLogoPng(logo, LOGO_FILE_WIDTH), DEFAULT_MEDIA_LIMITS)) });
  }
  const photos = await distinctPhotos(CAMERA_PHOTOS);
  const distractors = (await distinctPhotos(cleanPhotos())).filter((f) => !photos.includes(f));
  const extractMs: number[] = [];
  const verifyMs: number[] = [];
  const timedSearch = async (bytes: Buffer): Promise<ReturnType<typeof search>> => {
    const view = await openMedia(bytes, DEFAULT_MEDIA_LIMITS);
    const t0 = performance.now();
    const query = await logoQueryKeypoints(view);
    const t1 = performance.now();
    const result = search(query, logos, view.info.width / query.width);
    extractMs.push(t1 - t0);
    verifyMs.push((performance.now() - t1) / logos.length);
    return result;
  };

  const cleanBest: Array<{ file: string; best: number; found: Found[] }> = [];
  for (const file of [...photos, ...distractors]) {
    const r = await timedSearch(readFileSync(path.join(DATA, file)));
    cleanBest.push({ file, best: r.bestInliers, found: r.found });
  }

  const rows: Row[] = [];
  let turn = 0;
  for (const condition of CONDITIONS) {
    for (const [i, photo] of photos.entries()) {
      const logo = SYNTHETIC_LOGOS[turn++ % SYNTHETIC_LOGOS.length]!;
      const placed = await pasteLogo(readFileSync(path.join(DATA, photo)), logo, { ...condition.placement, centre: centreFor(i) });
      const { found } = await timedSearch(placed.bytes);
      const right = found.find((f) => f.logo === logo.name);
      rows.push({ condition: condition.name, photo, logo: logo.name, found, iou: right ? iou(right.box, placed.box) : null });
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
    `- ${what}: **${set.filter((c) => c.found.length > 0).length} of ${set.length}** with a logo match; the most inliers any logo reached: ${Math.max(0, ...set.map((c) => c.best))} (${set.filter((c) => c.best >= LOGO_MIN_INLIERS - 3).length} photos within 3 of the threshold)`;
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
    '## False matches',
    '',
    `Every photo without a logo against all ${SYNTHETIC_LOGOS.length} logos:`,
    '',
    falseLine(falseOnPhotos, `the ${falseOnPhotos.length} photos above, clean`),
    falseLine(falseOnDistractors, `${falseOnDistractors.length} other real photos (the copyright eval's clean set: object photos, immich nature and text albums, UKBench, exif.org samples; mostly under 1 000 px)`),
    ...cleanBest.filter((c) => c.found.length > 0).map((c) => `  - ${c.file}: ${c.found.map((f) => `${f.logo} (${f.inliers} inliers)`).join(', ')}`),
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
