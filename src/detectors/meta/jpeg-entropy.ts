/**
 * Baseline JPEG entropy decoding to quantized DCT coefficients (no IDCT), for double-compression analysis.
 *
 * Why our own: jpeg-js, sharp and the other decoders on npm hand out pixels only, and the double-compression
 * test needs the integers the encoder actually stored. Only sequential Huffman (SOF0/SOF1) is decoded;
 * progressive, arithmetic and lossless files are reported as not analysed. Only the first component (luma)
 * is kept, and decoding stops after `maxBlocks` luma blocks: a strip of a few thousand blocks gives the
 * per-frequency histograms all the samples they need, at a bounded cost.
 */
import { jpegStructure, type QuantTable } from './jpeg.ts';

export interface LumaCoefficients {
  /** Quantized coefficients, 64 per block in zig-zag order. */
  coefficients: Int16Array;
  blocks: number;
  /** Block column and row (in 8-px units of the luma plane) of each decoded block. */
  blockX: Uint16Array;
  blockY: Uint16Array;
  /** The luma quantization table, zig-zag order. */
  table: QuantTable;
  width: number;
  height: number;
}

export type EntropyResult = { ok: true; luma: LumaCoefficients } | { ok: false; reason: 'not_jpeg' | 'progressive' | 'unsupported' | 'malformed' };

interface Huffman {
  /** Per code length 1..16: largest code of that length (−1 when none), and index of its first symbol. */
  maxCode: Int32Array;
  valPtr: Int32Array;
  minCode: Int32Array;
  symbols: Uint8Array;
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
}

function buildHuffman(counts: Uint8Array, symbols: Uint8Array): Huffman {
  const maxCode = new Int32Array(17).fill(-1);
  const minCode = new Int32Array(17);
  const valPtr = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1] ?? 0;
    if (n > 0) {
      valPtr[len] = k;
      minCode[len] = code;
      code += n;
      k += n;
      maxCode[len] = code - 1;
    }
    code <<= 1;
  }
  return { maxCode, valPtr, minCode, symbols };
}

class BitReader {
  private bits = 0;
  private count = 0;
  /** Set when a marker is reached: the decoder then reads zeros, as ITU T.81 F.2.2.5 prescribes. */
  marker = false;

  constructor(private readonly data: Buffer, public pos: number) {}

  private fill(): void {
    while (this.count <= 24) {
      let byte = 0;
      if (!this.marker && this.pos < this.data.length) {
        byte = this.data[this.pos] ?? 0;
        if (byte === 0xff) {
          const next = this.data[this.pos + 1] ?? 0;
          if (next === 0x00) this.pos += 2;
          else {
            this.marker = true;
            byte = 0;
          }
        } else this.pos++;
      }
      this.bits = ((this.bits << 8) | byte) >>> 0;
      this.count += 8;
    }
  }

  read(n: number): number {
    if (n === 0) return 0;
    if (this.count < n) this.fill();
    this.count -= n;
    return (this.bits >>> this.count) & ((1 << n) - 1);
  }

  bit(): number {
    return this.read(1);
  }

  /** Skips to the byte after a RSTn marker (restart interval boundary). */
  restart(): boolean {
    this.bits = 0;
    this.count = 0;
    this.marker = false;
    const p = this.data.indexOf(0xff, this.pos);
    if (p < 0 || p + 1 >= this.data.length) return false;
    const m = this.data[p + 1] ?? 0;
    if (m < 0xd0 || m > 0xd7) return false;
    this.pos = p + 2;
    return true;
  }
}

function decodeSymbol(r: BitReader, t: Huffman): number {
  let code = r.bit();
  for (let len = 1; len <= 16; len++) {
    const max = t.maxCode[len] ?? -1;
    if (max >= 0 && code <= max) return t.symbols[(t.valPtr[len] ?? 0) + code - (t.minCode[len] ?? 0)] ?? -1;
    code = (code << 1) | r.bit();
  }
  return -1;
}

function extend(v: number, s: number): number {
  return s === 0 ? 0 : v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
}

const cache = new WeakMap<Buffer, EntropyResult>();

/** decodeLuma with the default block budget, once per buffer. */
export function lumaCoefficients(bytes: Buffer): EntropyResult {
  let r = cache.get(bytes);
  if (!r) {
    r = decodeLuma(bytes);
    cache.set(bytes, r);
  }
  return r;
}

/** Decodes the first `maxBlocks` luma blocks of a baseline JPEG. Never throws. */
export function decodeLuma(bytes: Buffer, maxBlocks = 8192): EntropyResult {
  const s = jpegStructure(bytes);
  if (s.segments.length === 0) return { ok: false, reason: 'not_jpeg' };
  if (s.progressive) return { ok: false, reason: 'progressive' };
  const dc = new Map<number, Huffman>();
  const ac = new Map<number, Huffman>();
  let comps: Component[] = [];
  let width = 0;
  let height = 0;
  let restartInterval = 0;
  for (const seg of s.segments) {
    const start = seg.offset + 4;
    const end = start + seg.length;
    if (seg.marker === 0xc4) {
      let p = start;
      while (p + 17 <= end) {
        const tc = (bytes[p] ?? 0) >> 4;
        const th = (bytes[p] ?? 0) & 15;
        const counts = bytes.subarray(p + 1, p + 17);
        const total = counts.reduce((a, b) => a + b, 0);
        if (p + 17 + total > end) return { ok: false, reason: 'malformed' };
        const table = buildHuffman(counts, bytes.subarray(p + 17, p + 17 + total));
        (tc === 0 ? dc : ac).set(th, table);
        p += 17 + total;
      }
    } else if (seg.marker === 0xdd && seg.length >= 2) {
      restartInterval = bytes.readUInt16BE(start);
    } else if (seg.marker >= 0xc0 && seg.marker <= 0xcf && seg.marker !== 0xc4 && seg.marker !== 0xc8 && seg.marker !== 0xcc) {
      if (seg.marker !== 0xc0 && seg.marker !== 0xc1) return { ok: false, reason: 'unsupported' };
      if (seg.length < 6 || (bytes[start] ?? 0) !== 8) return { ok: false, reason: 'unsupported' };
      height = bytes.readUInt16BE(start + 1);
      width = bytes.readUInt16BE(start + 3);
      const n = bytes[start + 5] ?? 0;
      if (seg.length < 6 + 3 * n || n === 0) return { ok: false, reason: 'malformed' };
      comps = [];
      for (let i = 0; i < n; i++) {
        const b = start + 6 + 3 * i;
        comps.push({ id: bytes[b] ?? 0, h: (bytes[b + 1] ?? 0) >> 4, v: (bytes[b + 1] ?? 0) & 15, tq: bytes[b + 2] ?? 0 });
      }
    } else if (seg.marker === 0xda) {
      return decodeScan(bytes, seg.offset + 4, seg.length, { comps, width, height, restartInterval, dc, ac, tables: s.tables, maxBlocks });
    }
  }
  return { ok: false, reason: 'malformed' };
}

interface ScanSetup {
  comps: Component[];
  width: number;
  height: number;
  restartInterval: number;
  dc: Map<number, Huffman>;
  ac: Map<number, Huffman>;
  tables: QuantTable[];
  maxBlocks: number;
}

function decodeScan(bytes: Buffer, start: number, length: number, setup: ScanSetup): EntropyResult {
  const { comps, width, height } = setup;
  const luma = comps[0];
  if (!luma || width === 0 || height === 0) return { ok: false, reason: 'malformed' };
  const ns = bytes[start] ?? 0;
  if (length < 1 + 2 * ns + 3 || ns === 0) return { ok: false, reason: 'malformed' };
  const inScan: Array<{ comp: Component; dc: Huffman; ac: Huffman }> = [];
  for (let i = 0; i < ns; i++) {
    const id = bytes[start + 1 + 2 * i] ?? 0;
    const sel = bytes[start + 2 + 2 * i] ?? 0;
    const comp = comps.find((c) => c.id === id);
    const d = setup.dc.get(sel >> 4);
    const a = setup.ac.get(sel & 15);
    if (!comp || !d || !a || comp.h < 1 || comp.v < 1) return { ok: false, reason: 'malformed' };
    inScan.push({ comp, dc: d, ac: a });
  }
  // Baseline files may code components in separate scans; only a scan that starts with luma is of use here.
  if (inScan[0]?.comp !== luma) return { ok: false, reason: 'unsupported' };
  const table = [...setup.tables].reverse().find((t) => t.id === luma.tq);
  if (!table) return { ok: false, reason: 'malformed' };
  const hMax = Math.max(...comps.map((c) => c.h));
  const vMax = Math.max(...comps.map((c) => c.v));
  const single = inScan.length === 1;
  // A non-interleaved scan walks the component's own blocks; an interleaved one walks MCUs.
  const lumaCols = Math.ceil((Math.ceil((width * luma.h) / hMax)) / 8);
  const mcuCols = single ? lumaCols : Math.ceil(width / (8 * hMax));
  const mcuRows = single ? Math.ceil(Math.ceil((height * luma.v) / vMax) / 8) : Math.ceil(height / (8 * vMax));
  const max = Math.min(setup.maxBlocks, mcuCols * mcuRows * (single ? 1 : luma.h * luma.v));
  const coefficients = new Int16Array(max * 64);
  const blockX = new Uint16Array(max);
  const blockY = new Uint16Array(max);
  const pred = new Int32Array(inScan.length);
  const reader = new BitReader(bytes, start + length);
  const block = new Int32Array(64);
  let n = 0;
  let mcu = 0;
  const total = mcuCols * mcuRows;
  outer: while (mcu < total && n < max) {
    if (setup.restartInterval > 0 && mcu > 0 && mcu % setup.restartInterval === 0) {
      if (!reader.restart()) break;
      pred.fill(0);
    }
    const mx = mcu % mcuCols;
    const my = Math.floor(mcu / mcuCols);
    for (let c = 0; c < inScan.length; c++) {
      const sc = inScan[c]!;
      const bh = single ? 1 : sc.comp.h;
      const bv = single ? 1 : sc.comp.v;
      for (let by = 0; by < bv; by++) {
        for (let bx = 0; bx < bh; bx++) {
          block.fill(0);
          const t = decodeSymbol(reader, sc.dc);
          if (t < 0 || t > 11) break outer;
          pred[c] = (pred[c] ?? 0) + extend(reader.read(t), t);
          block[0] = pred[c] ?? 0;
          for (let k = 1; k < 64; ) {
            const rs = decodeSymbol(reader, sc.ac);
            if (rs < 0) break outer;
            const r = rs >> 4;
            const sz = rs & 15;
            if (sz === 0) {
              if (r !== 15) break;
              k += 16;
              continue;
            }
            k += r;
            if (k > 63) break outer;
            block[k] = extend(reader.read(sz), sz);
            k++;
          }
          if (c === 0 && n < max) {
            coefficients.set(block, n * 64);
            blockX[n] = single ? mx : mx * luma.h + bx;
            blockY[n] = single ? my : my * luma.v + by;
            n++;
          }
        }
      }
    }
    mcu++;
  }
  if (n === 0) return { ok: false, reason: 'malformed' };
  return {
    ok: true,
    luma: { coefficients: coefficients.subarray(0, n * 64), blocks: n, blockX: blockX.subarray(0, n), blockY: blockY.subarray(0, n), table, width, height },
  };
}
