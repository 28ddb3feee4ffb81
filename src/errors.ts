/**
 * Every failure Tollgate reports is a TollgateError with a stable, documented code.
 * Codes are part of the public contract (CLI JSON, API bodies, upload records).
 */
export const ERROR_CODES = {
  // media: the bytes cannot be analysed
  'media.empty': 'the file has no bytes',
  'media.unsupported_type': 'the bytes are not a supported image or video format',
  'media.truncated': 'the file ends before its format says it should',
  'media.corrupt': 'the file is damaged and cannot be decoded',
  'media.too_large': 'the file exceeds the byte limit',
  'media.too_many_pixels': 'the image exceeds the pixel limit (decompression bomb guard)',
  'media.too_long': 'the video exceeds the duration limit',
  'media.active_content': 'the file carries active content (script, HTML, SVG)',
  'media.archive': 'the file is an archive, not media',
  'media.metadata_bomb': 'the metadata is oversized or self-referencing',
  'media.decoder_unavailable': 'no decoder for this format is installed',
  'media.timeout': 'decoding did not finish in time or was aborted',
  'media.not_jpeg': 'the operation needs a JPEG image (error-level analysis)',
  // input validation and lookups
  'input.invalid': 'a request or argument failed validation',
  'input.not_found': 'the referenced object does not exist',
  'input.conflict': 'the object already exists',
  'config.invalid': 'the configuration is invalid',
  'auth.missing': 'no credentials were sent',
  'auth.invalid': 'the credentials are not valid',
  // infrastructure
  'db.error': 'the database failed',
  'blob.not_found': 'the blob does not exist in the store',
  'blob.error': 'the blob store failed',
  'detector.timeout': 'a detector did not finish in time',
  'detector.failed': 'a detector threw',
  'pipeline.failed': 'processing failed after all retries',
  'webhook.failed': 'the webhook receiver did not accept the delivery',
  'server.internal': 'an unexpected server error (details are in the server log)',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class TollgateError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message ?? ERROR_CODES[code], options);
    this.name = 'TollgateError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Readonly<Record<string, unknown>> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export function isTollgateError(value: unknown): value is TollgateError {
  return value instanceof TollgateError;
}

/** Normalises anything thrown into a TollgateError, keeping the original as `cause`. */
export function toTollgateError(value: unknown, fallback: ErrorCode): TollgateError {
  if (value instanceof TollgateError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new TollgateError(fallback, message, undefined, { cause: value });
}
