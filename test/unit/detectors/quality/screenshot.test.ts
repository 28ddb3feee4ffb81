import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { openMedia } from '../../../../src/media/open.ts';
import { categorize, CORPUS_DIRS, isMediaPath } from '../../../../src/detectors/meta/tools/corpus.ts';
import { findScreenBar, screenClassOf, screenshotDetector, screenshotEvidence, SCREENSHOT_MIN_SCORE } from '../../../../src/detectors/quality/index.ts';
import { makeScreenshot, SCREENSHOT_LAYOUTS } from '../../../support/screens.ts';
import { data, DATA, HAS_DATA, run } from './helpers.ts';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

describe('screen resolution table', () => {
  it('knows phone, tablet and desktop screens in both orientations, and not camera sizes', () => {
    expect(screenClassOf(1170, 2532)).toBe('phone');
    expect(screenClassOf(2532, 1170)).toBe('phone');
    expect(screenClassOf(2048, 2732)).toBe('tablet');
    expect(screenClassOf(1440, 900)).toBe('desktop');
    expect(screenClassOf(4032, 3024)).toBeUndefined();
    expect(screenClassOf(1920, 1080)).toBeUndefined();
  });
});

describe.skipIf(!HAS_DATA)('quality.screenshot', () => {
  it('flags every generated phone and desktop screenshot of a real photo, PNG and JPEG', async () => {
    for (const layout of SCREENSHOT_LAYOUTS) {
      for (const photo of ['object-photos/dog.jpg', 'object-photos/horses.jpg']) {
        const view = await openMedia(await makeScreenshot(data(photo), layout));
        const [signal, ...rest] = await run(screenshotDetector, view);
        expect(rest, layout.name).toHaveLength(0);
        expect(signal?.code, `${layout.name} of ${photo}`).toBe('quality.screenshot');
        expect(signal!.score).toBeGreaterThanOrEqual(SCREENSHOT_MIN_SCORE);
        const bars = (signal!.evidence as { bars: { edge: string }[] }).bars.map((b) => b.edge);
        if (layout.statusBar) expect(bars, layout.name).toContain('top');
        if (layout.navBar) expect(bars, layout.name).toContain('bottom');
        expect(signal!.message).toMatch(/looks like a screenshot/);
      }
    }
  }, 120_000);

  it('finds the web page header of the AugLy screenshot template', async () => {
    const view = await openMedia(data('near-duplicates/augly-transforms/expected_output/test_overlay_onto_screenshot.png'));
    const [signal] = await run(screenshotDetector, view);
    expect(signal?.code).toBe('quality.screenshot');
    expect(signal!.message).toMatch(/status bar/);
  });

  it('does not find a bar in the photo alone, nor in the screenshot canvas without bars', async () => {
    const photo = await openMedia(data('object-photos/dog.jpg'));
    const luma = await photo.raster({ maxSide: 1024, channels: 1 });
    expect(findScreenBar(luma, 'top')).toBeNull();
    expect(findScreenBar(luma, 'bottom')).toBeNull();
    const bare = await openMedia(await makeScreenshot(data('object-photos/dog.jpg'), { ...SCREENSHOT_LAYOUTS[0]!, statusBar: false, navBar: false, format: 'jpeg' }));
    const e = screenshotEvidence(await bare.raster({ maxSide: 1024, channels: 1 }), await bare.metadata(), bare.info);
    expect(e.bars).toEqual([]);
    // A phone resolution and no camera tags alone stay under the reporting score.
    expect(e.score).toBeLessThan(SCREENSHOT_MIN_SCORE);
  });

  it('trusts a screenshot marker in the metadata', async () => {
    const png = await sharp(data('object-photos/kite.jpg')).withExif({ IFD0: { Software: 'gnome-screenshot' } }).png().toBuffer();
    const view = await openMedia(png);
    const e = screenshotEvidence(await view.raster({ maxSide: 1024, channels: 1 }), await view.metadata(), view.info);
    expect(e.marker).toMatch(/gnome-screenshot/);
    expect(e.score).toBeGreaterThanOrEqual(SCREENSHOT_MIN_SCORE);
  });

  it('raises nothing on the honest camera originals of the metadata corpus', async () => {
    const flagged: string[] = [];
    let seen = 0;
    for (const dir of CORPUS_DIRS) {
      for (const file of walk(path.join(DATA, dir)).filter(isMediaPath)) {
        const rel = path.relative(DATA, file);
        if (categorize(rel) !== 'original') continue;
        let view;
        try {
          view = await openMedia(data(rel));
        } catch {
          continue;
        }
        seen++;
        const signals = await run(screenshotDetector, view);
        if (signals.length > 0) flagged.push(`${rel}: ${signals[0]!.message}`);
      }
    }
    expect(seen).toBeGreaterThan(40);
    expect(flagged).toEqual([]);
    // HEIC originals decode through WASM (seconds each on a busy machine).
  }, 300_000);
});
