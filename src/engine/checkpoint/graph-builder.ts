// A small helper to write an ONNX graph node by node with the existing codec (onnx/proto.ts):
// unique value names, int64/float constants as initializers, external-data weights.

import {
  ATTR, attrFloat, attrInt, DT, makeNode, makeTensor, makeValueInfo,
  type Attribute, type Dim, type NodeProto, type TensorProto, type ValueInfo,
} from '../onnx/proto.js';

export const attrInts = (name: string, ints: number[]): Attribute => ({ name, type: ATTR.INTS, ints });
export { attrFloat, attrInt };

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  private readonly used = new Set<string>();
  private readonly consts = new Map<string, string>();

  /** A fresh value name under `scope` (e.g. /model/layers.3/attn). */
  name(scope: string, what: string): string {
    let n = `${scope}/${what}`;
    for (let i = 1; this.used.has(n); i++) n = `${scope}/${what}_${i}`;
    this.used.add(n);
    return n;
  }

  /** One node with one output; returns the output name (`out` when given, else a fresh one). */
  op(scope: string, opType: string, inputs: string[], attrs: Attribute[] = [], out?: string, domain = ''): string {
    const o = out ?? this.name(scope, `${opType}_out`);
    this.used.add(o);
    this.nodes.push(makeNode(opType, inputs, [o], `${scope}/${opType}_${this.nodes.length}`, attrs, domain));
    return o;
  }

  opMulti(scope: string, opType: string, inputs: string[], nOut: number, attrs: Attribute[] = []): string[] {
    const outs = Array.from({ length: nOut }, (_, i) => this.name(scope, `${opType}_out${i}`));
    this.nodes.push(makeNode(opType, inputs, outs, `${scope}/${opType}_${this.nodes.length}`, attrs));
    return outs;
  }

  /** An int64 constant (dims [] for a scalar), shared by value. */
  i64(values: number[], dims: number[] = [values.length]): string {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    const have = this.consts.get(key);
    if (have) return have;
    const raw = new Uint8Array(8 * values.length);
    const dv = new DataView(raw.buffer);
    values.forEach((v, i) => dv.setBigInt64(8 * i, BigInt(v), true));
    const name = this.name('/const', `i64_${this.consts.size}`);
    this.initializers.push(makeTensor(name, DT.INT64, dims, raw));
    this.consts.set(key, name);
    return name;
  }

  /** A float32 constant (dims [] for a scalar), shared by value. */
  f32(values: ArrayLike<number>, dims: number[] = [values.length]): string {
    const arr = Float32Array.from(values);
    const key = `f32:${dims.join('x')}:${Array.from(arr).join(',')}`;
    const have = this.consts.get(key);
    if (have) return have;
    const name = this.name('/const', `f32_${this.consts.size}`);
    this.initializers.push(makeTensor(name, DT.FLOAT, dims, new Uint8Array(arr.buffer)));
    this.consts.set(key, name);
    return name;
  }

  input(name: string, elemType: number, dims: Dim[]): string {
    this.used.add(name);
    this.inputs.push(makeValueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: number, dims: Dim[]): void {
    this.outputs.push(makeValueInfo(name, elemType, dims));
  }
}
