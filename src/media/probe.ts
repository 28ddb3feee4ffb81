import { z } from 'zod';
import { TollgateError } from '../errors.ts';

/**
 * ffprobe's JSON, validated (it is an external program's output, so a boundary) and reduced to what
 * the view needs. Everything ffprobe says about the container also goes to metadata().container.
 */
const sideData = z.object({ side_data_type: z.string().optional(), rotation: z.number().optional() }).passthrough();
const stream = z
  .object({
    index: z.number(),
    codec_type: z.string().optional(),
    codec_name: z.string().optional(),
    profile: z.string().optional(),
    width: z.number().optional(),
    height: z.number().optional(),
    pix_fmt: z.string().optional(),
    sample_aspect_ratio: z.string().optional(),
    avg_frame_rate: z.string().optional(),
    r_frame_rate: z.string().optional(),
    duration: z.string().optional(),
    nb_frames: z.string().optional(),
    tags: z.record(z.string()).optional(),
    side_data_list: z.array(sideData).optional(),
    disposition: z.record(z.number()).optional(),
  })
  .passthrough();
const probeSchema = z.object({
  streams: z.array(stream).default([]),
  format: z
    .object({
      format_name: z.string().optional(),
      format_long_name: z.string().optional(),
      duration: z.string().optional(),
      bit_rate: z.string().optional(),
      tags: z.record(z.string()).optional(),
    })
    .passthrough()
    .optional(),
});
export type ProbeJson = z.infer<typeof probeSchema>;

export interface VideoProbe {
  /** Stored size of the video stream. */
  codedWidth: number;
  codedHeight: number;
  /** Display size: sample aspect ratio and rotation applied (what ffmpeg's autorotate outputs). */
  width: number;
  height: number;
  rotation: number;
  durationS: number | undefined;
  fps: number | undefined;
  frameCount: number;
  videoCodec: string | undefined;
  audioCodec: string | undefined;
  hasAudio: boolean;
  container: Record<string, unknown>;
}

function ratio(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const [n, d] = value.split(/[/:]/).map(Number);
  if (n === undefined || !Number.isFinite(n) || n <= 0) return undefined;
  if (d === undefined) return n;
  return Number.isFinite(d) && d > 0 ? n / d : undefined;
}

function positive(value: string | undefined): number | undefined {
  const n = value === undefined ? NaN : Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export function parseProbe(stdout: string): VideoProbe {
  let json: ProbeJson;
  try {
    json = probeSchema.parse(JSON.parse(stdout));
  } catch (err) {
    throw new TollgateError('media.corrupt', 'ffprobe returned unreadable output', undefined, { cause: err });
  }
  // Cover art is stored as a video stream with the attached_pic disposition; it is not the video.
  const v = json.streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!v && json.streams.some((s) => s.codec_type === 'audio')) {
    throw new TollgateError('media.unsupported_type', 'the container holds audio only, no video');
  }
  if (!v || !v.width || !v.height) throw new TollgateError('media.corrupt', 'the container has no decodable video stream');
  const a = json.streams.find((s) => s.codec_type === 'audio');
  const rotationRaw = v.side_data_list?.find((s) => typeof s.rotation === 'number')?.rotation ?? Number(v.tags?.rotate ?? 0);
  const rotation = ((Math.round(rotationRaw / 90) * 90) % 360 + 360) % 360;
  const sar = ratio(v.sample_aspect_ratio) ?? 1;
  let w = v.width;
  let h = v.height;
  if (sar !== 1) w = Math.max(1, Math.round(w * sar));
  if (rotation === 90 || rotation === 270) [w, h] = [h, w];
  const fps = ratio(v.avg_frame_rate) ?? ratio(v.r_frame_rate);
  const durationS = positive(json.format?.duration) ?? positive(v.duration);
  const frames = positive(v.nb_frames);
  const frameCount = frames ?? (durationS && fps ? Math.round(durationS * fps) : 0);
  return {
    codedWidth: v.width,
    codedHeight: v.height,
    width: w,
    height: h,
    rotation,
    durationS,
    fps,
    frameCount,
    videoCodec: v.codec_name,
    audioCodec: a?.codec_name,
    hasAudio: a !== undefined,
    container: {
      format: json.format?.format_name,
      formatLong: json.format?.format_long_name,
      durationS,
      bitRate: positive(json.format?.bit_rate),
      tags: json.format?.tags ?? {},
      streams: json.streams.map((s) => ({
        index: s.index,
        type: s.codec_type,
        codec: s.codec_name,
        profile: s.profile,
        width: s.width,
        height: s.height,
        pixFmt: s.pix_fmt,
        fps: ratio(s.avg_frame_rate),
        tags: s.tags ?? {},
        sideData: s.side_data_list ?? [],
      })),
    },
  };
}
