import { availableParallelism } from 'node:os';
import { createBlobStore, type BlobStore } from './blobs/index.ts';
import { VerdictHandoff } from './uploads/handoff.ts';
import { DEFAULT_LOCAL_MIN_INLIERS, type Config } from './config/index.ts';
import type { Database } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { openPglite } from './db/pglite.ts';
import { latestPolicy } from './db/policies.ts';
import { openPostgres } from './db/postgres.ts';
import { loadAiScorer } from './detectors/ai/index.ts';
import { builtInDetectors } from './detectors/catalogue.ts';
import { defaultOcrService } from './vision/ocr.ts';
import { metaDeepDetectors } from './detectors/meta/index.ts';
import { DeepMetadataReader } from './media/deep-metadata.ts';
import { DetectorRegistry } from './detectors/registry.ts';
import type { Detector } from './detectors/types.ts';
import { JobQueue, type QueueOptions } from './jobs/queue.ts';
import { MatchIndexes } from './matching/indexes.ts';
import { LocalIndexes } from './matching/local/indexes.ts';
import type { LocalMatching } from './matching/local/search.ts';
import { storeFingerprints } from './matching/fingerprints.ts';
import { startWorkers, type WorkerOptions } from './jobs/workers.ts';
import type { AnalysisDeps } from './pipeline/analyse.ts';
import { inProcessAnalyser, type Analyser } from './pipeline/analyser.ts';
import { AnalysisThreads } from './pipeline/threads/pool.ts';
import { TollgateError } from './errors.ts';
import { buildPolicy, type Policy, type PolicyDefaults } from './policy/spec.ts';
import type { ProcessDeps } from './uploads/process.ts';

/**
 * The composition root: the one place that turns configuration into connected parts.
 * Everything else receives what it needs as arguments.
 */
export interface Tollgate {
  config: Config;
  db: Database;
  blobs: BlobStore;
  queue: JobQueue;
  detectors: DetectorRegistry;
  process: ProcessDeps;
  /** In-memory PDQ indexes over upload hashes and banks, loaded on first use or at worker start. */
  indexes: MatchIndexes;
  startWorkers(options?: Partial<WorkerOptions>): Promise<void>;
  close(): Promise<void>;
}

/** What analysis needs without any store: `tollgate inspect`. */
/** The built-in detectors as configured (a retrained or ONNX `ai.classifier` model replaces the shipped one). */
/** The detectors that fall back to the local-feature matcher when PDQ finds nothing, and logo search. */
const LOCAL_MATCH_DETECTORS = new Set(['dup.near', 'dup.cross_account', 'ref.match', 'copyright.logo']);

/**
 * Keypoints cost ≈0.2 s CPU per image, so the local matcher exists only when a detector that searches it
 * runs, and in `auto` mode it searches banks only (extracting only for tenants whose banks hold images).
 */
function localMatching(config: Config, detectors: DetectorRegistry, db: Database): LocalMatching | undefined {
  const { mode, minInliers } = config.matching?.local ?? { mode: 'auto', minInliers: DEFAULT_LOCAL_MIN_INLIERS };
  if (mode === 'off' || !detectors.list().some((d) => LOCAL_MATCH_DETECTORS.has(d.name))) return undefined;
  const uploads = mode === 'on';
  return { indexes: new LocalIndexes(db, { uploads }), minInliers, uploads };
}

/** The policy of a tenant that saved none, and what a tenant's policy leaves unsaid: `TOLLGATE_NSFW=on` runs content.nsfw for everyone. */
export function deploymentPolicyDefaults(config: Config): PolicyDefaults {
  return { checks: { nsfw: config.checks?.nsfw === 'on' } };
}

export function configuredDetectors(config: Config): Detector[] {
  const path = config.models.aiClassifier;
  const checks = {
    // Registered unless the deployment forbids it; the pipeline runs it for the tenants whose policy turns it on.
    nsfw: (config.checks?.nsfw ?? 'tenant') !== 'off',
    recaptureFaceCheck: config.checks?.recaptureFaces ?? false,
    ocr: config.copyright?.ocr === false ? (false as const) : defaultOcrService,
  };
  return builtInDetectors(path ? { aiScorer: loadAiScorer(path), ...checks } : checks);
}

export function analysisDeps(
  config: Config,
  detectors = new DetectorRegistry(configuredDetectors(config)),
  deepReader?: DeepMetadataReader,
): Omit<AnalysisDeps, 'policy'> {
  return {
    detectors: detectors.list(),
    limits: config.limits,
    detectorTimeoutMs: config.workers.detectorTimeoutMs,
    fingerprint: storeFingerprints,
    deep: { mode: config.metadata?.deep ?? 'auto', ...(deepReader ? { reader: deepReader } : {}), detectors: metaDeepDetectors },
  };
}

/**
 * Analysis on this thread, or on worker threads that each build the built-in detectors (and their own
 * ExifTool process). Detectors added in code exist only here, so `auto` keeps them on this thread.
 */
function createAnalyser(config: Config, detectors: DetectorRegistry, builtIn: readonly Detector[], extra: readonly Detector[]): Analyser {
  const { analysisThreads, concurrency } = config.workers;
  const threads = analysisThreads === 'auto' ? (extra.length > 0 ? 0 : Math.min(availableParallelism(), concurrency)) : analysisThreads;
  // One ExifTool process for this process's workers, started on the first deep read, ended by close().
  if (threads === 0) return inProcessAnalyser(analysisDeps(config, detectors, new DeepMetadataReader()));
  if (extra.length > 0) {
    const names = extra.map((d) => d.name).join(', ');
    throw new TollgateError('config.invalid', `TOLLGATE_ANALYSIS_THREADS must be 0 or auto when detectors are added in code (${names}): threads build the built-in detectors only`);
  }
  return new AnalysisThreads(threads, { config, detectors: builtIn.map((d) => d.name) });
}

export async function openDatabase(config: Config): Promise<Database> {
  return config.database.kind === 'postgres' ? openPostgres(config.database.url) : openPglite(`${config.dataDir}/pglite`);
}

export interface CreateOptions {
  queue?: Partial<QueueOptions>;
  /** An already open database (tests share one). */
  db?: Database;
  /** Detectors registered after the built-in ones (plugins, tests). */
  extraDetectors?: readonly Detector[];
  /** Keeps only the built-in detectors this returns true for (benchmarks of a subset, tenants that opt out). */
  detectorFilter?: (detector: Detector) => boolean;
  /**
   * This process is going to analyse (serve, worker, scan): its analysis threads start loading their
   * detectors now, while the database opens and migrates, instead of when the workers start.
   */
  startAnalysisEarly?: boolean;
}

export async function createTollgate(config: Config, options: CreateOptions = {}): Promise<Tollgate> {
  const builtIn = configuredDetectors(config).filter(options.detectorFilter ?? (() => true));
  const detectors = new DetectorRegistry([...builtIn, ...(options.extraDetectors ?? [])]);
  const analyser = createAnalyser(config, detectors, builtIn, options.extraDetectors ?? []);
  // Failures surface where the workers start (startWorkers awaits the same start).
  if (options.startAnalysisEarly) analyser.start().catch(() => undefined);
  let db: Database | undefined;
  let queue: JobQueue;
  try {
    db = options.db ?? (await openDatabase(config));
    await migrate(db);
    queue = new JobQueue(db, { retries: config.workers.jobRetries, ...options.queue });
    await queue.start();
  } catch (error) {
    // Started threads would keep the process alive after the error.
    await analyser.close();
    if (!options.db) await db?.close();
    throw error;
  }
  const blobs = createBlobStore(config.blobs, config.blobHandoff);
  const policies = new Map<string, { policy: Policy; at: number }>();
  const policyDefaults = deploymentPolicyDefaults(config);
  const policyFor = async (tenantId: string): Promise<Policy> => {
    const cached = policies.get(tenantId);
    if (cached && Date.now() - cached.at < 5_000) return cached.policy;
    const stored = await latestPolicy(db, tenantId);
    const policy = buildPolicy(stored?.version ?? 0, stored?.spec, policyDefaults);
    policies.set(tenantId, { policy, at: Date.now() });
    return policy;
  };
  const indexes = new MatchIndexes(db);
  const local = localMatching(config, detectors, db);
  const process: ProcessDeps = {
    db,
    indexes,
    ...(local ? { local } : {}),
    blobs,
    queue,
    analyser,
    policyFor,
    webhookDefaults: config.webhooks,
    handoff: new VerdictHandoff(),
  };
  return {
    config,
    db,
    blobs,
    queue,
    detectors,
    process,
    indexes,
    startWorkers: async (workerOptions = {}) => {
      // Rebuilt before the first job, so the first uploads are matched against everything stored.
      await Promise.all([indexes.start(), local?.indexes.start(), analyser.start()]);
      await startWorkers(process, { concurrency: config.workers.concurrency, backlog: config.workers.backlog, ...workerOptions });
    },
    close: async () => {
      await queue.stop();
      await indexes.close();
      await local?.indexes.close();
      await analyser.close();
      if (!options.db) await db.close();
    },
  };
}
