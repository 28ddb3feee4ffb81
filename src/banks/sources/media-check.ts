import { isTollgateError } from '../../errors.ts';
import { sniff } from '../../media/sniff.ts';

/** Bytes needed to sniff every format `sniff` knows (the ISO-BMFF brand list is read up to 4 KiB). */
export const SNIFF_BYTES = 4096;

export type MediaCheck = { ok: true; mime: string; kind: 'image' | 'video' } | { ok: false; reason: string };

/**
 * Whether bytes are an image or video, by magic numbers only: a server's Content-Type and a file's
 * extension are both whatever the publisher typed, and a bank entry that is really an HTML page would
 * be hashed as garbage.
 */
export function checkMedia(head: Buffer): MediaCheck {
  try {
    const r = sniff(head);
    return { ok: true, mime: r.mime, kind: r.kind };
  } catch (err) {
    if (isTollgateError(err)) return { ok: false, reason: `not media: ${err.message} (${err.code})` };
    throw err;
  }
}
