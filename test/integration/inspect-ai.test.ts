import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = join(process.cwd(), 'bin/tollgate.js');
const DATA = join(process.cwd(), '../shared/data');

interface Report {
  signals: Array<{ code: string; evidence?: Record<string, unknown> }>;
  scores: { ai_generated: number };
  verdict: { decision: string; reasons: string[] };
}

async function inspect(file: string): Promise<Report> {
  return JSON.parse((await run(process.execPath, [BIN, 'inspect', join(DATA, file), '--json'], { maxBuffer: 32 * 1024 * 1024 })).stdout) as Report;
}

// The whole shared corpus is checked by eval/ai.ts ("What tollgate inspect says"); this runs the real command.
describe('tollgate inspect on AI files and camera originals', () => {
  it('names the generator of an animated AI WebP and rejects it', async () => {
    const report = await inspect('ai-generator-metadata/comfyui-examples/wan/text_to_video_wan.webp');
    expect(report.signals.find((s) => s.code === 'ai.generator_metadata')?.evidence).toMatchObject({ generator: 'ComfyUI', model: 'wan2.1_t2v_1.3B_fp16.safetensors' });
    expect(report.signals.find((s) => s.code === 'ai.video_generator_profile')?.evidence?.['factors']).toContain('generator_resolution');
    expect(report.verdict.decision).toBe('reject');
    expect(report.verdict.reasons).toContain('score.ai_generated');
  }, 120_000);

  it('finds no AI evidence in a camera original', async () => {
    const report = await inspect('exif-camera-samples/images/jpg/Canon_40D.jpg');
    expect(report.scores.ai_generated).toBeLessThan(0.5);
    expect(report.verdict.reasons.filter((r) => r.startsWith('ai.') || r === 'score.ai_generated')).toEqual([]);
  }, 120_000);
});
