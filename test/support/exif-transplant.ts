/**
 * How a generated JPEG is given a camera's EXIF: the laundering the camera-native rule
 * (src/detectors/ai/camera-native.ts) is measured against in its unit test and in eval/ai.ts.
 */

/** A JFIF APP0 segment as libjpeg-based converters (Pillow, ImageMagick, GIMP) write it, right after SOI. */
const JFIF_APP0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);

/** The EXIF APP1 segment of a JPEG, marker included. */
export function exifSegment(jpeg: Buffer): Buffer {
  for (let at = 2; at + 4 < jpeg.length; ) {
    const length = jpeg.readUInt16BE(at + 2);
    if (jpeg[at + 1] === 0xe1 && jpeg.toString('latin1', at + 4, at + 10) === 'Exif\0\0') return jpeg.subarray(at, at + 2 + length);
    at += 2 + length;
  }
  throw new Error('no EXIF segment');
}

/**
 * `sharpJpeg` (sharp writes no APPn without metadata) given `exif` and a JFIF segment:
 * `jfif-first` is Pillow's JPEG after `exiftool -tagsFromFile camera.jpg`; `exif-first` is a forger who
 * splices the bytes in the order a phone that also writes JFIF uses.
 */
export function withCameraExif(sharpJpeg: Buffer, exif: Buffer, order: 'jfif-first' | 'exif-first'): Buffer {
  const app = order === 'jfif-first' ? [JFIF_APP0, exif] : [exif, JFIF_APP0];
  return Buffer.concat([sharpJpeg.subarray(0, 2), ...app, sharpJpeg.subarray(2)]);
}
