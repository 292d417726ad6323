// What a checkpoint's config.json asks the graph to compute, for the architectures the builder
// implements, and the tensors (names and shapes) that computation needs. Any config field that
// would change the computation and is not implemented is an error here, never ignored.

import { join } from 'node:path';
import { readJsonObject } from '../model/json.js';
import { CheckpointError, STORAGE_DTYPES, type CheckpointFiles, type TensorRef } from './files.js';

export const SUPPORTED_ARCHS = ['llama', 'mistral', 'qwen2', 'qwen3', 'gemma2', 'gemma3_text', 'phi3', 'olmo2', 'granite'] as const;

export interface ArchSpec {
  modelType: string;
  numLayers: number;
  dModel: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  ffn: number;
  vocab: number;
  eps: number;
  /** [headDim / 2] rotary frequencies, rope scaling applied */
  invFreq: Float32Array;
  /** Gemma 3: the sliding layers' frequencies (rope_local_base_freq, unscaled) */
  invFreqLocal?: Float32Array;
  ropeScaling: string;
  /** keys at cache index j are seen from query index i when i − j < window, on the layers marked */
  slidingWindow?: number;
  slidingLayers: boolean[];
  /** embeddings × this (Gemma 2: √d, Granite: embedding_multiplier) */
  embedScale?: number;
  /** Gemma 2: (1 + w) norms */
  normPlusOne: boolean;
  /**
   * where the block's norms sit: 'pre' (input_layernorm, post_attention_layernorm before the MLP),
   * 'sandwich' (Gemma 2: also on both sublayer outputs, pre_feedforward_layernorm before the MLP),
   * 'post' (OLMo 2: only on the sublayer outputs)
   */
  norms: 'pre' | 'sandwich' | 'post';
  /** Granite: sublayer outputs × residual_multiplier before the residual add */
  residualMultiplier?: number;
  /** Granite: logits ÷ logits_scaling */
  logitsDivisor?: number;
  act: 'silu' | 'gelu_tanh';
  /** attention scores × attnScale (1/√head_dim, Gemma 2: 1/√query_pre_attn_scalar), then cap·tanh(x/cap) */
  attnScale: number;
  attnSoftcap?: number;
  finalSoftcap?: number;
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
  /** RMSNorm of q and k before RoPE: per head (Qwen3) or over the whole projection (OLMo 2) */
  qkNorm?: 'head' | 'full';
  /** Phi-3: one qkv_proj (rows q, k, v) and one gate_up_proj (rows gate, up) */
  fused: boolean;
  /** lm_head is the embedding table */
  tied: boolean;
}

type Obj = Record<string, unknown>;

export function readArch(folder: string, files: CheckpointFiles): ArchSpec {
  const path = join(folder, 'config.json');
  const c = readJsonObject(path, 'config.json');
  const bad = (field: string, why: string): never => {
    throw new CheckpointError(`${path}: ${field}: ${why}`);
  };
  const mt = c['model_type'];
  if (typeof mt !== 'string' || !(SUPPORTED_ARCHS as readonly string[]).includes(mt)) {
    throw new CheckpointError(
      `${path}: model_type ${JSON.stringify(mt ?? null)} is not supported for checkpoint folders; supported: ${SUPPORTED_ARCHS.join(', ')} ` +
        '(or export the model to ONNX and open that folder)',
    );
  }
  const int = (k: string, dflt?: number): number => {
    const v = c[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) return bad(k, `must be a positive integer, got ${JSON.stringify(v ?? null)}`);
    return v;
  };
  const num = (k: string, dflt: number): number => {
    const v = c[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return bad(k, `must be a positive number, got ${JSON.stringify(v)}`);
    return v;
  };
  if (c['quantization_config'] !== undefined) bad('quantization_config', 'quantized checkpoints (GPTQ, AWQ, bitsandbytes…) are not supported; use the bf16/fp16/fp32 weights');
  // Gemma 3 (text) computes as Gemma 2 plus (1 + w) per-head q/k norms and a local rope on sliding layers
  const gemma3 = mt === 'gemma3_text';
  const gemma2 = mt === 'gemma2' || gemma3;
  // Gemma 2 reads hidden_activation (transformers ignores its hidden_act)
  const actKey = gemma2 && c['hidden_activation'] !== undefined ? 'hidden_activation' : 'hidden_act';
  const actName = c[actKey] ?? (gemma2 ? 'gelu_pytorch_tanh' : 'silu');
  const act = actName === 'silu' || actName === 'swish' ? 'silu' : actName === 'gelu_pytorch_tanh' && gemma2 ? 'gelu_tanh' : undefined;
  if (!act) bad(actKey, `${JSON.stringify(actName)} is not implemented for ${mt} (${gemma2 ? 'gelu_pytorch_tanh' : 'silu'} is)`);
  const prf = c['partial_rotary_factor'];
  if (prf !== undefined && prf !== null && prf !== 1 && prf !== 1.0) bad('partial_rotary_factor', `${JSON.stringify(prf)} is not implemented (only 1)`);
  if (c['mlp_bias'] === true && mt !== 'llama' && mt !== 'granite') bad('mlp_bias', `not part of ${mt}`);
  const granite = mt === 'granite';
  // attention_bias: q, k, v and o biases where transformers reads the field (Qwen2 always has q/k/v biases)
  const attnBias = ['llama', 'qwen3', 'olmo2', 'granite', 'gemma2', 'gemma3_text'].includes(mt) && c['attention_bias'] === true;

  const dModel = int('hidden_size');
  const numHeads = int('num_attention_heads');
  const numKvHeads = int('num_key_value_heads', numHeads);
  const headDim = c['head_dim'] === null || c['head_dim'] === undefined ? dModel / numHeads : int('head_dim');
  if (!Number.isInteger(headDim) || headDim % 2) bad('head_dim', `hidden_size / num_attention_heads = ${headDim} must be an even integer`);
  if (numHeads % numKvHeads) bad('num_key_value_heads', `${numKvHeads} must divide num_attention_heads ${numHeads}`);
  const maxPos = int('max_position_embeddings', 4096);
  const theta = num('rope_theta', 10000);

  const { invFreq, kind } = ropeFrequencies(c['rope_scaling'], headDim, theta, (why) => bad('rope_scaling', why));
  const invFreqLocal = gemma3 ? ropeFrequencies(null, headDim, num('rope_local_base_freq', 10000), (why) => bad('rope_local_base_freq', why)).invFreq : undefined;
  const layers = int('num_hidden_layers');
  const { window: slidingWindow, layers: slidingLayers } = slidingWindowOf(c, mt, maxPos, layers, bad);
  const cap = (k: string, dflt: number | null): number | undefined => {
    const v = c[k] === undefined ? dflt : c[k];
    if (v === null) return undefined;
    if (typeof v !== 'number' || !(v > 0)) return bad(k, `must be a positive number or null, got ${JSON.stringify(v)}`);
    return v;
  };

  const spec: ArchSpec = {
    modelType: mt,
    numLayers: layers,
    dModel,
    numHeads,
    numKvHeads,
    headDim,
    ffn: int('intermediate_size'),
    vocab: int('vocab_size'),
    eps: num('rms_norm_eps', 1e-6),
    invFreq,
    ropeScaling: kind,
    ...(slidingWindow !== undefined ? { slidingWindow } : {}),
    slidingLayers,
    // transformers' Gemma2Config defaults: query_pre_attn_scalar 256, soft-caps 50 and 30
    ...(gemma2 ? { embedScale: Math.sqrt(dModel) } : {}),
    // transformers' GraniteConfig defaults: every multiplier 1
    ...(granite ? { embedScale: num('embedding_multiplier', 1), residualMultiplier: num('residual_multiplier', 1), logitsDivisor: num('logits_scaling', 1) } : {}),
    normPlusOne: gemma2,
    norms: gemma2 ? 'sandwich' : mt === 'olmo2' ? 'post' : 'pre',
    act: act!,
    attnScale: gemma2 ? 1 / Math.sqrt(num('query_pre_attn_scalar', 256)) : granite ? num('attention_multiplier', 1) : 1 / Math.sqrt(headDim),
    // Gemma 3 defaults: no soft-capping
    ...(gemma2 && cap('attn_logit_softcapping', gemma3 ? null : 50) !== undefined ? { attnSoftcap: cap('attn_logit_softcapping', gemma3 ? null : 50)! } : {}),
    ...(gemma2 && cap('final_logit_softcapping', gemma3 ? null : 30) !== undefined ? { finalSoftcap: cap('final_logit_softcapping', gemma3 ? null : 30)! } : {}),
    ...(invFreqLocal ? { invFreqLocal } : {}),
    qkvBias: mt === 'qwen2' || attnBias,
    oBias: attnBias,
    mlpBias: (mt === 'llama' || granite) && c['mlp_bias'] === true,
    ...(mt === 'qwen3' || gemma3 ? { qkNorm: 'head' as const } : mt === 'olmo2' ? { qkNorm: 'full' as const } : {}),
    fused: mt === 'phi3',
    // a missing lm_head.weight means tied, whatever the config says
    tied: c['tie_word_embeddings'] === true || !files.tensors.has('lm_head.weight'),
  };
  checkTensors(spec, files);
  return spec;
}

function ropeFrequencies(rs: unknown, dh: number, theta: number, bad: (why: string) => never): { invFreq: Float32Array; kind: string } {
  const base = Array.from({ length: dh / 2 }, (_, i) => 1 / Math.pow(theta, Math.fround((2 * i) / dh)));
  if (rs === undefined || rs === null) return { invFreq: Float32Array.from(base), kind: 'default' };
  if (typeof rs !== 'object' || Array.isArray(rs)) return bad(`must be an object or null, got ${JSON.stringify(rs)}`);
  const r = rs as Obj;
  const kind = r['rope_type'] ?? r['type'];
  const f = (k: string) => {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return bad(`"${k}" must be a positive number for type ${String(kind)}, got ${JSON.stringify(v ?? null)}`);
    return v;
  };
  if (kind === 'default') return { invFreq: Float32Array.from(base), kind: 'default' };
  if (kind === 'linear') {
    const factor = f('factor');
    return { invFreq: Float32Array.from(base, (x) => x / factor), kind: 'linear' };
  }
  if (kind === 'llama3') {
    // transformers' _compute_llama3_parameters
    const factor = f('factor');
    const lo = f('low_freq_factor');
    const hi = f('high_freq_factor');
    const old = f('original_max_position_embeddings');
    if (hi <= lo) bad('"high_freq_factor" must exceed "low_freq_factor"');
    const loWl = old / lo;
    const hiWl = old / hi;
    const out = base.map((x) => {
      const wl = (2 * Math.PI) / x;
      if (wl < hiWl) return x;
      if (wl > loWl) return x / factor;
      const s = (old / wl - lo) / (hi - lo);
      return ((1 - s) * x) / factor + s * x;
    });
    return { invFreq: Float32Array.from(out), kind: 'llama3' };
  }
  return bad(`rope type ${JSON.stringify(kind ?? null)} is not implemented (implemented: default, linear, llama3)`);
}

/** The window and the layers it applies to (none when it can never be reached). */
function slidingWindowOf(c: Obj, mt: string, maxPos: number, layers: number, bad: (f: string, why: string) => never): { window?: number; layers: boolean[] } {
  const none = { layers: Array<boolean>(layers).fill(false) };
  const lt = c['layer_types'];
  let sliding: boolean[] | undefined;
  if (lt !== undefined && lt !== null) {
    if (!Array.isArray(lt) || lt.length !== layers || !lt.every((x) => x === 'full_attention' || x === 'sliding_attention')) {
      bad('layer_types', `must list full_attention / sliding_attention for each of the ${layers} layers`);
    }
    sliding = (lt as string[]).map((x) => x === 'sliding_attention');
  }
  const w = c['sliding_window'] === undefined && (mt === 'gemma2' || mt === 'gemma3_text') ? 4096 : c['sliding_window'];
  if (w === undefined || w === null) {
    if (sliding?.some(Boolean)) bad('layer_types', 'names sliding_attention layers but sliding_window is null');
    return none;
  }
  if (typeof w !== 'number' || !Number.isInteger(w) || w <= 0) return bad('sliding_window', `must be a positive integer or null, got ${JSON.stringify(w)}`);
  if (w >= maxPos) return none; // never reached
  if (mt === 'mistral' || mt === 'phi3') return { window: w, layers: sliding ?? Array<boolean>(layers).fill(true) };
  if (mt === 'gemma2') return { window: w, layers: sliding ?? Array.from({ length: layers }, (_, i) => i % 2 === 0) };
  if (mt === 'gemma3_text') {
    const pattern = c['sliding_window_pattern'] ?? 6;
    if (typeof pattern !== 'number' || !Number.isInteger(pattern) || pattern < 1) return bad('sliding_window_pattern', `must be a positive integer, got ${JSON.stringify(pattern)}`);
    return { window: w, layers: sliding ?? Array.from({ length: layers }, (_, i) => (i + 1) % pattern !== 0) };
  }
  // Qwen2/Qwen3: the window is used only with use_sliding_window, on layers ≥ max_window_layers
  if (c['use_sliding_window'] !== true) return none;
  const from = c['max_window_layers'];
  if (typeof from === 'number' && from >= layers) return none;
  return bad('use_sliding_window', `a sliding window of ${w} on some layers of ${mt} is not implemented`);
}

/** Every tensor the graph reads, with its shape. */
export function expectedTensors(s: ArchSpec): { name: string; shape: number[] }[] {
  const { dModel: d, numHeads: h, numKvHeads: kv, headDim: dh, ffn } = s;
  const out = [{ name: 'model.embed_tokens.weight', shape: [s.vocab, d] }];
  for (let i = 0; i < s.numLayers; i++) {
    const p = `model.layers.${i}`;
    out.push(
      ...(s.norms === 'post' ? [] : [{ name: `${p}.input_layernorm.weight`, shape: [d] }]),
      ...(s.fused
        ? [{ name: `${p}.self_attn.qkv_proj.weight`, shape: [(h + 2 * kv) * dh, d] }]
        : [
            { name: `${p}.self_attn.q_proj.weight`, shape: [h * dh, d] },
            { name: `${p}.self_attn.k_proj.weight`, shape: [kv * dh, d] },
            { name: `${p}.self_attn.v_proj.weight`, shape: [kv * dh, d] },
          ]),
      { name: `${p}.self_attn.o_proj.weight`, shape: [d, h * dh] },
      { name: `${p}.post_attention_layernorm.weight`, shape: [d] },
      ...(s.norms === 'sandwich' ? [{ name: `${p}.pre_feedforward_layernorm.weight`, shape: [d] }] : []),
      ...(s.norms === 'pre' ? [] : [{ name: `${p}.post_feedforward_layernorm.weight`, shape: [d] }]),
      ...(s.fused
        ? [{ name: `${p}.mlp.gate_up_proj.weight`, shape: [2 * ffn, d] }]
        : [
            { name: `${p}.mlp.gate_proj.weight`, shape: [ffn, d] },
            { name: `${p}.mlp.up_proj.weight`, shape: [ffn, d] },
          ]),
      { name: `${p}.mlp.down_proj.weight`, shape: [d, ffn] },
    );
    if (s.qkvBias) {
      out.push(
        { name: `${p}.self_attn.q_proj.bias`, shape: [h * dh] },
        { name: `${p}.self_attn.k_proj.bias`, shape: [kv * dh] },
        { name: `${p}.self_attn.v_proj.bias`, shape: [kv * dh] },
      );
    }
    if (s.oBias) out.push({ name: `${p}.self_attn.o_proj.bias`, shape: [d] });
    if (s.mlpBias) {
      out.push({ name: `${p}.mlp.gate_proj.bias`, shape: [ffn] }, { name: `${p}.mlp.up_proj.bias`, shape: [ffn] }, { name: `${p}.mlp.down_proj.bias`, shape: [d] });
    }
    if (s.qkNorm) {
      const full = s.qkNorm === 'full';
      out.push({ name: `${p}.self_attn.q_norm.weight`, shape: [full ? h * dh : dh] }, { name: `${p}.self_attn.k_norm.weight`, shape: [full ? kv * dh : dh] });
    }
  }
  out.push({ name: 'model.norm.weight', shape: [d] });
  if (!s.tied) out.push({ name: 'lm_head.weight', shape: [s.vocab, d] });
  return out;
}

// buffers some older checkpoints carry that the computation recomputes anyway
const IGNORED = /\.rotary_emb\.inv_freq$/;

function checkTensors(s: ArchSpec, files: CheckpointFiles): void {
  const at = (r: TensorRef) => `${join(files.folder, r.file)}: tensor '${r.name}'`;
  const expected = expectedTensors(s);
  for (const e of expected) {
    const r = files.tensors.get(e.name);
    if (!r) throw new CheckpointError(`${files.folder}: tensor '${e.name}' is missing from the safetensors files (${s.modelType}, config.json says ${s.numLayers} layers)`);
    if (!(STORAGE_DTYPES as readonly string[]).includes(r.dtype)) throw new CheckpointError(`${at(r)} has dtype ${r.dtype}; only ${STORAGE_DTYPES.join(', ')} are supported`);
    if (r.shape.length !== e.shape.length || r.shape.some((x, i) => x !== e.shape[i])) {
      throw new CheckpointError(`${at(r)} has shape [${r.shape.join(', ')}], config.json implies [${e.shape.join(', ')}]`);
    }
  }
  const known = new Set(expected.map((e) => e.name));
  if (s.tied) known.add('lm_head.weight'); // tied: a stored copy is the embedding
  const extra = [...files.tensors.keys()].filter((n) => !known.has(n) && !IGNORED.test(n));
  if (extra.length) {
    const r = files.tensors.get(extra[0]!)!;
    throw new CheckpointError(`${at(r)} is not used by ${s.modelType} as configured${extra.length > 1 ? ` (and ${extra.length - 1} more)` : ''}: the config and the tensors disagree`);
  }
}
