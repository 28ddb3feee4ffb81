import type { FastifyInstance } from 'fastify';
import { isUuid, newId } from '../../db/ids.ts';
import { getUpload, listUploads, type UploadListFilter } from '../../db/uploads.ts';
import { errorLevelPng } from '../../media/ela.ts';
import { ingestUpload } from '../../uploads/ingest.ts';
import { uploadFieldsSchema } from '../../uploads/fields.ts';
import { tenantOf } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { authErrors, errorRef, idParams, page, pageQuery, security, uploadSchema, uploadSummarySchema } from '../schemas.ts';
import { readMultipartUpload, readObjectUpload } from '../upload-input.ts';
import { decodeCursor, encodeCursor, num, resolvePartyId, uploadView } from '../views.ts';

/** The JSON form, documented for OpenAPI; the fields themselves are validated by the shared zod schema. */
const jsonUploadBody = {
  type: 'object',
  required: ['object_key'],
  properties: {
    object_key: { type: 'string', minLength: 1, maxLength: 1024, description: 'key of an object already in the S3 bucket' },
    contributor_id: { type: 'string' },
    device: { type: 'object', properties: { id: { type: 'string' }, model: { type: 'string' }, os: { type: 'string' }, app_version: { type: 'string' } } },
    task_id: { type: 'string' },
    task: { type: 'object', properties: { spec: { type: 'object', additionalProperties: true }, given_at: { type: 'string', format: 'date-time' } } },
    client_ip: { type: 'string' },
    captured_at: { type: 'string', format: 'date-time' },
    file_name: { type: 'string' },
    idempotency_key: { type: 'string' },
  },
} as const;

export const multipartUploadBody = {
  type: 'object',
  required: ['file'],
  properties: {
    file: { type: 'string', format: 'binary' },
    fields: { type: 'string', description: `JSON object with any of: ${Object.keys(uploadFieldsSchema.shape).join(', ')}` },
    ...Object.fromEntries(Object.keys(uploadFieldsSchema.shape).map((name) => [name, { type: 'string' }])),
  },
} as const;

type CursorValue = [string, string];
const isCursor = (v: unknown): v is CursorValue => Array.isArray(v) && v.length === 2 && /^\d+$/.test(String(v[0])) && typeof v[1] === 'string' && isUuid(v[1]);

export function uploadRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { tollgate } = ctx;
  const maxBytes = tollgate.config.limits.maxBytes;

  app.post<{ Querystring: { wait?: number }; Body: unknown }>(
    '/v1/uploads',
    {
      schema: {
        summary: 'Submit an upload for analysis',
        description:
          'multipart/form-data with a `file` part plus a `fields` JSON part or individual form fields; or JSON with `object_key` naming an object ' +
          'already in the S3 bucket. Answers 202 at once; with `?wait=MS` answers 200 with the full upload if its verdict is ready in time.',
        tags: ['uploads'],
        security,
        consumes: ['multipart/form-data', 'application/json'],
        querystring: { type: 'object', properties: { wait: { type: 'integer', minimum: 0, maximum: ctx.maxWaitMs } } },
        // Only the JSON form is validated by Fastify: a multipart body is a stream the handler reads (and checks) itself.
        // The multipart form is added to /openapi.json by `documentMultipart` in app.ts.
        body: { content: { 'application/json': { schema: jsonUploadBody } } },
        response: {
          200: uploadSchema,
          202: {
            type: 'object',
            required: ['id', 'status'],
            properties: { id: { type: 'string' }, status: { type: 'string' }, repeated: { type: 'boolean', description: 'the idempotency key matched an earlier upload' } },
          },
          ...authErrors,
          404: errorRef,
          413: errorRef,
        },
      },
    },
    async (request, reply) => {
      const tenant = tenantOf(request);
      const input = request.isMultipart()
        ? await readMultipartUpload(request, tollgate.blobs, maxBytes)
        : await readObjectUpload(request, request.body ?? {}, tollgate.blobs, maxBytes);
      const wait = request.query.wait ?? 0;
      const uploadId = newId();
      // Listening before the job exists: a worker may decide before this handler gets to wait.
      const watch = wait > 0 ? ctx.verdicts.watch(uploadId) : undefined;
      try {
        const result = await ingestUpload(tollgate, tenant.id, input.blob, input.fields, uploadId);
        if (result.created) ctx.metrics.uploadsReceived.inc({ source: input.source });
        // A repeated idempotency key answers with the earlier upload, which the watch did not cover.
        const decided = watch && (result.created ? await watch.wait(tenant.id, wait) : await ctx.verdicts.wait(tenant.id, result.uploadId, wait));
        if (decided) {
          const view = (result.created ? watch?.view : undefined) ?? (await uploadView(tollgate.db, tenant.id, result.uploadId));
          if (view) return reply.status(200).send(view);
        }
        const row = await getUpload(tollgate.db, tenant.id, result.uploadId);
        return reply.status(202).send({ id: result.uploadId, status: row?.status ?? 'received', repeated: !result.created });
      } finally {
        watch?.close();
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/uploads/:id',
    {
      schema: {
        summary: 'One upload: status, media, verdict, signals, fingerprints, scores, error, review',
        tags: ['uploads'],
        security,
        params: idParams,
        response: { 200: uploadSchema, ...authErrors, 404: errorRef },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      const view = isUuid(request.params.id) ? await uploadView(tollgate.db, tenant.id, request.params.id) : undefined;
      if (!view) throw notFound('upload');
      return view;
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/uploads/:id/ela.png',
    {
      schema: {
        summary: 'Error-level analysis image of a JPEG upload, computed on demand for reviewers',
        description: 'The upload re-saved at quality 90, absolute difference amplified ×20, as PNG. 422 `media.not_jpeg` for other formats and videos.',
        tags: ['uploads'],
        security,
        params: idParams,
        produces: ['image/png'],
        response: { 200: { type: 'string', format: 'binary' }, ...authErrors, 404: errorRef, 422: errorRef },
      },
    },
    async (request, reply) => {
      const tenant = tenantOf(request);
      const row = isUuid(request.params.id) ? await getUpload(tollgate.db, tenant.id, request.params.id) : undefined;
      if (!row) throw notFound('upload');
      const png = await errorLevelPng(await tollgate.blobs.get(row.blob_key), { limits: tollgate.config.limits });
      return reply.type('image/png').header('cache-control', 'private, max-age=3600').send(png);
    },
  );

  app.get<{
    Querystring: { limit: number; cursor?: string; status?: UploadListFilter['status']; decision?: UploadListFilter['decision']; contributor?: string; device?: string; task?: string };
  }>(
    '/v1/uploads',
    {
      schema: {
        summary: 'List uploads, newest first',
        tags: ['uploads'],
        security,
        querystring: {
          type: 'object',
          properties: {
            ...pageQuery,
            status: { type: 'string', enum: ['received', 'processing', 'done', 'error'] },
            decision: { type: 'string', enum: ['accept', 'review', 'reject'] },
            contributor: { type: 'string', maxLength: 200, description: 'our id or the app\'s external id' },
            device: { type: 'string', maxLength: 200 },
            task: { type: 'string', maxLength: 200 },
          },
        },
        response: { 200: page(uploadSummarySchema), ...authErrors },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      const q = request.query;
      const cursor = decodeCursor(q.cursor, isCursor);
      const parties: Array<[string | undefined, 'contributors' | 'devices' | 'tasks']> = [
        [q.contributor, 'contributors'],
        [q.device, 'devices'],
        [q.task, 'tasks'],
      ];
      const ids: Array<string | undefined> = [];
      for (const [given, table] of parties) {
        if (given === undefined) {
          ids.push(undefined);
          continue;
        }
        const id = await resolvePartyId(tollgate.db, table, tenant.id, given);
        // An unknown contributor has no uploads: an empty page, not an error.
        if (!id) return { items: [], next_cursor: null };
        ids.push(id);
      }
      const filter = { status: q.status, decision: q.decision, contributorId: ids[0], deviceId: ids[1], taskId: ids[2] };
      const rows = await listUploads(tollgate.db, tenant.id, filter, cursor && { atUs: cursor[0], id: cursor[1] }, q.limit + 1);
      const items = rows.slice(0, q.limit);
      const last = items.at(-1);
      return {
        items: items.map((r) => ({ ...r, bytes: num(r.bytes) })),
        next_cursor: rows.length > q.limit && last ? encodeCursor([last.at_us, last.id]) : null,
      };
    },
  );
}
