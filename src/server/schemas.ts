/**
 * JSON schemas shared by the routes. They validate requests, shape responses (fast-json-stringify
 * drops properties a schema does not list, so nothing internal leaks by accident) and feed /openapi.json.
 */
const str = { type: 'string' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
const anyObject = { type: 'object', additionalProperties: true } as const;

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200, description: 'our id (uuid) or, where noted, the app\'s external id' } },
} as const;

export const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  cursor: { type: 'string', maxLength: 200, description: 'next_cursor from the previous page' },
} as const;

export const partyRef = {
  type: ['object', 'null'],
  properties: { id: str, external_id: str },
} as const;

export const signalSchema = {
  type: 'object',
  required: ['code', 'score', 'severity', 'message'],
  properties: {
    code: str,
    score: { type: 'number' },
    severity: { type: 'string', enum: ['info', 'low', 'medium', 'high', 'critical'] },
    message: str,
    evidence: anyObject,
  },
} as const;

export const reviewItemSchema = {
  type: 'object',
  required: ['id', 'upload_id', 'status'],
  properties: {
    id: str,
    upload_id: str,
    priority: { type: 'number' },
    reasons: { type: 'array', items: str },
    status: { type: 'string', enum: ['open', 'claimed', 'decided'] },
    claimed_by: nullableStr,
    claim_expires_at: nullableDateTime,
    created_at: dateTime,
  },
} as const;

export const reviewDecisionSchema = {
  type: 'object',
  properties: {
    id: str,
    decision: { type: 'string', enum: ['accept', 'reject'] },
    reviewer: str,
    labels: { type: 'array', items: str },
    notes: nullableStr,
    created_at: dateTime,
  },
} as const;

const scoresSchema = {
  type: ['object', 'null'],
  properties: {
    ai_generated: { type: 'number' },
    tampering: { type: 'number' },
    copyright_risk: { type: 'number' },
    duplicate: { type: 'number' },
    quality: { type: 'number' },
  },
} as const;

export const uploadSchema = {
  type: 'object',
  required: ['id', 'status', 'sha256', 'bytes', 'received_at'],
  properties: {
    id: str,
    status: { type: 'string', enum: ['received', 'processing', 'done', 'error'] },
    sha256: str,
    bytes: { type: 'integer' },
    file_name: nullableStr,
    media: {
      type: ['object', 'null'],
      properties: { kind: str, mime: str, width: { type: ['integer', 'null'] }, height: { type: ['integer', 'null'] }, duration_s: { type: ['number', 'null'] } },
    },
    contributor: partyRef,
    device: partyRef,
    task: partyRef,
    client_ip: nullableStr,
    captured_at: nullableDateTime,
    received_at: dateTime,
    processed_at: nullableDateTime,
    attempts: { type: 'integer' },
    verdict: {
      type: ['object', 'null'],
      properties: { decision: { type: 'string', enum: ['accept', 'review', 'reject'] }, reasons: { type: 'array', items: str }, policy_version: { type: 'integer' }, decided_at: dateTime },
    },
    error: { type: ['object', 'null'], properties: { code: str, message: str } },
    signals: { type: 'array', items: signalSchema },
    fingerprints: { type: ['object', 'null'], additionalProperties: true },
    scores: scoresSchema,
    review: {
      type: 'object',
      properties: { item: { anyOf: [reviewItemSchema, { type: 'null' }] }, decisions: { type: 'array', items: reviewDecisionSchema } },
    },
  },
} as const;

/** The list form leaves out signals and review history: one query per page, not per row. */
export const uploadSummarySchema = {
  type: 'object',
  properties: {
    id: str,
    status: uploadSchema.properties.status,
    sha256: str,
    bytes: { type: 'integer' },
    file_name: nullableStr,
    mime: nullableStr,
    contributor_id: nullableStr,
    device_id: nullableStr,
    task_id: nullableStr,
    decision: { type: ['string', 'null'] },
    error_code: nullableStr,
    received_at: dateTime,
    processed_at: nullableDateTime,
  },
} as const;

export const contributorSchema = {
  type: 'object',
  properties: { id: str, external_id: str, created_at: dateTime, uploads: { type: 'integer' } },
} as const;

export const deviceSchema = {
  type: 'object',
  properties: {
    id: str,
    external_id: str,
    model: nullableStr,
    os: nullableStr,
    app_version: nullableStr,
    first_seen_at: dateTime,
    last_seen_at: { ...dateTime, description: 'when an upload last named this device, to the minute' },
    uploads: { type: 'integer' },
  },
} as const;

export const taskSchema = {
  type: 'object',
  properties: { id: str, external_id: str, spec: anyObject, given_at: nullableDateTime, created_at: dateTime, uploads: { type: 'integer' } },
} as const;

export function page<T extends object>(item: T) {
  return {
    type: 'object',
    required: ['items', 'next_cursor'],
    properties: { items: { type: 'array', items: item }, next_cursor: nullableStr },
  } as const;
}

/** Error responses every authenticated route can give. */
export const authErrors = { 401: { $ref: 'Error#' }, 400: { $ref: 'Error#' } } as const;
export const errorRef = { $ref: 'Error#' } as const;

export const security = [{ bearer: [] as string[] }];
