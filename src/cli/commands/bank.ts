import { parseArgs } from 'node:util';
import { createTollgate } from '../../app.ts';
import { createBank, findBank, listBanks, parseBankKind } from '../../banks/banks.ts';
import { importBank, type ImportProgress, type ImportSummary } from '../../banks/import.ts';
import { openBankSource } from '../../banks/sources/index.ts';
import type { Config } from '../../config/index.ts';
import { ensureTenant } from '../../db/tenants.ts';
import { EXIT, printJson, usage } from '../io.ts';

export const BANK_HELP = `tollgate bank create NAME --kind internet|stock|fraud|allow|logo [--description TEXT] [--json]
tollgate bank import NAME SOURCE [--allow-private-addresses] [--json]
tollgate bank list [--json]
  Reference banks of the local store (tenant "local"): every upload is matched against the enabled
  ones (ref.match). SOURCE is a folder of images and videos, a file of URLs, a WARC(.gz) file or a
  CSV of hashes (pdq_hex,source). Imports show progress, resume after an interruption (Ctrl-C) by
  skipping what was recorded, and skip what is already in the bank. A logo bank (a folder of logo
  images, e.g. PNGs rendered from SVG) is searched for inside uploads (copyright.logo), not by ref.match.`;

export async function bankCommand(argv: string[], config: Config): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kind: { type: 'string' },
      description: { type: 'string' },
      json: { type: 'boolean' },
      'allow-private-addresses': { type: 'boolean' },
    },
  });
  const [action, ...args] = positionals;
  if (action === 'create') {
    if (args.length !== 1 || !values.kind) throw usage('usage: tollgate bank create NAME --kind internet|stock|fraud|allow|logo');
    const kind = parseBankKind(values.kind);
    return withLocal(config, async ({ tollgate, tenantId }) => {
      const bank = await createBank(tollgate.db, tenantId, args[0]!, kind, values.description);
      if (values.json) printJson({ id: bank.id, name: bank.name, kind: bank.kind, enabled: bank.enabled });
      else process.stdout.write(`bank ${bank.name} (${bank.kind}) created: ${bank.id}\n`);
      return EXIT.ok;
    });
  }
  if (action === 'list') {
    return withLocal(config, async ({ tollgate, tenantId }) => {
      const banks = await listBanks(tollgate.db, tenantId);
      if (values.json) for (const b of banks) printJson({ id: b.id, name: b.name, kind: b.kind, enabled: b.enabled, entries: b.entries });
      else if (banks.length === 0) process.stdout.write('no banks yet: tollgate bank create NAME --kind KIND\n');
      else for (const b of banks) process.stdout.write(`${b.name.padEnd(24)} ${b.kind.padEnd(9)} ${String(b.entries).padStart(9)} entries${b.enabled ? '' : '  (disabled)'}\n`);
      return EXIT.ok;
    });
  }
  if (action === 'import') {
    if (args.length !== 2) throw usage('usage: tollgate bank import NAME SOURCE');
    const [name, spec] = args as [string, string];
    return withLocal(config, async ({ tollgate, tenantId }) => {
      const bank = await findBank(tollgate.db, tenantId, name);
      if (!bank) throw usage(`no bank named "${name}": create it with tollgate bank create ${name} --kind KIND`);
      const source = await openBankSource(spec, { allowPrivateAddresses: values['allow-private-addresses'] === true, maxBytes: tollgate.config.limits.maxBytes });
      // Ctrl-C stops reading new items, lets the ones in flight finish, and records the run as interrupted.
      const abort = new AbortController();
      const stop = (): void => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const line = new ProgressLine(Boolean(process.stderr.isTTY));
      try {
        process.stderr.write(`importing ${source.describe()} into ${bank.name} (${bank.kind})\n`);
        const summary = await importBank({ db: tollgate.db, limits: tollgate.config.limits, bank, source, keypoints: tollgate.config.matching?.local.mode !== 'off', signal: abort.signal, onProgress: (p) => line.draw(p) });
        line.finish();
        if (values.json) printJson({ bank: bank.name, ...summary });
        else process.stdout.write(summaryText(summary));
        return summary.status === 'done' ? EXIT.ok : EXIT.failure;
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
  }
  throw usage(BANK_HELP);
}

/** The CLI works on the local store's tenant, like `scan`. */
async function withLocal<T>(config: Config, work: (ctx: { tollgate: Awaited<ReturnType<typeof createTollgate>>; tenantId: string }) => Promise<T>): Promise<T> {
  const tollgate = await createTollgate(config);
  try {
    const tenant = await ensureTenant(tollgate.db, 'local');
    return await work({ tollgate, tenantId: tenant.id });
  } finally {
    await tollgate.close();
  }
}

/** Streaming sources may not know their total, so this shows counts and rate rather than a bar. */
class ProgressLine {
  private last = 0;
  private readonly started = Date.now();
  constructor(private readonly enabled: boolean) {}

  draw(p: ImportProgress): void {
    const now = Date.now();
    if (!this.enabled || now - this.last < 100) return;
    this.last = now;
    const rate = p.seen / Math.max(0.001, (now - this.started) / 1000);
    const of = p.total !== undefined ? `/${p.total}` : '';
    const text = `${p.seen}${of} items  +${p.added} added  ${p.alreadyPresent} present  ${p.skipped} skipped  ${p.failed} failed  ${rate.toFixed(1)}/s`;
    process.stderr.write(`\r${text.slice(0, (process.stderr.columns ?? 100) - 1)}`);
  }

  finish(): void {
    if (this.enabled) process.stderr.write('\n');
  }
}

function summaryText(s: ImportSummary): string {
  const lines = [
    `${s.status}: ${s.seen} items read in ${s.seconds.toFixed(1)} s`,
    `  added            ${s.added}`,
    `  already present  ${s.alreadyPresent}${s.keysBefore > 0 ? ` (bank held ${s.keysBefore} keys before this run; those were not read again)` : ''}`,
    `  skipped          ${s.skipped}`,
    `  failed           ${s.failed}`,
  ];
  for (const p of s.problems) lines.push(`  ${p.key}: ${p.reason}`);
  return `${lines.join('\n')}\n`;
}
