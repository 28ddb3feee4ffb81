import type { AnalysisFailure, AnalysisReport } from '../pipeline/analyse.ts';

const COLOURS = { accept: '\x1b[32m', review: '\x1b[33m', reject: '\x1b[31m', reset: '\x1b[0m' } as const;

function paint(decision: string, text: string, colour: boolean): string {
  const code = COLOURS[decision as keyof typeof COLOURS];
  return colour && code ? `${code}${text}${COLOURS.reset}` : text;
}

/** The human form of one analysis, for terminals. */
export function renderAnalysis(report: AnalysisReport | AnalysisFailure, colour = Boolean(process.stdout.isTTY)): string {
  const lines: string[] = [];
  const decision = report.verdict.decision;
  if ('error' in report) {
    lines.push(`${report.file ?? '(bytes)'}  unreadable: ${report.error.code} — ${report.error.message}`);
    lines.push(`verdict: ${paint(decision, decision.toUpperCase(), colour)} (${report.verdict.reasons.join(', ')})`);
    return lines.join('\n');
  }
  const m = report.media;
  const duration = m.duration_s !== undefined ? ` ${m.duration_s.toFixed(1)} s` : '';
  lines.push(`${report.file ?? '(bytes)'}  ${m.mime} ${m.width}×${m.height}${duration}  ${(m.bytes / 1024).toFixed(0)} KiB  sha256 ${report.sha256.slice(0, 16)}…`);
  lines.push(`verdict: ${paint(decision, decision.toUpperCase(), colour)}${report.verdict.reasons.length ? ` — ${report.verdict.reasons.join(', ')}` : ''}`);
  const ranked = [...report.signals].sort((a, b) => b.score - a.score);
  for (const s of ranked) lines.push(`  ${s.severity.padEnd(8)} ${s.code.padEnd(26)} ${s.score.toFixed(2)}  ${s.message}`);
  lines.push(
    `scores: ${Object.entries(report.scores)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join('  ')}`,
  );
  return lines.join('\n');
}
