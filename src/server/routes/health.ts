import type { FastifyInstance } from 'fastify';
import { QUEUES } from '../../jobs/queue.ts';
import type { ServerContext } from '../context.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics.ts';

const CHECK_TIMEOUT_MS = 3_000;

async function check(work: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([work(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS)))]);
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}

/** Unauthenticated operational routes: liveness, readiness, metrics. */
export function healthRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { tollgate } = ctx;
  const health = { type: 'object', properties: { status: { type: 'string' }, checks: { type: 'object', additionalProperties: { type: 'string' } } } } as const;

  app.get('/healthz', { schema: { summary: 'Liveness: the process answers', tags: ['operations'], response: { 200: health } } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { schema: { summary: 'Readiness: the database and the queue answer', tags: ['operations'], response: { 200: health, 503: health } } },
    async (_request, reply) => {
      const [db, queue] = await Promise.all([check(() => tollgate.db.query('SELECT 1')), check(() => tollgate.queue.depth(QUEUES.processUpload))]);
      const ready = db === 'ok' && queue === 'ok';
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: { db, queue } });
    },
  );

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics (text format)', tags: ['operations'], produces: ['text/plain'], response: { 200: { type: 'string' } } } },
    async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(await ctx.metrics.registry.render()),
  );
}
