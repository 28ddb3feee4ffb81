/**
 * Reference banks and ad-hoc matching over HTTP: `/v1/banks` (list, create), `/v1/banks/:id`,
 * `/v1/banks/:id/entries` (list; add a file or hashes) and `/v1/match` (a file or a PDQ against the
 * tenant's banks and uploads). Every query is scoped to the authenticated tenant; a bank of another
 * tenant is "not found", never "forbidden", so ids cannot be probed.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BANK_KINDS, createBank, findBank, insertBankEntries, listBankEntries, listBanks, setBankEnabled, type BankRow } from '../../banks/banks.ts';
import { entriesFor } from '../../banks/import.ts';
import { TollgateError } from '../../errors.ts';
import { matchBytes, matchPdq } from '../../matching/match.ts';
import { tenantOf } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { authErrors, errorRef, idParams, page, pageQuery, security } from '../schemas.ts';
import { decodeCursor, encodeCursor } from '../views.ts';

const pdqHex = { type: 'string', pattern: '^[0-9a-fA-F]{64}$', description: 'PDQ hash, 64 hex characters' } as const;
const nullableStr = { type: ['string', 'null'] } as const;

const bankSchema = {
  type: 'object',
  required: ['id', 'name', 'kind', 'enabled'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    kind: { type: 'string', enum: BANK_KINDS },
    enabled: { type: 'boolean' },
    description: nullableStr,
    entries: { type: 'integer' },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const;

const entrySchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    key: { type: 'string' },
    frame: { type: 'integer', description: '-1 for an image or a bare hash; the frame index for video frames' },
    source_url: nullableStr,
    source: nullableStr,
    sha256: nullableStr,
    pdq: { type: 'string' },
    quality: { type: 'integer' },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const;

const hashEntriesBody = {
  type: 'object',
  required: ['entries'],
  additionalProperties: false,
  properties: {
    entries: {
      type: 'array',
      maxItems: 10_000,
      items: {
        type: 'object',
        required: ['pdq'],
        additionalProperties: false,
        properties: {
          pdq: pdqHex,
          quality: { type: 'integer', minimum: 0, maximum: 100 },
          key: { type: 'string', minLength: 1, maxLength: 2000, description: 'stable key; default pdq:<hash>' },
          source: { type: 'string', maxLength: 2000 },
          source_url: { type: 'string', maxLength: 2000 },
        },
      },
    },
  },
} as const;

const matchBody = {
  type: 'object',
  required: ['pdq'],
  additionalProperties: false,
  properties: { pdq: pdqHex, quality: { type: 'integer', minimum: 0, maximum: 100 } },
} as const;

/** PDQ: distance and dihedral variant; local features: verified inliers of matches, coverage of the matched image, whether it is mirrored. */
const matcherEvidence = {
  matcher: { type: 'string', enum: ['pdq', 'local'] },
  distance: { type: 'integer' },
  variant: { type: 'string' },
  inliers: { type: 'integer' },
  matches: { type: 'integer' },
  coverage: { type: 'number' },
  mirrored: { type: 'boolean' },
} as const;

const matchResponse = {
  type: 'object',
  properties: {
    sha256: { type: 'string' },
    media: { type: 'object', properties: { type: { type: 'string' }, mime: { type: 'string' } } },
    pdq: { type: 'object', properties: { hash: { type: 'string' }, quality: { type: 'integer' } } },
    frames: { type: 'integer' },
    note: { type: 'string' },
    banks: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          bank_id: { type: 'string' },
          bank: { type: 'string' },
          kind: { type: 'string' },
          matches: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                entry_id: { type: 'integer' },
                key: { type: 'string' },
                source_url: nullableStr,
                source: nullableStr,
                ...matcherEvidence,
              },
            },
          },
        },
      },
    },
    uploads: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          upload_id: { type: 'string' },
          contributor_id: nullableStr,
          received_at: { type: 'string' },
          decision: nullableStr,
          ...matcherEvidence,
          matcher: { type: 'string', enum: ['pdq', 'local', 'vpdq'] },
          exact: { type: 'boolean' },
          query_match_percent: { type: 'number' },
          target_match_percent: { type: 'number' },
        },
      },
    },
  },
} as const;

const isAfterId = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/** The file part of a multipart request plus its plain fields (bounded by the multipart limits in app.ts). */
export async function readFilePart(request: FastifyRequest): Promise<{ bytes: Buffer; fileName?: string; fields: Record<string, string> }> {
  let bytes: Buffer | undefined;
  let fileName: string | undefined;
  const fields: Record<string, string> = {};
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      if (part.fieldname !== 'file' || bytes) {
        part.file.resume();
        throw new TollgateError('input.invalid', 'send exactly one file part named "file"');
      }
      bytes = await part.toBuffer();
      fileName = part.filename || undefined;
    } else {
      fields[part.fieldname] = typeof part.value === 'string' ? part.value : String(part.value);
    }
  }
  if (!bytes) throw new TollgateError('input.invalid', 'file: missing; send the media as a multipart part named "file"');
  return { bytes, ...(fileName ? { fileName } : {}), fields };
}

export function bankRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { tollgate } = ctx;
  const { db } = tollgate;
  const bankOf = async (request: FastifyRequest<{ Params: { id: string } }>): Promise<BankRow> => {
    const bank = await findBank(db, tenantOf(request).id, request.params.id);
    if (!bank) throw notFound('bank');
    return bank;
  };

  app.get('/v1/banks', { schema: { summary: 'List reference banks with their entry counts', tags: ['banks'], security, response: { 200: { type: 'object', properties: { items: { type: 'array', items: bankSchema } } }, ...authErrors } } }, async (request) => ({
    items: await listBanks(db, tenantOf(request).id),
  }));

  app.post<{ Body: { name: string; kind: BankRow['kind']; description?: string } }>(
    '/v1/banks',
    {
      schema: {
        summary: 'Create a reference bank',
        description: 'Kinds: `internet`, `stock`, `fraud` (matches are rejected by the default policy), `allow` (a match clears the upload of dup/ref signals) and `logo` (a logo library: its images are searched for inside uploads, `copyright.logo`, review by default).',
        tags: ['banks'],
        security,
        body: {
          type: 'object',
          required: ['name', 'kind'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^\\s/][^/]*$' }, kind: { type: 'string', enum: BANK_KINDS }, description: { type: 'string', maxLength: 2000 } },
        },
        response: { 201: bankSchema, ...authErrors, 409: errorRef },
      },
    },
    async (request, reply) => {
      const bank = await createBank(db, tenantOf(request).id, request.body.name, request.body.kind, request.body.description);
      return reply.code(201).send({ ...bank, entries: 0 });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/banks/:id',
    { schema: { summary: 'One bank by id or name', tags: ['banks'], security, params: idParams, response: { 200: bankSchema, ...authErrors, 404: errorRef } } },
    async (request) => {
      const bank = await bankOf(request);
      return (await listBanks(db, bank.tenant_id)).find((b) => b.id === bank.id);
    },
  );

  app.patch<{ Params: { id: string }; Body: { enabled?: boolean } }>(
    '/v1/banks/:id',
    {
      schema: {
        summary: 'Enable or disable a bank',
        description: 'A disabled bank keeps its entries but is no longer matched (uploads or /v1/match) until enabled again.',
        tags: ['banks'],
        security,
        params: idParams,
        body: { type: 'object', additionalProperties: false, properties: { enabled: { type: 'boolean' } } },
        response: { 200: bankSchema, ...authErrors, 404: errorRef },
      },
    },
    async (request) => {
      const bank = await bankOf(request);
      if (request.body.enabled !== undefined) await setBankEnabled(db, bank.tenant_id, bank.id, request.body.enabled);
      return (await listBanks(db, bank.tenant_id)).find((b) => b.id === bank.id);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit: number; cursor?: string } }>(
    '/v1/banks/:id/entries',
    {
      schema: {
        summary: "A bank's entries in insertion order",
        tags: ['banks'],
        security,
        params: idParams,
        querystring: { type: 'object', properties: pageQuery },
        response: { 200: page(entrySchema), ...authErrors, 404: errorRef },
      },
    },
    async (request) => {
      const bank = await bankOf(request);
      const after = decodeCursor(request.query.cursor, isAfterId) ?? 0;
      const rows = await listBankEntries(db, bank, request.query.limit + 1, after);
      const items = rows.slice(0, request.query.limit).map(({ import_key, ...rest }) => ({ key: import_key, ...rest }));
      return { items, next_cursor: rows.length > request.query.limit ? encodeCursor(items[items.length - 1]!.id) : null };
    },
  );

  app.post<{ Params: { id: string }; Body: { entries: Array<{ pdq: string; quality?: number; key?: string; source?: string; source_url?: string }> } | undefined }>(
    '/v1/banks/:id/entries',
    {
      schema: {
        summary: 'Add a file or hashes to a bank',
        description:
          'multipart/form-data with a `file` part (image or video; optional `key`, `source`, `source_url` fields), or JSON `{ "entries": [{ "pdq", "quality", "key", "source", "source_url" }] }`. ' +
          'Entries whose key (or, for files, bytes) the bank already holds are left as they are.',
        tags: ['banks'],
        security,
        params: idParams,
        consumes: ['multipart/form-data', 'application/json'],
        body: { content: { 'application/json': { schema: hashEntriesBody } } },
        response: { 200: { type: 'object', properties: { added: { type: 'integer' }, already_present: { type: 'integer' } } }, ...authErrors, 404: errorRef },
      },
    },
    async (request) => {
      const bank = await bankOf(request);
      if (request.isMultipart()) {
        const { bytes, fileName, fields } = await readFilePart(request);
        const key = fields['key'] ?? `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
        const entries = await entriesFor(
          { kind: 'media', key, bytes, ...(fields['source_url'] ? { sourceUrl: fields['source_url'] } : {}), ...((fields['source'] ?? fileName) ? { name: fields['source'] ?? fileName! } : {}) },
          { db, limits: tollgate.config.limits, bank, keypoints: tollgate.config.matching?.local.mode !== 'off' },
        );
        if (entries === 'present') return { added: 0, already_present: 1 };
        const added = (await insertBankEntries(db, bank, entries)) > 0 ? 1 : 0;
        return { added, already_present: 1 - added };
      }
      const list = request.body?.entries ?? [];
      const added = await insertBankEntries(
        db,
        bank,
        list.map((e) => ({ importKey: e.key ?? `pdq:${e.pdq.toLowerCase()}`, pdq: e.pdq.toLowerCase(), quality: e.quality ?? 100, source: e.source ?? null, sourceUrl: e.source_url ?? null })),
      );
      return { added, already_present: list.length - added };
    },
  );

  app.post<{ Body: { pdq: string; quality?: number } | undefined }>(
    '/v1/match',
    {
      schema: {
        summary: "Match a file or a PDQ hash against the tenant's banks and uploads",
        description:
          'multipart/form-data with a `file` part, or JSON `{ "pdq": "64 hex" }`. Nothing is stored. Answers the bank entries within PDQ distance 31 ' +
          '(grouped per bank, with source URL and distance; images are also searched rotated and mirrored) and near-duplicate uploads. An image is also ' +
          'searched by local features (crops, screenshots, overlays): those matches have `matcher: "local"` and the verified `inliers` instead of a distance.',
        tags: ['banks'],
        security,
        consumes: ['multipart/form-data', 'application/json'],
        body: { content: { 'application/json': { schema: matchBody } } },
        response: { 200: matchResponse, ...authErrors, 413: errorRef },
      },
    },
    async (request) => {
      const scope = { db, indexes: tollgate.indexes, tenantId: tenantOf(request).id, local: tollgate.process.local };
      if (request.isMultipart()) return matchBytes(scope, (await readFilePart(request)).bytes, tollgate.config.limits);
      if (!request.body?.pdq) throw new TollgateError('input.invalid', 'send a multipart `file` or JSON `{ "pdq": "…" }`');
      return matchPdq(scope, request.body.pdq, request.body.quality);
    },
  );
}
