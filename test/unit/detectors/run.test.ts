import { describe, expect, it } from 'vitest';
import { runDetectors } from '../../../src/detectors/run.ts';
import { NO_LOOKUPS, type Detector } from '../../../src/detectors/types.ts';
import type { MediaView } from '../../../src/media/types.ts';

const view = { info: { kind: 'image' } } as unknown as MediaView;
const context = { upload: { receivedAt: new Date() }, lookups: NO_LOOKUPS };

const detector = (name: string, detect: Detector['detect'], extra: Partial<Detector> = {}): Detector => ({
  name,
  codes: [name],
  kinds: ['image'],
  detect,
  ...extra,
});

describe('runDetectors', () => {
  it('turns a throwing detector into a system.detector_error signal', async () => {
    const result = await runDetectors(
      [
        detector('ok.one', async () => [{ code: 'ok.one', score: 2, severity: 'low', message: 'clamped' }]),
        detector('bad.one', async () => {
          throw new Error('boom');
        }),
      ],
      view,
      context,
      1000,
    );
    expect(result.signals.map((s) => s.code).sort()).toEqual(['ok.one', 'system.detector_error']);
    expect(result.signals.find((s) => s.code === 'ok.one')?.score).toBe(1);
    expect(result.signals.find((s) => s.code === 'system.detector_error')?.evidence).toMatchObject({ detector: 'bad.one', error: 'detector.failed' });
  });

  it('stops waiting for a detector past its budget and aborts it', async () => {
    let aborted = false;
    const slow = detector('slow.one', (_v, ctx) => {
      ctx.abort.addEventListener('abort', () => (aborted = true));
      return new Promise(() => undefined);
    });
    const result = await runDetectors([slow], view, context, 50);
    expect(result.signals[0]).toMatchObject({ code: 'system.detector_error', evidence: { error: 'detector.timeout' } });
    expect(aborted).toBe(true);
  });

  it('skips detectors for other media kinds', async () => {
    const videoOnly = detector('video.one', async () => [{ code: 'video.one', score: 1, severity: 'high', message: '' }], { kinds: ['video'] });
    expect((await runDetectors([videoOnly], view, context, 100)).signals).toEqual([]);
  });
});
