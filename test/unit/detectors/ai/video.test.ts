import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { aiDetectors } from '../../../../src/detectors/ai/index.ts';
import { createAiVideoDetector } from '../../../../src/detectors/ai/video.ts';
import { containerTagFindings, profileFactors, profileScore, readWebpAnimation } from '../../../../src/detectors/ai/video-evidence.ts';
import type { PixelScorer } from '../../../../src/detectors/ai/pixel-scorer.ts';
import type { Signal } from '../../../../src/detectors/types.ts';
import { openMedia } from '../../../../src/media/open.ts';
import type { MediaView } from '../../../../src/media/types.ts';
import { DEFAULT_POLICY } from '../../../../src/policy/spec.ts';
import { evaluate } from '../../../../src/policy/evaluate.ts';
import { comfyCommentTag, GENERATOR_SHAPE, PHONE_SHAPE, slideshow, stripAnimatedWebp } from '../../../support/ai-videos.ts';
import { context, HAS_DATA, read } from './helpers.ts';

const WEBPS = ['wan/text_to_video_wan.webp', 'mochi/mochi_simple_checkpoint.webp', 'ltxv/ltxv_text_to_video.webp'].map((f) => `ai-generator-metadata/comfyui-examples/${f}`);
const COMFY = ['flux/flux_dev_example.png', 'sd3/sd3.5_simple_example.png', 'aura_flow/aura_flow_0.2_example.png'].map((f) => `ai-generator-metadata/comfyui-examples/${f}`);
const PHOTOS = ['object-photos/dog.jpg', 'object-photos/horses.jpg', 'object-photos/eagle.jpg'];

/** Every AI detector, as the catalogue registers them (runner-independent: errors fail the test). */
async function aiSignals(view: MediaView): Promise<Signal[]> {
  const out: Signal[] = [];
  for (const d of aiDetectors) if (d.kinds.includes(view.info.kind)) out.push(...(await d.detect(view, context())));
  return out;
}

const codes = (signals: Signal[]): string[] => signals.map((s) => s.code).sort();

describe('video container evidence', () => {
  it('reads generator names and ComfyUI graphs from ffprobe tags, and nothing from camera tags', () => {
    const comfy = JSON.stringify({ prompt: JSON.stringify({ '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'wan2.1_t2v_1.3B.safetensors' } } }) });
    const findings = containerTagFindings({ container: { tags: { comment: comfy, encoder: 'Lavf58.76.100' }, streams: [{ index: 0, tags: { handler_name: 'Kling AI' } }] } });
    expect(findings.map((f) => [f.generator, f.source, f.model])).toEqual([
      ['ComfyUI', 'container:comment(prompt)', 'wan2.1_t2v_1.3B.safetensors'],
      ['Kling', 'stream0:handler_name', undefined],
    ]);
    const camera = { container: { tags: { 'com.apple.quicktime.make': 'Apple', 'com.apple.quicktime.software': '17.1', encoder: 'Lavf60.3.100' }, streams: [{ index: 0, tags: { handler_name: 'Core Media Video' } }] } };
    expect(containerTagFindings(camera)).toEqual([]);
  });

  it('needs a generator size or frame rate before the weaker factors count, and caps the score', () => {
    expect(profileFactors(1920, 1080, { frameCount: 33, fps: 30, durationS: 1.1, hasAudio: false })).toEqual([]);
    const wan = profileFactors(832, 480, { frameCount: 33, fps: 16, durationS: 2.06, hasAudio: false });
    expect(wan.map((f) => f.name)).toEqual(['generator_resolution', 'low_frame_rate', 'latent_frame_count', 'no_audio']);
    expect(profileScore(wan)).toBe(0.6);
    expect(profileFactors(480, 832, { frameCount: 90, fps: 30, durationS: 3, hasAudio: true }).map((f) => f.name)).toEqual(['generator_resolution']);
  });
});

describe.skipIf(!HAS_DATA)('AI videos and animated WebPs in the shared data', () => {
  it('reads the frame count and duration of the animated WebPs', () => {
    expect(readWebpAnimation(read(WEBPS[0]!))).toMatchObject({ frames: 33 });
    expect(readWebpAnimation(read('immich-test-assets/formats/webp/denali.webp'))).toBeNull();
  });

  it('catches every animated AI WebP, with and without its metadata', async () => {
    for (const file of WEBPS) {
      const view = await openMedia(read(file));
      const signals = await aiSignals(view);
      expect(codes(signals), file).toContain('ai.generator_metadata');
      expect(codes(signals), file).toContain('ai.video_generator_profile');
      expect(evaluate(DEFAULT_POLICY, signals).verdict.decision, file).toBe('reject');

      // Stripped of EXIF, the container profile alone is left: the upload goes to a person, not through.
      const stripped = await openMedia(await stripAnimatedWebp(read(file)));
      expect(stripped.info.frameCount, file).toBe(view.info.frameCount);
      const bare = await aiSignals(stripped);
      expect(codes(bare), file).not.toContain('ai.generator_metadata');
      const profile = bare.find((s) => s.code === 'ai.video_generator_profile');
      expect(profile?.evidence?.['factors'], file).toContain('generator_resolution');
      const { verdict, scores } = evaluate(DEFAULT_POLICY, bare);
      expect(verdict.decision, file).toBe('review');
      expect(scores.ai_generated, file).toBeLessThan(0.95);
    }
  }, 180_000);

  it('tells a ComfyUI slideshow from a real-photo clip by the evidence it claims', async () => {
    const ai = COMFY.map(read);
    const tagged = await openMedia(await slideshow(ai, { ...GENERATOR_SHAPE, tags: comfyCommentTag(ai[0]!) }));
    const untagged = await openMedia(await slideshow(ai, GENERATOR_SHAPE));
    const real = await openMedia(await slideshow(PHOTOS.map(read), PHONE_SHAPE));
    expect(real.info.hasAudio).toBe(true);

    const t = await aiSignals(tagged);
    const tag = t.find((s) => s.code === 'ai.video_generator_tag');
    expect(tag?.evidence).toMatchObject({ generator: 'ComfyUI', model: 'flux1-dev.safetensors' });
    expect(evaluate(DEFAULT_POLICY, t).verdict.decision).toBe('reject');

    const u = await aiSignals(untagged);
    expect(codes(u)).not.toContain('ai.video_generator_tag');
    expect(u.find((s) => s.code === 'ai.video_generator_profile')?.evidence?.['factors']).toEqual(['generator_resolution', 'low_frame_rate', 'latent_frame_count', 'no_audio']);
    expect(evaluate(DEFAULT_POLICY, u).verdict.decision).toBe('review');

    const r = await aiSignals(real);
    expect(r.filter((s) => s.code.startsWith('ai.video_'))).toEqual([]);
    expect(evaluate(DEFAULT_POLICY, r).scores.ai_generated).toBeLessThan(0.5);
  }, 60_000);

  it('aggregates the pixel model over sampled frames by the median', async () => {
    const solid = (r: number, b: number): Promise<Buffer> => sharp({ create: { width: 64, height: 64, channels: 3, background: { r, g: 0, b } } }).png().toBuffer();
    const [red, blue] = await Promise.all([solid(220, 20), solid(20, 220)]);
    // A scorer that calls a frame AI when it is more red than blue, so each frame's answer is known.
    const seen: number[] = [];
    const scorer: PixelScorer = {
      label: 'red-vs-blue',
      threshold: 0.5,
      maxScore: 0.5,
      async score(raster) {
        const r = await raster({ maxSide: 16 });
        let balance = 0;
        for (let i = 0; i < r.width * r.height; i++) balance += (r.data[i * r.channels] ?? 0) - (r.data[i * r.channels + 2] ?? 0);
        const p = balance > 0 ? 0.8 : 0.2;
        seen.push(p);
        return { probability: p, evidence: {} };
      },
    };
    const shape = { ...PHONE_SHAPE, frames: 240, fps: 30 };
    const mostlyRed = await createAiVideoDetector(scorer).detect(await openMedia(await slideshow([red, red, red, blue], shape)), context());
    expect(seen).toHaveLength(8);
    expect(mostlyRed.find((s) => s.code === 'ai.video_frames')?.evidence).toMatchObject({ framesScored: 8, framesFlagged: 6, medianProbability: 0.8 });
    seen.length = 0;
    const mostlyBlue = await createAiVideoDetector(scorer).detect(await openMedia(await slideshow([blue, blue, red, blue], shape)), context());
    expect(seen.filter((p) => p === 0.8)).toHaveLength(2);
    expect(mostlyBlue.filter((s) => s.code === 'ai.video_frames')).toEqual([]);
  }, 60_000);
});
