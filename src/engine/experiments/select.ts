// Refusal-direction selection as in Arditi et al. (2024, §2.3 and App. C): one candidate per
// (prompt position, layer), the difference of means of harmful vs harmless activations there.
// Each is scored on held-out prompts by
//   bypass: mean refusal score on harmful prompts with the candidate ablated at every layer
//   induce: mean refusal score on harmless prompts with the candidate added at its own layer
//   KL:     mean KL(base ‖ ablated) of the next-token distribution on harmless prompts
// then filtered (induce > 0, KL < 0.1, layer < 0.8·L by default) and the lowest bypass wins.
import type { Intervention } from '../../protocol/types';
import type { Direction } from '../directions/index';
import { refusalScore, type LensModel } from '../index';
import { TOOL_VERSION } from '../version';
import { LIMITS } from '../../protocol/limits';
import { lastPositions, postInstructionLength } from './activations';
import { rowPrompt, type PromptSet } from './dataset';
import { recordedRenderConditions } from './extract';
import { chunks, ProgressTracker, throwIfAborted, type ProgressFn } from './progress';
import { klFromLogprobs, logSoftmax, mean } from './stats';
import { markdownText } from '../report/escape';

export interface SelectOptions {
  /** Name of the chosen direction (default "refusal"). */
  name?: string;
  /** Trailing prompt positions that give candidates (default: the template's post-instruction tokens, at most 5). */
  positions?: number;
  klThreshold?: number;
  maxLayerFraction?: number;
  /** Candidates must induce a mean refusal score above this (default 0). */
  induceThreshold?: number;
  /** Held-out sets; when absent, odd rows of the given sets are held out and even rows extract. */
  valHarmful?: PromptSet;
  valHarmless?: PromptSet;
  batchSize?: number;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export interface CandidateScore {
  /** Offset from the end of the prompt: −1 is the last token. */
  position: number;
  layer: number;
  bypass: number;
  induce: number;
  kl: number;
  /** Why a candidate was filtered out; empty when it passed. */
  rejected: string[];
}

export interface SelectResult {
  schema: 'refusal-lens.select/1';
  model: { name: string; graphHash: string; tokenizerHash: string; layers: number };
  sets: { harmful: string; harmless: string; harmfulSha256: string; harmlessSha256: string; train: [number, number]; validation: [number, number] };
  filters: { klThreshold: number; maxLayer: number; induceThreshold: number };
  /** Mean refusal scores without intervention on the validation prompts. */
  baseline: { harmful: number; harmless: number };
  candidates: CandidateScore[];
  chosen?: CandidateScore;
  /** The chosen position's direction (all layers), meta.sourceLayer = the chosen layer. */
  direction?: Direction;
}

const split = <T>(xs: T[], odd: boolean) => xs.filter((_, i) => i % 2 === (odd ? 1 : 0));

export async function selectRefusalDirection(model: LensModel, harmful: PromptSet, harmless: PromptSet, o: SelectOptions = {}): Promise<SelectResult> {
  const { layers: L, dModel: d } = model.summary;
  const held = !o.valHarmful || !o.valHarmless;
  const train = { harmful: held ? split(harmful.rows, false) : harmful.rows, harmless: held ? split(harmless.rows, false) : harmless.rows };
  const val = { harmful: o.valHarmful?.rows ?? split(harmful.rows, true), harmless: o.valHarmless?.rows ?? split(harmless.rows, true) };
  for (const [what, rows] of Object.entries({ 'harmful (extraction)': train.harmful, 'harmless (extraction)': train.harmless, 'harmful (validation)': val.harmful, 'harmless (validation)': val.harmless })) {
    if (!rows.length) throw new Error(`select: no ${what} prompts; give more rows or separate validation sets`);
  }
  const batchSize = o.batchSize ?? 8;
  if (o.positions !== undefined && !(Number.isInteger(o.positions) && o.positions >= 1 && o.positions <= LIMITS.selectPositions)) {
    throw new Error(`select: positions must be an integer from 1 to ${LIMITS.selectPositions}, got ${o.positions}`);
  }
  const k = o.positions ?? Math.min(5, ...[...train.harmful, ...train.harmless].map((r) => postInstructionLength(model, rowPrompt(r))));

  // Candidate means: cand[p] is position −(k−p), positive − negative, [L*d].
  const sums = async (rows: typeof train.harmful, phase: string) => {
    const acc = Array.from({ length: k }, () => new Float64Array(L * d));
    const progress = new ProgressTracker(phase, rows.length, o.onProgress);
    for (let i = 0; i < rows.length; i++) {
      throwIfAborted(o.signal, 'select');
      const vs = await lastPositions(model, rowPrompt(rows[i]), k);
      vs.forEach((v, p) => {
        for (let j = 0; j < v.length; j++) acc[p][j] += v[j] / rows.length;
      });
      progress.report(i + 1);
    }
    return acc;
  };
  const mh = await sums(train.harmful, 'select: harmful means');
  const ml = await sums(train.harmless, 'select: harmless means');
  const render = recordedRenderConditions(model, [...train.harmful, ...train.harmless]);
  const cands: Direction[] = mh.map((m, p) => candidateDirection(model, `cand${p - k}`, Float32Array.from(m, (x, j) => x - ml[p][j]), p - k, train.harmful.length, train.harmless.length, render));

  const ids = (rows: typeof val.harmful) => rows.map((r) => model.encode(rowPrompt(r)).ids);
  const harmfulIds = ids(val.harmful);
  const harmlessIds = ids(val.harmless);
  const refusalIds = model.refusalTokenIds();
  /** First-token logits of each prompt under the interventions, batch by batch. */
  const firstLogits = async (prompts: number[][], axes: Direction[], interventions: Intervention[]) => {
    const out: Float32Array[] = [];
    for (const batch of chunks(prompts, batchSize)) {
      throwIfAborted(o.signal, 'select');
      const r = await model.generateIds(batch, { maxNewTokens: 1 }, { axes, interventions, ...(o.signal ? { signal: o.signal } : {}) });
      out.push(...r.rows.map((x) => x.firstLogits));
    }
    return out;
  };
  const meanScore = (logits: Float32Array[]) => mean(logits.map((x) => refusalScore(x, refusalIds)));

  const baseHarmless = await firstLogits(harmlessIds, [], []);
  const baseHarmlessLogp = baseHarmless.map(logSoftmax);
  const baseline = { harmful: meanScore(await firstLogits(harmfulIds, [], [])), harmless: meanScore(baseHarmless) };

  const klThreshold = o.klThreshold ?? 0.1;
  const maxLayer = Math.floor((o.maxLayerFraction ?? 0.8) * L);
  const induceThreshold = o.induceThreshold ?? 0;
  const all = Array.from({ length: L }, (_, l) => l);
  const candidates: CandidateScore[] = [];
  const progress = new ProgressTracker('select: scoring candidates', k * L, o.onProgress);
  for (let p = 0; p < k; p++) {
    for (let l = 0; l < L; l++) {
      const axes = [cands[p]];
      const ablate: Intervention[] = [{ kind: 'project_out', axes: [cands[p].name], layers: all, sourceLayer: l }];
      const add: Intervention[] = [{ kind: 'steer', axis: cands[p].name, coefficient: 1, layers: [l], sourceLayer: l }];
      const bypass = meanScore(await firstLogits(harmfulIds, axes, ablate));
      const induce = meanScore(await firstLogits(harmlessIds, axes, add));
      const ablatedHarmless = await firstLogits(harmlessIds, axes, ablate);
      const kl = mean(ablatedHarmless.map((x, i) => klFromLogprobs(baseHarmlessLogp[i], logSoftmax(x))));
      const rejected: string[] = [];
      if (!(induce > induceThreshold)) rejected.push(`induce ${induce.toFixed(3)} ≤ ${induceThreshold}`);
      if (!(kl < klThreshold)) rejected.push(`KL ${kl.toFixed(3)} ≥ ${klThreshold}`);
      if (l >= maxLayer) rejected.push(`layer ${l} ≥ ${maxLayer} (0.8·L)`);
      candidates.push({ position: p - k, layer: l, bypass, induce, kl, rejected });
      progress.report(candidates.length);
    }
  }
  const passing = candidates.filter((c) => c.rejected.length === 0).sort((a, b) => a.bypass - b.bypass);
  const chosen = passing[0];
  let direction: Direction | undefined;
  if (chosen) {
    const base = cands[chosen.position + k];
    const name = o.name ?? 'refusal';
    direction = {
      ...base,
      name,
      meta: {
        ...base.meta,
        name,
        sourceLayer: chosen.layer,
        description: `refusal direction selected as in Arditi et al. 2024: position ${chosen.position}, layer ${chosen.layer} (bypass ${chosen.bypass.toFixed(3)}, induce ${chosen.induce.toFixed(3)}, KL ${chosen.kl.toFixed(4)})`,
        extra: {
          tokenizerHash: model.summary.tokenizerHash,
          positive: { set: harmful.display, sha256: harmful.sha256, rows: train.harmful.length },
          negative: { set: harmless.display, sha256: harmless.sha256, rows: train.harmless.length },
          selection: { position: chosen.position, layer: chosen.layer, bypass: chosen.bypass, induce: chosen.induce, kl: chosen.kl, baseline, filters: { klThreshold, maxLayer, induceThreshold } },
        },
      },
    };
  }
  return {
    schema: 'refusal-lens.select/1',
    model: { name: model.summary.name, graphHash: model.summary.graphHash, tokenizerHash: model.summary.tokenizerHash, layers: L },
    sets: {
      harmful: harmful.display, harmless: harmless.display, harmfulSha256: harmful.sha256, harmlessSha256: harmless.sha256,
      train: [train.harmful.length, train.harmless.length], validation: [val.harmful.length, val.harmless.length],
    },
    filters: { klThreshold, maxLayer, induceThreshold },
    baseline,
    candidates,
    ...(chosen ? { chosen } : {}),
    ...(direction ? { direction } : {}),
  };
}

function candidateDirection(model: LensModel, name: string, vectors: Float32Array, position: number, nPos: number, nNeg: number, render: Record<string, string>): Direction {
  const s = model.summary;
  // A layer whose mean difference is exactly zero cannot be an axis; nudge it so the direction
  // file stays valid (such a layer scores as "no effect" anyway).
  for (let l = 0; l < s.layers; l++) {
    if (vectors.subarray(l * s.dModel, (l + 1) * s.dModel).every((x) => x === 0)) vectors[l * s.dModel] = 1e-12;
  }
  return {
    name, vectors, nLayers: s.layers, dModel: s.dModel,
    meta: {
      name, modelName: s.name, modelGraphHash: s.graphHash, hook: 'resid_post', layerBase: 0, method: 'diff_of_means',
      positions: String(position), nPos, nNeg, created: new Date().toISOString(), toolVersion: TOOL_VERSION,
      other: render,
    },
  };
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');

export function selectMarkdown(r: SelectResult): string {
  const out = [
    `# Refusal direction selection: ${markdownText(r.model.name)}`,
    '',
    `Train ${r.sets.train[0]} harmful / ${r.sets.train[1]} harmless, validation ${r.sets.validation[0]} / ${r.sets.validation[1]} (${markdownText(String(r.sets.harmful))} vs ${markdownText(String(r.sets.harmless))}).`,
    `Baseline mean refusal score: harmful ${f3(r.baseline.harmful)}, harmless ${f3(r.baseline.harmless)}.`,
    `Filters: induce > ${r.filters.induceThreshold}, KL < ${r.filters.klThreshold}, layer < ${r.filters.maxLayer}.`,
    r.chosen ? `**Chosen: position ${r.chosen.position}, layer ${r.chosen.layer}** (bypass ${f3(r.chosen.bypass)}).` : '**No candidate passed the filters.**',
    '',
    '| position | layer | bypass score | induce score | KL | kept |',
    '|---:|---:|---:|---:|---:|---|',
    ...[...r.candidates]
      .sort((a, b) => a.bypass - b.bypass)
      .map((c) => `| ${c.position} | ${c.layer} | ${f3(c.bypass)} | ${f3(c.induce)} | ${c.kl.toFixed(4)} | ${c.rejected.length ? markdownText(c.rejected.join('; ')) : (c === r.chosen ? '**chosen**' : 'yes')} |`),
  ];
  return out.join('\n') + '\n';
}

/** The selection as JSON, without the direction's vectors (they go to the direction file). */
export function selectJson(r: SelectResult): string {
  const { direction, ...rest } = r;
  return JSON.stringify({ ...rest, direction: direction ? { name: direction.name, file: direction.file ?? null, sha256: direction.sha256 ?? null } : null }, null, 2) + '\n';
}
