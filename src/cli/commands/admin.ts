import { parseArgs } from 'node:util';
import { openDatabase } from '../../app.ts';
import type { Config } from '../../config/index.ts';
import { audit } from '../../db/audit.ts';
import { migrate } from '../../db/migrate.ts';
import { createApiKey, createTenant } from '../../db/tenants.ts';
import { EXIT, printJson, usage } from '../io.ts';

export const MIGRATE_HELP = `tollgate migrate
  Applies pending database migrations (they also run at every start).`;

export async function migrateCommand(_argv: string[], config: Config): Promise<number> {
  const db = await openDatabase(config);
  try {
    const applied = await migrate(db);
    process.stdout.write(applied.length ? applied.map((m) => `applied ${m.version} ${m.name}\n`).join('') : 'database is up to date\n');
    return EXIT.ok;
  } finally {
    await db.close();
  }
}

export const TENANTS_HELP = `tollgate tenants create NAME [--json]
  Creates a tenant and prints its API key once (only its hash is stored).`;

export async function tenantsCommand(argv: string[], config: Config): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const [action, name] = positionals;
  if (action !== 'create' || !name) throw usage('usage: tollgate tenants create NAME');
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const { tenant, key } = await db.transaction(async (tx) => {
      const tenant = await createTenant(tx, name);
      const { key, id } = await createApiKey(tx, tenant.id, 'created by tollgate tenants create');
      await audit(tx, { tenantId: tenant.id, actor: 'cli', action: 'tenant.create', subjectType: 'api_key', subjectId: id });
      return { tenant, key };
    });
    if (values.json) printJson({ tenant: { id: tenant.id, name: tenant.name }, api_key: key });
    else process.stdout.write(`tenant ${tenant.name} (${tenant.id})\napi key: ${key}\nKeep it now: it is stored hashed and cannot be shown again.\n`);
    return EXIT.ok;
  } finally {
    await db.close();
  }
}
