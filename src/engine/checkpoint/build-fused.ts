// The fused form of the decoder graph (issue 16, item 5): the same computation as
// build-decoder.ts, written with onnxruntime's contrib ops, as onnxruntime-genai exports are:
//   - attention: one com.microsoft GroupQueryAttention per layer, rotary inside (do_rotary,
//     cos/sin caches [max_positions, head_dim/2] in the rotate_half layout), the per-row lengths
//     given as seqlens_k = Σmask − 1. It reads a row's tokens by length, so it cannot take
//     left-padded rows: the engine then batches prompts of one length (paddingUnsafeOps).
//   - residual adds + RMSNorms: com.microsoft SkipSimplifiedLayerNormalization (output 3 is the
//     residual sum, which the residual walk follows); the first norm SimplifiedLayerNormalization.
// Same I/O as the standard form, except there is no position_ids input (GQA derives positions
// from the lengths). Which form the builder writes by default is chosen by measurement
// (BENCHMARKS.md, "Checkpoint graph form").

import { attrFloat, DT, makeModel, makeNode, makeTensor, type Attribute, type ModelProto } from '../onnx/proto.js';
import type { ArchSpec } from './arch.js';
import type { WeightRef } from './build-decoder.js';
import { attrInt, attrInts, GraphBuilder } from './graph-builder.js';

export type GraphForm = 'standard' | 'fused';
export const GRAPH_FORMS: readonly GraphForm[] = ['standard', 'fused'];

const MS = 'com.microsoft';

/** Why the fused form cannot express this architecture, or undefined when it can. */
export function fusedUnsupported(s: ArchSpec): string | undefined {
  if (!['llama', 'mistral', 'qwen2', 'qwen3'].includes(s.modelType)) return `model_type ${s.modelType} (fused form: llama, mistral, qwen2, qwen3)`;
  if (s.norms !== 'pre' || s.normPlusOne) return 'norms other than pre-norm RMSNorm';
  if (s.embedScale !== undefined || s.residualMultiplier !== undefined || s.logitsDivisor !== undefined) return 'embedding, residual or logit multipliers';
  if (s.attnSoftcap !== undefined || s.finalSoftcap !== undefined) return 'soft-capping';
  if (s.act !== 'silu' || s.fused || s.oBias || s.mlpBias || s.qkNorm === 'full' || s.invFreqLocal) return 'this block layout';
  if (s.slidingWindow !== undefined && !s.slidingLayers.every(Boolean)) return 'sliding-window attention on some layers only';
  return undefined;
}

export function buildFusedDecoderGraph(s: ArchSpec, weight: WeightRef, maxPositions: number): ModelProto {
  const why = fusedUnsupported(s);
  if (why) throw new Error(`the fused graph form does not implement ${why}; build the standard form`);
  const g = new GraphBuilder();
  const { numHeads: h, numKvHeads: kvh, headDim: dh } = s;
  const ids = g.input('input_ids', DT.INT64, ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', DT.INT64, ['batch_size', 'total_sequence_length']);
  const dhPast = Math.ceil(dh / 16) * 16;
  const past = Array.from({ length: s.numLayers }, (_, i) => ({
    k: g.input(`past_key_values.${i}.key`, DT.FLOAT, ['batch_size', kvh, 'past_sequence_length', dhPast]),
    v: g.input(`past_key_values.${i}.value`, DT.FLOAT, ['batch_size', kvh, 'past_sequence_length', dhPast]),
  }));

  // seqlens_k [b] int32 = Σmask − 1; total_sequence_length int32 scalar = mask length
  const M = '/model/attn_lengths';
  const sum = g.op(M, 'ReduceSum', [mask, g.i64([1])], [attrInt('keepdims', 0)]);
  const seqlensK = g.op(M, 'Cast', [g.op(M, 'Sub', [sum, g.i64([1], [])])], [attrInt('to', DT.INT32)]);
  const total = g.op(M, 'Cast', [g.op(M, 'Gather', [g.op(M, 'Shape', [mask]), g.i64([1], [])], [attrInt('axis', 0)])], [attrInt('to', DT.INT32)]);

  // rotary tables: position × inv_freq rounded to float32 first, as torch and the standard form compute it
  // onnxruntime's CPU GroupQueryAttention wants head_size % 16 == 0: a smaller head (the tiny
  // fixtures) runs padded with zeros at the end of each rotary half, so the rotate_half pairs stay
  // pairs; zero q/k entries add nothing to the scores, zero v columns are sliced off after.
  const half = dh / 2;
  const halfP = dhPast / 2;
  const cos = new Float32Array(maxPositions * halfP).fill(1);
  const sin = new Float32Array(maxPositions * halfP);
  for (let p = 0; p < maxPositions; p++) {
    for (let j = 0; j < half; j++) {
      const a = Math.fround(p * s.invFreq[j]!);
      cos[p * halfP + j] = Math.cos(a);
      sin[p * halfP + j] = Math.sin(a);
    }
  }
  g.initializers.push(makeTensor('cos_cache', DT.FLOAT, [maxPositions, halfP], new Uint8Array(cos.buffer)));
  g.initializers.push(makeTensor('sin_cache', DT.FLOAT, [maxPositions, halfP], new Uint8Array(sin.buffer)));
  const padHeads = (scope: string, x: string, n: number): string => {
    if (halfP === half) return x;
    const y = g.op(scope, 'Reshape', [x, g.i64([0, 0, n, 2, half])]);
    const z = g.op(scope, 'Pad', [y, g.i64([0, 0, 0, 0, 0, 0, 0, 0, 0, halfP - half])]);
    return g.op(scope, 'Reshape', [z, g.i64([0, 0, n * dhPast])]);
  };
  const unpadHeads = (scope: string, x: string): string => {
    if (halfP === half) return x;
    const y = g.op(scope, 'Reshape', [x, g.i64([0, 0, h, 2, halfP])]);
    const z = g.op(scope, 'Slice', [y, g.i64([0]), g.i64([half]), g.i64([4])]);
    return g.op(scope, 'Reshape', [z, g.i64([0, 0, h * dh])]);
  };
  const [cosCache, sinCache] = ['cos_cache', 'sin_cache'];

  const eps = attrFloat('epsilon', s.eps);
  // a node with several (possibly empty) outputs, in a given domain
  const opRaw = (scope: string, opType: string, inputs: string[], outputs: string[], attrs: Attribute[], domain: string) => {
    g.nodes.push(makeNode(opType, inputs, outputs, `${scope}/${opType}_${g.nodes.length}`, attrs, domain));
  };
  const linear = (scope: string, x: string, w: string, bias?: string): string => {
    const y = g.op(scope, 'MatMul', [x, g.op(scope, 'Transpose', [weight(w)], [attrInts('perm', [1, 0])])]);
    return bias ? g.op(scope, 'Add', [y, weight(bias)]) : y;
  };
  // Qwen3: RMSNorm per head of q and k before the rotary (which GQA applies inside)
  const headNorm = (scope: string, x: string, n: number, w: string): string => {
    const y = g.op(scope, 'Reshape', [x, g.i64([0, 0, n, dh])]);
    const z = g.op(scope, 'SimplifiedLayerNormalization', [y, weight(w)], [attrInt('axis', -1), eps, attrInt('stash_type', 1)]);
    return g.op(scope, 'Reshape', [z, g.i64([0, 0, n * dh])]);
  };
  // the residual sum x + y and its norm: [normalised, sum]
  const skipNorm = (scope: string, x: string, y: string, w: string, named: boolean): [string, string] => {
    const norm = g.name(scope, 'norm_out');
    const sumOut = named ? g.name(scope, 'residual_sum') : '';
    opRaw(scope, 'SkipSimplifiedLayerNormalization', [x, y, weight(w)], [norm, '', '', sumOut], [eps], MS);
    return [norm, sumOut];
  };

  let x = g.op('/model/embed_tokens', 'Gather', [weight('model.embed_tokens.weight'), ids], [attrInt('axis', 0)]);
  let xn = g.op('/model/layers.0/input_layernorm', 'SimplifiedLayerNormalization', [x, weight('model.layers.0.input_layernorm.weight')], [attrInt('axis', -1), eps, attrInt('stash_type', 1)]);
  for (let i = 0; i < s.numLayers; i++) {
    const P = `/model/layers.${i}`;
    const p = `model.layers.${i}`;
    const A = `${P}/self_attn`;
    const b = (n: string) => (s.qkvBias ? `${p}.self_attn.${n}.bias` : undefined);
    let q = linear(`${A}/q_proj`, xn, `${p}.self_attn.q_proj.weight`, b('q_proj'));
    let k = linear(`${A}/k_proj`, xn, `${p}.self_attn.k_proj.weight`, b('k_proj'));
    const v = linear(`${A}/v_proj`, xn, `${p}.self_attn.v_proj.weight`, b('v_proj'));
    if (s.qkNorm === 'head') {
      q = headNorm(`${A}/q_norm`, q, h, `${p}.self_attn.q_norm.weight`);
      k = headNorm(`${A}/k_norm`, k, kvh, `${p}.self_attn.k_norm.weight`);
    }
    const ctx = g.name(A, 'GroupQueryAttention_out');
    const attrs = [
      attrInt('num_heads', h), attrInt('kv_num_heads', kvh), attrInt('do_rotary', 1), attrInt('rotary_interleaved', 0), attrFloat('scale', s.attnScale),
      // HF: key j is seen from query i when i − j < window; ORT's local_window_size = window gives the same keys (mistral-fp16 golden, window 8)
      ...(s.slidingWindow !== undefined ? [attrInt('local_window_size', s.slidingWindow)] : []),
    ];
    [q, k] = [padHeads(`${A}/q_pad`, q, h), padHeads(`${A}/k_pad`, k, kvh)];
    opRaw(A, 'GroupQueryAttention', [q, k, padHeads(`${A}/v_pad`, v, kvh), past[i]!.k, past[i]!.v, seqlensK, total, cosCache, sinCache], [ctx, `present.${i}.key`, `present.${i}.value`], attrs, MS);
    const attn = linear(`${A}/o_proj`, unpadHeads(`${A}/unpad`, ctx), `${p}.self_attn.o_proj.weight`);
    const [hn, h1] = skipNorm(`${P}/post_attention_layernorm`, x, attn, `${p}.post_attention_layernorm.weight`, true);
    const F = `${P}/mlp`;
    const gate = linear(`${F}/gate_proj`, hn, `${p}.mlp.gate_proj.weight`);
    const up = linear(`${F}/up_proj`, hn, `${p}.mlp.up_proj.weight`);
    const act = g.op(F, 'Mul', [g.op(F, 'Mul', [gate, g.op(F, 'Sigmoid', [gate])]), up]);
    const mlp = linear(`${F}/down_proj`, act, `${p}.mlp.down_proj.weight`);
    const last = i === s.numLayers - 1;
    const nextNorm = last ? 'model.norm.weight' : `model.layers.${i + 1}.input_layernorm.weight`;
    // the last block output feeds only the final norm: its sum stays unnamed, as ORT's optimizer leaves it
    [xn, x] = skipNorm(last ? '/model/norm' : `/model/layers.${i + 1}/input_layernorm`, h1, mlp, nextNorm, !last);
  }
  const lmW = s.tied ? 'model.embed_tokens.weight' : 'lm_head.weight';
  g.op('/lm_head', 'MatMul', [xn, g.op('/lm_head', 'Transpose', [weight(lmW)], [attrInts('perm', [1, 0])])], [], 'logits');

  g.output('logits', DT.FLOAT, ['batch_size', 'sequence_length', s.vocab]);
  for (let i = 0; i < s.numLayers; i++) {
    for (const kv of ['key', 'value']) g.output(`present.${i}.${kv}`, DT.FLOAT, ['batch_size', kvh, 'total_sequence_length', dhPast]);
  }
  return makeModel(
    { name: `refusal-lens-${s.modelType}-fused`, node: g.nodes, initializer: g.initializers, input: g.inputs, output: g.outputs, valueInfo: [] },
    [{ domain: '', version: 17 }, { domain: MS, version: 1 }],
    8,
  );
}
