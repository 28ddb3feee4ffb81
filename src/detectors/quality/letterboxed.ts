import type { Raster } from '../../media/types.ts';
import type { Detector } from '../types.ts';
import { blackBorders, logScore, luminanceStats, round3, type Borders } from './metrics.ts';
import { BLANK_STD, fmt, lumaFrames, median } from './shared.ts';

const RASTER_SIDE = 256;
/** A bar must cover at least this share of its dimension on both opposite sides; thinner dark edges are vignetting or frames. */
export const MIN_BAR_FRACTION = 0.03;
const BAR_LUMA = 24;

export interface Letterbox {
  kind: 'letterbox' | 'pillarbox' | 'windowbox';
  /** Bar thickness as a fraction of height (top/bottom) or width (left/right). */
  bars: Borders;
  /** Share of the frame that is picture. */
  contentFraction: number;
}

/**
 * Bars are dark bands on two opposite sides with picture right inside them. The last test keeps
 * night shots (dark sky above, dark ground below) from counting: real bars end at a hard edge.
 */
export function findLetterbox(r: Raster): Letterbox | null {
  const px = blackBorders(r, BAR_LUMA);
  const { width: w, height: h } = r;
  const bars: Borders = { top: px.top / h, bottom: px.bottom / h, left: px.left / w, right: px.right / w };
  const horizontal = bars.top >= MIN_BAR_FRACTION && bars.bottom >= MIN_BAR_FRACTION && hasEdge(r, 'row', px.top) && hasEdge(r, 'row', h - 1 - px.bottom);
  const vertical = bars.left >= MIN_BAR_FRACTION && bars.right >= MIN_BAR_FRACTION && hasEdge(r, 'col', px.left) && hasEdge(r, 'col', w - 1 - px.right);
  if (!horizontal && !vertical) return null;
  const used: Borders = {
    top: horizontal ? bars.top : 0,
    bottom: horizontal ? bars.bottom : 0,
    left: vertical ? bars.left : 0,
    right: vertical ? bars.right : 0,
  };
  const contentFraction = (1 - used.top - used.bottom) * (1 - used.left - used.right);
  const kind = horizontal && vertical ? 'windowbox' : horizontal ? 'letterbox' : 'pillarbox';
  return { kind, bars: used, contentFraction };
}

/** At least 10% of the first picture row/column is clearly brighter than a bar. */
function hasEdge(r: Raster, axis: 'row' | 'col', at: number): boolean {
  const n = axis === 'row' ? r.width : r.height;
  if (at < 0 || at >= (axis === 'row' ? r.height : r.width)) return false;
  let bright = 0;
  for (let i = 0; i < n; i++) {
    const v = axis === 'row' ? r.data[at * r.width + i]! : r.data[i * r.width + at]!;
    if (v > 2 * BAR_LUMA) bright++;
  }
  return bright >= 0.1 * n;
}

/**
 * `quality.letterboxed`: black bars around the picture — a video re-encoded for another aspect ratio,
 * a screen recording, or footage taken from a platform rather than shot by the contributor.
 */
export const letterboxedDetector: Detector = {
  name: 'quality.letterboxed',
  codes: ['quality.letterboxed'],
  kinds: ['image', 'video'],
  async detect(view, context) {
    const frames = await lumaFrames(view, RASTER_SIDE, context.abort);
    const usable = frames.filter((f) => luminanceStats(f.raster).trimmedStd > BLANK_STD);
    if (usable.length === 0) return [];
    const found = usable.map((f) => ({ frame: f, box: findLetterbox(f.raster) })).filter((x) => x.box !== null);
    // Bars are a property of the encode, so they are in (nearly) every frame; a dark scene shows them only briefly.
    if (found.length === 0 || found.length * 2 < usable.length) return [];
    const boxes = found.map((x) => x.box!);
    const bars: Borders = {
      top: median(boxes.map((b) => b.bars.top)),
      bottom: median(boxes.map((b) => b.bars.bottom)),
      left: median(boxes.map((b) => b.bars.left)),
      right: median(boxes.map((b) => b.bars.right)),
    };
    const kind = boxes[0]!.kind;
    const content = median(boxes.map((b) => b.contentFraction));
    const pair = kind === 'pillarbox' ? Math.min(bars.left, bars.right) : Math.min(bars.top, bars.bottom);
    // Thinnest bar at 3% → 0.5, 4.5% → 0.88, 6.7% → 0.97.
    const score = logScore(pair, MIN_BAR_FRACTION, 1.5, false);
    const { width, height } = view.info;
    const barsPx = {
      top: Math.round(bars.top * height),
      bottom: Math.round(bars.bottom * height),
      left: Math.round(bars.left * width),
      right: Math.round(bars.right * width),
    };
    const sides =
      kind === 'pillarbox'
        ? `left ${barsPx.left} px and right ${barsPx.right} px`
        : kind === 'letterbox'
          ? `top ${barsPx.top} px and bottom ${barsPx.bottom} px`
          : `top ${barsPx.top}, bottom ${barsPx.bottom}, left ${barsPx.left}, right ${barsPx.right} px`;
    const inFrames = view.info.kind === 'video' && usable.length > 1 ? ` in ${found.length} of ${usable.length} sampled frames` : '';
    return [
      {
        code: 'quality.letterboxed',
        score,
        // Bars alone are not fraud; they matter more when most of the frame is padding.
        severity: content < 0.6 ? 'medium' : 'low',
        message: `${kind}: black bars ${sides}${inFrames}; the picture fills ${fmt(content * 100)}% of the ${width}×${height} frame`,
        evidence: {
          kind,
          barsPx,
          barFractions: { top: round3(bars.top), bottom: round3(bars.bottom), left: round3(bars.left), right: round3(bars.right) },
          contentFraction: round3(content),
          framesWithBars: found.length,
          sampledFrames: usable.length,
        },
      },
    ];
  },
};
