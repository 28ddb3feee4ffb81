/**
 * Builds small ONNX models byte by byte, so tests of the ONNX plug-in run a real network whose output
 * they can compute by hand (no downloaded weights, no Python). ONNX files are protobuf `ModelProto`
 * messages (onnx/onnx.proto3); only the fields these graphs need are written.
 */

class Writer {
  private readonly parts: Buffer[] = [];

  private varint(value: number | bigint): void {
    let v = BigInt(value);
    if (v < 0n) v += 1n << 64n; // int64 negatives are ten-byte two's complement varints
    const bytes: number[] = [];
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) b |= 0x80;
      bytes.push(b);
    } while (v > 0n);
    this.parts.push(Buffer.from(bytes));
  }

  int(field: number, value: number): this {
    this.varint((field << 3) | 0);
    this.varint(value);
    return this;
  }

  bytes(field: number, value: Buffer): this {
    this.varint((field << 3) | 2);
    this.varint(value.length);
    this.parts.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.done());
  }

  float(field: number, value: number): this {
    this.varint((field << 3) | 5);
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.parts.push(b);
    return this;
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const FLOAT = 1;

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, number | number[]>;
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  values: number[];
}

/** `dims` entries that are strings are symbolic (e.g. a batch dimension "N"). */
export interface OnnxValue {
  name: string;
  dims: Array<number | string>;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  opset?: number;
}

function valueInfo(w: Writer, v: OnnxValue): void {
  w.string(1, v.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.int(1, FLOAT).message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      }),
    ),
  );
}

/** AttributeProto: INT (type 2) in `i` (field 3), FLOAT (1) in `f` (2), INTS (7) in `ints` (8). */
function attribute(w: Writer, name: string, value: number | number[]): void {
  w.string(1, name);
  if (Array.isArray(value)) {
    for (const v of value) w.int(8, v);
    w.int(20, 7);
  } else if (Number.isInteger(value)) w.int(3, value).int(20, 2);
  else w.float(2, value).int(20, 1);
}

export function encodeOnnxModel(graph: OnnxGraph): Buffer {
  return new Writer()
    .int(1, 8) // ir_version 8 (ONNX 1.10+)
    .string(2, 'tollgate-tests')
    .message(7, (g) => {
      graph.nodes.forEach((node, i) =>
        g.message(1, (n) => {
          for (const input of node.inputs) n.string(1, input);
          for (const output of node.outputs) n.string(2, output);
          n.string(3, `${node.op.toLowerCase()}_${i}`).string(4, node.op);
          for (const [name, value] of Object.entries(node.attributes ?? {})) n.message(5, (a) => attribute(a, name, value));
        }),
      );
      g.string(2, 'graph');
      for (const t of graph.initializers) {
        g.message(5, (tensor) => {
          for (const d of t.dims) tensor.int(1, d);
          const raw = Buffer.alloc(4 * t.values.length);
          t.values.forEach((v, i) => raw.writeFloatLE(v, 4 * i));
          tensor.int(2, FLOAT).string(8, t.name).bytes(9, raw);
        });
      }
      for (const v of graph.inputs) g.message(11, (w) => valueInfo(w, v));
      for (const v of graph.outputs) g.message(12, (w) => valueInfo(w, v));
    })
    .message(8, (op) => op.string(1, '').int(2, graph.opset ?? 13))
    .done();
}

/**
 * A two-class "detector": per-channel means (GlobalAveragePool) → Flatten → Gemm(W, b) → logits [1, 2].
 * Its AI probability is softmax(logits)[1], computable from the input's channel means alone.
 */
export function meanColourClassifier(size: number, weights: [number, number][], bias: [number, number]): Buffer {
  return encodeOnnxModel({
    nodes: [
      { op: 'GlobalAveragePool', inputs: ['pixels'], outputs: ['pooled'] },
      { op: 'Flatten', inputs: ['pooled'], outputs: ['flat'], attributes: { axis: 1 } },
      { op: 'Gemm', inputs: ['flat', 'W', 'b'], outputs: ['logits'] },
    ],
    initializers: [
      { name: 'W', dims: [3, 2], values: weights.flat() },
      { name: 'b', dims: [2], values: bias },
    ],
    inputs: [{ name: 'pixels', dims: [1, 3, size, size] }],
    outputs: [{ name: 'logits', dims: [1, 2] }],
  });
}

/** A one-logit variant in NHWC layout: ReduceMean over H, W → MatMul → Add → Sigmoid → probability [1, 1]. */
export function nhwcSigmoidClassifier(size: number, weights: [number, number, number], bias: number): Buffer {
  return encodeOnnxModel({
    nodes: [
      { op: 'ReduceMean', inputs: ['image'], outputs: ['means'], attributes: { axes: [1, 2], keepdims: 0 } },
      { op: 'MatMul', inputs: ['means', 'w'], outputs: ['dot'] },
      { op: 'Add', inputs: ['dot', 'c'], outputs: ['logit'] },
      { op: 'Sigmoid', inputs: ['logit'], outputs: ['probability'] },
    ],
    initializers: [
      { name: 'w', dims: [3, 1], values: weights },
      { name: 'c', dims: [1], values: [bias] },
    ],
    inputs: [{ name: 'image', dims: ['N', size, size, 3] }],
    outputs: [{ name: 'probability', dims: ['N', 1] }],
    opset: 13,
  });
}
