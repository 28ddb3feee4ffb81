import type { FastifyRequest } from 'fastify';
import type { BlobStore } from '../blobs/index.ts';
import { isTollgateError, TollgateError } from '../errors.ts';
import type { StoredBlob } from '../uploads/ingest.ts';
import { parseUploadFields, uploadFieldsSchema, type UploadFields } from '../uploads/fields.ts';

/** Form fields whose value is JSON rather than a plain string. */
const JSON_FIELDS = new Set(['device', 'task']);
const FIELD_NAMES = new Set(Object.keys(uploadFieldsSchema.shape));

export interface UploadInput {
  blob: StoredBlob;
  fields: UploadFields;
  source: 'multipart' | 'object';
}

function parseJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new TollgateError('input.invalid', `${name}: not valid JSON`);
  }
}

/**
 * Merges the `fields` JSON part with individual form fields, then validates. A field given both ways
 * is an error rather than a silent precedence rule: it is almost always a client bug.
 */
function mergeFields(fromJson: unknown, individual: Record<string, unknown>): Record<string, unknown> {
  if (fromJson !== undefined && (typeof fromJson !== 'object' || fromJson === null || Array.isArray(fromJson))) {
    throw new TollgateError('input.invalid', 'fields: must be a JSON object');
  }
  const merged: Record<string, unknown> = { ...(fromJson as Record<string, unknown> | undefined) };
  for (const [name, value] of Object.entries(individual)) {
    if (name in merged) throw new TollgateError('input.invalid', `${name}: given both in "fields" and as a form field`);
    merged[name] = value;
  }
  return merged;
}

/** Client IP defaults to the address the request came from (honouring trustProxy when configured). */
function withDefaults(raw: Record<string, unknown>, request: FastifyRequest, fileName: string | undefined): UploadFields {
  const fields = parseUploadFields(raw);
  return {
    ...fields,
    client_ip: fields.client_ip ?? normaliseIp(request.ip),
    ...(fields.file_name === undefined && fileName ? { file_name: fileName.slice(0, 500) } : {}),
  };
}

/** `::ffff:1.2.3.4` (IPv4 on a dual-stack socket) is stored as the IPv4 address it is. */
function normaliseIp(ip: string): string | undefined {
  if (!ip) return undefined;
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/**
 * Reads a multipart upload: exactly one `file` part streamed into the blob store (never buffered
 * whole), plus fields in any order. The file may be stored before a later field turns out invalid;
 * blobs are content-addressed, so such an orphan costs disk space at worst and no record points to it.
 */
export async function readMultipartUpload(request: FastifyRequest, blobs: BlobStore, maxBytes: number): Promise<UploadInput> {
  let blob: StoredBlob | undefined;
  let fileName: string | undefined;
  let fieldsJson: unknown;
  const individual: Record<string, unknown> = {};
  // Set when the request body itself is broken (cut off, bad boundary): the client's fault, not the store's.
  let malformed: Error | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') throw new TollgateError('input.invalid', `unexpected file part "${part.fieldname}": send the media as "file"`);
        if (blob) throw new TollgateError('input.invalid', 'file: only one file per upload');
        part.file.on('error', (error: Error) => (malformed = error));
        const stored = await blobs.putStream(part.file, { maxBytes });
        // Busboy stops at its own limit (maxBytes + 1) and marks the stream truncated instead of failing.
        if (part.file.truncated) throw new TollgateError('media.too_large', `the file exceeds the limit of ${maxBytes} bytes`, { maxBytes });
        blob = { key: stored.key, sha256: stored.sha256, bytes: stored.bytes };
        fileName = part.filename || undefined;
        continue;
      }
      const value = typeof part.value === 'string' ? part.value : String(part.value);
      if (part.valueTruncated) throw new TollgateError('input.invalid', `${part.fieldname}: value too long`);
      if (part.fieldname === 'fields') {
        if (fieldsJson !== undefined) throw new TollgateError('input.invalid', 'fields: given twice');
        fieldsJson = parseJson('fields', value);
      } else if (FIELD_NAMES.has(part.fieldname)) {
        if (part.fieldname in individual) throw new TollgateError('input.invalid', `${part.fieldname}: given twice`);
        individual[part.fieldname] = JSON_FIELDS.has(part.fieldname) ? parseJson(part.fieldname, value) : value;
      } else {
        throw new TollgateError('input.invalid', `unknown form field "${part.fieldname}"; expected file, fields, ${[...FIELD_NAMES].join(', ')}`);
      }
    }
  } catch (error) {
    const tooLarge = isTollgateError(error) && error.details?.['reason'] === 'too_large';
    if (malformed && !tooLarge) throw new TollgateError('input.invalid', `malformed multipart body: ${malformed.message}`);
    // Busboy's own parse errors (no boundary, bad headers) are plain Errors without a Fastify code.
    if (!isTollgateError(error) && error instanceof Error && !('code' in error)) {
      throw new TollgateError('input.invalid', `malformed multipart body: ${error.message}`);
    }
    throw error;
  }
  if (!blob) throw new TollgateError('input.invalid', 'file: missing; send the media as a multipart part named "file"');
  return { blob, fields: withDefaults(mergeFields(fieldsJson, individual), request, fileName), source: 'multipart' };
}

/**
 * `{ "object_key": "...", ...fields }`: the app already put the media in our S3 bucket (e.g. with a
 * presigned URL). We copy it in under its content address so later processing never depends on the
 * app's object staying put.
 */
export async function readObjectUpload(request: FastifyRequest, body: unknown, blobs: BlobStore, maxBytes: number): Promise<UploadInput> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new TollgateError('input.invalid', 'send multipart/form-data with a file, or a JSON object with object_key');
  }
  const { object_key: objectKey, ...rest } = body as Record<string, unknown>;
  if (typeof objectKey !== 'string' || objectKey.length === 0) {
    throw new TollgateError('input.invalid', 'object_key: required for JSON uploads (or send multipart/form-data with a file)');
  }
  // Validate before touching the bucket, so a bad request costs no S3 round trip.
  const fields = withDefaults(rest, request, objectKey.split('/').pop());
  if (!blobs.readObject) {
    throw new TollgateError('input.invalid', 'object_key: uploads by reference need S3 blob storage (S3_BUCKET); send multipart/form-data instead');
  }
  let bytes: Buffer;
  try {
    bytes = (await blobs.readObject(objectKey, { maxBytes })).bytes;
  } catch (error) {
    if (isTollgateError(error) && error.code === 'blob.not_found') throw new TollgateError('input.not_found', `object_key: no object "${objectKey}" in the bucket`);
    throw error;
  }
  if (bytes.length > maxBytes) throw new TollgateError('media.too_large', `the object exceeds ${maxBytes} bytes`, { maxBytes });
  const stored = await blobs.put(bytes);
  return { blob: { key: stored.key, sha256: stored.sha256, bytes: stored.bytes }, fields, source: 'object' };
}
