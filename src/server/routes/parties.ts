import type { FastifyInstance } from 'fastify';
import { queryOne } from '../../db/database.ts';
import { upsertTask, type PartyTable } from '../../db/parties.ts';
import { tenantOf } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { authErrors, contributorSchema, deviceSchema, errorRef, idParams, page, pageQuery, security, taskSchema } from '../schemas.ts';
import { decodeCursor, encodeCursor, num, resolvePartyId } from '../views.ts';

const COLUMNS: Record<PartyTable, { columns: string; order: string; fk: string }> = {
  contributors: { columns: 'id, external_id, created_at', order: 'created_at', fk: 'contributor_id' },
  devices: { columns: 'id, external_id, model, os, app_version, first_seen_at, last_seen_at', order: 'first_seen_at', fk: 'device_id' },
  tasks: { columns: 'id, external_id, spec, given_at, created_at', order: 'created_at', fk: 'task_id' },
};

const SCHEMAS: Record<PartyTable, object> = { contributors: contributorSchema, devices: deviceSchema, tasks: taskSchema };
const SINGULAR: Record<PartyTable, string> = { contributors: 'contributor', devices: 'device', tasks: 'task' };

const isOffset = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/** Contributors, devices and tasks: list and get (by our id or the app's external id), plus `PUT /v1/tasks/:id`. */
export function partyRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx.tollgate;

  for (const table of ['contributors', 'devices', 'tasks'] as const) {
    const { columns, order, fk } = COLUMNS[table];

    app.get<{ Querystring: { limit: number; cursor?: string } }>(
      `/v1/${table}`,
      {
        schema: {
          summary: `List ${table}, newest first`,
          tags: ['parties'],
          security,
          querystring: { type: 'object', properties: pageQuery },
          response: { 200: page(SCHEMAS[table]), ...authErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request);
        const offset = decodeCursor(request.query.cursor, isOffset) ?? 0;
        const limit = request.query.limit;
        const rows = await db.query<{ id: string }>(
          `SELECT ${columns} FROM ${table} WHERE tenant_id = $1 ORDER BY ${order} DESC, id LIMIT $2 OFFSET $3`,
          [tenant.id, limit + 1, offset],
        );
        return { items: rows.slice(0, limit), next_cursor: rows.length > limit ? encodeCursor(offset + limit) : null };
      },
    );

    app.get<{ Params: { id: string } }>(
      `/v1/${table}/:id`,
      {
        schema: {
          summary: `One ${SINGULAR[table]} by our id or the app's external id, with its upload count`,
          tags: ['parties'],
          security,
          params: idParams,
          response: { 200: SCHEMAS[table], ...authErrors, 404: errorRef },
        },
      },
      async (request) => {
        const tenant = tenantOf(request);
        const id = await resolvePartyId(db, table, tenant.id, request.params.id);
        const row = id
          ? await queryOne<{ uploads: string | number }>(
              db,
              `SELECT ${columns}, (SELECT count(*) FROM uploads u WHERE u.tenant_id = $1 AND u.${fk} = $2) AS uploads FROM ${table} WHERE tenant_id = $1 AND id = $2`,
              [tenant.id, id],
            )
          : undefined;
        if (!row) throw notFound(SINGULAR[table]);
        return { ...row, uploads: num(row.uploads) };
      },
    );
  }

  app.put<{ Params: { id: string }; Body: { spec: Record<string, unknown>; given_at?: string } }>(
    '/v1/tasks/:id',
    {
      schema: {
        summary: 'Store a task: its spec (what an upload for it must show) and when it was given',
        description: 'The id is the app\'s task id (created if new) or our id of an existing task.',
        tags: ['parties'],
        security,
        params: idParams,
        body: {
          type: 'object',
          required: ['spec'],
          additionalProperties: false,
          properties: { spec: { type: 'object', additionalProperties: true }, given_at: { type: 'string', format: 'date-time' } },
        },
        response: { 200: taskSchema, ...authErrors },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      // An existing task may be addressed by our id; anything else is the app's id for a new or existing task.
      const existing = await resolvePartyId(db, 'tasks', tenant.id, request.params.id);
      const row = existing ? await queryOne<{ external_id: string }>(db, 'SELECT external_id FROM tasks WHERE id = $1', [existing]) : undefined;
      const givenAt = request.body.given_at ? new Date(request.body.given_at) : undefined;
      return upsertTask(db, tenant.id, row?.external_id ?? request.params.id, request.body.spec, givenAt);
    },
  );
}
