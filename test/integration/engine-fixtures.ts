// Shared by the engine integration tests: fixture folders, their golden.json, axes as Directions,
// and a tolerance check. The golden values come from PyTorch forward hooks at export time
// (tools/pymodels/golden.py), independent of onnxruntime.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Direction } from '../../src/engine/directions/index';
import type { LensModel } from '../../src/engine/index';
import type { Intervention, ProjectOutIntervention } from '../../src/protocol/types';
export type { ProjectOutIntervention };

export const FIXTURES = join(__dirname, '..', 'fixtures', 'models');
export const MODELS = ['llama-gqa', 'llama-tied', 'gpt2', 'gemma', 'llama-fused'] as const;

export interface GoldenCase {
  interventions: Intervention[];
  /** [layer][token][d_model] */
  resid: number[][][];
  /** axis → [layer][token] */
  readouts: Record<string, number[][]>;
  logits_last: number[];
  prompt2: { readouts: Record<string, number[][]>; logits_last: number[] };
}

export interface Golden {
  layers: number;
  d_model: number;
  vocab_size: number;
  prompt_ids: number[];
  prompt2_ids: number[];
  /** axis → [layer][d_model] */
  axes: Record<string, number[][]>;
  cases: Record<string, GoldenCase>;
  greedy: { prompt_ids: number[]; n: number; none: number[]; steer_A_l12: number[] };
}

/** max |x| of a nested array: the scale of a residual stream layer. */
export function maxAbs(xs: number[][]): number {
  return xs.reduce((m, row) => row.reduce((m2, x) => Math.max(m2, Math.abs(x)), m), 0);
}

export function golden(model: string): Golden {
  return JSON.parse(readFileSync(join(FIXTURES, model, 'golden.json'), 'utf8')) as Golden;
}

export function axesOf(g: Golden): Direction[] {
  return Object.entries(g.axes).map(([name, rows]) => ({
    name,
    vectors: Float32Array.from(rows.flat()),
    nLayers: g.layers,
    dModel: g.d_model,
    meta: {
      name, modelName: 'fixture', modelGraphHash: '', hook: 'resid_post', layerBase: 0, method: 'golden',
      positions: 'all', nPos: 0, nNeg: 0, created: '1970-01-01T00:00:00Z', toolVersion: 'test',
    },
  }));
}

/**
 * max |a − b| ≤ rel · max(max|b|, floor): a relative tolerance on the array's scale; `floor` sets
 * the scale where the expected values are ~0 by construction (a projected-out readout).
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, what: string, floor = 1e-6): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  assert.ok(worst <= rel * Math.max(scale, floor), `${what}: |Δ| = ${worst} at ${at} (${actual[at]} vs ${expected[at]}), scale ${scale}`);
}

/**
 * One golden case on a loaded model, to `rel`: the residuals, the readouts of both golden prompts
 * in one batch (left-padded, or grouped by length where the graph cannot pad) and both prompts'
 * last logits. `logitsOneByOne`: generateIds takes its batch as given, so graphs that cannot pad
 * (GroupQueryAttention) get the two prompts one at a time.
 */
export async function checkGoldenCase(
  model: LensModel, g: Golden, c: GoldenCase, axes: Direction[], rel: number, opts: { label?: string; logitsOneByOne?: boolean } = {},
): Promise<void> {
  const at = opts.label ? `${opts.label}: ` : '';
  const prompt = { kind: 'tokens' as const, tokenIds: g.prompt_ids };
  const resid = await model.residuals(prompt, { interventions: c.interventions, axes });
  assert.equal(resid.length, g.layers);
  resid.forEach((r, l) => assertClose(r, c.resid[l]!.flat(), rel, `${at}resid layer ${l}`));
  const [r1, r2] = await model.traceBatch([
    { prompt, axes, interventions: c.interventions, decoding: { maxNewTokens: 0 } },
    { prompt: { kind: 'tokens', tokenIds: g.prompt2_ids }, axes, interventions: c.interventions, decoding: { maxNewTokens: 0 } },
  ]);
  axes.forEach((a, j) => {
    for (let l = 0; l < g.layers; l++) {
      // A projected-out readout is ~0: judge it on the scale of the layer's residual.
      const floor = maxAbs(c.resid[l]!);
      assertClose(r1!.projections[j]![l]!, c.readouts[a.name]![l]!, rel, `${at}readout ${a.name} layer ${l}`, floor);
      assertClose(r2!.projections[j]![l]!, c.prompt2.readouts[a.name]![l]!, rel, `${at}prompt2 readout ${a.name} layer ${l}`, floor);
    }
  });
  const both = [[g.prompt_ids, c.logits_last, 'logits_last'], [g.prompt2_ids, c.prompt2.logits_last, 'prompt2 logits_last']] as const;
  if (opts.logitsOneByOne) {
    for (const [ids, want, what] of both) {
      const out = await model.generateIds([ids], { maxNewTokens: 0 }, { interventions: c.interventions, axes });
      assertClose(out.rows[0]!.firstLogits, want, rel, `${at}${what}`);
    }
  } else {
    const out = await model.generateIds([g.prompt_ids, g.prompt2_ids], { maxNewTokens: 0 }, { interventions: c.interventions, axes });
    both.forEach(([, want, what], i) => assertClose(out.rows[i]!.firstLogits, want, rel, `${at}${what}`));
  }
}
