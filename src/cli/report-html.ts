import sharp from 'sharp';
import { openMedia } from '../media/open.ts';
import type { UploadReport } from '../uploads/report.ts';

export interface ReportRow {
  report: UploadReport;
  bytes: Buffer;
}

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A thumbnail as a data URI; null when the bytes cannot be decoded (the row says why). */
async function thumbnail(bytes: Buffer): Promise<string | null> {
  try {
    const view = await openMedia(bytes);
    const raster = await view.raster({ maxSide: 160 });
    const jpeg = await sharp(Buffer.from(raster.data), { raw: { width: raster.width, height: raster.height, channels: raster.channels } })
      .jpeg({ quality: 70 })
      .toBuffer();
    return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
  } catch {
    return null;
  }
}

/** A self-contained HTML page (no external assets) with a thumbnail, decision and reasons per file. */
export async function renderHtmlReport(rows: readonly ReportRow[], title: string): Promise<string> {
  const counts = { accept: 0, review: 0, reject: 0 } as Record<string, number>;
  const body: string[] = [];
  for (const { report, bytes } of rows) {
    const decision = report.verdict?.decision ?? 'pending';
    counts[decision] = (counts[decision] ?? 0) + 1;
    const thumb = await thumbnail(bytes);
    const signals = report.signals
      .filter((s) => s.severity !== 'info')
      .map((s) => `<li><b>${escape(s.code)}</b> <span class="sev ${s.severity}">${s.severity}</span> ${s.score.toFixed(2)} — ${escape(s.message)}</li>`)
      .join('');
    const media = report.media ? `${escape(report.media.mime)} ${report.media.width}×${report.media.height}` : '';
    body.push(`<tr class="${decision}">
  <td>${thumb ? `<img src="${thumb}" alt="">` : '<div class="nothumb">no preview</div>'}</td>
  <td><div class="file">${escape(report.file ?? report.id)}</div><div class="meta">${media} · ${report.sha256.slice(0, 12)}…</div>
      ${report.error ? `<div class="err">${escape(report.error.code)}: ${escape(report.error.message)}</div>` : ''}</td>
  <td><span class="decision ${decision}">${decision}</span><div class="reasons">${escape(report.verdict?.reasons.join(', ') ?? '')}</div></td>
  <td><ul>${signals}</ul></td>
</tr>`);
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;width:100%}td{border-top:1px solid #ddd;padding:8px;vertical-align:top}
img{max-width:160px;max-height:160px;border-radius:4px}.nothumb{width:160px;height:90px;background:#eee;display:flex;align-items:center;justify-content:center;color:#888}
.file{font-weight:600;word-break:break-all}.meta{color:#666;font-size:12px}.err{color:#a00}
.decision{font-weight:700;text-transform:uppercase;padding:2px 6px;border-radius:4px}
.decision.accept{background:#dfd;color:#060}.decision.review{background:#ffd;color:#750}.decision.reject{background:#fdd;color:#900}
.reasons{font-size:12px;color:#555;margin-top:4px}ul{margin:0;padding-left:16px}.sev{font-size:11px;color:#666}
.sev.high,.sev.critical{color:#a00}.sev.medium{color:#a60}
</style></head><body>
<h1>${escape(title)}</h1>
<p>${rows.length} files: ${counts['accept'] ?? 0} accepted, ${counts['review'] ?? 0} to review, ${counts['reject'] ?? 0} rejected.</p>
<table>${body.join('\n')}</table>
</body></html>
`;
}
