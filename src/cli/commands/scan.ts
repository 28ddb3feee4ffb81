import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createTollgate } from '../../app.ts';
import type { Config } from '../../config/index.ts';
import { ensureTenant } from '../../db/tenants.ts';
import { ingestBytes } from '../../uploads/ingest.ts';
import { uploadReport, type UploadReport } from '../../uploads/report.ts';
import { collectFiles } from '../files.ts';
import { EXIT, describeError, printJson, usage } from '../io.ts';
import { ProgressBar } from '../progress.ts';
import { renderHtmlReport } from '../report-html.ts';
import { readTaskFile } from '../task-file.ts';
import { parseTaskSpec } from '../../tasks/spec.ts';

export const SCAN_HELP = `tollgate scan PATH... [--json] [--report out.html] [--task task.json] [--contributor ID]
  Ingests files and folders into the store (tenant "local"), so each file is matched against the
  others and against everything scanned before. Prints one JSON line per file with --json, a summary
  table otherwise; --report writes an HTML report with thumbnails, decisions and reasons.`;

export async function scanCommand(argv: string[], config: Config): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, report: { type: 'string' }, task: { type: 'string' }, contributor: { type: 'string' } },
  });
  if (positionals.length === 0) throw usage('scan needs at least one PATH');
  const files = await collectFiles(positionals);
  const task = values.task ? await readTaskFile(values.task) : undefined;
  // A broken task file is the caller's mistake: say so before anything is ingested.
  if (task) parseTaskSpec(task.spec);
  const tollgate = await createTollgate(config, { startAnalysisEarly: true });
  const started = Date.now();
  try {
    const tenant = await ensureTenant(tollgate.db, 'local');
    const pending = new Map<string, () => void>();
    await tollgate.startWorkers({ onProcessed: (id) => pending.get(id)?.() });
    const progress = new ProgressBar(files.length, 'scan');
    const results: Array<Promise<UploadReport | { file: string; error: { code: string; message: string } }>> = [];
    for (const file of files) {
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (error) {
        results.push(Promise.resolve({ file, error: { code: 'input.invalid', message: describeError(error) } }));
        progress.tick();
        continue;
      }
      const { uploadId } = await ingestBytes(tollgate, tenant.id, bytes, {
        file_name: file,
        ...(values.contributor ? { contributor_id: values.contributor } : {}),
        ...(task ? { task_id: task.id ?? 'cli', task: { spec: task.spec ?? {} } } : {}),
      });
      results.push(
        new Promise<void>((resolve) => pending.set(uploadId, resolve)).then(async () => {
          progress.tick(file.slice(-40));
          return (await uploadReport(tollgate.db, tenant.id, uploadId))!;
        }),
      );
    }
    const reports: Array<UploadReport | { file: string; error: { code: string; message: string } }> = [];
    for (const result of results) {
      const report = await result;
      reports.push(report);
      if (values.json) printJson(report);
    }
    progress.finish();
    const seconds = (Date.now() - started) / 1000;
    if (!values.json) process.stdout.write(summaryTable(reports, seconds));
    if (values.report) {
      const rows = [];
      for (const report of reports) if ('id' in report) rows.push({ report, bytes: await readFile(report.file ?? '').catch(() => Buffer.alloc(0)) });
      await writeFile(values.report, await renderHtmlReport(rows, `Tollgate scan — ${new Date().toISOString()}`));
      process.stderr.write(`report written to ${values.report}\n`);
    }
    return EXIT.ok;
  } finally {
    await tollgate.close();
  }
}

function summaryTable(reports: ReadonlyArray<UploadReport | { file: string; error: { code: string; message: string } }>, seconds: number): string {
  const lines: string[] = [];
  const byDecision = new Map<string, number>();
  const byReason = new Map<string, number>();
  for (const report of reports) {
    const decision = 'verdict' in report && report.verdict ? report.verdict.decision : 'unread';
    byDecision.set(decision, (byDecision.get(decision) ?? 0) + 1);
    if ('verdict' in report) for (const reason of report.verdict?.reasons ?? []) byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
    const name = report.file ?? ('id' in report ? report.id : '');
    const reasons = 'verdict' in report ? (report.verdict?.reasons.join(', ') ?? '') : report.error.code;
    lines.push(`${decision.padEnd(7)} ${name}${reasons ? `  (${reasons})` : ''}`);
  }
  lines.push('');
  lines.push(`decision  files`);
  for (const [decision, count] of byDecision) lines.push(`${decision.padEnd(9)} ${count}`);
  if (byReason.size > 0) {
    lines.push('', 'reason                        files');
    for (const [reason, count] of [...byReason].sort((a, b) => b[1] - a[1])) lines.push(`${reason.padEnd(29)} ${count}`);
  }
  lines.push('', `${reports.length} files in ${seconds.toFixed(1)} s (${(reports.length / Math.max(seconds, 0.001)).toFixed(1)} files/s)`, '');
  return lines.join('\n');
}
