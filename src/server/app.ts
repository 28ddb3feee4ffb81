import fastifyMultipart from '@fastify/multipart';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions, type RouteOptions } from 'fastify';
import type { Tollgate } from '../app.ts';
import { isUuid } from '../db/ids.ts';
import { QUEUES } from '../jobs/queue.ts';
import { ApiKeyAuth } from './auth.ts';
import type { ServerContext } from './context.ts';
import { errorSchema, installErrorHandlers } from './errors.ts';
import { createServerMetrics, type ServerMetrics } from './metrics.ts';
import { bankRoutes } from './routes/banks.ts';
import { enrolmentRoutes } from './routes/enrolment.ts';
import { healthRoutes } from './routes/health.ts';
import { partyRoutes } from './routes/parties.ts';
import { policyRoutes } from './routes/policies.ts';
import { reviewRoutes } from './routes/review.ts';
import { tenantRoutes } from './routes/tenant.ts';
import { multipartUploadBody, uploadRoutes } from './routes/uploads.ts';
import { VerdictWatcher } from './verdicts.ts';
import type { VerdictNotice } from '../uploads/process.ts';

export interface ServerOptions {
  /** Fastify logger; default: JSON logs at `config.log.level`. Tests pass `false`. */
  logger?: FastifyServerOptions['logger'];
  /** Behind a load balancer, set so the client IP recorded with uploads is the real one. */
  trustProxy?: FastifyServerOptions['trustProxy'];
  authCacheMs?: number;
  /** Upper bound of `?wait=MS` on `POST /v1/uploads`. Default 30 000. */
  maxWaitMs?: number;
  /** Fallback poll while waiting for a verdict, in case a NOTIFY is missed. Default 1 000. */
  verdictPollMs?: number;
  claimTtlSeconds?: number;
}

export interface RegisteredRoute {
  method: string;
  url: string;
  /** False for the operational and documentation routes, which need no API key. */
  authenticated: boolean;
  /** The route's body JSON schema, so tests can build a valid request for routes they do not know. */
  bodySchema: unknown;
}

const routeLists = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Every route the server registered (for the tenant-isolation test, which must cover new routes automatically). */
export function registeredRoutes(app: FastifyInstance): readonly RegisteredRoute[] {
  return routeLists.get(app) ?? [];
}

const isTenantRoute = (url: string): boolean => url.startsWith('/v1/');

/** The Fastify instance for a Tollgate; the caller listens (`tollgate serve`) or injects (tests). */
export async function buildServer(tollgate: Tollgate, options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? { level: tollgate.config.log.level },
    trustProxy: options.trustProxy ?? false,
    // Report every validation problem at once, so a client fixes a request in one round, and reject
    // unknown properties instead of silently dropping them (Fastify's default), so typos surface.
    ajv: { customOptions: { allErrors: true, removeAdditional: false } },
  });
  const routes: RegisteredRoute[] = [];
  routeLists.set(app, routes);
  app.addHook('onRoute', (route: RouteOptions) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, authenticated: isTenantRoute(route.url), bodySchema: route.schema?.body });
  });

  const metrics = createMetrics(tollgate);
  const verdicts = new VerdictWatcher(tollgate.db, {
    pollMs: options.verdictPollMs ?? 1_000,
    onVerdict: (notice) => observeVerdict(metrics, notice),
    ...(tollgate.process.handoff ? { handoff: tollgate.process.handoff } : {}),
  });
  await verdicts.start();
  app.addHook('onClose', async () => verdicts.close());

  const ctx: ServerContext = { tollgate, metrics, verdicts, maxWaitMs: options.maxWaitMs ?? 30_000, claimTtlSeconds: options.claimTtlSeconds ?? 900 };

  app.addSchema(errorSchema);
  installErrorHandlers(app);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Tollgate API', version: '1', description: 'Verdicts with reasons for every upload. Authenticate with `Authorization: Bearer <API key>`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API key from `tollgate tenants create`' } } },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`) },
    transformObject: (document) => documentMultipart('openapiObject' in document ? document.openapiObject : document.swaggerObject),
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  await app.register(fastifyMultipart, {
    // One more byte than allowed, so the blob store's own bound is what trips and reports media.too_large.
    limits: { fileSize: tollgate.config.limits.maxBytes + 1, files: 1, fields: 20, parts: 30, fieldSize: 1024 * 1024 },
  });

  const auth = new ApiKeyAuth(tollgate.db, { cacheMs: options.authCacheMs ?? 30_000, maxEntries: 10_000 });
  app.decorateRequest('tenant', null);
  app.addHook('onRequest', async (request) => {
    const url = request.routeOptions.url;
    if (url !== undefined && isTenantRoute(url)) request.tenant = await auth.authenticate(request);
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpSeconds.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  healthRoutes(app, ctx);
  uploadRoutes(app, ctx);
  partyRoutes(app, ctx);
  reviewRoutes(app, ctx);
  policyRoutes(app, ctx);
  tenantRoutes(app, ctx);
  bankRoutes(app, ctx);
  enrolmentRoutes(app, ctx);
  await app.ready();
  return app;
}

function createMetrics(tollgate: Tollgate): ServerMetrics {
  return createServerMetrics(async () =>
    Promise.all(Object.values(QUEUES).map(async (queue) => ({ labels: { queue }, value: await tollgate.queue.depth(queue) }))),
  );
}

/** Verdicts are written by workers (maybe in other processes); the API learns of them through NOTIFY. */
function observeVerdict(metrics: ServerMetrics, notice: VerdictNotice): void {
  if (!isUuid(notice.uploadId) || !notice.decision) return;
  metrics.verdicts.inc({ decision: notice.decision });
  metrics.processingSeconds.observe({}, notice.seconds);
}

/** Fastify validates only the JSON form of `POST /v1/uploads`; the multipart form is added to the docs here. */
function documentMultipart<D extends { paths?: unknown }>(doc: D): D {
  const paths = doc.paths as Record<string, Record<string, { requestBody?: { content?: Record<string, unknown> } }>> | undefined;
  const post = paths?.['/v1/uploads']?.['post'];
  if (post) {
    post.requestBody ??= {};
    post.requestBody.content = { 'multipart/form-data': { schema: multipartUploadBody }, ...post.requestBody.content };
  }
  return doc;
}
