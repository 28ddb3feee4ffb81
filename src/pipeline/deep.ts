/**
 * The deep phase of metadata forensics: an ExifTool read and the costlier checks (double compression),
 * run after the hot path and only when it pays: the hot path raised a medium-or-higher `meta.*` signal,
 * the upload answers a task (a fresh capture is expected, so its dates matter), or the configuration says
 * `always`. The read is injected through `DetectorContext.deep`; detectors never start ExifTool.
 */
import { runDetectors, type RunDetectorsResult } from '../detectors/run.ts';
import type { Detector, DetectorLookups, Signal, UploadFacts } from '../detectors/types.ts';
import type { DeepMetadataReader } from '../media/deep-metadata.ts';
import type { MediaView } from '../media/types.ts';

export type DeepMode = 'off' | 'auto' | 'always';

export interface DeepAnalysis {
  mode: DeepMode;
  /** Without a reader the deep checks that need no ExifTool still run. */
  reader?: DeepMetadataReader;
  detectors: readonly Detector[];
}

const RANK = { info: 0, low: 1, medium: 2, high: 3, critical: 4 } as const;

export function wantsDeep(mode: DeepMode, hotSignals: readonly Signal[], facts: UploadFacts): boolean {
  if (mode === 'off') return false;
  if (mode === 'always') return true;
  if (facts.task?.spec !== undefined) return true;
  return hotSignals.some((s) => s.code.startsWith('meta.') && RANK[s.severity] >= RANK.medium);
}

export async function runDeep(
  deep: DeepAnalysis,
  view: MediaView,
  facts: UploadFacts,
  lookups: DetectorLookups,
  hotSignals: readonly Signal[],
  timeoutMs: number,
): Promise<RunDetectorsResult | undefined> {
  if (!wantsDeep(deep.mode, hotSignals, facts)) return undefined;
  const read = deep.reader ? await deep.reader.read(view.bytes, view.info.format) : undefined;
  return runDetectors(deep.detectors, view, { upload: facts, lookups, ...(read ? { deep: read } : {}) }, timeoutMs);
}
