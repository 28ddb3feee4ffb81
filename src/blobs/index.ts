import { FsBlobStore } from './fs.ts';
import { S3BlobStore, type S3BlobStoreOptions } from './s3.ts';
import type { BlobStore } from './types.ts';

export type { BlobStat, BlobStore, PutResult, PutStreamOptions } from './types.ts';
export { blobKeyForSha256, normalizeBlobKey, parseBlobKey, sha256Hex } from './keys.ts';
export { FsBlobStore } from './fs.ts';
export { S3BlobStore, type S3BlobStoreOptions, type S3Object } from './s3.ts';

/** What `config.blobs` holds; kept structural so `blobs/` does not import `config/`. */
export type BlobStoreSettings = { kind: 'fs'; rootDir: string } | ({ kind: 's3' } & S3BlobStoreOptions);

export function createBlobStore(settings: BlobStoreSettings): BlobStore {
  if (settings.kind === 'fs') return new FsBlobStore(settings.rootDir);
  const { kind: _kind, ...options } = settings;
  return new S3BlobStore(options);
}
