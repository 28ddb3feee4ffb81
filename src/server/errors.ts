import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, isTollgateError, TollgateError, type ErrorCode } from '../errors.ts';

/**
 * Maps TollgateError codes to HTTP statuses. Every error body is `{ error: { code, message } }`, so
 * clients branch on the stable code, never on the message or the status alone.
 */
export function statusForCode(code: ErrorCode): number {
  switch (code) {
    case 'input.invalid':
      return 400;
    case 'auth.missing':
    case 'auth.invalid':
      return 401;
    case 'input.not_found':
    case 'blob.not_found':
      return 404;
    case 'input.conflict':
      return 409;
    case 'media.too_large':
      return 413;
    case 'db.error':
      return 503;
    case 'blob.error':
    case 'webhook.failed':
      return 502;
    default:
      // Other media.* codes reach the API only from synchronous checks on bytes the client sent.
      return code.startsWith('media.') ? 422 : 500;
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function errorBody(code: ErrorCode | string, message: string, details?: Readonly<Record<string, unknown>>): ErrorBody {
  return { error: { code, message, ...(details ? { details: { ...details } } : {}) } };
}

/** JSON schema of the error body, referenced by every route's error responses. */
export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_CODES) },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
    },
  },
} as const;

/** Turns whatever a handler threw into a TollgateError with the right code. */
export function classify(error: unknown): TollgateError {
  if (isTollgateError(error)) {
    // Both the multipart limit and the blob store's own byte bound mean the same thing to a client.
    if (error.code === 'blob.error' && error.details?.['reason'] === 'too_large') {
      const max = error.details?.['maxBytes'];
      const message = typeof max === 'number' ? `the file exceeds the limit of ${max} bytes` : error.message;
      return new TollgateError('media.too_large', message, error.details ? { ...error.details } : undefined);
    }
    return error;
  }
  const fe = error as Partial<FastifyError>;
  if (fe.validation) return new TollgateError('input.invalid', validationMessage(fe.validation, fe.validationContext));
  switch (fe.code) {
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new TollgateError('media.too_large', fe.message ?? ERROR_CODES['media.too_large']);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new TollgateError('input.invalid', `unsupported Content-Type: ${fe.message ?? ''}`.trim());
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
    case 'FST_PROTO_VIOLATION':
      return new TollgateError('input.invalid', fe.message ?? 'malformed request body');
    default:
      break;
  }
  // Fastify's own client errors (bad JSON, bad headers) carry a 4xx statusCode: keep them client errors.
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new TollgateError('input.invalid', fe.message ?? 'bad request');
  }
  // Anything else is our bug or an infrastructure failure; the cause goes to the log only.
  return new TollgateError('server.internal', 'internal server error', undefined, { cause: error });
}

type ValidationIssue = NonNullable<FastifyError['validation']>[number];

/**
 * One line per problem, each naming the field as `body.device.id`, with what is allowed where Ajv knows
 * it: a client should be able to fix every problem from a single 400.
 */
export function validationMessage(issues: readonly ValidationIssue[], context = 'body'): string {
  return issues
    .map((issue) => {
      const params = issue.params as Record<string, unknown>;
      const path = [context, ...issue.instancePath.split('/').filter(Boolean)].join('.');
      if (issue.keyword === 'additionalProperties') return `${path}: unknown property "${String(params['additionalProperty'])}"`;
      if (issue.keyword === 'required') return `${path}.${String(params['missingProperty'])}: required`;
      const allowed = Array.isArray(params['allowedValues']) ? ` (${params['allowedValues'].join(', ')})` : '';
      return `${path}: ${issue.message ?? 'invalid'}${allowed}`;
    })
    .join('; ');
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((thrown: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const error = classify(thrown);
    const status = statusForCode(error.code);
    if (status >= 500) request.log.error({ err: thrown }, 'request failed');
    // Internal details stay in the log: a 5xx body never echoes SQL or stack traces to a client.
    const message = status >= 500 && !isTollgateError(thrown) ? 'internal server error' : error.message;
    const details = status >= 500 ? undefined : error.details;
    return reply.status(status).send(errorBody(error.code, message, details));
  });
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) =>
    reply.status(404).send(errorBody('input.not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}

export const notFound = (what: string): TollgateError => new TollgateError('input.not_found', `${what} not found`);
