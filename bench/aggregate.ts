import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Part {
  /** Script under the repo root, run with tsx in its own process (isolated memory, clean timings). */
  script: string;
  args?: string[];
  /** Extra flags for node itself, e.g. `--expose-gc` for memory measurements. */
  nodeArgs?: string[];
  /** The markdown file the script writes under docs/. */
  output: string;
  title: string;
}

/**
 * Runs each part in turn and stitches their markdown into one document, so `npm run bench` and
 * `npm run eval` each leave one file a reader can open, with how every table was made.
 */
export function runParts(parts: readonly Part[], target: string, heading: string, command: string, only: readonly string[]): void {
  const root = process.cwd();
  const sections: string[] = [`# ${heading}`, '', `Reproduce: \`${command}\` (one part: \`${command} -- NAME\`). Generated ${new Date().toISOString()}.`, ''];
  const failures: string[] = [];
  // `--stitch`: rebuild the combined document from each part's last output without running anything,
  // after re-running a single part.
  const stitch = only.includes('--stitch');
  for (const part of parts) {
    const name = part.script.replace(/^.*\//, '').replace(/\.ts$/, '');
    const command = `node ${[...(part.nodeArgs ?? []), '--import', 'tsx', part.script, ...(part.args ?? [])].join(' ')}`;
    if (stitch) {
      const file = join(root, 'docs', part.output);
      sections.push(`## ${part.title}`, '', `\`${command}\` (last run of this part).`, '');
      if (existsSync(file)) sections.push(readFileSync(file, 'utf8').replace(/^# .*\n/, '').replace(/^#/gm, '##').trim(), '');
      continue;
    }
    if (only.length > 0 && !only.includes(name)) continue;
    process.stderr.write(`\n=== ${part.title} (${part.script}) ===\n`);
    const started = Date.now();
    const result = spawnSync(process.execPath, [...(part.nodeArgs ?? []), '--import', 'tsx', part.script, ...(part.args ?? [])], {
      stdio: ['ignore', 'inherit', 'inherit'],
      cwd: root,
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    if (result.status !== 0) failures.push(`${part.script} exited ${result.status}`);
    const file = join(root, 'docs', part.output);
    sections.push(`## ${part.title}`, '', `\`node ${[...(part.nodeArgs ?? []), '--import', 'tsx', part.script, ...(part.args ?? [])].join(' ')}\` — ${seconds} s, exit ${result.status}.`, '');
    if (existsSync(file)) sections.push(readFileSync(file, 'utf8').replace(/^# .*\n/, '').replace(/^#/gm, '##').trim(), '');
  }
  if (only.length === 0 || stitch) writeFileSync(join(root, 'docs', target), `${sections.join('\n')}\n`);
  if (failures.length > 0) {
    process.stderr.write(`\nfailed: ${failures.join('; ')}\n`);
    process.exitCode = 1;
  }
}
