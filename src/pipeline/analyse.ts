import { createHash } from 'node:crypto';
import { isTollgateError, toTollgateError } from '../errors.ts';
import { openMedia } from '../media/open.ts';
import type { MediaLimits } from '../media/limits.ts';
import type { MediaView } from '../media/types.ts';
import { runDetectors, type DetectorRun } from '../detectors/run.ts';
import type { Detector, DetectorLookups, Signal, UploadFacts } from '../detectors/types.ts';
import { evaluate, verdictForMediaError, type Verdict } from '../policy/evaluate.ts';
import type { Policy } from '../policy/spec.ts';
import type { Scores } from '../policy/scores.ts';
import { runDeep, type DeepAnalysis } from './deep.ts';

export interface Fingerprints {
  pdq?: { hash: string; quality: number };
  phash?: string;
  dhash?: string;
  [name: string]: unknown;
}

export type Fingerprinter = (view: MediaView) => Promise<Fingerprints>;

export interface AnalysisDeps {
  detectors: readonly Detector[];
  policy: Policy;
  limits: MediaLimits;
  detectorTimeoutMs: number;
  fingerprint: Fingerprinter;
  /** Metadata deep phase (ExifTool read, double compression); absent = hot path only. */
  deep?: DeepAnalysis;
}

/** The object `tollgate inspect --json` prints and the API returns (see DESIGN.md, "Contracts"). */
export interface AnalysisReport {
  file?: string;
  sha256: string;
  media: { type: string; mime: string; format: string; width: number; height: number; bytes: number; duration_s?: number; frames?: number };
  fingerprints: Fingerprints;
  signals: Signal[];
  scores: Scores;
  verdict: Verdict;
  timings?: { total_ms: number; detectors: DetectorRun[] };
}

export interface AnalysisFailure {
  file?: string;
  sha256: string;
  error: { code: string; message: string };
  verdict: Verdict;
}

export type AnalysisResult = ({ ok: true } & AnalysisReport) | ({ ok: false } & AnalysisFailure);

/** One upload through media → fingerprints → detectors → policy. Never throws for bad bytes. */
export async function analyse(
  bytes: Buffer,
  facts: UploadFacts,
  lookups: DetectorLookups,
  deps: AnalysisDeps,
  source: { fileName?: string | undefined; sha256?: string | undefined } = {},
): Promise<AnalysisResult> {
  const { fileName } = source;
  const started = performance.now();
  let view: MediaView;
  try {
    view = await openMedia(bytes, deps.limits, source.sha256 ? { sha256: source.sha256 } : {});
  } catch (thrown) {
    if (!isTollgateError(thrown) || !thrown.code.startsWith('media.')) throw thrown;
    return {
      ok: false,
      ...(fileName ? { file: fileName } : {}),
      sha256: source.sha256 ?? createHash('sha256').update(bytes).digest('hex'),
      error: { code: thrown.code, message: thrown.message },
      verdict: verdictForMediaError(deps.policy, thrown.code),
    };
  }
  const [fingerprints, detection] = await Promise.all([
    deps.fingerprint(view).catch((thrown): Fingerprints => ({ error: toTollgateError(thrown, 'detector.failed').toJSON() })),
    runDetectors(detectorsFor(deps), view, { upload: facts, lookups }, deps.detectorTimeoutMs),
  ]);
  const deeper = deps.deep ? await runDeep(deps.deep, view, facts, lookups, detection.signals, deps.detectorTimeoutMs) : undefined;
  if (deeper) {
    detection.signals.push(...deeper.signals);
    detection.runs.push(...deeper.runs);
  }
  const { verdict, scores } = evaluate(deps.policy, detection.signals);
  const info = view.info;
  return {
    ok: true,
    ...(fileName ? { file: fileName } : {}),
    sha256: view.sha256,
    media: {
      type: info.kind,
      mime: info.mime,
      format: info.format,
      width: info.width,
      height: info.height,
      bytes: info.bytes,
      ...(info.durationS !== undefined ? { duration_s: info.durationS } : {}),
      ...(info.frameCount > 1 ? { frames: info.frameCount } : {}),
    },
    fingerprints,
    signals: detection.signals,
    scores,
    verdict,
    timings: { total_ms: Math.round((performance.now() - started) * 10) / 10, detectors: detection.runs },
  };
}

/** Content checks run only for tenants whose policy turns them on. */
function detectorsFor(deps: AnalysisDeps): readonly Detector[] {
  return deps.detectors.filter((d) => !d.check || deps.policy.checks[d.check]);
}

/** The contract shape without the internal `ok` flag. */
export function toReport(result: AnalysisResult): AnalysisReport | AnalysisFailure {
  const { ok: _ok, ...rest } = result;
  return rest;
}
