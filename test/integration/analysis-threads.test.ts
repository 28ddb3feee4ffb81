import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisDeps, configuredDetectors, createTollgate } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { ensureTenant } from '../../src/db/tenants.ts';
import { DetectorRegistry } from '../../src/detectors/registry.ts';
import type { Detector, DetectorLookups, PriorUpload } from '../../src/detectors/types.ts';
import type { KeypointSet } from '../../src/fingerprint/keypoints/extract.ts';
import { inProcessAnalyser, type AnalysisRequest, type Analyser } from '../../src/pipeline/analyser.ts';
import { AnalysisThreads } from '../../src/pipeline/threads/pool.ts';
import { DEFAULT_POLICY } from '../../src/policy/spec.ts';
import { freshPglite } from '../support/databases.ts';
import { startTestTollgate } from '../support/tollgate.ts';

const config = loadConfig({ env: { TOLLGATE_DATA_DIR: tmpdir() } });
const detectors = configuredDetectors(config).map((d) => d.name);
const dog = readFileSync('examples/photos/dog.jpg');
const horses = readFileSync('examples/photos/horses.jpg');
const earlier: PriorUpload = { uploadId: '7f1c1a52-0000-4000-8000-000000000001', contributorId: null, receivedAt: new Date('2026-01-02T03:04:05Z'), decision: 'accept' };

function request(bytes: Buffer, keypoints = false): AnalysisRequest {
  return { bytes, facts: { receivedAt: new Date('2026-11-24T10:00:00Z'), contributorId: 'c-1' }, policy: DEFAULT_POLICY, keypoints };
}

/** What an analysis decided and found, without its timings. */
function essence(analysed: Awaited<ReturnType<Analyser['analyse']>>): unknown {
  const { result } = analysed;
  if (!result.ok) return result;
  const { timings: _timings, ...rest } = result;
  return { ...rest, signals: [...rest.signals].sort((a, b) => a.code.localeCompare(b.code)) };
}

describe('analysis on worker threads', () => {
  let threads: AnalysisThreads;
  const inProcess = inProcessAnalyser(analysisDeps(config, new DetectorRegistry(configuredDetectors(config))));

  beforeAll(async () => {
    threads = new AnalysisThreads(2, { config, detectors });
    await threads.start();
  }, 60_000);
  afterAll(async () => {
    await threads.close();
    await inProcess.close();
  });

  it('decides as the main thread does, asking the main thread for lookups', async () => {
    const asked: string[] = [];
    const lookups: DetectorLookups = {
      uploadsBySha256: async (sha256) => {
        asked.push(sha256);
        return [earlier];
      },
    };
    const [onThread, here] = await Promise.all([threads.analyse(request(dog), lookups), inProcess.analyse(request(dog), lookups)]);
    expect(essence(onThread)).toEqual(essence(here));
    expect(onThread.result.ok && onThread.result.verdict.decision).toBe('reject');
    expect(onThread.result.ok && onThread.result.signals.find((s) => s.code === 'dup.exact')?.evidence).toMatchObject({ matched_upload: earlier.uploadId, matched_at: '2026-01-02T03:04:05.000Z' });
    // The thread's question reached this thread, with the file's SHA-256.
    expect(asked).toContain(onThread.result.sha256);
  }, 60_000);

  it('spreads concurrent analyses over its threads and returns each its own result', async () => {
    const lookups: DetectorLookups = { uploadsBySha256: async () => [] };
    const files = [dog, horses, dog, horses, dog, horses];
    const results = await Promise.all(files.map((bytes) => threads.analyse(request(bytes), lookups)));
    const expected = await Promise.all([dog, horses].map((bytes) => inProcess.analyse(request(bytes), lookups)));
    results.forEach((analysed, i) => expect(essence(analysed)).toEqual(essence(expected[i % 2]!)));
  }, 60_000);

  it('takes over the memory of bytes handed over, and copies bytes that are not', async () => {
    const lookups: DetectorLookups = { uploadsBySha256: async () => [] };
    const expected = essence(await inProcess.analyse(request(dog), lookups));
    const kept = Buffer.from(dog);
    const given = Buffer.from(dog);
    const analysedKept = await threads.analyse(request(kept), lookups);
    const analysedGiven = await threads.analyse({ ...request(given), handOverBytes: true }, lookups);
    expect(essence(analysedKept)).toEqual(expected);
    expect(essence(analysedGiven)).toEqual(expected);
    expect(kept.equals(dog)).toBe(true);
    // Transferred, not copied: the caller's Buffer is detached.
    expect(given.buffer.byteLength).toBe(0);
    // A slice of a larger allocation is copied even when handed over: the rest of that memory is not the caller's.
    const shared = Buffer.concat([Buffer.alloc(16), dog]);
    const slice = shared.subarray(16);
    await threads.analyse({ ...request(slice), handOverBytes: true }, lookups);
    expect(shared.byteLength).toBe(dog.length + 16);
    expect(slice.equals(dog)).toBe(true);
  }, 60_000);

  it('runs a function a lookup is given back on the thread that passed it (the bank keypoint extraction)', async () => {
    let extracted: KeypointSet | undefined;
    const lookups: DetectorLookups = {
      uploadsBySha256: async () => [],
      bankMatchesByPdq: async () => [],
      bankMatchesByKeypoints: async (extract) => {
        extracted = await extract();
        return [];
      },
    };
    const analysed = await threads.analyse(request(horses), lookups);
    expect(analysed.result.ok).toBe(true);
    expect(extracted?.count).toBeGreaterThan(50);
    expect(extracted?.descriptors).toBeInstanceOf(Uint32Array);
    expect(extracted?.descriptors.length).toBe(extracted!.count * 8);
  }, 60_000);

  it('returns the keypoints a request asks for, for the local matcher to store', async () => {
    const lookups: DetectorLookups = { uploadsBySha256: async () => [] };
    const [withKeys, without] = await Promise.all([threads.analyse(request(dog, true), lookups), threads.analyse(request(dog), lookups)]);
    expect(withKeys.keypoints?.count).toBeGreaterThan(50);
    expect(withKeys.keypoints?.x).toBeInstanceOf(Float32Array);
    expect(without.keypoints).toBeUndefined();
  }, 60_000);

  it('reports bad bytes as the main thread does, without losing the thread', async () => {
    const lookups: DetectorLookups = { uploadsBySha256: async () => [] };
    const zip = Buffer.from('PK\u0003\u0004 not an image at all', 'latin1');
    const analysed = await threads.analyse(request(zip), lookups);
    expect(analysed.result).toMatchObject({ ok: false, error: { code: 'media.archive' } });
    expect((await threads.analyse(request(dog), lookups)).result.ok).toBe(true);
  }, 60_000);

  it('passes a failing lookup on as the analysis would see it in process', async () => {
    const lookups: DetectorLookups = {
      uploadsBySha256: async () => {
        throw new Error('database went away');
      },
    };
    const [onThread, here] = await Promise.all([threads.analyse(request(dog), lookups), inProcess.analyse(request(dog), lookups)]);
    expect(essence(onThread)).toEqual(essence(here));
    expect(onThread.result.ok && onThread.result.signals.find((s) => s.code === 'system.detector_error')).toBeTruthy();
  }, 60_000);
});

describe('analysis threads that cannot start', () => {
  it('fail their uploads with a pipeline error and stop restarting after three tries', async () => {
    const broken = loadConfig({ env: { TOLLGATE_DATA_DIR: tmpdir(), TOLLGATE_AI_MODEL: '/nonexistent/model.json' } });
    const threads = new AnalysisThreads(1, { config: broken, detectors });
    const lookups: DetectorLookups = { uploadsBySha256: async () => [] };
    try {
      for (let attempt = 1; attempt <= 3; attempt++) {
        await expect(threads.analyse(request(dog), lookups)).rejects.toMatchObject({ code: 'pipeline.failed', message: expect.stringMatching(/analysis thread exited.*nonexistent/) });
      }
      // Broken now: no fourth thread is started, the error comes at once.
      await expect(threads.analyse(request(dog), lookups)).rejects.toMatchObject({ code: 'pipeline.failed' });
    } finally {
      await threads.close();
    }
  }, 60_000);
});

describe('where a deployment analyses', () => {
  it('uses a thread per job in flight by default, and stores what the threads decide', async () => {
    const t = await startTestTollgate(await freshPglite(), { TOLLGATE_LOCAL_MATCHING: 'true' });
    try {
      expect(t.tollgate.process.analyser).toBeInstanceOf(AnalysisThreads);
      await t.startWorkers();
      const tenant = await ensureTenant(t.tollgate.db, 'threads');
      const first = await t.upload(tenant.id, dog, { contributor_id: 'alice' });
      const again = await t.upload(tenant.id, dog, { contributor_id: 'bob' });
      expect(first.verdict?.decision).toBe('accept');
      expect(again.verdict).toMatchObject({ decision: 'reject', reasons: expect.arrayContaining(['dup.exact']) });
      // The keypoints a thread extracted were stored with the verdict (local matching `on` indexes uploads).
      const stored = await t.tollgate.db.query('SELECT count(*)::int AS n FROM upload_keypoints WHERE upload_id = $1', [first.id]);
      expect(stored[0]?.['n']).toBe(1);
    } finally {
      await t.close();
    }
  }, 120_000);

  it('keeps detectors added in code on the main thread, and refuses a thread count with them', async () => {
    const extra: Detector = { name: 'test.extra', codes: [], kinds: ['image'], detect: async () => [] };
    const t = await startTestTollgate(await freshPglite(), {}, {}, { extraDetectors: [extra] });
    try {
      expect(t.tollgate.process.analyser).not.toBeInstanceOf(AnalysisThreads);
    } finally {
      await t.close();
    }
    const explicit = loadConfig({ env: { TOLLGATE_DATA_DIR: tmpdir(), TOLLGATE_ANALYSIS_THREADS: '2' } });
    await expect(createTollgate(explicit, { extraDetectors: [extra] })).rejects.toMatchObject({ code: 'config.invalid', message: expect.stringMatching(/test\.extra/) });
  }, 120_000);
});

describe('an analysis past its deadline', () => {
  it('ends its thread with the reason, and the next upload gets a new thread', async () => {
    const threads = new AnalysisThreads(1, { config, detectors: ['dup.exact'] }, 3_000);
    try {
      await threads.start();
      // A lookup that never answers stands for a detector stuck in a loop: the thread holds the job for ever.
      const stuck: DetectorLookups = { uploadsBySha256: () => new Promise(() => undefined) };
      await expect(threads.analyse(request(dog), stuck)).rejects.toMatchObject({ code: 'pipeline.failed', message: expect.stringMatching(/did not finish in 3 s/) });
      const analysed = await threads.analyse(request(dog), { uploadsBySha256: async () => [] });
      expect(analysed.result.ok && analysed.result.verdict.decision).toBe('accept');
    } finally {
      await threads.close();
    }
  }, 60_000);
});
