import { describe, expect, it } from 'vitest';
import { aiDetectors } from '../../../../src/detectors/ai/index.ts';

describe('aiDetectors', () => {
  it('exports every detector of the family with unique names and documented codes', () => {
    expect(aiDetectors.map((d) => d.name)).toEqual(['ai.generator_metadata', 'ai.c2pa', 'ai.invisible_watermark', 'ai.classifier']);
    const codes = aiDetectors.flatMap((d) => d.codes);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.sort()).toEqual(
      ['ai.c2pa_generative', 'ai.classifier', 'ai.generator_metadata', 'ai.invisible_watermark', 'ai.metadata_malformed', 'meta.c2pa_invalid', 'provenance.c2pa_capture'].sort(),
    );
  });
});
