// The hooking rewrite (docs/ARCHITECTURE.md, "The hooked graph"): after each block output r
// insert   r' = r + add;  r'' = r' − (r'·projT)·proj;
//          c = r''·capU;  r''' = r'' + (min(max(c, capLo), capHi) − c)·capUT;  read = r'''·axesT
// and make every former consumer of r read r''. Zero inputs leave every value bit-identical.

import { GraphView } from './graph';
import {
  Attribute, attrInt, decodeModel, DT, encodeModel, GraphProto, makeNode, makeTensor, makeValueInfo, ModelProto, NodeProto, opsetVersion, ProtoError, ValueInfo,
} from './proto';
import { findResidualStream, isSkipNorm, ResidualError, residualDtype, ResidualDtype } from './residual';
import { addLogitLens, type LensLayer } from './lens';
import { hookNames, LAST_POSITION } from './names';

/** Bump whenever the rewritten graph or its HookInfo changes: it is part of the cache key (3: paddingUnsafeOps, 4: cap inputs, 5: the cap in float32 on fp16 residuals, 6: the logit lens). */
export const REWRITE_VERSION = 6;

export interface HookLayer {
  layer: number;
  /** the block output value hooked (named by the rewrite if it was unnamed) */
  value: string;
  /** op that produced it: Add, SkipSimplifiedLayerNormalization, ... */
  producerOp: string;
  inputNames: { add: string; proj: string; projT: string; capU: string; capUT: string; capLo: string; capHi: string; axesT: string };
  outputNames: { read: string; resid: string };
}

export interface HookInfo {
  rewriteVersion: number;
  numLayers: number;
  dModel: number;
  residualDtype: ResidualDtype;
  layers: HookLayer[];
  /**
   * true when the graph output `logits` is computed for the last position only ([batch, 1, vocab]):
   * a Slice was put on the input of the lm_head MatMul. false when no lm_head MatMul was
   * recognised; `logits` is then [batch, seq, vocab] as in the source graph.
   */
  lastPositionLogits: boolean;
  /**
   * Attention ops of the graph that take per-row lengths instead of a mask
   * (com.microsoft GroupQueryAttention, as in onnxruntime-genai exports): they read a row's tokens
   * from the left, so a left-padded row is computed wrong. Rows of one batch must then have equal
   * lengths. Empty when the graph masks padding itself.
   */
  paddingUnsafeOps: string[];
  /**
   * true when the graph has the logit lens (rl.lens.* inputs and outputs, src/engine/onnx/lens.ts);
   * false when the tail from the last block to `logits` could not be copied (`logitLensReason` says why).
   */
  logitLens: boolean;
  logitLensReason?: string;
}

/** com.microsoft ops that locate each row's tokens from seqlens_k rather than an attention mask. */
const LENGTH_ATTENTION_OPS = new Set(['GroupQueryAttention', 'SparseAttention', 'PagedAttention']);

export interface HookOptions {
  numLayers: number;
  dModel: number;
}

export class HookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HookError';
  }
}

export { hookNames };

function checkOptions(opts: HookOptions): void {
  for (const k of ['numLayers', 'dModel'] as const) {
    const v = opts[k];
    if (!Number.isInteger(v) || v < 1) throw new HookError(`hook options: ${k} must be a positive integer, got ${String(v)}`);
  }
}

/**
 * Rewrite a decoded model in place and describe what was hooked.
 * Throws ResidualError when no residual chain fits, HookError for other mismatches.
 */
export function hookDecodedModel(model: ModelProto, opts: HookOptions): HookInfo {
  checkOptions(opts);
  const g = model.graph;
  const view = new GraphView(g);
  if (view.inputs.has('rl.add.0') || view.producers.has('rl.resid.0')) throw new HookError('the graph is already hooked (it has rl.add.0 / rl.resid.0)');
  const stream = findResidualStream(view, opts.numLayers);
  const emb = stream.embedding.node;
  const table = emb.opType === 'Gather' ? view.constantTensor(emb.input[0] ?? '') : undefined;
  if (table && table.dims.length === 2 && table.dims[1] !== opts.dModel) {
    throw new HookError(`embedding table '${table.name}' has shape [${table.dims.join(', ')}]; config says d_model ${opts.dModel}`);
  }
  const { dtype, onnx: elem } = residualDtype(view, stream);
  const { dModel } = opts;

  const after = new Map<number, NodeProto[]>();
  const newInputs: ValueInfo[] = [];
  const newOutputs: ValueInfo[] = [];
  const layers: HookLayer[] = [];
  const lensLayers: LensLayer[] = [];

  for (const b of stream.blocks) {
    const l = b.layer;
    const names = hookNames(l);
    const { add, proj, projT, capU, capUT, capLo, capHi, axesT } = names.inputNames;
    const { read, resid } = names.outputNames;
    const P = b.node;
    const at = g.node.indexOf(P);
    const nodes: NodeProto[] = [];
    const node = (op: string, ins: string[], out: string, attrs: Attribute[] = []) => nodes.push(makeNode(op, ins, [out], `rl/${out}`, attrs));

    let r = b.value;
    if (!r) {
      r = `rl.sum.${l}`; // a fused norm's unnamed residual sum
      while (P.output.length < 4) P.output.push('');
      P.output[b.outputIndex] = r;
    }
    const consumers = view.consumersOf(r);
    // a graph output keeps its name: it is re-made from r'' by an Identity
    let src = r;
    if (view.outputs.has(r)) {
      src = `rl.pre.${l}`;
      P.output[b.outputIndex] = src;
    }

    // fp16/bf16 residual: inputs stay float32 for the caller and are cast here
    const cast = (v: string) => {
      if (elem === DT.FLOAT) return v;
      node('Cast', [v], `${v}.h`, [attrInt('to', elem)]);
      return `${v}.h`;
    };
    const addV = cast(add);
    const projTV = cast(projT);
    const projV = cast(proj);
    const r2 = elem === DT.FLOAT ? resid : `${resid}.h`;
    node('Add', [src, addV], `rl.steered.${l}`);
    node('MatMul', [`rl.steered.${l}`, projTV], `rl.coef.${l}`);
    node('MatMul', [`rl.coef.${l}`, projV], `rl.component.${l}`);
    node('Sub', [`rl.steered.${l}`, `rl.component.${l}`], `rl.projected.${l}`);
    // cap, computed in float32 even for an fp16 residual (ORT's CPU fp16 Min/Max moved an
    // unclamped projection by an ulp): zero capU gives c = 0, clamp(0) = 0 (bounds −inf/+inf)
    // and a +0 shift, and an unclamped c gives clamp(c) − c = +0, so r''' = r'' exactly
    const projected32 = elem === DT.FLOAT ? `rl.projected.${l}` : `rl.projected.${l}.f`;
    if (elem !== DT.FLOAT) node('Cast', [`rl.projected.${l}`], projected32, [attrInt('to', DT.FLOAT)]);
    node('MatMul', [projected32, capU], `rl.capc.${l}`);
    node('Max', [`rl.capc.${l}`, capLo], `rl.capmax.${l}`);
    node('Min', [`rl.capmax.${l}`, capHi], `rl.capclamp.${l}`);
    node('Sub', [`rl.capclamp.${l}`, `rl.capc.${l}`], `rl.capdelta.${l}`);
    node('MatMul', [`rl.capdelta.${l}`, capUT], `rl.capshift.${l}`);
    const shift = cast(`rl.capshift.${l}`);
    if (isSkipNorm(P)) fusedAddAndNorm(P, `rl.projected.${l}`, shift, r2, l, nodes);
    else node('Add', [`rl.projected.${l}`, shift], r2);
    if (elem !== DT.FLOAT) node('Cast', [r2], resid, [attrInt('to', DT.FLOAT)]);
    node('MatMul', [resid, axesT], read); // readouts in float32 even for an fp16 residual

    if (src !== r) node('Identity', [r2], r);
    else for (const c of consumers) c.node.input[c.index] = r2;

    after.set(at, [...(after.get(at) ?? []), ...nodes]);
    newInputs.push(
      makeValueInfo(add, DT.FLOAT, [dModel]),
      makeValueInfo(proj, DT.FLOAT, [`rl_k_${l}`, dModel]),
      makeValueInfo(projT, DT.FLOAT, [dModel, `rl_k_${l}`]),
      makeValueInfo(capU, DT.FLOAT, [dModel, `rl_m_${l}`]),
      makeValueInfo(capUT, DT.FLOAT, [`rl_m_${l}`, dModel]),
      makeValueInfo(capLo, DT.FLOAT, [`rl_m_${l}`]),
      makeValueInfo(capHi, DT.FLOAT, [`rl_m_${l}`]),
      makeValueInfo(axesT, DT.FLOAT, [dModel, `rl_n_${l}`]),
    );
    // output shapes are left undeclared so they never conflict with inferred symbolic dims
    newOutputs.push(makeValueInfo(read, DT.FLOAT), makeValueInfo(resid, DT.FLOAT));
    layers.push({ layer: l, value: r, producerOp: b.op, ...names });
    lensLayers.push({ layer: l, value: r2 });
  }

  // new nodes go right after the block output's producer: the order stays topological
  const out: NodeProto[] = [];
  g.node.forEach((n, i) => {
    out.push(n);
    const extra = after.get(i);
    if (extra) out.push(...extra);
  });
  g.node = out;
  g.input = [...g.input, ...newInputs];
  g.output = [...g.output, ...newOutputs];
  // the lens copies the tail before the Slice makes it last-position only
  const lens = addLogitLens(g, lensLayers, opsetVersion(model, '') ?? 0);
  // Slice with starts/ends/axes inputs needs opset 10
  const lastPositionLogits = (opsetVersion(model, '') ?? 0) >= 10 && sliceLogitsToLastPosition(g);
  const paddingUnsafeOps = [...new Set(g.node.filter((n) => n.domain === 'com.microsoft' && LENGTH_ATTENTION_OPS.has(n.opType)).map((n) => n.opType))];
  return {
    rewriteVersion: REWRITE_VERSION, numLayers: opts.numLayers, dModel, residualDtype: dtype, layers, lastPositionLogits, paddingUnsafeOps,
    logitLens: lens.ok, ...(lens.ok ? {} : { logitLensReason: lens.reason }),
  };
}

// Ops between lm_head and the `logits` output that act on each position alone (final logit
// softcapping: Div → Tanh → Mul; a bias Add; a Cast to float32).
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Tanh', 'Cast', 'Identity']);
const INT64_MAX = 0x7fffffffffffffffn;

function int64Init(name: string, v: bigint) {
  const raw = new Uint8Array(8);
  new DataView(raw.buffer).setBigInt64(0, v, true);
  return makeTensor(name, DT.INT64, [1], raw);
}

/**
 * The engine reads only the last position's logits (generate/loop.ts, `lastLogits`), so the
 * lm_head MatMul need not run on the others. Walks back from the output `logits` through
 * per-position elementwise ops to the first MatMul with a constant weight (tied embeddings:
 * possibly a Transpose of the embedding table) and slices its other input to the last position
 * (Slice axes [1], starts [-1]). The kept row came out bit-identical to the source's last row on
 * every fixture form and the 12-layer bench model (ORT's CPU MatMul); a MatMulNBits lm_head rounds
 * one row differently from many (~1e-7 relative, docs/ARCHITECTURE.md). Leaves the graph
 * unchanged and returns false when the chain is not recognised.
 */
function sliceLogitsToLastPosition(g: GraphProto): boolean {
  const view = new GraphView(g);
  const declared = g.output.find((v) => v.name === 'logits');
  if (!declared || (declared.dims && declared.dims.length !== 3)) return false;
  const chain: string[] = []; // values whose seq dim becomes 1: the lm_head output down to logits
  let value = 'logits';
  for (let steps = 0; steps < 16; steps++) {
    const p = view.producers.get(value);
    if (!p || p.index !== 0) return false;
    // each value below `logits` feeds the chain only: nothing else may see it sliced
    const readers = view.consumersOf(value).length;
    if (value === 'logits' ? readers !== 0 : readers !== 1 || view.outputs.has(value)) return false;
    chain.push(value);
    const n = p.node;
    const live = n.input.filter((x) => x !== '' && !view.isConstant(x));
    if (live.length !== 1) return false;
    const x = live[0]!;
    const isMatMul = (!n.domain && n.opType === 'MatMul') || (n.domain === 'com.microsoft' && n.opType === 'MatMulNBits');
    if (isMatMul) {
      // activations × constant weight; a constant on the left is not [batch, seq, d] × W
      if (n.input[0] !== x) return false;
      const xDims = view.typeOf(x)?.dims;
      if (xDims && xDims.length !== 3) return false;
      const sliced = LAST_POSITION;
      const [starts, ends, axes] = ['starts', 'ends', 'axes'].map((k) => `${LAST_POSITION}.${k}`) as [string, string, string];
      g.initializer = [...g.initializer, int64Init(starts, -1n), int64Init(ends, INT64_MAX), int64Init(axes, 1n)];
      const slice = makeNode('Slice', [x, starts, ends, axes], [sliced], `rl/${sliced}`);
      n.input[0] = sliced;
      g.node = [...g.node.slice(0, p.nodeIndex), slice, ...g.node.slice(p.nodeIndex)];
      // a declared seq dim (a size or a symbol shared with the inputs) would now be wrong
      g.output = g.output.map((v) => (v.name === 'logits' && v.dims ? { name: v.name, elemType: v.elemType, dims: [v.dims[0]!, 1, v.dims[2]!] } : v));
      const stale = new Set(chain);
      g.valueInfo = g.valueInfo.filter((v) => !stale.has(v.name));
      return true;
    }
    // Gemm is 2-D only ([batch·seq, d] after a Reshape): axis 1 is not the sequence there
    if (n.domain || !ELEMENTWISE.has(n.opType)) return false;
    value = x;
  }
  return false;
}

/**
 * Fused form: the original op's output 0 was normalised from the un-intervened sum. A second
 * op of the same kind computes r''' = r'' + shift (the cap's shift) as its output 3 and the
 * normalised output 0 from it with the same kernel, gamma, beta and epsilon, so zero inputs
 * (shift +0) give bit-identical results. The original output 0 is renamed and left unused.
 */
function fusedAddAndNorm(P: NodeProto, projected: string, shift: string, r2: string, l: number, nodes: NodeProto[]): void {
  const y = P.output[0] ?? '';
  if (y) P.output[0] = `rl.unused.${l}`;
  const gamma = P.input[2] ?? '';
  if (!gamma) throw new HookError(`fused norm ${P.opType} '${P.name}' has no gamma input`);
  // the bias (SkipSimplified input 3, SkipLayerNorm input 4) is already inside the sum
  const ins = P.opType === 'SkipLayerNormalization' && P.input[3] ? [projected, shift, gamma, P.input[3]] : [projected, shift, gamma];
  const epsilon = P.attributes.filter((a) => a.name === 'epsilon');
  nodes.push(makeNode(P.opType, ins, [y || `rl.norm.${l}`, '', '', r2], `rl/${r2}`, epsilon, P.domain));
}

/** Hook an ONNX model given as bytes. Errors name what was wrong (corrupt bytes, no chain, ...). */
export function hookModel(bytes: Uint8Array, opts: HookOptions): { bytes: Uint8Array; info: HookInfo } {
  const model = decodeModel(bytes);
  const info = hookDecodedModel(model, opts);
  return { bytes: encodeModel(model), info };
}

export { ProtoError, ResidualError };
