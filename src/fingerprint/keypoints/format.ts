/**
 * Binary form of a KeypointSet, as stored in PostgreSQL (bytea): a 9-byte header (version,
 * width, height, count as little-endian u16) then x, y, size, angle as float32 columns and the
 * descriptors as little-endian u32 words. About 48 bytes per keypoint.
 */
import { TollgateError } from '../../errors.ts';
import { DESCRIPTOR_WORDS } from './brief.ts';
import type { KeypointSet } from './extract.ts';

const VERSION = 1;
const HEADER = 7;

export function encodeKeypoints(set: KeypointSet): Uint8Array {
  const n = set.count;
  const out = new Uint8Array(HEADER + n * 16 + n * DESCRIPTOR_WORDS * 4);
  const dv = new DataView(out.buffer);
  dv.setUint8(0, VERSION);
  dv.setUint16(1, Math.min(65535, set.width), true);
  dv.setUint16(3, Math.min(65535, set.height), true);
  dv.setUint16(5, n, true);
  let o = HEADER;
  for (const column of [set.x, set.y, set.size, set.angle]) {
    for (let i = 0; i < n; i++, o += 4) dv.setFloat32(o, column[i]!, true);
  }
  for (let i = 0; i < n * DESCRIPTOR_WORDS; i++, o += 4) dv.setUint32(o, set.descriptors[i]!, true);
  return out;
}

export function decodeKeypoints(bytes: Uint8Array): KeypointSet {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < HEADER || dv.getUint8(0) !== VERSION) throw new TollgateError('input.invalid', 'not a keypoint set of a known version');
  const n = dv.getUint16(5, true);
  if (bytes.byteLength !== HEADER + n * 16 + n * DESCRIPTOR_WORDS * 4) throw new TollgateError('input.invalid', `keypoint set of ${n} points has ${bytes.byteLength} bytes`);
  let o = HEADER;
  const column = (): Float32Array => {
    const c = new Float32Array(n);
    for (let i = 0; i < n; i++, o += 4) c[i] = dv.getFloat32(o, true);
    return c;
  };
  const x = column();
  const y = column();
  const size = column();
  const angle = column();
  const descriptors = new Uint32Array(n * DESCRIPTOR_WORDS);
  for (let i = 0; i < descriptors.length; i++, o += 4) descriptors[i] = dv.getUint32(o, true);
  return { width: dv.getUint16(1, true), height: dv.getUint16(3, true), count: n, x, y, size, angle, descriptors };
}
