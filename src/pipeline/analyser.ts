import type { DetectorLookups, UploadFacts } from '../detectors/types.ts';
import type { KeypointSet } from '../fingerprint/keypoints/extract.ts';
import { keypointsToStore, withKeypoints } from '../matching/fingerprints.ts';
import type { Policy } from '../policy/spec.ts';
import { analyse, type AnalysisDeps, type AnalysisResult } from './analyse.ts';

/** One stored upload to analyse, as the job handler has it. */
export interface AnalysisRequest {
  bytes: Buffer;
  facts: UploadFacts;
  policy: Policy;
  fileName?: string | undefined;
  /** The blob's content address, so the bytes are not hashed again. */
  sha256?: string | undefined;
  /** Also extract the image's keypoints into its fingerprints, for the local matcher's upload index. */
  keypoints: boolean;
  /**
   * The caller never reads `bytes` again: an analyser on another thread may take their memory over
   * (detaching the Buffer) instead of copying it, so a large video is not held twice while it is analysed.
   */
  handOverBytes?: boolean;
}

export interface Analysed {
  result: AnalysisResult;
  /** The keypoints the request asked for (images only), to store with the verdict. */
  keypoints?: KeypointSet;
}

/**
 * Where the job handler's analyses run: on this thread (`inProcessAnalyser`) or on worker threads
 * (src/pipeline/threads). Lookups always answer on the thread that owns the database and the indexes.
 */
export interface Analyser {
  /** Resolves once the analyser can take uploads without a start-up delay. */
  start(): Promise<void>;
  analyse(request: AnalysisRequest, lookups: DetectorLookups): Promise<Analysed>;
  close(): Promise<void>;
}

export function inProcessAnalyser(deps: Omit<AnalysisDeps, 'policy'>): Analyser {
  const withKeys = { ...deps, fingerprint: withKeypoints(deps.fingerprint) };
  return {
    start: async () => undefined,
    analyse: async (request, lookups) => {
      const result = await analyse(request.bytes, request.facts, lookups, { ...(request.keypoints ? withKeys : deps), policy: request.policy }, { fileName: request.fileName, sha256: request.sha256 });
      const keypoints = result.ok ? keypointsToStore(result.fingerprints) : undefined;
      return keypoints ? { result, keypoints } : { result };
    },
    close: async () => {
      await deps.deep?.reader?.close();
    },
  };
}
