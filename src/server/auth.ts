import type { FastifyRequest } from 'fastify';
import type { Queryable } from '../db/database.ts';
import { hashApiKey, tenantForApiKey } from '../db/tenants.ts';
import { TollgateError } from '../errors.ts';

/** The tenant a request acts for; only `id` and `name` are needed past authentication. */
export interface AuthTenant {
  id: string;
  name: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    tenant: AuthTenant | null;
  }
}

export interface AuthOptions {
  /** How long a verified key is trusted without asking the database again. */
  cacheMs: number;
  maxEntries: number;
}

/**
 * Bearer API key authentication. Keys are looked up by their SHA-256 (the database never holds a key),
 * and a hit is cached briefly: a busy client sends one key many times per second, and a revoked key
 * stops working within `cacheMs`. Misses are not cached, so a newly created key works at once.
 */
export class ApiKeyAuth {
  readonly #cache = new Map<string, { tenant: AuthTenant; until: number }>();

  constructor(
    private readonly db: Queryable,
    private readonly options: AuthOptions = { cacheMs: 30_000, maxEntries: 10_000 },
  ) {}

  async authenticate(request: FastifyRequest): Promise<AuthTenant> {
    const header = request.headers.authorization;
    if (!header) throw new TollgateError('auth.missing', 'send "Authorization: Bearer <API key>"');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new TollgateError('auth.invalid', 'the Authorization header must be "Bearer <API key>"');
    const key = match[1]!;
    const hash = hashApiKey(key);
    const cached = this.#cache.get(hash);
    const now = Date.now();
    if (cached && cached.until > now) return cached.tenant;
    const found = await tenantForApiKey(this.db, key);
    if (!found) {
      this.#cache.delete(hash);
      throw new TollgateError('auth.invalid', 'the API key is not valid');
    }
    const tenant = { id: found.id, name: found.name };
    // Map iteration is insertion order, so dropping the first entry evicts the oldest.
    if (this.#cache.size >= this.options.maxEntries) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(hash, { tenant, until: now + this.options.cacheMs });
    return tenant;
  }
}

/** The authenticated tenant of a `/v1` request; the auth hook guarantees it is set there. */
export function tenantOf(request: FastifyRequest): AuthTenant {
  if (!request.tenant) throw new TollgateError('auth.missing', 'this route needs an API key');
  return request.tenant;
}
