// What a decoder graph takes and gives, read from the session: the standard export layout
// (input_ids, attention_mask, position_ids, past_key_values.{i}.key/.value → logits,
// present.{i}.key/.value) plus the rewrite's rl.* inputs and outputs when it is hooked.

import { hookNames, LENS_INPUTS } from '../onnx/names.js';
import { inputInfo, outputInfo, type Session } from '../runtime.js';
import type { ModelConfig } from './config.js';

export interface PastSlot {
  /** graph input, e.g. past_key_values.3.key */
  input: string;
  /** the output that feeds it on the next step, e.g. present.3.key */
  output: string;
  /** [kv_heads, head_dim] of its [batch, kv_heads, past, head_dim] shape */
  kvHeads: number;
  headDim: number;
}

export interface GraphIO {
  session: Session;
  /** path of the graph file the session was opened from */
  path: string;
  idsType: string;
  maskType?: string;
  positionType?: string;
  /** name of an input that asks for the last-k logits only (logits_to_keep / num_logits_to_keep) */
  keepLogitsInput?: string;
  past: PastSlot[];
  /** 'float32' | 'float16': the KV cache dtype */
  pastType: 'float32' | 'float16';
  logitsType: string;
  /** hooked layers (0 when the graph is the unhooked source) */
  hookLayers: number;
  /** the graph has the logit lens (rl.lens.* inputs); the loop then always feeds them */
  logitLens: boolean;
}

const PAST_RE = /^past_key_values\.(\d+)\.(key|value)$/;

export function describeGraph(session: Session, path: string, cfg: ModelConfig): GraphIO {
  const inputs = inputInfo(session);
  const outputs = new Set(session.outputNames);
  const byName = new Map(inputs.map((i) => [i.name, i]));
  const ids = byName.get('input_ids');
  if (!ids) throw new Error(`${path}: the graph has no "input_ids" input (inputs: ${session.inputNames.join(', ')})`);
  if (!outputs.has('logits')) throw new Error(`${path}: the graph has no "logits" output (outputs: ${session.outputNames.join(', ')})`);

  const past: PastSlot[] = [];
  let pastType: 'float32' | 'float16' = 'float32';
  for (const inp of inputs) {
    const m = PAST_RE.exec(inp.name);
    if (!m) continue;
    const output = `present.${m[1]}.${m[2]}`;
    if (!outputs.has(output)) throw new Error(`${path}: input ${inp.name} has no matching output ${output}`);
    if (inp.type === 'float16') pastType = 'float16';
    const kvHeads = typeof inp.shape[1] === 'number' ? inp.shape[1] : cfg.numKvHeads;
    const headDim = typeof inp.shape[3] === 'number' ? inp.shape[3] : cfg.headDim;
    past.push({ input: inp.name, output, kvHeads, headDim });
  }
  if (past.length === 0) {
    throw new Error(`${path}: the graph has no past_key_values.{i}.key/.value inputs (a KV-cache export is needed)`);
  }
  let hookLayers = 0;
  while (byName.has(hookNames(hookLayers).inputNames.add)) hookLayers++;
  const logitsMeta = outputInfo(session).find((o) => o.name === 'logits')!;
  const keep = ['logits_to_keep', 'num_logits_to_keep'].find((n) => byName.has(n));
  return {
    session,
    path,
    idsType: ids.type,
    ...(byName.has('attention_mask') ? { maskType: byName.get('attention_mask')!.type } : {}),
    ...(byName.has('position_ids') ? { positionType: byName.get('position_ids')!.type } : {}),
    ...(keep ? { keepLogitsInput: keep } : {}),
    past,
    pastType,
    logitsType: logitsMeta.type,
    hookLayers,
    logitLens: byName.has(LENS_INPUTS.positions),
  };
}
