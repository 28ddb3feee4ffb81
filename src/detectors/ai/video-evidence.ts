import type { MediaInfo, MediaMetadata } from '../../media/types.ts';
import { parseComfyPrompt, parseComfyWorkflow, type GeneratorFinding } from './generators.ts';
import { fieldText, findingsFromExifFields } from './metadata-sources.ts';

/**
 * Container evidence that a video (or an animated WebP/GIF) came out of a video generator: tool strings
 * in the container tags, and the "profile" generators leave — their default resolutions, low frame
 * rates, latent-aligned frame counts and no audio track.
 */

/** Video generators and the front ends that save their output, as they appear in tags. */
const VIDEO_SIGNATURES: ReadonlyArray<{ pattern: RegExp; generator: string }> = [
  { pattern: /\bsora\b/i, generator: 'OpenAI Sora' },
  { pattern: /\brunway\s*(?:ml|gen-?\d)|\brunwayml\b/i, generator: 'Runway' },
  { pattern: /\bpika(?:\.art|\s*labs)\b/i, generator: 'Pika' },
  { pattern: /\bkling(?:\s*ai)?\b/i, generator: 'Kling' },
  { pattern: /\bluma\s*(?:ai|dream\s*machine|ray\d?)\b|\bdream machine\b/i, generator: 'Luma Dream Machine' },
  { pattern: /\bgoogle\s*veo\b|\bveo[\s-]?\d\b/i, generator: 'Google Veo' },
  { pattern: /\bhailuo\b|\bminimax\b/i, generator: 'MiniMax Hailuo' },
  { pattern: /\banimatediff\b/i, generator: 'AnimateDiff' },
  { pattern: /\bstable[\s-]?video[\s-]?diffusion\b|\bsvd(?:_xt)?(?:_image_decoder)?\.safetensors\b/i, generator: 'Stable Video Diffusion' },
  { pattern: /\bcogvideox?\b/i, generator: 'CogVideoX' },
  { pattern: /\bhunyuan[\s_-]?video\b/i, generator: 'HunyuanVideo' },
  { pattern: /\bltx[\s_-]?video\b|\bltxv\b/i, generator: 'LTX-Video' },
  { pattern: /\bwan[\s_-]?2\.\d\b|\bwan2\.\d/i, generator: 'Wan' },
  { pattern: /\bmochi[\s_-]?(?:1|preview)\b/i, generator: 'Mochi' },
  { pattern: /\bvideohelpersuite\b|\bvhs_videocombine\b/i, generator: 'ComfyUI (Video Helper Suite)' },
];

/** ComfyUI-VideoHelperSuite writes `{"prompt": {…}, "workflow": {…}}` into the container's comment tag. */
function comfyFromCombined(text: string, source: string): GeneratorFinding | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null) return null;
  const record = doc as Record<string, unknown>;
  const prompt = record['prompt'];
  const workflow = record['workflow'];
  const asText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
  return (
    (prompt !== undefined ? parseComfyPrompt(asText(prompt), `${source}(prompt)`) : null) ??
    (workflow !== undefined ? parseComfyWorkflow(asText(workflow), `${source}(workflow)`) : null) ??
    parseComfyPrompt(text, source)
  );
}

function tagFindings(tags: Record<string, unknown>, prefix: string): GeneratorFinding[] {
  const out = findingsFromExifFields(tags, prefix);
  for (const [key, value] of Object.entries(tags)) {
    const text = fieldText(value);
    if (!text) continue;
    const source = `${prefix}:${key}`;
    const comfy = text.trimStart().startsWith('{') ? comfyFromCombined(text, source) : null;
    if (comfy) {
      out.push(comfy);
      continue;
    }
    const sig = VIDEO_SIGNATURES.find((s) => s.pattern.test(text));
    if (sig) out.push({ generator: sig.generator, source, kind: 'generated' });
  }
  return out;
}

/** Generator findings in the ffprobe tags of the container and of every stream. */
export function containerTagFindings(metadata: MediaMetadata): GeneratorFinding[] {
  const container = metadata['container'];
  if (typeof container !== 'object' || container === null) return [];
  const { tags, streams } = container as { tags?: Record<string, unknown>; streams?: Array<{ index?: number; tags?: Record<string, unknown> }> };
  const out = tags ? tagFindings(tags, 'container') : [];
  for (const stream of streams ?? []) if (stream.tags) out.push(...tagFindings(stream.tags, `stream${stream.index ?? ''}`));
  const seen = new Set<string>();
  return out.filter((f) => {
    const key = `${f.generator}|${f.source}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/**
 * Default output sizes of open and hosted video generators (either orientation). Sizes that cameras also
 * record (1280×720, 1920×1080, 720×480) are left out on purpose: they would say nothing.
 * Wan 2.x 480p 832×480; Mochi 1 848×480; LTX-Video 768×512; Stable Video Diffusion 1024×576;
 * HunyuanVideo 540p 960×544; CogVideoX 1.5 1360×768; AnimateDiff / SVD square 512, 768, 1024.
 */
const GENERATOR_SIZES: ReadonlyArray<[number, number, string]> = [
  [832, 480, 'Wan 480p'],
  [848, 480, 'Mochi'],
  [768, 512, 'LTX-Video'],
  [1024, 576, 'Stable Video Diffusion'],
  [960, 544, 'HunyuanVideo 540p'],
  [1360, 768, 'CogVideoX 1.5'],
  [512, 512, 'square 512'],
  [768, 768, 'square 768'],
  [1024, 1024, 'square 1024'],
];

/** Below this frame rate a clip is generator-typical (8, 12, 16 fps); cameras record 24 and up. */
const LOW_FPS = 20;
/** Video VAEs compress time by 4 (Wan, HunyuanVideo, CogVideoX) or 8 (LTX): outputs have 4k+1 frames. */
const LATENT_FRAME_STEP = 4;
/** Generated clips are short: a few seconds, a few hundred frames at most. */
const MAX_GENERATED_FRAMES = 257;
const MAX_GENERATED_SECONDS = 20;
/** Cap: a profile is circumstantial, so it may send to review but never reject on its own. */
export const PROFILE_MAX_SCORE = 0.6;

export interface ProfileFactor {
  name: 'generator_resolution' | 'low_frame_rate' | 'latent_frame_count' | 'no_audio';
  weight: number;
  detail: string;
}

export interface Timing {
  frameCount: number;
  durationS: number | undefined;
  fps: number | undefined;
  hasAudio: boolean | undefined;
}

/** Timing of a video from the probe, or of an animation from its frame delays. */
export function videoTiming(info: MediaInfo, animation: { frames: number; durationMs: number } | null): Timing {
  if (info.kind === 'video') return { frameCount: info.frameCount, durationS: info.durationS, fps: info.fps, hasAudio: info.hasAudio };
  const durationS = animation && animation.durationMs > 0 ? animation.durationMs / 1000 : undefined;
  const fps = animation && durationS ? animation.frames / durationS : undefined;
  // Animated images never carry audio: its absence says nothing about them.
  return { frameCount: animation?.frames ?? info.frameCount, durationS, fps, hasAudio: undefined };
}

/**
 * The profile factors present. A resolution or frame rate match is required before the weaker ones
 * count: "no audio, 4k+1 frames" alone describes plenty of ordinary clips.
 */
export function profileFactors(width: number, height: number, timing: Timing): ProfileFactor[] {
  const factors: ProfileFactor[] = [];
  const size = GENERATOR_SIZES.find(([w, h]) => (width === w && height === h) || (width === h && height === w));
  if (size) factors.push({ name: 'generator_resolution', weight: 0.45, detail: `${width}×${height} is a ${size[2]} output size` });
  if (timing.fps !== undefined && timing.fps > 0 && timing.fps < LOW_FPS) {
    factors.push({ name: 'low_frame_rate', weight: 0.3, detail: `${timing.fps.toFixed(1)} fps (cameras record ≥ 24)` });
  }
  if (factors.length === 0) return [];
  const short = timing.durationS === undefined || timing.durationS <= MAX_GENERATED_SECONDS;
  if (short && timing.frameCount > 1 && timing.frameCount <= MAX_GENERATED_FRAMES && (timing.frameCount - 1) % LATENT_FRAME_STEP === 0) {
    factors.push({ name: 'latent_frame_count', weight: 0.15, detail: `${timing.frameCount} frames = ${LATENT_FRAME_STEP}k+1, as video VAEs output` });
  }
  if (timing.hasAudio === false) factors.push({ name: 'no_audio', weight: 0.15, detail: 'no audio track (phone cameras always record one)' });
  return factors;
}

/** Noisy-OR of the factor weights, capped at PROFILE_MAX_SCORE. */
export function profileScore(factors: readonly ProfileFactor[]): number {
  const s = 1 - factors.reduce((acc, f) => acc * (1 - f.weight), 1);
  return Math.min(PROFILE_MAX_SCORE, Math.round(s * 1000) / 1000);
}

/** Frame count and total duration of an animated WebP, from its ANMF chunks (null if not animated). */
export function readWebpAnimation(bytes: Buffer): { frames: number; durationMs: number } | null {
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WEBP') return null;
  let frames = 0;
  let durationMs = 0;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const type = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    // ANMF payload: X, Y, width−1, height−1 (24 bits each), then the 24-bit duration in ms.
    if (type === 'ANMF' && size >= 16 && offset + 8 + 15 <= bytes.length) {
      frames++;
      durationMs += bytes.readUIntLE(offset + 8 + 12, 3);
    }
    offset += 8 + size + (size & 1);
  }
  return frames > 1 ? { frames, durationMs } : null;
}
