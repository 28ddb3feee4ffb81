import type { MediaMetadata, Raster } from '../../media/types.ts';
import { str } from '../meta/util.ts';
import type { Detector } from '../types.ts';
import { round3 } from './metrics.ts';
import { screenClassOf, type ScreenClass } from './screens.ts';
import { fmt, severityFor } from './shared.ts';

/** Bars are looked for on this raster: a phone status bar's glyphs are still ~12 px tall at 1024 px. */
export const SCREENSHOT_RASTER_SIDE = 1024;
/** Reported from this score; below it the evidence is too thin to bother a reviewer. */
export const SCREENSHOT_MIN_SCORE = 0.6;

/** A pixel belongs to the bar's background within this many grey levels of it. */
const BG_TOLERANCE = 10;
/** A glyph pixel differs from the background by more than this: text and icons are drawn in high contrast. */
const GLYPH_CONTRAST = 48;
/** A row is empty background when at least this share of it is background. */
const EMPTY_ROW = 0.985;
/** A glyph row is still mostly background (glyphs are small marks on a flat bar). */
const GLYPH_ROW_BG = 0.55;
/** Bars are searched in this share of the height from the top and from the bottom. */
const ZONE = 0.08;
/** Glyph line height as a share of the image height (phone clock ≈ 1.3 %, desktop menu text ≈ 1 %, web header ≈ 5 %). */
const GLYPH_MIN = 0.005;
const GLYPH_MAX = 0.06;
/** Glyph columns closer than this (share of width) are one cluster; the gap between clusters must be this big. */
const CLUSTER_MERGE = 0.015;
const MIN_CENTRAL_GAP = 0.18;

export interface ScreenBar {
  edge: 'top' | 'bottom';
  /** Background grey level of the bar. */
  background: number;
  /** Rows (share of height, from the edge) where the glyph line starts and ends. */
  glyphFrom: number;
  glyphTo: number;
  /** Groups of glyph columns (clock, icons, buttons) and the widest empty stretch between them (share of width). */
  clusters: number;
  widestGap: number;
  /** Share of the glyph line's pixels that are glyph. */
  inkFraction: number;
}

/**
 * A status bar (top) or navigation/task bar (bottom): a flat band at the edge with one line of small
 * high-contrast marks, flat rows on both sides of it, and the marks in separate groups with a wide empty
 * stretch between them (clock on one side, icons on the other). Sky has no such line; subtitles and
 * captions are one centred group; a horizon or a wire runs across the whole width.
 */
export function findScreenBar(r: Raster, edge: 'top' | 'bottom'): ScreenBar | null {
  const { width: w, height: h, data } = r;
  if (r.channels !== 1 || h < 64 || w < 64) return null;
  const rowAt = (i: number): number => (edge === 'top' ? i : h - 1 - i);
  const zone = Math.ceil(ZONE * h);
  const background = rowMode(data, rowAt(0) * w, w);
  let state: 'lead' | 'glyph' | 'tail' = 'lead';
  let glyphFrom = -1;
  let glyphTo = -1;
  const glyphColumns = new Uint8Array(w);
  let ink = 0;
  for (let i = 0; i < zone; i++) {
    const off = rowAt(i) * w;
    let bg = 0;
    let glyph = 0;
    for (let x = 0; x < w; x++) {
      const d = Math.abs(data[off + x]! - background);
      if (d <= BG_TOLERANCE) bg++;
      else if (d > GLYPH_CONTRAST) glyph++;
    }
    const empty = bg >= EMPTY_ROW * w;
    if (state === 'lead') {
      if (empty) continue;
      // Antialiased glyph edges make rows that are neither empty nor inked: they start the line too.
      if (bg < GLYPH_ROW_BG * w || i === 0) return null;
      state = 'glyph';
      glyphFrom = i;
    }
    if (state === 'glyph') {
      if (empty) {
        state = 'tail';
        glyphTo = i;
        break;
      }
      if (bg < GLYPH_ROW_BG * w) return null;
      ink += glyph;
      for (let x = 0; x < w; x++) if (Math.abs(data[off + x]! - background) > GLYPH_CONTRAST) glyphColumns[x] = 1;
    }
  }
  if (state !== 'tail' || ink === 0) return null;
  const lineHeight = (glyphTo - glyphFrom) / h;
  if (lineHeight < GLYPH_MIN || lineHeight > GLYPH_MAX) return null;
  const { clusters, widestGap, covered } = columnClusters(glyphColumns);
  if (clusters < 2 || widestGap < MIN_CENTRAL_GAP || covered > 0.85) return null;
  return {
    edge,
    background,
    glyphFrom: round3(glyphFrom / h),
    glyphTo: round3(glyphTo / h),
    clusters,
    widestGap: round3(widestGap),
    inkFraction: round3(ink / ((glyphTo - glyphFrom) * w)),
  };
}

/** Most frequent grey level of a row, smoothed over ±2 levels so JPEG noise does not split the peak. */
function rowMode(data: Uint8Array, off: number, w: number): number {
  const hist = new Uint32Array(256);
  for (let x = 0; x < w; x++) hist[data[off + x]!]!++;
  let best = 0;
  let bestCount = -1;
  for (let v = 0; v < 256; v++) {
    let c = 0;
    for (let d = -2; d <= 2; d++) c += hist[v + d] ?? 0;
    if (c > bestCount) {
      bestCount = c;
      best = v;
    }
  }
  return best;
}

function columnClusters(columns: Uint8Array): { clusters: number; widestGap: number; covered: number } {
  const w = columns.length;
  const merge = Math.max(1, Math.round(CLUSTER_MERGE * w));
  const runs: Array<[number, number]> = [];
  for (let x = 0; x < w; x++) {
    if (!columns[x]) continue;
    const last = runs[runs.length - 1];
    if (last && x - last[1] <= merge) last[1] = x;
    else runs.push([x, x]);
  }
  let widestGap = 0;
  for (let i = 1; i < runs.length; i++) widestGap = Math.max(widestGap, (runs[i]![0] - runs[i - 1]![1]) / w);
  const covered = runs.reduce((a, [s, e]) => a + e - s + 1, 0) / w;
  return { clusters: runs.length, widestGap, covered };
}

/** Names a screenshot tool or says "Screenshot" outright (iOS and macOS write it into XMP UserComment). */
const MARKER = /screen ?shot|screen ?capture|snipping tool|greenshot|sharex|flameshot|ksnapshot|spectacle/i;
const MARKER_KEYS = ['UserComment', 'Software', 'CreatorTool', 'ImageDescription', 'Description', 'Title', 'Comment', 'Source'];

export function screenshotMarker(meta: MediaMetadata): string | undefined {
  for (const key of MARKER_KEYS) {
    const v = meta[key];
    const text = typeof v === 'string' ? v : Array.isArray(v) ? v.filter((x) => typeof x === 'string').join(' ') : isLangAlt(v) ? String(v.value) : undefined;
    if (text && MARKER.test(text)) return `${key}: ${text.trim().slice(0, 60)}`;
  }
  return undefined;
}

function isLangAlt(v: unknown): v is { value: unknown } {
  return typeof v === 'object' && v !== null && 'value' in v;
}

/** Tags only a camera writes. A screenshot never has them; a stripped or edited photo may not either. */
export function hasCameraMetadata(meta: MediaMetadata): boolean {
  return str(meta, 'Make', 'Model', 'ExposureTime', 'FNumber', 'ISO', 'FocalLength', 'LensModel') !== undefined;
}

/**
 * Evidence weights in log-odds. A bar or a marker is strong; the rest only tips the balance. Set by hand
 * and checked by eval/quality-calibration.ts (docs/eval-quality.md): no honest original reaches the
 * reporting score, and every generated phone/desktop screenshot with a bar does.
 */
const WEIGHTS = { prior: -3, marker: 5, bar: 2.5, secondBar: 1, screenPhoneTablet: 1.5, screenDesktop: 1, noCamera: 1, camera: -3, png: 1 };

export interface ScreenshotEvidence {
  score: number;
  marker?: string;
  bars: ScreenBar[];
  screen?: ScreenClass;
  camera: boolean;
  png: boolean;
  reasons: string[];
}

export function screenshotEvidence(luma: Raster, meta: MediaMetadata, info: { width: number; height: number; format: string }): ScreenshotEvidence {
  const bars = [findScreenBar(luma, 'top'), findScreenBar(luma, 'bottom')].filter((b): b is ScreenBar => b !== null);
  const marker = screenshotMarker(meta);
  const screen = screenClassOf(info.width, info.height);
  const camera = hasCameraMetadata(meta);
  const png = info.format === 'png';
  let logit = WEIGHTS.prior;
  const reasons: string[] = [];
  if (marker) {
    logit += WEIGHTS.marker;
    reasons.push(`metadata says so (${marker})`);
  }
  if (bars.length > 0) {
    logit += WEIGHTS.bar + (bars.length > 1 ? WEIGHTS.secondBar : 0);
    reasons.push(bars.map((b) => `${b.edge === 'top' ? 'a status bar' : 'a navigation/task bar'} (${b.clusters} glyph groups on a flat band)`).join(' and '));
  }
  if (screen) {
    logit += screen === 'desktop' ? WEIGHTS.screenDesktop : WEIGHTS.screenPhoneTablet;
    reasons.push(`${info.width}×${info.height} is a ${screen} screen resolution`);
  }
  if (camera) logit += WEIGHTS.camera;
  else {
    logit += WEIGHTS.noCamera;
    reasons.push('no camera metadata');
  }
  if (png) {
    logit += WEIGHTS.png;
    reasons.push('PNG');
  }
  return { score: round3(1 / (1 + Math.exp(-logit))), ...(marker ? { marker } : {}), bars, ...(screen ? { screen } : {}), camera, png, reasons };
}

/**
 * `quality.screenshot`: a screen grab instead of a capture — status or navigation bars, a device's exact
 * screen resolution, a screenshot tool in the metadata, no camera tags. Any one of the weak hints alone
 * (a PNG, no EXIF) stays below the reporting score; a bar or a marker plus one more hint reaches it.
 */
export const screenshotDetector: Detector = {
  name: 'quality.screenshot',
  codes: ['quality.screenshot'],
  kinds: ['image'],
  async detect(view) {
    const luma = await view.raster({ maxSide: SCREENSHOT_RASTER_SIDE, channels: 1 });
    const e = screenshotEvidence(luma, await view.metadata(), view.info);
    if (e.score < SCREENSHOT_MIN_SCORE) return [];
    return [
      {
        code: 'quality.screenshot',
        score: e.score,
        severity: severityFor(e.score),
        message: `looks like a screenshot (${fmt(e.score * 100, 0)}%): ${e.reasons.join('; ')}`,
        evidence: {
          ...(e.marker ? { marker: e.marker } : {}),
          bars: e.bars,
          ...(e.screen ? { screenClass: e.screen } : {}),
          width: view.info.width,
          height: view.info.height,
          cameraMetadata: e.camera,
          format: view.info.format,
        },
      },
    ];
  },
};
