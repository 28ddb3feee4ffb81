import type { FastifyInstance } from 'fastify';
import { isUuid } from '../../db/ids.ts';
import { QUEUES } from '../../jobs/queue.ts';
import { claimReviewItem, decideReviewItem, getReviewItem, listReviewItems } from '../../review/items.ts';
import { createDelivery } from '../../webhooks/deliveries.ts';
import { tenantOf } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { authErrors, errorRef, idParams, reviewItemSchema, security } from '../schemas.ts';

const reviewer = { type: 'string', minLength: 1, maxLength: 200 } as const;

export function reviewRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { tollgate } = ctx;

  app.get<{ Querystring: { status?: 'open' | 'claimed' | 'decided'; limit: number } }>(
    '/v1/review/items',
    {
      schema: {
        summary: 'The review queue, highest priority first',
        tags: ['review'],
        security,
        querystring: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['open', 'claimed', 'decided'], default: 'open' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          },
        },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: reviewItemSchema } } }, ...authErrors },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      const filter = { limit: request.query.limit, ...(request.query.status ? { status: request.query.status } : {}) };
      return { items: await listReviewItems(tollgate.db, tenant.id, filter) };
    },
  );

  app.post<{ Params: { id: string }; Body: { reviewer: string; ttl_seconds?: number } }>(
    '/v1/review/items/:id/claim',
    {
      schema: {
        summary: 'Claim an item so no other reviewer works on it; the claim expires by itself',
        tags: ['review'],
        security,
        params: idParams,
        body: {
          type: 'object',
          required: ['reviewer'],
          additionalProperties: false,
          properties: { reviewer, ttl_seconds: { type: 'integer', minimum: 10, maximum: 86_400 } },
        },
        response: { 200: reviewItemSchema, ...authErrors, 404: errorRef, 409: errorRef },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      if (!isUuid(request.params.id)) throw notFound('review item');
      return claimReviewItem(tollgate.db, tenant.id, request.params.id, request.body.reviewer, request.body.ttl_seconds ?? ctx.claimTtlSeconds);
    },
  );

  app.post<{ Params: { id: string }; Body: { decision: 'accept' | 'reject'; reviewer: string; labels?: string[]; notes?: string } }>(
    '/v1/review/items/:id/decision',
    {
      schema: {
        summary: 'Decide a review item; sends an `upload.reviewed` webhook',
        tags: ['review'],
        security,
        params: idParams,
        body: {
          type: 'object',
          required: ['decision', 'reviewer'],
          additionalProperties: false,
          properties: {
            decision: { type: 'string', enum: ['accept', 'reject'] },
            reviewer,
            labels: { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 100 } },
            notes: { type: 'string', maxLength: 10_000 },
          },
        },
        response: {
          200: { type: 'object', properties: { item: reviewItemSchema, decision_id: { type: 'string' } } },
          ...authErrors,
          404: errorRef,
          409: errorRef,
        },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      if (!isUuid(request.params.id)) throw notFound('review item');
      const input = request.body;
      let deliveryId: string | null = null;
      // The decision and its webhook job commit together: the app hears of every decision exactly once.
      const result = await tollgate.db.transaction(async (tx) => {
        const decided = await decideReviewItem(tx, tenant.id, request.params.id, input);
        deliveryId = await createDelivery(
          tx,
          tenant.id,
          decided.item.upload_id,
          'upload.reviewed',
          {
            upload_id: decided.item.upload_id,
            review_item_id: decided.item.id,
            decision: input.decision,
            reviewer: input.reviewer,
            labels: input.labels ?? [],
            ...(input.notes !== undefined ? { notes: input.notes } : {}),
          },
          tollgate.config.webhooks,
        );
        if (deliveryId) await tollgate.queue.enqueueWebhook(deliveryId, tx);
        return decided;
      });
      if (deliveryId) tollgate.queue.wake(QUEUES.deliverWebhook);
      const item = await getReviewItem(tollgate.db, tenant.id, result.item.id);
      return { item: item ?? result.item, decision_id: result.decisionId };
    },
  );
}
