/**
 * `bank import`: reads a source item by item, hashes media (PDQ and local features for images, vPDQ
 * frames for videos; a logo bank's images get logo-search keypoints instead) and stores entries keyed by the item's source key. Resuming is skipping: keys already in the bank
 * are passed to the source (so a URL list does not even download them) and checked again here; a file
 * whose bytes are already in the bank under another key is counted as present, not added twice.
 * Progress is written to the `bank_imports` row as it goes, so an interrupted run shows how far it got.
 */
import { createHash } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { newId } from '../db/ids.ts';
import { imageHashes, videoFrameHashes } from '../detectors/dup/hashes.ts';
import { localKeypoints } from '../detectors/dup/local.ts';
import { isTollgateError, TollgateError } from '../errors.ts';
import { logoEntryKeypoints } from '../fingerprint/keypoints/logo.ts';
import type { MediaLimits } from '../media/limits.ts';
import { openMedia } from '../media/open.ts';
import { bankHasSha256, bankImportKeys, insertBankEntries, type BankRow, type NewBankEntry } from './banks.ts';
import type { BankItem, BankSource } from './sources/types.ts';

export interface ImportProgress {
  seen: number;
  added: number;
  alreadyPresent: number;
  skipped: number;
  failed: number;
  total?: number | undefined;
}

export interface ImportSummary extends ImportProgress {
  importId: string;
  status: 'done' | 'interrupted' | 'failed';
  /** Keys the bank held before this run: skipped without being read again. */
  keysBefore: number;
  /** A few examples of what was skipped or failed, for the operator. */
  problems: Array<{ key: string; reason: string }>;
  seconds: number;
}

export interface ImportOptions {
  db: Database;
  limits: MediaLimits;
  bank: BankRow;
  source: BankSource;
  signal?: AbortSignal;
  onProgress?: (p: ImportProgress) => void;
  /** Items hashed at once (decoding is the cost). Default 4. */
  concurrency?: number;
  /** Also store still images' local features for the second matcher (default true; off when it is disabled). */
  keypoints?: boolean;
}

const MAX_PROBLEMS = 20;

export async function importBank(options: ImportOptions): Promise<ImportSummary> {
  const { db, bank, source, signal } = options;
  const started = Date.now();
  const importId = newId();
  await db.query('INSERT INTO bank_imports (id, bank_id, tenant_id, source) VALUES ($1, $2, $3, $4)', [importId, bank.id, bank.tenant_id, source.describe()]);
  const progress: ImportProgress = { seen: 0, added: 0, alreadyPresent: 0, skipped: 0, failed: 0, total: await source.total?.().catch(() => undefined) };
  const problems: ImportSummary['problems'] = [];
  const problem = (key: string, reason: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push({ key, reason });
  };
  const skipKeys = await bankImportKeys(db, bank.id);
  const keysBefore = skipKeys.size;
  let lastSaved = Date.now();
  const save = async (status: string, error?: string): Promise<void> => {
    await db.query(
      `UPDATE bank_imports SET seen = $2, added = $3, already_present = $4, skipped = $5, failed = $6, status = $7, error = $8,
         updated_at = now(), finished_at = CASE WHEN $7 = 'running' THEN NULL ELSE now() END WHERE id = $1`,
      [importId, progress.seen, progress.added, progress.alreadyPresent, progress.skipped, progress.failed, status, error ?? null],
    );
  };

  const handle = async (item: BankItem): Promise<void> => {
    if (skipKeys.has(item.key)) {
      progress.alreadyPresent++;
      return;
    }
    if (item.kind === 'skipped') {
      progress.skipped++;
      problem(item.key, item.reason);
      return;
    }
    try {
      const entries = await entriesFor(item, options);
      if (entries === 'present') {
        progress.alreadyPresent++;
        return;
      }
      progress.added += (await insertBankEntries(db, bank, entries, importId)) > 0 ? 1 : 0;
      skipKeys.add(item.key);
    } catch (error) {
      // Unreadable media is one bad item, not a failed import; anything else (database down) is.
      if (!isTollgateError(error) || !(error.code.startsWith('media.') || error.code === 'input.invalid')) throw error;
      progress.failed++;
      problem(item.key, `${error.code}: ${error.message}`);
    }
  };

  const inFlight = new Set<Promise<void>>();
  const limit = Math.max(1, options.concurrency ?? 4);
  let failure: unknown;
  try {
    for await (const item of source.items({ ...(signal ? { signal } : {}), skipKeys })) {
      if (signal?.aborted) break;
      progress.seen++;
      const task = handle(item).then(
        () => {
          inFlight.delete(task);
          options.onProgress?.({ ...progress });
        },
        (error: unknown) => {
          inFlight.delete(task);
          failure ??= error;
        },
      );
      inFlight.add(task);
      if (inFlight.size >= limit) await Promise.race(inFlight);
      if (failure) throw failure;
      if (Date.now() - lastSaved > 1_000) {
        lastSaved = Date.now();
        await save('running');
      }
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
  } catch (error) {
    await Promise.allSettled(inFlight);
    if (!signal?.aborted) {
      await save('failed', error instanceof Error ? error.message : String(error)).catch(() => undefined);
      throw error;
    }
  }
  const status = signal?.aborted ? 'interrupted' : 'done';
  await save(status);
  return { importId, status, keysBefore, ...progress, problems, seconds: (Date.now() - started) / 1000 };
}

/** The entries one item becomes (a video: one per kept frame), or 'present' when its bytes are in the bank already. */
export async function entriesFor(
  item: Exclude<BankItem, { kind: 'skipped' }>,
  options: Pick<ImportOptions, 'db' | 'limits' | 'bank' | 'keypoints'>,
): Promise<NewBankEntry[] | 'present'> {
  if (item.kind === 'hash') {
    const pdq = item.pdq.toLowerCase();
    // Hash lists (HMA, ThreatExchange) rarely carry quality; their hashes were vetted upstream.
    return [{ importKey: item.key, pdq, quality: item.quality ?? 100, source: item.source ?? null, sourceUrl: looksLikeUrl(item.source) ? item.source : null }];
  }
  const sha256 = createHash('sha256').update(item.bytes).digest('hex');
  if (await bankHasSha256(options.db, options.bank.id, sha256)) return 'present';
  const view = await openMedia(item.bytes, options.limits);
  const common = { importKey: item.key, sha256, sourceUrl: item.sourceUrl ?? null, source: item.name ?? item.sourceUrl ?? item.key };
  if (options.bank.kind === 'logo') {
    if (view.info.kind === 'video') throw new TollgateError('input.invalid', 'a logo bank takes still images (PNG, JPEG, WebP …), not videos');
    // A logo bank is only searched by local features, so its entries get them whatever the copy matcher's mode.
    const { pdq } = await imageHashes(view);
    return [{ ...common, frame: -1, pdq: pdq.hash, quality: pdq.quality, keypoints: await logoEntryKeypoints(view) }];
  }
  if (view.info.kind === 'video') {
    const frames = await videoFrameHashes(view);
    return frames.map((f) => ({ ...common, frame: f.index, pdq: f.hash, quality: f.quality }));
  }
  const { pdq } = await imageHashes(view);
  const keypoints = options.keypoints === false ? undefined : await localKeypoints(view);
  return [{ ...common, frame: -1, pdq: pdq.hash, quality: pdq.quality, keypoints }];
}

const looksLikeUrl = (s: string | undefined): s is string => s !== undefined && /^https?:\/\//i.test(s);
