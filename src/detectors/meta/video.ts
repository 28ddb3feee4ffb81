import type { Detector } from '../types.ts';
import { containerTags, signal, type ContainerTags } from './util.ts';

/**
 * Videos: the container's tags (ffprobe `format.tags` and `streams[].tags`) say which program wrote the
 * file. Phones write their own (Apple "Core Media", Android handler "VideoHandle"/"SoundHandle", no
 * `encoder`); anything that went through ffmpeg says "Lavf…", editors and converters name themselves.
 */
const REENCODERS: readonly [RegExp, string, number][] = [
  [/handbrake/i, 'HandBrake', 0.6],
  [/premiere|final cut|imovie|davinci|resolve|capcut|inshot|kinemaster|filmora|vn video|shotcut|clipchamp|vegas|avidemux|movavi|videoleap|splice|quik/i, 'video editor', 0.6],
  [/\blavf|libavformat|ffmpeg/i, 'ffmpeg (Lavf)', 0.5],
  [/x264|x265|libx26[45]|lavc/i, 'ffmpeg encoder', 0.5],
];

const SCREEN = /screen ?record|screen ?capture|screencast|obs studio|\bobs\b|mobizen|xrecorder|az screen|du recorder|bandicam|camtasia|replaykit|\bloom\b|screenflow|snagit|sharex|kazam|simplescreenrecorder|vokoscreen|quicktime player/i;

function allValues(c: ContainerTags): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (const [key, value] of Object.entries(c.format)) out.push({ key: `format.${key}`, value });
  c.streams.forEach((s, i) => {
    for (const [key, value] of Object.entries(s)) out.push({ key: `streams[${i}].${key}`, value });
  });
  return out;
}

/** Tags that name software (as opposed to titles, dates, locations). */
const SOFTWARE_KEYS = /(encoder|handler_name|software|com\.apple\.quicktime\.software|writing_application|encoded_by|tool|comment)$/;

export const videoReencoded: Detector = {
  name: 'meta.video_reencoded',
  codes: ['meta.video_reencoded'],
  kinds: ['video'],
  async detect(view) {
    const c = containerTags(await view.metadata());
    if (!c) return [];
    const hits: { key: string; value: string; name: string; score: number }[] = [];
    for (const { key, value } of allValues(c)) {
      if (!SOFTWARE_KEYS.test(key)) continue;
      for (const [re, name, score] of REENCODERS) {
        if (re.test(value)) {
          hits.push({ key, value, name, score });
          break;
        }
      }
    }
    if (hits.length === 0) return [];
    hits.sort((a, b) => b.score - a.score);
    const top = hits[0]!;
    // Messaging apps and platform transcoders use ffmpeg too: a re-encode alone is medium, never high.
    return [signal('meta.video_reencoded', 'medium', top.score, `video written by ${top.name} (${top.key}="${top.value}")`, {
      tags: hits.map((h) => `${h.key}=${h.value}`),
    })];
  },
};

export const screenRecording: Detector = {
  name: 'meta.screen_recording',
  codes: ['meta.screen_recording'],
  kinds: ['video'],
  async detect(view) {
    const c = containerTags(await view.metadata());
    if (!c) return [];
    const hit = allValues(c).find(({ key, value }) => SOFTWARE_KEYS.test(key) && SCREEN.test(value));
    if (!hit) return [];
    return [signal('meta.screen_recording', 'medium', 0.7, `screen recording (${hit.key}="${hit.value}"), not a camera capture`, {
      tag: hit.key, value: hit.value,
    })];
  },
};
