import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aiDetectors } from '../../../../src/detectors/ai/index.ts';

describe('aiDetectors', () => {
  it('exports every detector of the family with unique names and documented codes', () => {
    expect(aiDetectors.map((d) => d.name)).toEqual(['ai.generator_metadata', 'ai.c2pa', 'ai.invisible_watermark', 'ai.video', 'ai.classifier']);
    const codes = aiDetectors.flatMap((d) => d.codes);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.sort()).toEqual(
      [
        'ai.c2pa_generative',
        'ai.classifier',
        'ai.generator_metadata',
        'ai.invisible_watermark',
        'ai.metadata_malformed',
        'ai.video_frames',
        'ai.video_generator_profile',
        'ai.video_generator_tag',
        'meta.c2pa_invalid',
        'provenance.c2pa_capture',
      ].sort(),
    );
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    for (const code of codes) expect(readme, code).toContain(`\`${code}\``);
  });
});
