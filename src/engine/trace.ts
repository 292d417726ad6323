// LensModel: the library's model object. It validates requests, builds the rl.* feeds once per
// phase, runs the generation loop (src/engine/generate) and assembles TraceResults.

import {
  TRACE_SCHEMA, type AxisSummary, type DecodingOptions, type Intervention, type ModelSummary, type PromptInput, type TokenEvent, type TokenInfo, type TraceResult,
} from '../protocol/types.js';
import type { LogitLensOptions, Readouts } from '../protocol/readouts.js';
import { checkLensOptions, lensReadout, lensTopK, resolveLensPositions } from './generate/lens.js';
import type { Direction } from './directions/index.js';
import { generateLoop, type LoopResult } from './generate/loop.js';
import { interventionFeeds, readoutFeeds, validateInterventions, ZeroFeeds, type AxisVectors } from './generate/feeds.js';
import { checkDecoding } from './generate/sampling.js';
import { checkContext, checkFinite, checkPromptSize, checkTokenIds } from './generate/validate.js';
import { DEFAULT_REFUSAL_PHRASES, label, refusalScore, refusalStartTokens, type LabelOptions } from './labels/index.js';
import { calibrateReference, forcedLogProbs, vocabWord, type LikelihoodContext } from './generate/likelihood.js';
import type { GraphIO } from './model/graph.js';
import type { LoadedModel } from './model/load.js';
import type { Feeds } from './runtime.js';
import { DEFAULT_REFERENCE_SET } from '../protocol/reference.js';
import { referenceStats, type ReferenceAxis, type ReferenceSet, type ReferenceStats } from './directions/reference.js';
import { prepareRequests, withReference, type Prepared } from './trace-reference.js';
import { readPromptSet, rowPrompt } from './experiments/dataset.js';

export interface TraceRequest {
  prompt: PromptInput;
  /** readout axes; interventions name their axes from this list */
  axes: Direction[];
  interventions: Intervention[];
  decoding: DecodingOptions;
  /**
   * The reference set for norm coefficients, percentile cap bounds and the norm warning:
   * builtin:NAME or a prompt-set file (default DEFAULT_REFERENCE_SET). Measured once, cached.
   */
  reference?: string;
  /** read the logit lens too (readouts.logitLens); off by default: it costs a vocabulary-sized matmul per layer */
  logitLens?: LogitLensOptions;
}


export interface TraceOptions {
  onToken?: (ev: TokenEvent) => void;
  signal?: AbortSignal;
  label?: LabelOptions;
}

export interface BatchOptions {
  onToken?: (ev: TokenEvent, index: number) => void;
  signal?: AbortSignal;
  label?: LabelOptions;
}

export interface ResidualOptions {
  /** 0-based layers to return (default: all) */
  layers?: number[];
  interventions?: Intervention[];
  axes?: Direction[];
}

export class LensModel {
  readonly summary: ModelSummary;
  private readonly zeros: ZeroFeeds;
  private queue: Promise<unknown> = Promise.resolve();
  private refusalIds = new Map<readonly string[], number[]>();
  private words = new Map<string, boolean>();
  private reference?: number;
  private sets = new Map<string, Promise<ReferenceSet>>();

  constructor(readonly loaded: LoadedModel) {
    const c = loaded.config;
    this.summary = {
      name: loaded.name,
      folder: loaded.folder,
      modelType: c.modelType,
      layers: c.numLayers,
      dModel: c.dModel,
      vocabSize: c.vocabSize,
      graphHash: loaded.graphHash,
      tokenizerHash: loaded.tokenizer.hash,
      dtype: loaded.dtype,
      device: loaded.device,
    };
    this.zeros = new ZeroFeeds(c.dModel, c.numLayers);
  }

  encode(prompt: PromptInput): { ids: number[]; tokens: TokenInfo[] } {
    checkPromptSize(prompt);
    const ids = this.loaded.tokenizer.encodePrompt(prompt);
    checkTokenIds(ids, this.summary.vocabSize, prompt.kind === 'tokens' ? 'prompt.tokenIds' : 'prompt');
    return { ids, tokens: this.tokenInfos(ids, 0, false) };
  }

  async trace(req: TraceRequest, opts: TraceOptions = {}): Promise<TraceResult> {
    const [r] = await this.traceBatch([req], {
      ...(opts.onToken ? { onToken: (ev: TokenEvent) => opts.onToken!(ev) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.label ? { label: opts.label } : {}),
    });
    return r!;
  }

  /**
   * Requests that share axes and interventions run as one left-padded batch (the rl.* inputs
   * have no batch axis); others run as separate batches. On a graph whose attention cannot take
   * padding (LoadedModel.paddingUnsafeOps) a batch also holds one prompt length only. Results
   * come back in request order.
   */
  traceBatch(reqs: TraceRequest[], opts: BatchOptions = {}): Promise<TraceResult[]> {
    // The reference set is measured through residuals(), which queues on `serial` itself.
    return prepareRequests(this, reqs, opts.signal).then((prepared) => this.serial(() => this.traceBatchNow(prepared, opts)));
  }

  /**
   * Per-layer statistics of this model on a reference set (default DEFAULT_REFERENCE_SET): mean
   * and largest residual norm, and the projection distribution of each of `axes`. Cached on disk.
   */
  async referenceStats(spec: string = DEFAULT_REFERENCE_SET, axes: readonly ReferenceAxis[] = [], signal?: AbortSignal): Promise<ReferenceStats> {
    return referenceStats(this, await this.referenceSet(spec), axes, signal ? { signal } : {});
  }

  private async referenceSet(spec: string): Promise<ReferenceSet> {
    let p = this.sets.get(spec);
    if (!p) {
      p = readPromptSet(spec).then((set) => {
        if (!set.rows.length) throw new Error(`reference set ${spec} has no readable rows`);
        return { display: set.display, sha256: set.sha256, prompts: set.rows.map(rowPrompt) };
      });
      p.catch(() => this.sets.delete(spec));
      this.sets.set(spec, p);
    }
    return p;
  }


  /** Post-intervention block outputs of the prompt: [layer] -> [seq * d_model]. */
  residuals(prompt: PromptInput, opts: ResidualOptions = {}): Promise<Float32Array[]> {
    return this.serial(async () => {
      const c = this.loaded.config;
      const layers = opts.layers ?? Array.from({ length: c.numLayers }, (_, l) => l);
      layers.forEach((l, i) => {
        if (!Number.isInteger(l) || l < 0 || l >= c.numLayers) {
          throw new Error(`residuals: layers[${i}] = ${JSON.stringify(l)} is out of range (0..${c.numLayers - 1})`);
        }
      });
      const axes = opts.axes ?? [];
      const interventions = opts.interventions ?? [];
      validateInterventions(interventions, axes, c.numLayers, c.dModel);
      const ids = this.encode(prompt).ids;
      checkContext(ids.length, 0, c.maxPositions);
      if (layers.length === 0) return [];
      const feeds = this.phaseFeeds(interventions, axes, []);
      const res = await generateLoop([{ ids, decoding: { maxNewTokens: 0 } }], {
        // on a GPU, the hooked graph's CPU session: GPU tensors cannot be read back (load.ts)
        graph: await this.loaded.residualGraph(),
        eosIds: c.eosIds,
        padId: this.padId(),
        hookFeeds: feeds,
        nAxes: 0,
        residualLayers: layers,
      });
      return res.rows[0]!.residuals!;
    });
  }

  /**
   * Token ids only, on the hooked or the source graph: what benchmarks compare.
   * No readouts, labels or text.
   */
  generateIds(
    prompts: number[][],
    decoding: DecodingOptions,
    opts: { hooked?: boolean; interventions?: Intervention[]; axes?: Direction[]; signal?: AbortSignal } = {},
  ): Promise<LoopResult> {
    return this.serial(async () => {
      const c = this.loaded.config;
      checkDecoding(decoding);
      prompts.forEach((p, i) => {
        checkTokenIds(p, c.vocabSize, `prompts[${i}]`);
        checkContext(p.length, decoding.maxNewTokens, c.maxPositions, `prompts[${i}]`);
      });
      const hooked = opts.hooked ?? true;
      const graph: GraphIO = hooked ? this.loaded.hooked : await this.loaded.unhooked();
      const axes = opts.axes ?? [];
      const interventions = opts.interventions ?? [];
      if (!hooked && (axes.length || interventions.length)) throw new Error('generateIds: the unhooked graph takes no interventions');
      validateInterventions(interventions, axes, c.numLayers, c.dModel);
      const unsafe = this.loaded.paddingUnsafeOps;
      if (unsafe.length && new Set(prompts.map((p) => p.length)).size > 1) {
        throw new Error(
          `generateIds: this graph's ${unsafe.join(', ')} takes row lengths instead of an attention mask, so it cannot run a left-padded batch; pass prompts of one length (got ${prompts.map((p) => p.length).join(', ')})`,
        );
      }
      return generateLoop(
        prompts.map((ids) => ({ ids, decoding })),
        {
          graph,
          eosIds: c.eosIds,
          padId: this.padId(),
          ...(hooked ? { hookFeeds: this.phaseFeeds(interventions, axes, axes) } : {}),
          nAxes: axes.length,
          ...(opts.signal ? { signal: opts.signal } : {}),
        },
      );
    });
  }

  /**
   * Per-token log-probabilities (nats) of each response after its prompt (token ids) under this
   * model without interventions (teacher forcing on the hooked graph with zero hook feeds): word
   * salad from strong steering is text the unsteered model would almost never write, so the
   * model-based degenerate check (labels/degenerate.ts) reads their mean.
   */
  responseLogProbs(pairs: { prompt: number[]; response: number[] }[]): Promise<number[][]> {
    return this.serial(() => this.logProbsNow(pairs));
  }

  /**
   * The model-based degenerate check's reference: a low quantile of the mean log-probability of
   * this model's own unsteered greedy answers to LIKELIHOOD_REFERENCE_PROMPTS (computed once).
   */
  likelihoodReference(): Promise<number> {
    return this.serial(() => this.referenceNow());
  }

  /**
   * Whether `word` is one token of this model's vocabulary, with or without a leading space: the
   * text checks' non-word test (a steered model's glued fragments are not). Cached.
   */
  isWord(word: string): boolean {
    return vocabWord(this.loaded.tokenizer, word, this.words);
  }

  /** First token ids of the refusal phrases (cached per phrase list). */
  refusalTokenIds(phrases: readonly string[] = DEFAULT_REFUSAL_PHRASES): number[] {
    let ids = this.refusalIds.get(phrases);
    if (!ids) {
      ids = refusalStartTokens(phrases, (s) => this.loaded.tokenizer.encodeText(s));
      this.refusalIds.set(phrases, ids);
    }
    return ids;
  }

  async dispose(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.loaded.dispose();
  }

  // --- internals ---

  private async referenceNow(): Promise<number> {
    this.reference ??= await calibrateReference(this.likelihoodCtx());
    return this.reference;
  }

  private logProbsNow(pairs: { prompt: number[]; response: number[] }[]): Promise<number[][]> {
    return forcedLogProbs(this.likelihoodCtx(), pairs);
  }

  private likelihoodCtx(): LikelihoodContext {
    return { loaded: this.loaded, padId: this.padId(), feeds: this.phaseFeeds([], [], []) };
  }

  private async traceBatchNow(prepared: Prepared[], opts: BatchOptions): Promise<TraceResult[]> {
    const c = this.loaded.config;
    const t0 = performance.now();
    // From here on a request's interventions are the resolved ones the graph runs.
    const reqs = prepared.map((p) => (p.req && typeof p.req === 'object' ? { ...p.req, interventions: p.run } : p.req));
    const encoded = reqs.map((r, i) => {
      const where = reqs.length > 1 ? `requests[${i}]` : 'request';
      if (!r || typeof r !== 'object') throw new Error(`${where}: not a trace request`);
      checkDecoding(r.decoding, `${where}.decoding`);
      validateInterventions(r.interventions ?? [], r.axes ?? [], c.numLayers, c.dModel);
      checkPromptSize(r.prompt, `${where}.prompt`);
      const ids = this.loaded.tokenizer.encodePrompt(r.prompt);
      checkTokenIds(ids, c.vocabSize, r.prompt.kind === 'tokens' ? `${where}.prompt.tokenIds` : `${where}.prompt`);
      checkContext(ids.length, r.decoding.maxNewTokens, c.maxPositions, `${where}.prompt`);
      if (r.logitLens !== undefined) {
        checkLensOptions(r.logitLens, `${where}.logitLens`);
        if (!this.loaded.hooked.logitLens) throw new Error(`${where}.logitLens: this model's graph has no logit lens (${this.loaded.hookInfo.logitLensReason ?? 'not hooked for it'})`);
        resolveLensPositions(r.logitLens, ids.length, `${where}.logitLens`);
      }
      return ids;
    });
    const tokenizeMs = performance.now() - t0;

    const groups = new Map<string, number[]>();
    // A graph whose attention takes row lengths, not a mask, cannot run left-padded rows.
    const byLength = this.loaded.paddingUnsafeOps.length > 0;
    reqs.forEach((r, i) => {
      // the lens reads run positions, so its rows are unpadded: one prompt length per batch
      const key = byLength || r.logitLens ? `${groupKey(r)}#${encoded[i]!.length}` : groupKey(r);
      const g = groups.get(key);
      if (g) g.push(i);
      else groups.set(key, [i]);
    });
    const results = new Array<TraceResult>(reqs.length);
    // Residual norms are read back only where the hooked session's outputs live in host memory.
    const onCpu = (this.summary.device?.device ?? 'cpu') === 'cpu';
    for (const members of groups.values()) {
      const first = reqs[members[0]!]!;
      const axes = first.axes ?? [];
      const measureNorms = onCpu && (first.interventions ?? []).length > 0;
      const lens = first.logitLens
        ? { positions: resolveLensPositions(first.logitLens, encoded[members[0]!]!.length), topK: lensTopK(first.logitLens), refusalIds: this.refusalTokenIds(opts.label?.phrases) }
        : undefined;
      const res = await generateLoop(
        members.map((i) => ({ ids: encoded[i]!, decoding: reqs[i]!.decoding })),
        {
          graph: this.loaded.hooked,
          eosIds: c.eosIds,
          padId: this.padId(),
          hookFeeds: this.phaseFeeds(first.interventions ?? [], axes, axes),
          nAxes: axes.length,
          measureNorms,
          ...(lens ? { lens } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.onToken
            ? {
                onTokens: (row: number, ids: number[], pos: number, generated: boolean, reads: number[][][]) =>
                  opts.onToken!({ tokens: this.tokenInfos(ids, pos, generated), projections: reads }, members[row]!),
              }
            : {}),
        },
      );
      const lik = opts.label?.likelihood;
      const check = lik !== false && ((first.interventions ?? []).length > 0 || members.some((i) => (reqs[i]!.decoding.temperature ?? 0) > 0));
      const reference = check ? (lik && lik.reference !== undefined ? lik.reference : await this.referenceNow()) : undefined;
      const logProbs = check ? await this.logProbsNow(members.map((i, row) => ({ prompt: encoded[i]!, response: res.rows[row]!.generated }))) : [];
      members.forEach((i, row) => {
        const ev = check ? { logProbs: logProbs[row]!, reference: reference! } : {};
        results[i] = withReference(this.result(prepared[i]!.req, encoded[i]!, res, row, tokenizeMs, t0, opts.label, ev), prepared[i]!, res.rows[row]!.norms, onCpu ? undefined : this.summary.device?.device);
      });
    }
    return results;
  }

  private result(
    req: TraceRequest, ids: number[], res: LoopResult, row: number, tokenizeMs: number, t0: number, labelOpts?: LabelOptions,
    ev: { logProbs?: number[]; reference?: number } = {},
  ): TraceResult {
    const out = res.rows[row]!;
    checkFinite(out.readouts.projections, out.firstLogits, (req.axes ?? []).map((a) => a.name));
    const tok = this.loaded.tokenizer;
    const response = tok.decode(out.generated);
    const score = refusalScore(out.firstLogits, this.refusalTokenIds(labelOpts?.phrases));
    const axes: AxisSummary[] = (req.axes ?? []).map((a) => ({
      name: a.name,
      ...(a.file ? { file: a.file } : {}),
      ...(a.sha256 ? { sha256: a.sha256 } : {}),
    }));
    const lens = out.readouts.logitLens;
    const readouts: Readouts = {
      projections: out.readouts.projections,
      ...(lens && req.logitLens
        ? { logitLens: lensReadout(lens, resolveLensPositions(req.logitLens, ids.length), lensTopK(req.logitLens), this.refusalTokenIds(labelOpts?.phrases), (id) => tok.tokenText(id)) }
        : {}),
    };
    return {
      schema: TRACE_SCHEMA,
      model: this.summary,
      prompt: req.prompt,
      tokens: [...this.tokenInfos(ids, 0, false), ...this.tokenInfos(out.generated, ids.length, true)],
      layers: Array.from({ length: this.summary.layers }, (_, l) => l),
      axes,
      readouts,
      projections: readouts.projections,
      response,
      label: label(response, score, { ...labelOpts, text: labelOpts?.text === false ? false : { isWord: (w) => this.isWord(w), ...(labelOpts?.text ?? {}) } }, {
        ...ev,
        ended: out.generated.length > 0 && this.loaded.config.eosIds.includes(out.generated[out.generated.length - 1]!),
      }),
      interventions: req.interventions ?? [],
      decoding: req.decoding,
      timings: {
        tokenizeMs,
        prefillMs: res.prefillMs,
        decodeMs: res.decodeMs,
        totalMs: performance.now() - t0,
        decodeTokensPerSecond: res.decodeMs > 0 ? (res.decodeSteps * 1000) / res.decodeMs : 0,
      },
    };
  }

  /** rl.* feeds for prefill and decode runs; one object when no intervention is phase-specific. */
  private phaseFeeds(interventions: Intervention[], axes: AxisVectors[], readAxes: AxisVectors[]): { prompt: Feeds; generated: Feeds } {
    const n = this.summary.layers;
    const read = readoutFeeds(readAxes, n, this.zeros);
    const prompt = { ...interventionFeeds(interventions, axes, n, 'prompt', this.zeros), ...read };
    const phaseSpecific = interventions.some((iv) => (iv.positions ?? 'all') !== 'all');
    const generated = phaseSpecific ? { ...interventionFeeds(interventions, axes, n, 'generated', this.zeros), ...read } : prompt;
    return { prompt, generated };
  }

  private tokenInfos(ids: number[], from: number, generated: boolean): TokenInfo[] {
    const tok = this.loaded.tokenizer;
    return ids.map((id, i) => ({ id, text: tok.tokenText(id), position: from + i, generated }));
  }

  private padId(): number {
    const c = this.loaded.config;
    return c.padId ?? this.loaded.tokenizer.padId ?? c.eosIds[0] ?? 0;
  }

  /** One run at a time per model: parallel runs would only fight over the same cores. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => undefined);
    return p;
  }
}


/** Requests with equal keys can share one batch: same axes (by identity of content) and interventions. */
function groupKey(r: TraceRequest): string {
  const axes = (r.axes ?? []).map((a) => `${a.name}:${a.sha256 ?? axisId(a)}`);
  return JSON.stringify([axes, r.interventions ?? [], r.logitLens ?? null]);
}

const ids = new WeakMap<object, number>();
let nextId = 0;
function axisId(a: object): number {
  let id = ids.get(a);
  if (id === undefined) ids.set(a, (id = nextId++));
  return id;
}
