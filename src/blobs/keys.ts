import { createHash } from 'node:crypto';
import { TollgateError } from '../errors.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const BLOB_KEY = /^sha256\/([0-9a-f]{2})\/([0-9a-f]{2})\/([0-9a-f]{64})$/;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * `sha256/ab/cd/<hex>`: two levels of 256-way fan-out keep filesystem directories small
 * (~15k files per leaf at 1e9 blobs) and spread S3 request load over key prefixes.
 */
export function blobKeyForSha256(sha256: string): string {
  const hex = sha256.toLowerCase();
  if (!SHA256_HEX.test(hex)) throw new TollgateError('blob.error', `not a SHA-256 hex digest: ${JSON.stringify(sha256)}`);
  return `sha256/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`;
}

/** Returns the digest a key names, or null when the key is not a well-formed content address. */
export function parseBlobKey(key: string): string | null {
  const m = BLOB_KEY.exec(key);
  if (!m || m[3]!.slice(0, 2) !== m[1] || m[3]!.slice(2, 4) !== m[2]) return null;
  return m[3]!;
}

/**
 * Accepts a blob key or a bare SHA-256 hex digest and returns the canonical key.
 * Anything else is rejected before it reaches a path or a bucket: keys arrive from API callers,
 * and `../` in a filesystem key would escape the store.
 */
export function normalizeBlobKey(keyOrSha256: string): string {
  if (SHA256_HEX.test(keyOrSha256.toLowerCase())) return blobKeyForSha256(keyOrSha256);
  if (parseBlobKey(keyOrSha256) !== null) return keyOrSha256;
  throw new TollgateError('blob.error', `malformed blob key: ${JSON.stringify(keyOrSha256.slice(0, 200))}`, { reason: 'bad_key' });
}
