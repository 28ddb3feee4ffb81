import { TollgateError, toTollgateError } from '../errors.ts';
import type { MediaView } from '../media/types.ts';
import type { Detector, DetectorContext, Signal } from './types.ts';

export interface DetectorRun {
  detector: string;
  ms: number;
  signals: number;
  error?: string;
}

export interface RunDetectorsResult {
  signals: Signal[];
  runs: DetectorRun[];
}

/**
 * Runs every detector that applies to the media kind, concurrently, each within its time budget.
 * A detector that throws or overruns becomes a `system.detector_error` signal, never a crash.
 */
export async function runDetectors(
  detectors: readonly Detector[],
  view: MediaView,
  context: Omit<DetectorContext, 'abort'>,
  defaultTimeoutMs: number,
): Promise<RunDetectorsResult> {
  const applicable = detectors.filter((d) => d.kinds.includes(view.info.kind));
  const outcomes = await Promise.all(applicable.map((detector) => runOne(detector, view, context, detector.timeoutMs ?? defaultTimeoutMs)));
  return {
    signals: outcomes.flatMap((o) => o.signals),
    runs: outcomes.map((o) => o.run),
  };
}

async function runOne(
  detector: Detector,
  view: MediaView,
  context: Omit<DetectorContext, 'abort'>,
  timeoutMs: number,
): Promise<{ signals: Signal[]; run: DetectorRun }> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new TollgateError('detector.timeout', `${detector.name} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    const signals = await Promise.race([detector.detect(view, { ...context, abort: controller.signal }), timeout]);
    const clean = signals.map((s) => ({ ...s, score: clampScore(s.score) }));
    return { signals: clean, run: { detector: detector.name, ms: performance.now() - started, signals: clean.length } };
  } catch (thrown) {
    const error = toTollgateError(thrown, 'detector.failed');
    const signal: Signal = {
      code: 'system.detector_error',
      score: 1,
      severity: 'medium',
      message: `detector ${detector.name} failed: ${error.message}`,
      evidence: { detector: detector.name, error: error.code, message: error.message },
    };
    return { signals: [signal], run: { detector: detector.name, ms: performance.now() - started, signals: 1, error: error.code } };
  } finally {
    clearTimeout(timer);
  }
}

function clampScore(score: number): number {
  if (!Number.isFinite(score)) return 0;
  return Math.min(1, Math.max(0, score));
}
