import { FsBlobStore } from './fs.ts';
import { S3BlobStore, type S3BlobStoreOptions } from './s3.ts';
import { withRecentBlobs, type RecentBlobsOptions } from './recent.ts';
import type { BlobStore } from './types.ts';

export type { BlobStat, BlobStore, PutResult, PutStreamOptions } from './types.ts';
export { blobKeyForSha256, normalizeBlobKey, parseBlobKey, sha256Hex } from './keys.ts';
export { FsBlobStore } from './fs.ts';
export { S3BlobStore, type S3BlobStoreOptions, type S3Object } from './s3.ts';
export { DEFAULT_RECENT_BLOBS, RecentBlobs, withRecentBlobs, type RecentBlobsOptions } from './recent.ts';

/** What `config.blobs` holds; kept structural so `blobs/` does not import `config/`. */
export type BlobStoreSettings = { kind: 'fs'; rootDir: string } | ({ kind: 's3' } & S3BlobStoreOptions);

/**
 * The configured backend; with `handoff`, blobs just stored are handed to this process's workers from
 * memory (see RecentBlobs). Without it, or with a limit of 0, the backend alone.
 */
export function createBlobStore(settings: BlobStoreSettings, handoff?: RecentBlobsOptions): BlobStore {
  const store = settings.kind === 'fs' ? new FsBlobStore(settings.rootDir) : s3Store(settings);
  return handoff ? withRecentBlobs(store, handoff) : store;
}

function s3Store(settings: { kind: 's3' } & S3BlobStoreOptions): S3BlobStore {
  const { kind: _kind, ...options } = settings;
  return new S3BlobStore(options);
}
