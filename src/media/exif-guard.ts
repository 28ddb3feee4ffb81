import { TollgateError } from '../errors.ts';

/**
 * Guards metadata parsers against EXIF built to hurt them: IFDs that point back at each other (a parser
 * that follows pointers loops forever), IFDs with tens of thousands of entries, or sub-IFD fan-out. exifr
 * is fast on honest files but runs synchronously on the event loop, so a hostile structure must be
 * refused before it is parsed. The walk reads only IFD headers and entry tables: O(entries), no values.
 *
 * Real camera files (including the malformed ones in exif-samples) have < 300 entries per IFD, a handful
 * of IFDs and no cycles, so the limits below leave a wide margin.
 */
export const EXIF_LIMITS = {
  maxIfds: 256,
  maxEntriesPerIfd: 2000,
  maxTotalEntries: 10_000,
  /** JPEG APPn segments or PNG ancillary chunks, all together. */
  maxMetadataBytes: 16 * 1024 * 1024,
};

// Tags whose value is the offset of another IFD.
const IFD_POINTERS = new Set([0x8769 /* Exif */, 0x8825 /* GPS */, 0xa005 /* Interop */, 0x014a /* SubIFDs */]);

export function guardExif(tiff: Buffer): void {
  if (tiff.length < 8) return;
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return; // not TIFF-structured: exifr will ignore it too
  const le = order === 'II';
  const u16 = (o: number): number => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
  const u32 = (o: number): number => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
  // BigTIFF (43) uses 8-byte offsets; its metadata is parsed by libvips only, so skip it.
  if (u16(2) !== 42) return;

  const seen = new Set<number>();
  const queue: number[] = [u32(4)];
  let totalEntries = 0;
  while (queue.length > 0) {
    const offset = queue.shift() ?? 0;
    if (offset === 0 || offset + 2 > tiff.length) continue; // dangling pointers are common; parsers skip them
    if (seen.has(offset)) {
      throw new TollgateError('media.metadata_bomb', `EXIF IFD at offset ${offset} is referenced twice (loop)`, { offset });
    }
    seen.add(offset);
    if (seen.size > EXIF_LIMITS.maxIfds) throw new TollgateError('media.metadata_bomb', `more than ${EXIF_LIMITS.maxIfds} EXIF IFDs`);
    const count = u16(offset);
    if (count > EXIF_LIMITS.maxEntriesPerIfd) {
      throw new TollgateError('media.metadata_bomb', `EXIF IFD with ${count} entries`, { offset, entries: count });
    }
    totalEntries += count;
    if (totalEntries > EXIF_LIMITS.maxTotalEntries) {
      throw new TollgateError('media.metadata_bomb', `more than ${EXIF_LIMITS.maxTotalEntries} EXIF entries`);
    }
    const stop = Math.min(tiff.length, offset + 2 + count * 12);
    for (let e = offset + 2; e + 12 <= stop; e += 12) {
      const tag = u16(e);
      if (!IFD_POINTERS.has(tag)) continue;
      const type = u16(e + 2);
      const n = u32(e + 4);
      // SubIFDs may hold several offsets (type LONG or IFD); inline when they fit in 4 bytes.
      if (n === 1) queue.push(u32(e + 8));
      else if (n > 1 && (type === 4 || type === 13)) {
        const at = u32(e + 8);
        for (let i = 0; i < Math.min(n, EXIF_LIMITS.maxIfds + 1) && at + 4 * i + 4 <= tiff.length; i++) queue.push(u32(at + 4 * i));
      }
    }
    const nextAt = offset + 2 + count * 12;
    if (nextAt + 4 <= tiff.length) queue.push(u32(nextAt));
  }
}

export function guardMetadataVolume(bytes: number): void {
  if (bytes > EXIF_LIMITS.maxMetadataBytes) {
    throw new TollgateError('media.metadata_bomb', `${bytes} bytes of metadata segments`, { bytes });
  }
}
