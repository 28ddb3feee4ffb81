import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createWatermarkTextDetector, readWatermarkText, watermarkSignals } from '../../../../src/detectors/copyright/watermark-text.ts';
import { NO_LOOKUPS } from '../../../../src/detectors/types.ts';
import { openMedia } from '../../../../src/media/open.ts';
import { OCR_MODEL, PaddleOcrService, tileStarts, type OcrLine, type OcrRegion, type OcrResult, type OcrService } from '../../../../src/vision/ocr.ts';
import { renderWatermark } from '../../../support/watermarks.ts';
import { DATA, HAS_DATA, photo } from '../task/helpers.ts';

const result = (lines: OcrLine[]): OcrResult => ({ model: OCR_MODEL, lines, width: 1024, height: 768, tiles: 1, ms: 1 });
const line = (text: string, box: OcrLine['box'] = [0.4, 0.45, 0.2, 0.1], confidence = 0.9): OcrLine => ({ text, confidence, box });

describe('watermarkSignals', () => {
  it('names the agency, counts repetitions and says where the mark is', () => {
    const [signal] = watermarkSignals(result([line('shutterstock'), line('shutterstock', [0.1, 0.1, 0.2, 0.05]), line('Image ID: 1984412345')]));
    expect(signal).toMatchObject({ code: 'copyright.watermark_text', severity: 'high', evidence: { agency: 'Shutterstock', occurrences: 2, edits: 0 } });
    expect(signal!.score).toBeGreaterThanOrEqual(0.9);
    expect(signal!.message).toContain('Shutterstock');
  });

  it('scores an inexact read lower and a copyright notice without an agency as medium', () => {
    const exact = watermarkSignals(result([line('shutterstock')]))[0]!;
    const inexact = watermarkSignals(result([line('shutteostock')]))[0]!;
    expect(inexact.score).toBeLessThan(exact.score);
    const notice = watermarkSignals(result([line('Copyright John Doe 2021', [0.7, 0.9, 0.25, 0.04])]))[0]!;
    expect(notice).toMatchObject({ severity: 'medium', evidence: { agency: null, text: 'Copyright John Doe 2021' } });
    expect(notice.message).toContain('bottom right');
  });

  it('stays silent on ordinary text', () => {
    expect(watermarkSignals(result([line('Fisher-Price'), line('CRAFT BEER'), line('In stock')]))).toEqual([]);
  });

  it('joins a name split over two boxes', () => {
    expect(watermarkSignals(result([line('Getty'), line('Images')]))[0]?.evidence).toMatchObject({ agency: 'Getty Images', text: 'Getty Images' });
  });

  it('runs whatever OCR service it is given', async () => {
    const detector = createWatermarkTextDetector(() => ({ read: async () => result([line('alamy')]), readRaster: async () => result([]), readCloser: async () => result([]) }));
    const view = await openMedia(readFileSync(photo('dog.jpg')));
    const signals = await detector.detect(view, { upload: { receivedAt: new Date() }, lookups: NO_LOOKUPS, abort: new AbortController().signal });
    expect(signals[0]?.evidence).toMatchObject({ agency: 'Alamy' });
  });
});

describe('readWatermarkText', () => {
  /** A fake OCR whose first pass reads `first` and whose closer pass reads `closer`, recording the regions asked for. */
  const fake = (first: OcrLine[], closer: OcrLine[]) => {
    const asked: OcrRegion[][] = [];
    const service: OcrService = {
      read: async () => result(first),
      readRaster: async () => result(first),
      readCloser: async (_view, regions) => {
        asked.push([...regions]);
        return result(closer);
      },
    };
    return { service, asked };
  };
  const view = async () => openMedia(readFileSync(photo('dog.jpg')));

  it('stops after the first pass when it names an agency', async () => {
    const { service, asked } = fake([line('shutterstock')], [line('alamy')]);
    expect((await readWatermarkText(service, await view())).lines.map((l) => l.text)).toEqual(['shutterstock']);
    expect(asked).toEqual([]);
  });

  it('reads the credit band closer when the first pass saw nothing, and the whole picture too when it saw unmatched text', async () => {
    const silent = fake([], [line('© 123RF.com', [0.6, 0.93, 0.35, 0.04])]);
    const both = await readWatermarkText(silent.service, await view());
    expect(watermarkSignals(both)[0]?.evidence).toMatchObject({ agency: '123RF' });
    expect(silent.asked).toHaveLength(1);
    expect(silent.asked[0]!.map((r) => r.box[1])).toEqual([0.9]);

    const garbled = fake([line('N23KF')], [line('123RF')]);
    const merged = await readWatermarkText(garbled.service, await view());
    expect(merged.lines.map((l) => l.text)).toEqual(['N23KF', '123RF']);
    expect(garbled.asked[0]!.map((r) => r.box)).toEqual([
      [0, 0.9, 1, 0.1],
      [0, 0, 1, 1],
    ]);
  });
});

describe('tileStarts', () => {
  it('covers the side with as few overlapping tiles as needed', () => {
    expect(tileStarts(800, 1024)).toEqual([0]);
    expect(tileStarts(2048, 1024)).toEqual([0, 1024]);
    expect(tileStarts(2500, 1024)).toEqual([0, 738, 1476]);
  });
});

describe.skipIf(!HAS_DATA)('copyright.watermark_text on real photos (PaddleOCR from the package, offline)', () => {
  const fetchSpy = vi.spyOn(globalThis, 'fetch');
  afterAll(() => fetchSpy.mockRestore());
  const service = new PaddleOcrService();
  const detector = createWatermarkTextDetector(() => service);
  const run = async (bytes: Buffer) =>
    detector.detect(await openMedia(bytes), { upload: { receivedAt: new Date() }, lookups: NO_LOOKUPS, abort: new AbortController().signal });

  it('reads a centred Shutterstock watermark at 50 % opacity, leaving the process error handlers as they were', async () => {
    const handlers = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
    const [signal] = await run(await renderWatermark(readFileSync(photo('dog.jpg')), 'Shutterstock', 'centred', 0.5));
    expect(signal).toMatchObject({ code: 'copyright.watermark_text', severity: 'high', evidence: { agency: 'Shutterstock', model: OCR_MODEL } });
    const [x, y, w, h] = signal!.evidence!['box'] as number[];
    expect(x! + w! / 2).toBeGreaterThan(0.3);
    expect(x! + w! / 2).toBeLessThan(0.7);
    expect(y! + h! / 2).toBeGreaterThan(0.3);
    expect(y! + h! / 2).toBeLessThan(0.7);
    // The models come from node_modules: nothing is fetched.
    expect(fetchSpy).not.toHaveBeenCalled();
    // OpenCV.js inside the OCR package would otherwise abort the process on any unhandled rejection.
    expect([process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')]).toEqual(handlers);
  });

  it('reads a diagonal tiled Getty Images watermark and a corner Dreamstime credit', async () => {
    const tiled = await run(await renderWatermark(readFileSync(photo('horses.jpg')), 'Getty Images', 'tiled', 0.5));
    expect(tiled[0]?.evidence).toMatchObject({ agency: 'Getty Images' });
    const corner = await run(await renderWatermark(readFileSync(photo('eagle.jpg')), 'Dreamstime', 'corner', 0.8));
    expect(corner[0]?.evidence).toMatchObject({ agency: 'Dreamstime' });
    expect(corner[0]?.message).toContain('bottom right');
  });

  it('finds nothing on clean photos, including one full of lettering', async () => {
    expect(await run(readFileSync(photo('dog.jpg')))).toEqual([]);
    const beer = await openMedia(readFileSync(path.join(DATA, 'immich-test-assets/albums/text/craft-beer.jpg')));
    expect((await service.read(beer)).lines.length).toBeGreaterThan(0);
    expect(watermarkSignals(await readWatermarkText(service, beer))).toEqual([]);
  });

  it('reads a faint corner credit in the closer pass that the first pass does not see', async () => {
    // 123RF's credit at 50 % over rock and grass (eval/copyright.ts); 800 px wide, so the credit is ~19 px high.
    const marked = await openMedia(await renderWatermark(readFileSync(path.join(DATA, 'immich-test-assets/albums/nature/prairie_falcon.jpg')), '123RF', 'corner', 0.5));
    expect(watermarkSignals(await service.read(marked))).toEqual([]);
    const [signal] = await detector.detect(marked, { upload: { receivedAt: new Date() }, lookups: NO_LOOKUPS, abort: new AbortController().signal });
    expect(signal).toMatchObject({ severity: 'high', evidence: { agency: '123RF' } });
    const [x, y] = signal!.evidence!['box'] as number[];
    expect(x).toBeGreaterThan(0.5);
    expect(y).toBeGreaterThan(0.9);
  });
});
