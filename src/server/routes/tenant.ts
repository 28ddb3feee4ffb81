import type { FastifyInstance } from 'fastify';
import { audit } from '../../db/audit.ts';
import { getTenant, setWebhook } from '../../db/tenants.ts';
import { TollgateError } from '../../errors.ts';
import { tenantOf } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { authErrors, security } from '../schemas.ts';

/** The secret is write-only: responses say whether one is set, never what it is. */
const webhookResponse = {
  type: 'object',
  properties: { url: { type: ['string', 'null'] }, has_secret: { type: 'boolean' } },
} as const;

export function tenantRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx.tollgate;

  app.get(
    '/v1/webhook',
    { schema: { summary: "The tenant's webhook settings", tags: ['tenant'], security, response: { 200: webhookResponse, ...authErrors } } },
    async (request) => {
      const tenant = await getTenant(db, tenantOf(request).id);
      return { url: tenant?.webhook_url ?? null, has_secret: Boolean(tenant?.webhook_secret) };
    },
  );

  app.put<{ Body: { url: string | null; secret?: string | null } }>(
    '/v1/webhook',
    {
      schema: {
        summary: 'Set (or clear, with url null) where verdict and review webhooks go and the HMAC secret that signs them',
        tags: ['tenant'],
        security,
        body: {
          type: 'object',
          required: ['url'],
          additionalProperties: false,
          properties: {
            url: { type: ['string', 'null'], maxLength: 2000 },
            secret: { type: ['string', 'null'], minLength: 16, maxLength: 1024 },
          },
        },
        response: { 200: webhookResponse, ...authErrors },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      const { url, secret } = request.body;
      if (url !== null) {
        let parsed: URL;
        try {
          parsed = new URL(url);
        } catch {
          throw new TollgateError('input.invalid', 'url: not a valid URL');
        }
        if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new TollgateError('input.invalid', 'url: must be http(s)');
        // Unsigned webhooks would let anyone who learns the URL forge verdicts.
        if (!secret) throw new TollgateError('input.invalid', 'secret: required (16+ characters) when a url is set');
      }
      await db.transaction(async (tx) => {
        await setWebhook(tx, tenant.id, url, url === null ? null : (secret ?? null));
        await audit(tx, { tenantId: tenant.id, actor: 'api', action: 'webhook.set', data: { url } });
      });
      return { url, has_secret: url !== null };
    },
  );
}
