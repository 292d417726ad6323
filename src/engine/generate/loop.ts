// The KV-cache generation loop over one graph (hooked or not), for a batch of prompts with
// LEFT padding: prefill once with a 0-length past, then one token per row per step, feeding
// each step's present.* back as past_key_values.*. A generated token's readouts come from the
// run that consumes it, so with readout axes the last token gets one extra run.
// On webgpu the present.* outputs stay in device memory (src/engine/model/load.ts asks for
// that) and go straight back in as the next step's past; each is disposed once the step that
// consumed it has run, and the last ones when the loop ends, however it ends.

import type { DecodingOptions } from '../../protocol/types.js';
import type { GraphIO } from '../model/graph.js';
import { deviceOf, dispose, emptyTensor, intTensor, int64Tensor, onDevice, readFloats, run, type Feeds, type OrtTensor } from '../runtime.js';
import { makeSampler, type Sampler } from './sampling.js';
import { lensInputFeeds, type LensFeedSpec } from './feeds.js';
import { hookNames, LENS_OUTPUTS } from '../onnx/names.js';

export interface SeqInput {
  ids: number[];
  decoding: DecodingOptions;
  /**
   * Teacher forcing: feed these tokens instead of sampling, and record the log-probability the
   * model gave each (SeqOutput.forcedLogProbs). decoding.maxNewTokens should be forced.length.
   */
  forced?: readonly number[];
}

export interface LoopOptions {
  graph: GraphIO;
  eosIds: readonly number[];
  padId: number;
  /** rl.* feeds for prefill runs and decode runs (absent for an unhooked graph). */
  hookFeeds?: { prompt: Feeds; generated: Feeds };
  /** readout axes count n; readouts are fetched only when n > 0 */
  nAxes: number;
  /**
   * logit lens at these prefill positions (run coordinates: rows must be unpadded, one prompt
   * length per batch); needs a graph with the lens (GraphIO.logitLens)
   */
  lens?: LensFeedSpec;
  /** prefill-only: fetch rl.resid.{l} for these layers and stop after the prefill */
  residualLayers?: readonly number[];
  /**
   * Also fetch every rl.resid.{l} and sum each row's residual norms per layer, over its prompt
   * tokens after the first and over its generated tokens (SeqOutput.norms; the norm warning).
   * Only on sessions whose residuals can be read back (the CPU).
   */
  measureNorms?: boolean;
  /** called per row as readouts become known: prompt tokens after prefill, then one per step */
  onTokens?: (row: number, ids: number[], firstPosition: number, generated: boolean, reads: number[][][]) => void;
  signal?: AbortSignal;
}

/** The lens as the graph gives it for one row: [layer][position][k] and [layer][position]. */
export interface RawLens {
  topProbs: number[][][];
  topIds: number[][][];
  refusal: number[][];
}

/** What one row read from the graph, by readout name (protocol/readouts.ts). */
export interface RowReadouts {
  /** [axis][layer][token] over prompt + generated tokens */
  projections: number[][][];
  logitLens?: RawLens;
}

export interface SeqOutput {
  generated: number[];
  readouts: RowReadouts;
  /** next-token logits after the prompt (the first generated step), [vocab] */
  firstLogits: Float32Array;
  /** [layer index] -> [seq * d_model], only when residualLayers were asked */
  residuals?: Float32Array[];
  /** natural-log probability of each forced token, when SeqInput.forced was given */
  forcedLogProbs?: number[];
  /** per layer, the sums of residual norms over prompt tokens after the first and over generated tokens, when measureNorms */
  norms?: NormSums;
}

export interface NormSums {
  prompt: number[];
  promptTokens: number;
  generated: number[];
  generatedTokens: number;
}

export interface LoopResult {
  rows: SeqOutput[];
  prefillMs: number;
  decodeMs: number;
  decodeSteps: number;
}

export class AbortError extends Error {
  override name = 'AbortError';
}

function checkAbort(signal: AbortSignal | undefined, done: number): void {
  if (signal?.aborted) throw new AbortError(`generation cancelled after ${done} decode step${done === 1 ? '' : 's'}`);
}

export async function generateLoop(seqs: readonly SeqInput[], o: LoopOptions): Promise<LoopResult> {
  const g = o.graph;
  const B = seqs.length;
  const L = Math.max(...seqs.map((s) => s.ids.length));
  const nLayers = g.hookLayers;
  const nAxes = nLayers > 0 ? o.nAxes : 0;
  const readNames = nAxes > 0 ? Array.from({ length: nLayers }, (_, l) => hookNames(l).outputNames.read) : [];
  if (o.lens && !g.logitLens) throw new Error('logit lens: this graph has no lens (the hooking rewrite could not copy its final norm and lm_head)');
  if (o.lens && new Set(seqs.map((s) => s.ids.length)).size > 1) throw new Error('logit lens: a batch must hold prompts of one length');
  const pads = seqs.map((s) => L - s.ids.length);
  checkAbort(o.signal, 0);

  // Prefill: [B, L] ids, mask 0 on the left padding, positions = max(cumsum(mask) − 1, 0).
  const ids = new Array<number>(B * L).fill(o.padId);
  const mask = new Array<number>(B * L).fill(0);
  const pos = new Array<number>(B * L).fill(0);
  seqs.forEach((s, b) => {
    s.ids.forEach((id, t) => {
      const i = b * L + pads[b]! + t;
      ids[i] = id;
      mask[i] = 1;
      pos[i] = t;
    });
  });
  const feeds: Feeds = { input_ids: intTensor(g.idsType, ids, [B, L]) };
  if (g.maskType) feeds['attention_mask'] = intTensor(g.maskType, mask, [B, L]);
  if (g.positionType) feeds['position_ids'] = intTensor(g.positionType, pos, [B, L]);
  if (g.keepLogitsInput) feeds[g.keepLogitsInput] = int64Tensor([1], []);
  for (const p of g.past) feeds[p.input] = emptyTensor(g.pastType, [B, p.kvHeads, 0, p.headDim]);
  if (o.hookFeeds) Object.assign(feeds, o.hookFeeds.prompt);
  // CPU kernels take empty tensors; webgpu's do not (LENS_INPUTS.pad)
  const padRow = g.logitLens && deviceOf(g.session) !== 'cpu';
  if (g.logitLens) Object.assign(feeds, lensInputFeeds(o.lens, padRow));

  const residualNames = (o.residualLayers ?? []).map((l) => hookNames(l).outputNames.resid);
  const onlyResiduals = residualNames.length > 0;
  const normNames = o.measureNorms && !onlyResiduals && nLayers > 0 ? Array.from({ length: nLayers }, (_, l) => hookNames(l).outputNames.resid) : [];
  const lensFetches = o.lens ? Object.values(LENS_OUTPUTS) : [];
  const fetches = onlyResiduals
    ? [...residualNames, ...readNames]
    : ['logits', ...g.past.map((p) => p.output), ...readNames, ...lensFetches, ...normNames];

  const rows: SeqOutput[] = seqs.map(() => ({
    generated: [],
    readouts: { projections: Array.from({ length: nAxes }, () => Array.from({ length: nLayers }, () => [] as number[])) },
    firstLogits: new Float32Array(0),
  }));

  const t0 = performance.now();
  let out = await run(g.session, feeds, fetches, g.path);
  const prefillMs = performance.now() - t0;
  if (normNames.length) {
    seqs.forEach((s, b) => {
      const n: NormSums = { prompt: normNames.map(() => 0), promptTokens: Math.max(s.ids.length - 1, 0), generated: normNames.map(() => 0), generatedTokens: 0 };
      addNorms(out, normNames, b, L, pads[b]! + 1, s.ids.length - 1, n.prompt);
      rows[b]!.norms = n;
    });
  }

  // Prompt readouts: rl.read.l is [B, L, n].
  if (nAxes > 0) {
    seqs.forEach((s, b) => {
      const got = collectReads(out, readNames, b, L, nAxes, pads[b]!, s.ids.length);
      appendReads(rows[b]!.readouts.projections, got);
      o.onTokens?.(b, s.ids, 0, false, got);
    });
  } else if (o.onTokens) {
    seqs.forEach((s, b) => o.onTokens!(b, s.ids, 0, false, []));
  }
  if (o.lens) seqs.forEach((_, b) => (rows[b]!.readouts.logitLens = collectLens(out, nLayers, o.lens!.positions.length, b)));
  if (onlyResiduals) {
    seqs.forEach((s, b) => {
      rows[b]!.residuals = residualNames.map((n) => {
        const t = out[n]!; // [B, L, d_model]
        const d = t.dims[2]!;
        return Float32Array.from(readFloats(t, (b * L + pads[b]!) * d, s.ids.length * d));
      });
    });
    return { rows, prefillMs, decodeMs: 0, decodeSteps: 0 };
  }

  const V = out['logits']!.dims[2]!;
  const samplers: Sampler[] = seqs.map((s, b) => (s.forced ? forcedSampler(s.forced, (rows[b]!.forcedLogProbs = [])) : makeSampler(s.decoding)));
  const eos = new Set(o.eosIds);
  const isStop = (b: number, id: number) => (seqs[b]!.decoding.stopAtEos ?? true) && eos.has(id);
  const lastLogits = (b: number) => {
    const t = out['logits']!; // [B, seq, V]; only the last position is read
    const seqLen = t.dims[1]!;
    return readFloats(t, (b * seqLen + seqLen - 1) * V, V);
  };

  // Row state: `next` is the token to feed in the coming step, or -1 when the row is finished.
  const next = new Array<number>(B).fill(-1);
  for (let b = 0; b < B; b++) {
    const logits = lastLogits(b);
    rows[b]!.firstLogits = Float32Array.from(logits);
    if (seqs[b]!.decoding.maxNewTokens > 0) next[b] = samplers[b]!(logits);
    if (next[b]! >= 0) rows[b]!.generated.push(next[b]!);
    // Without readouts a token that ends the row needs no run of its own.
    if (nAxes === 0 && next[b]! >= 0 && (isStop(b, next[b]!) || rows[b]!.generated.length >= seqs[b]!.decoding.maxNewTokens)) {
      o.onTokens?.(b, [next[b]!], seqs[b]!.ids.length, true, []);
      next[b] = -1;
    }
  }

  let past = pastFrom(out, g);
  const pastOut = g.past.map((p) => p.output);
  const stepFetches = ['logits', ...pastOut, ...readNames, ...normNames];
  const stepFeeds: Feeds = {};
  if (o.hookFeeds) Object.assign(stepFeeds, o.hookFeeds.generated);
  if (g.logitLens) Object.assign(stepFeeds, lensInputFeeds(undefined, padRow));
  if (g.keepLogitsInput) stepFeeds[g.keepLogitsInput] = feeds[g.keepLogitsInput]!;
  const stepIds = new Array<number>(B);
  const stepPos = new Array<number>(B);
  let steps = 0;
  const t1 = performance.now();
  try {
    while (next.some((x) => x >= 0)) {
      checkAbort(o.signal, steps);
      const total = L + steps + 1; // keys attended by this step: prompt (padded) + generated + this one
      for (let b = 0; b < B; b++) {
        // A finished row keeps running on its pad token; its outputs are ignored.
        stepIds[b] = next[b]! >= 0 ? next[b]! : o.padId;
        stepPos[b] = seqs[b]!.ids.length + steps;
      }
      stepFeeds['input_ids'] = intTensor(g.idsType, stepIds, [B, 1]);
      if (g.maskType) stepFeeds['attention_mask'] = leftPadMask(g.maskType, pads, total); // [B, total]
      if (g.positionType) stepFeeds['position_ids'] = intTensor(g.positionType, stepPos, [B, 1]);
      for (let i = 0; i < g.past.length; i++) stepFeeds[g.past[i]!.input] = past[i]!;
      out = await run(g.session, stepFeeds, stepFetches, g.path);
      steps++;
      disposeDevice(past);
      past = pastFrom(out, g);

      for (let b = 0; b < B; b++) {
        const fed = next[b]!;
        if (fed < 0) continue;
        const s = seqs[b]!;
        const row = rows[b]!;
        const position = s.ids.length + row.generated.length - 1;
        const got = nAxes > 0 ? collectReads(out, readNames, b, 1, nAxes, 0, 1) : [];
        if (normNames.length) {
          addNorms(out, normNames, b, 1, 0, 1, row.norms!.generated);
          row.norms!.generatedTokens++;
        }
        if (nAxes > 0) appendReads(row.readouts.projections, got);
        o.onTokens?.(b, [fed], position, true, got);
        if (isStop(b, fed) || row.generated.length >= s.decoding.maxNewTokens) {
          next[b] = -1;
          continue;
        }
        const id = samplers[b]!(lastLogits(b));
        row.generated.push(id);
        next[b] = id;
        if (nAxes === 0 && (isStop(b, id) || row.generated.length >= s.decoding.maxNewTokens)) {
          o.onTokens?.(b, [id], position + 1, true, []);
          next[b] = -1;
        }
      }
    }
  } finally {
    disposeDevice(past);
  }
  return { rows, prefillMs, decodeMs: performance.now() - t1, decodeSteps: steps };
}

/** Returns the forced tokens in turn, recording log softmax(logits)[token] for each. */
function forcedSampler(forced: readonly number[], logProbs: number[]): Sampler {
  let k = 0;
  return (logits) => {
    const id = forced[Math.min(k++, forced.length - 1)]!;
    let max = -Infinity;
    for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
    let sum = 0;
    for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
    logProbs.push(logits[id]! - max - Math.log(sum));
    return id;
  };
}

/** [B, total] attention mask: 0 on each row's left padding, 1 elsewhere. */
function leftPadMask(type: string, pads: readonly number[], total: number): OrtTensor {
  const B = pads.length;
  if (type === 'int64') {
    const m = new BigInt64Array(B * total).fill(1n);
    pads.forEach((p, b) => m.fill(0n, b * total, b * total + p));
    return int64Tensor(m, [B, total]);
  }
  const m = new Int32Array(B * total).fill(1);
  pads.forEach((p, b) => m.fill(0, b * total, b * total + p));
  return intTensor(type, m, [B, total]);
}

function pastFrom(out: Record<string, OrtTensor>, g: GraphIO): OrtTensor[] {
  return g.past.map((p) => out[p.output]!);
}

/** Frees a KV cache held in device memory (host-memory tensors are left to the garbage collector). */
function disposeDevice(past: readonly OrtTensor[]): void {
  for (const t of past) if (onDevice(t)) dispose(t);
}

/** [axis][layer][token] for row b's real tokens of one run's rl.read.* ([B, seq, n]). */
function collectReads(
  out: Record<string, OrtTensor>,
  names: readonly string[],
  b: number,
  seq: number,
  n: number,
  from: number,
  count: number,
): number[][][] {
  const res = Array.from({ length: n }, () => names.map(() => new Array<number>(count)));
  names.forEach((name, l) => {
    const data = readFloats(out[name]!); // [B, seq, n]
    for (let t = 0; t < count; t++) {
      const base = (b * seq + from + t) * n;
      for (let j = 0; j < n; j++) res[j]![l]![t] = data[base + j]!;
    }
  });
  return res;
}

/** Adds to sum[l] the norms of rows [from, from+count) of row b's rl.resid.l ([B, seq, d]). */
function addNorms(out: Record<string, OrtTensor>, names: readonly string[], b: number, seq: number, from: number, count: number, sum: number[]): void {
  names.forEach((name, l) => {
    const t = out[name]!;
    const d = t.dims[2]!;
    const data = readFloats(t, (b * seq + from) * d, Math.max(count, 0) * d);
    for (let k = 0; k < count; k++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += data[k * d + i]! * data[k * d + i]!;
      sum[l]! += Math.sqrt(s);
    }
  });
}

/** Row b of the lens outputs ([B, L·P + pad, k] and [B, L·P + pad, 1], rows layer-major) as [layer][position]. */
function collectLens(out: Record<string, OrtTensor>, nLayers: number, P: number, b: number): RawLens {
  const v = out[LENS_OUTPUTS.topProbs]!;
  const [, rows, k] = v.dims as [number, number, number]; // rows = L·P + padding rows
  const probs = readFloats(v, b * rows * k, rows * k);
  const ids = out[LENS_OUTPUTS.topIds]!.data as BigInt64Array;
  const refusal = readFloats(out[LENS_OUTPUTS.refusal]!, b * rows, rows);
  const layers = Array.from({ length: nLayers }, (_, l) => Array.from({ length: P }, (_, p) => l * P + p));
  return {
    topProbs: layers.map((rs) => rs.map((r) => Array.from(probs.subarray(r * k, (r + 1) * k)))),
    topIds: layers.map((rs) => rs.map((r) => Array.from({ length: k }, (_, j) => Number(ids[(b * rows + r) * k + j]!)))),
    refusal: layers.map((rs) => rs.map((r) => refusal[r]!)),
  };
}

function appendReads(into: number[][][], got: number[][][]): void {
  got.forEach((perLayer, j) => perLayer.forEach((vals, l) => into[j]![l]!.push(...vals)));
}
