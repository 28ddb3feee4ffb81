import type { FastifyInstance } from 'fastify';
import { audit } from '../../db/audit.ts';
import { TollgateError } from '../../errors.ts';
import { latestPolicy, savePolicy } from '../../db/policies.ts';
import { DEFAULT_POLICY_SPEC, parsePolicySpec } from '../../policy/spec.ts';
import { tenantOf } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { authErrors, security } from '../schemas.ts';

const policyResponse = {
  type: 'object',
  properties: {
    version: { type: 'integer', description: '0 = the built-in default policy' },
    spec: { type: 'object', additionalProperties: true, description: "the tenant's overrides (rules run before the defaults)" },
    defaults: { type: 'object', additionalProperties: true, description: 'the built-in policy the overrides apply to' },
    created_at: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export function policyRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx.tollgate;

  app.get(
    '/v1/policy',
    { schema: { summary: "The tenant's current policy", tags: ['policy'], security, response: { 200: policyResponse, ...authErrors } } },
    async (request) => {
      const tenant = tenantOf(request);
      const stored = await latestPolicy(db, tenant.id);
      return stored
        ? { version: stored.version, spec: stored.spec, defaults: DEFAULT_POLICY_SPEC, created_at: stored.created_at }
        : { version: 0, spec: {}, defaults: DEFAULT_POLICY_SPEC, created_at: null };
    },
  );

  app.put<{ Body: unknown }>(
    '/v1/policy',
    {
      schema: {
        summary: 'Save a new policy version',
        description: 'Policies are never edited: each save is a new version, and verdicts record the version they used. Workers pick it up within seconds.',
        tags: ['policy'],
        security,
        // The zod schema in policy/spec.ts is the one source of truth; this only documents the shape.
        body: {
          type: 'object',
          properties: {
            rules: { type: 'array', items: { type: 'object', additionalProperties: true } },
            severity_actions: { type: 'object', additionalProperties: true },
            score_thresholds: { type: 'object', additionalProperties: true },
            media_errors: { type: 'object', additionalProperties: true },
            checks: { type: 'object', properties: { nsfw: { type: 'boolean', description: 'run content.nsfw for this tenant' } }, additionalProperties: false },
          },
        },
        response: { 200: policyResponse, ...authErrors },
      },
    },
    async (request) => {
      const tenant = tenantOf(request);
      const spec = parsePolicySpec(request.body);
      if (spec.checks.nsfw && ctx.tollgate.config.checks?.nsfw === 'off') {
        throw new TollgateError('input.invalid', 'invalid policy: checks.nsfw: this deployment does not load the nsfw model (TOLLGATE_NSFW=false)');
      }
      const version = await db.transaction(async (tx) => {
        const saved = await savePolicy(tx, tenant.id, spec);
        await audit(tx, { tenantId: tenant.id, actor: 'api', action: 'policy.save', subjectType: 'policy', subjectId: String(saved) });
        return saved;
      });
      const stored = await latestPolicy(db, tenant.id);
      return { version, spec, defaults: DEFAULT_POLICY_SPEC, created_at: stored?.created_at ?? null };
    },
  );
}
