import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createTollgate } from '../../app.ts';
import type { Config } from '../../config/index.ts';
import { ensureTenant } from '../../db/tenants.ts';
import { isTollgateError } from '../../errors.ts';
import { matchBytes, matchPdq, type MatchReport } from '../../matching/match.ts';
import { EXIT, printJson, usage } from '../io.ts';

export const MATCH_HELP = `tollgate match FILE|--pdq HEX [--json]
  Matches a file (or a PDQ hash) against the local store's banks and uploads without ingesting it:
  bank entries with their source and PDQ distance or, for crops and screenshots only local features
  find, verified inliers; and near-duplicate uploads. Exit 0 either way, 3 when unreadable.`;

export async function matchCommand(argv: string[], config: Config): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, pdq: { type: 'string' } } });
  const file = positionals[0];
  if ((!file && !values.pdq) || positionals.length > 1 || (file && values.pdq)) throw usage('match takes exactly one FILE or --pdq HEX');
  const tollgate = await createTollgate(config);
  try {
    const tenant = await ensureTenant(tollgate.db, 'local');
    const scope = { db: tollgate.db, indexes: tollgate.indexes, tenantId: tenant.id, local: tollgate.process.local };
    let report: MatchReport;
    try {
      report = values.pdq ? await matchPdq(scope, values.pdq) : await matchBytes(scope, await readFile(file!), config.limits);
    } catch (error) {
      if (!file) throw error;
      const code = isTollgateError(error) ? error.code : (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'input.not_found' : 'input.invalid';
      const message = error instanceof Error ? error.message : String(error);
      if (values.json) printJson({ file, error: { code, message } });
      else process.stderr.write(`${file}: ${code}: ${message}\n`);
      return EXIT.unreadable;
    }
    if (values.json) printJson({ ...(file ? { file } : {}), ...report });
    else process.stdout.write(text(report));
    return EXIT.ok;
  } finally {
    await tollgate.close();
  }
}

function text(r: MatchReport): string {
  const lines: string[] = [];
  if (r.note) lines.push(r.note);
  for (const bank of r.banks) {
    for (const m of bank.matches) lines.push(`bank ${bank.bank} (${bank.kind})  ${m.matcher === 'pdq' ? `distance ${String(m.distance).padStart(2)}` : `${m.inliers} inliers`}  ${m.source_url ?? m.source ?? m.key}`);
  }
  for (const u of r.uploads) {
    const how =
      u.matcher === 'pdq'
        ? `distance ${String(u.distance).padStart(2)}${u.exact ? ' (same bytes)' : ''}`
        : u.matcher === 'local'
          ? `${u.inliers} inliers`
          : `${u.query_match_percent} % / ${u.target_match_percent} % of frames`;
    lines.push(`upload ${u.upload_id}  ${how}  ${u.decision ?? 'pending'}`);
  }
  if (lines.length === 0) lines.push('no matches');
  return `${lines.join('\n')}\n`;
}
