// The decoder graph of a llama / mistral / qwen2 / qwen3 / gemma2 / gemma3_text / phi3 / olmo2 / granite checkpoint in standard ONNX ops
// (opset 17, float32), in the onnx-community I/O layout, so the hooking rewrite and the
// generation loop treat it as any export:
//   inputs  input_ids [b, s], attention_mask [b, past + s], position_ids [b, s] (int64),
//           past_key_values.{i}.key/.value [b, kv_heads, past, head_dim]
//   outputs logits [b, s, vocab], present.{i}.key/.value [b, kv_heads, past + s, head_dim]
// Each block output is an Add of two computed values (attention and MLP residual adds), the
// form the residual walk of onnx/residual.ts follows. Attention takes an explicit boolean mask
// (causal ∧ not padding ∧ window), so left-padded rows are exact; a fully masked query row
// (a padding position) gets a uniform softmax instead of NaN, as transformers' does.

import { DT, makeModel, type ModelProto } from '../onnx/proto.js';
import type { ArchSpec } from './arch.js';
import { attrInt, attrInts, GraphBuilder } from './graph-builder.js';

/** Returns the initializer name holding the named checkpoint tensor. */
export type WeightRef = (tensor: string) => string;

/** A weight block-quantised for com.microsoft MatMulNBits / GatherBlockQuantized (quantize.ts layout). */
export interface QuantWeight {
  packed: string;
  scales: string;
  zeroPoints: string;
  bits: number;
  blockSize: number;
  /** rows (output features / vocabulary) and columns (input features / d_model) */
  n: number;
  k: number;
  /** MatMulNBits accuracy_level: 0 = float32 activations, 4 = activations quantised to int8 per block */
  accuracyLevel: number;
}

/** How weights other than float32 initializers enter the graph (default: all float32). */
export interface WeightForms {
  /** stored as float16: one Cast to float32 each, folded by onnxruntime at load */
  half?: (tensor: string) => boolean;
  /** a linear weight (q/k/v/o, gate/up/down, fused ones, lm_head) as MatMulNBits inputs */
  linear?: (tensor: string) => QuantWeight | undefined;
  /** the embedding table as GatherBlockQuantized inputs */
  embedding?: QuantWeight;
}

const F32_MIN = -3.4028234663852886e38;
const MS = 'com.microsoft';

export function buildDecoderGraph(s: ArchSpec, stored: WeightRef, forms: WeightForms = {}): ModelProto {
  const g = new GraphBuilder();
  const casts = new Map<string, string>();
  const weight = (t: string): string => {
    if (!forms.half?.(t)) return stored(t);
    let c = casts.get(t);
    if (!c) casts.set(t, (c = g.op('/weights', 'Cast', [stored(t)], [attrInt('to', DT.FLOAT)])));
    return c;
  };
  let contrib = false;
  // x · Wᵀ for an HF weight [out, in]: MatMulNBits keeps the [N, K] layout, MatMul needs W transposed
  // (a constant Transpose, folded by onnxruntime at load)
  const matmulT = (scope: string, x: string, w: string, out?: string): string => {
    const q = forms.linear?.(w);
    if (!q) return g.op(scope, 'MatMul', [x, g.op(scope, 'Transpose', [weight(w)], [attrInts('perm', [1, 0])])], [], out);
    contrib = true;
    return g.op(scope, 'MatMulNBits', [x, q.packed, q.scales, q.zeroPoints], [
      attrInt('K', q.k), attrInt('N', q.n), attrInt('bits', q.bits), attrInt('block_size', q.blockSize), ...(q.accuracyLevel ? [attrInt('accuracy_level', q.accuracyLevel)] : []),
    ], out, MS);
  };
  const { numHeads: h, numKvHeads: kvh, headDim: dh } = s;
  const ids = g.input('input_ids', DT.INT64, ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', DT.INT64, ['batch_size', 'total_sequence_length']);
  const pos = g.input('position_ids', DT.INT64, ['batch_size', 'sequence_length']);
  const past = Array.from({ length: s.numLayers }, (_, i) => ({
    k: g.input(`past_key_values.${i}.key`, DT.FLOAT, ['batch_size', kvh, 'past_sequence_length', dh]),
    v: g.input(`past_key_values.${i}.value`, DT.FLOAT, ['batch_size', kvh, 'past_sequence_length', dh]),
  }));

  // ---- shared: attention mask [b, 1, 1, s, t] and rotary cos/sin [b, 1, s, dh] ----
  const M = '/model/mask';
  const sLen = g.op(M, 'Gather', [g.op(M, 'Shape', [ids]), g.i64([1], [])], [attrInt('axis', 0)]);
  const tLen = g.op(M, 'Gather', [g.op(M, 'Shape', [mask]), g.i64([1], [])], [attrInt('axis', 0)]);
  const qIdx = g.op(M, 'Range', [g.op(M, 'Sub', [tLen, sLen]), tLen, g.i64([1], [])]); // cache index of each query
  const kIdx = g.op(M, 'Range', [g.i64([0], []), tLen, g.i64([1], [])]);
  const qCol = g.op(M, 'Unsqueeze', [qIdx, g.i64([1])]); // [s, 1]
  const kRow = g.op(M, 'Unsqueeze', [kIdx, g.i64([0])]); // [1, t]
  const causal = g.op(M, 'LessOrEqual', [kRow, qCol]); // [s, t]
  const notPad = g.op(M, 'Unsqueeze', [g.op(M, 'Cast', [mask], [attrInt('to', DT.BOOL)]), g.i64([1, 2])]); // [b, 1, 1, t]
  const mask5Of = (allowed: string) => g.op(M, 'Unsqueeze', [g.op(M, 'And', [allowed, notPad]), g.i64([2])]); // [b, 1, 1, s, t]
  const fullMask = s.slidingLayers.every(Boolean) ? undefined : mask5Of(causal);
  let windowMask: string | undefined;
  if (s.slidingWindow !== undefined && s.slidingLayers.some(Boolean)) {
    const inWindow = g.op(M, 'Greater', [kRow, g.op(M, 'Sub', [qCol, g.i64([s.slidingWindow], [])])]);
    windowMask = mask5Of(g.op(M, 'And', [causal, inWindow]));
  }
  const negInf = g.f32([F32_MIN], []);
  const softcap = (scope: string, x: string, cap: number | undefined, out?: string): string => {
    if (cap === undefined) return out ? g.op(scope, 'Identity', [x], [], out) : x;
    const c = g.f32([cap], []);
    return g.op(scope, 'Mul', [g.op(scope, 'Tanh', [g.op(scope, 'Div', [x, c])]), c], [], out);
  };

  const R = '/model/rotary';
  const posF = g.op(R, 'Unsqueeze', [g.op(R, 'Cast', [pos], [attrInt('to', DT.FLOAT)]), g.i64([2])]); // [b, s, 1]
  const rotary = (invFreq: Float32Array) => {
    const freqs = g.op(R, 'Mul', [posF, g.f32(invFreq)]); // [b, s, dh/2]
    const emb = g.op(R, 'Concat', [freqs, freqs], [attrInt('axis', -1)]);
    return { cos: g.op(R, 'Unsqueeze', [g.op(R, 'Cos', [emb]), g.i64([1])]), sin: g.op(R, 'Unsqueeze', [g.op(R, 'Sin', [emb]), g.i64([1])]) }; // [b, 1, s, dh]
  };
  const globalRope = rotary(s.invFreq);
  const localRope = s.invFreqLocal ? rotary(s.invFreqLocal) : globalRope; // Gemma 3: sliding layers' rope
  const halves = g.i64([dh / 2, dh / 2]);

  const rmsNorm = (scope: string, x: string, w: string): string => {
    const ms = g.op(scope, 'ReduceMean', [g.op(scope, 'Mul', [x, x])], [attrInts('axes', [-1]), attrInt('keepdims', 1)]);
    const inv = g.op(scope, 'Reciprocal', [g.op(scope, 'Sqrt', [g.op(scope, 'Add', [ms, g.f32([s.eps], [])])])]);
    // Gemma 2 stores w − 1 and scales by (1 + w): a constant Add, folded at load
    const scale = s.normPlusOne ? g.op(scope, 'Add', [weight(w), g.f32([1], [])]) : weight(w);
    return g.op(scope, 'Mul', [g.op(scope, 'Mul', [x, inv]), scale]);
  };
  const activation = (scope: string, x: string): string => {
    if (s.act === 'silu') return g.op(scope, 'Mul', [x, g.op(scope, 'Sigmoid', [x])]);
    // gelu_pytorch_tanh: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
    const x3 = g.op(scope, 'Mul', [g.op(scope, 'Mul', [x, x]), x]);
    const inner = g.op(scope, 'Mul', [g.op(scope, 'Add', [x, g.op(scope, 'Mul', [x3, g.f32([0.044715], [])])]), g.f32([Math.sqrt(2 / Math.PI)], [])]);
    return g.op(scope, 'Mul', [g.op(scope, 'Mul', [x, g.f32([0.5], [])]), g.op(scope, 'Add', [g.op(scope, 'Tanh', [inner]), g.f32([1], [])])]);
  };
  // HF Linear: weight [out, in], so x · Wᵀ (+ b); onnxruntime folds the constant Transpose at load
  const linear = (scope: string, x: string, w: string, bias?: string): string => {
    const y = matmulT(scope, x, w);
    return bias ? g.op(scope, 'Add', [y, weight(bias)]) : y;
  };
  const rope = (scope: string, x: string, { cos, sin }: { cos: string; sin: string }): string => {
    const [x1, x2] = g.opMulti(scope, 'Split', [x, halves], 2, [attrInt('axis', -1)]) as [string, string];
    const rot = g.op(scope, 'Concat', [g.op(scope, 'Neg', [x2]), x1], [attrInt('axis', -1)]);
    return g.op(scope, 'Add', [g.op(scope, 'Mul', [x, cos]), g.op(scope, 'Mul', [rot, sin])]);
  };
  const heads = (scope: string, x: string, n: number, norm?: string): string => {
    let y = g.op(scope, 'Reshape', [x, g.i64([0, 0, n, dh])]); // [b, s, n, dh]
    if (norm) y = rmsNorm(`${scope}/norm`, y, norm);
    return g.op(scope, 'Transpose', [y], [attrInts('perm', [0, 2, 1, 3])]); // [b, n, s, dh]
  };

  const eq = forms.embedding;
  if (eq) contrib = true;
  let x = eq
    ? g.op('/model/embed_tokens', 'GatherBlockQuantized', [eq.packed, ids, eq.scales, eq.zeroPoints],
      [attrInt('gather_axis', 0), attrInt('quantize_axis', 1), attrInt('block_size', eq.blockSize), attrInt('bits', eq.bits)], undefined, MS)
    : g.op('/model/embed_tokens', 'Gather', [weight('model.embed_tokens.weight'), ids], [attrInt('axis', 0)]);
  if (s.embedScale !== undefined) x = g.op('/model/embed_tokens', 'Mul', [x, g.f32([s.embedScale], [])]);
  for (let i = 0; i < s.numLayers; i++) {
    const P = `/model/layers.${i}`;
    const p = `model.layers.${i}`;
    const A = `${P}/self_attn`;
    const xn = s.norms === 'post' ? x : rmsNorm(`${P}/input_layernorm`, x, `${p}.input_layernorm.weight`);
    const b = (n: string) => (s.qkvBias ? `${p}.self_attn.${n}.bias` : undefined);
    const [qLin, kLin, vLin] = s.fused
      ? (g.opMulti(`${A}/qkv_proj`, 'Split', [linear(`${A}/qkv_proj`, xn, `${p}.self_attn.qkv_proj.weight`), g.i64([h * dh, kvh * dh, kvh * dh])], 3, [attrInt('axis', -1)]) as [string, string, string])
      : (['q', 'k', 'v'].map((n) => linear(`${A}/${n}_proj`, xn, `${p}.self_attn.${n}_proj.weight`, b(`${n}_proj`))) as [string, string, string]);
    const headNorm = (n: string) => (s.qkNorm === 'head' ? `${p}.self_attn.${n}.weight` : undefined);
    const fullNorm = (x: string, n: string) => (s.qkNorm === 'full' ? rmsNorm(`${A}/${n}`, x, `${p}.self_attn.${n}.weight`) : x);
    const cs = s.slidingLayers[i] ? localRope : globalRope;
    const q = rope(`${A}/q_rope`, heads(`${A}/q`, fullNorm(qLin, 'q_norm'), h, headNorm('q_norm')), cs);
    const k = rope(`${A}/k_rope`, heads(`${A}/k`, fullNorm(kLin, 'k_norm'), kvh, headNorm('k_norm')), cs);
    const v = heads(`${A}/v`, vLin, kvh);
    const kAll = g.op(A, 'Concat', [past[i]!.k, k], [attrInt('axis', 2)], `present.${i}.key`);
    const vAll = g.op(A, 'Concat', [past[i]!.v, v], [attrInt('axis', 2)], `present.${i}.value`);
    // grouped-query attention without copying k/v: query heads grouped by their kv head
    const qg = g.op(A, 'Reshape', [q, g.i64([0, kvh, h / kvh, -1, dh])]); // [b, kvh, rep, s, dh]
    const kT = g.op(A, 'Transpose', [g.op(A, 'Unsqueeze', [kAll, g.i64([2])])], [attrInts('perm', [0, 1, 2, 4, 3])]); // [b, kvh, 1, dh, t]
    const scores = softcap(A, g.op(A, 'Mul', [g.op(A, 'MatMul', [qg, kT]), g.f32([s.attnScale], [])]), s.attnSoftcap);
    const layerMask = s.slidingLayers[i] && windowMask ? windowMask : (fullMask ?? windowMask)!;
    const probs = g.op(A, 'Softmax', [g.op(A, 'Where', [layerMask, scores, negInf])], [attrInt('axis', -1)]);
    const ctx = g.op(A, 'MatMul', [probs, g.op(A, 'Unsqueeze', [vAll, g.i64([2])])]); // [b, kvh, rep, s, dh]
    const merged = g.op(A, 'Reshape', [g.op(A, 'Transpose', [g.op(A, 'Reshape', [ctx, g.i64([0, h, -1, dh])])], [attrInts('perm', [0, 2, 1, 3])]), g.i64([0, 0, h * dh])]);
    const attn = linear(`${A}/o_proj`, merged, `${p}.self_attn.o_proj.weight`, s.oBias ? `${p}.self_attn.o_proj.bias` : undefined);
    // sandwich (Gemma 2) and post (OLMo 2) norms normalise the sublayer outputs: post_attention_layernorm
    // is then the attention's output norm; the MLP's input norm is pre_feedforward_layernorm or none
    const out = (scope: string, y: string, norm: string) => {
      const z = s.norms === 'pre' ? y : rmsNorm(`${P}/${norm}`, y, `${p}.${norm}.weight`);
      return s.residualMultiplier === undefined ? z : g.op(scope, 'Mul', [z, g.f32([s.residualMultiplier], [])]);
    };
    const h1 = g.op(P, 'Add', [x, out(A, attn, 'post_attention_layernorm')]);

    const F = `${P}/mlp`;
    const hn = s.norms === 'post' ? h1 : s.norms === 'sandwich'
      ? rmsNorm(`${P}/pre_feedforward_layernorm`, h1, `${p}.pre_feedforward_layernorm.weight`)
      : rmsNorm(`${P}/post_attention_layernorm`, h1, `${p}.post_attention_layernorm.weight`);
    const mb = (n: string) => (s.mlpBias ? `${p}.mlp.${n}.bias` : undefined);
    const [gate, up] = s.fused
      ? (g.opMulti(`${F}/gate_up_proj`, 'Split', [linear(`${F}/gate_up_proj`, hn, `${p}.mlp.gate_up_proj.weight`), g.i64([s.ffn, s.ffn])], 2, [attrInt('axis', -1)]) as [string, string])
      : [linear(`${F}/gate_proj`, hn, `${p}.mlp.gate_proj.weight`, mb('gate_proj')), linear(`${F}/up_proj`, hn, `${p}.mlp.up_proj.weight`, mb('up_proj'))];
    const act = g.op(F, 'Mul', [activation(F, gate), up]);
    const mlp = linear(`${F}/down_proj`, act, `${p}.mlp.down_proj.weight`, mb('down_proj'));
    x = g.op(P, 'Add', [h1, out(F, mlp, 'post_feedforward_layernorm')]);
  }
  const xf = rmsNorm('/model/norm', x, 'model.norm.weight');
  const lmW = s.tied ? 'model.embed_tokens.weight' : 'lm_head.weight';
  const last = s.finalSoftcap === undefined && s.logitsDivisor === undefined;
  let raw = matmulT('/lm_head', xf, lmW, last ? 'logits' : undefined);
  if (s.logitsDivisor !== undefined) raw = g.op('/lm_head', 'Div', [raw, g.f32([s.logitsDivisor], [])], [], s.finalSoftcap === undefined ? 'logits' : undefined);
  if (s.finalSoftcap !== undefined) softcap('/model/final_logit_softcapping', raw, s.finalSoftcap, 'logits');

  g.output('logits', DT.FLOAT, ['batch_size', 'sequence_length', s.vocab]);
  for (let i = 0; i < s.numLayers; i++) {
    for (const kv of ['key', 'value']) g.output(`present.${i}.${kv}`, DT.FLOAT, ['batch_size', kvh, 'total_sequence_length', dh]);
  }
  return makeModel(
    { name: `refusal-lens-${s.modelType}`, node: g.nodes, initializer: g.initializers, input: g.inputs, output: g.outputs, valueInfo: [] },
    [{ domain: '', version: 17 }, ...(contrib ? [{ domain: MS, version: 1 }] : [])],
    8,
  );
}
