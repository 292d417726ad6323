// Generation behaviour on the llama-gqa fixture: batched == one-by-one, streaming, positions,
// seeded sampling, EOS from generation_config.json, cancellation, the fp16 variant.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadModel, type LensModel, type TraceRequest } from '../../src/engine/index';
import type { Intervention, TokenEvent } from '../../src/protocol/types';
import { assertClose, axesOf, FIXTURES, golden, maxAbs } from './engine-fixtures';

const NAME = 'llama-gqa';
const g = golden(NAME);
const axes = axesOf(g);
const steer = g.cases['steer_A_l12']!.interventions;
const p1 = { kind: 'tokens' as const, tokenIds: g.prompt_ids };
const p2 = { kind: 'tokens' as const, tokenIds: g.prompt2_ids };
const generatedIds = (r: { tokens: { id: number; generated: boolean }[] }) => r.tokens.filter((t) => t.generated).map((t) => t.id);

describe(`generation: ${NAME}`, () => {
  let model: LensModel;
  const tmp = mkdtempSync(join(tmpdir(), 'rl-engine-gen-'));
  before(async () => {
    model = await loadModel(join(FIXTURES, NAME), { threads: 1 });
  });
  after(async () => {
    await model?.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a batch of mixed lengths equals one-by-one: tokens and readouts, greedy and sampled', async () => {
    for (const decoding of [{ maxNewTokens: 8, stopAtEos: false }, { maxNewTokens: 8, stopAtEos: false, temperature: 1, topK: 40, seed: 5 }]) {
      const reqs: TraceRequest[] = [p1, p2].map((prompt) => ({ prompt, axes, interventions: steer, decoding }));
      const batched = await model.traceBatch(reqs);
      for (let i = 0; i < 2; i++) {
        const alone = await model.trace(reqs[i]!);
        assert.deepEqual(generatedIds(batched[i]!), generatedIds(alone));
        assert.deepEqual(batched[i]!.tokens, alone.tokens);
        for (let j = 0; j < axes.length; j++) {
          for (let l = 0; l < g.layers; l++) {
            assertClose(batched[i]!.projections[j]![l]!, alone.projections[j]![l]!, 1e-4, `row ${i} axis ${j} layer ${l}`, maxAbs(g.cases['none']!.resid[l]!));
          }
        }
      }
    }
  });

  it('requests with different interventions in one call run as separate batches, in order', async () => {
    const [a, b] = await model.traceBatch([
      { prompt: p1, axes, interventions: [], decoding: { maxNewTokens: 8, stopAtEos: false } },
      { prompt: p1, axes, interventions: steer, decoding: { maxNewTokens: 8, stopAtEos: false } },
    ]);
    assert.deepEqual(generatedIds(a!), g.greedy.none);
    assert.deepEqual(generatedIds(b!), g.greedy.steer_A_l12);
  });

  it('streams every token once with its readouts, prompt first', async () => {
    const events: TokenEvent[] = [];
    const r = await model.trace({ prompt: p1, axes, interventions: steer, decoding: { maxNewTokens: 5, stopAtEos: false } }, { onToken: (e) => events.push(e) });
    assert.equal(events[0]!.tokens.length, g.prompt_ids.length);
    assert.ok(events.slice(1).every((e) => e.tokens.length === 1 && e.tokens[0]!.generated));
    assert.deepEqual(events.flatMap((e) => e.tokens), r.tokens);
    for (let j = 0; j < axes.length; j++) {
      for (let l = 0; l < g.layers; l++) {
        assert.deepEqual(events.flatMap((e) => e.projections[j]![l]!), r.projections[j]![l]!);
      }
    }
  });

  it("positions: 'prompt' steers only the prefill, 'generated' only the decode steps", async () => {
    const at = (positions: 'prompt' | 'generated'): Intervention[] => steer.map((iv) => ({ ...iv, positions }));
    const run = (interventions: Intervention[]) =>
      model.trace({ prompt: p1, axes, interventions, decoding: { maxNewTokens: 3, stopAtEos: false } });
    const [none, onPrompt, onGen] = [await run([]), await run(at('prompt')), await run(at('generated'))];
    const n = g.prompt_ids.length;
    const floor = (l: number) => maxAbs(g.cases['none']!.resid[l]!);
    for (let l = 0; l < g.layers; l++) {
      const promptPart = (r: typeof none) => r.projections[0]![l]!.slice(0, n);
      assertClose(promptPart(onPrompt), g.cases['steer_A_l12']!.readouts['A']![l]!, 1e-4, `prompt-only, layer ${l}`, floor(l));
      assertClose(promptPart(onGen), g.cases['none']!.readouts['A']![l]!, 1e-4, `generated-only, layer ${l}`, floor(l));
    }
    // The first response token comes from the prefill's logits.
    assert.equal(generatedIds(onPrompt)[0], g.greedy.steer_A_l12[0]);
    assert.equal(generatedIds(onGen)[0], g.greedy.none[0]);
    // At layer 1 (the first steered layer) the first generated token sees the unsteered
    // layer 0 everywhere, so its readout is the unsteered one plus c·|v_1|.
    const c = (steer[0] as { coefficient: number }).coefficient;
    const a1 = axes[0]!.vectors.subarray(g.d_model, 2 * g.d_model);
    const shift = c * Math.hypot(...a1);
    const got = onGen.projections[0]![1]![n]! - none.projections[0]![1]![n]!;
    assert.ok(Math.abs(got - shift) < 1e-4 * Math.max(1, shift), `shift ${got} vs ${shift}`);
  });

  it('seeded sampling is reproducible and depends on the seed', async () => {
    const run = (seed: number) =>
      model.trace({ prompt: p1, axes: [], interventions: [], decoding: { maxNewTokens: 12, stopAtEos: false, temperature: 1.2, seed } });
    const a = generatedIds(await run(1));
    assert.deepEqual(generatedIds(await run(1)), a);
    assert.notDeepEqual(generatedIds(await run(2)), a);
  });

  it('stops at an EOS id from generation_config.json and keeps the EOS token', async () => {
    const dir = join(tmp, 'eos');
    cpSync(join(FIXTURES, NAME), dir, { recursive: true });
    const eos = g.greedy.none[2]!;
    writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [eos] }));
    const m = await loadModel(dir, { threads: 1 });
    try {
      for (const withAxes of [axes, []]) {
        const r = await m.trace({ prompt: p1, axes: withAxes, interventions: [], decoding: { maxNewTokens: 8 } });
        assert.deepEqual(generatedIds(r), g.greedy.none.slice(0, 3));
        if (withAxes.length) assert.equal(r.projections[0]![0]!.length, r.tokens.length);
      }
      const r = await m.trace({ prompt: p1, axes: [], interventions: [], decoding: { maxNewTokens: 8, stopAtEos: false } });
      assert.deepEqual(generatedIds(r), g.greedy.none);
    } finally {
      await m.dispose();
    }
  });

  it('cancellation stops a long generation with an AbortError', async () => {
    const ctl = new AbortController();
    let generated = 0;
    const p = model.trace(
      { prompt: p1, axes, interventions: [], decoding: { maxNewTokens: 400, stopAtEos: false } },
      {
        signal: ctl.signal,
        onToken: (e) => {
          if (e.tokens[0]!.generated && ++generated === 5) ctl.abort();
        },
      },
    );
    await assert.rejects(p, (e: Error) => e.name === 'AbortError' && /cancelled after \d+ decode steps/.test(e.message));
    assert.equal(generated, 5);
    const pre = new AbortController();
    pre.abort();
    await assert.rejects(model.trace({ prompt: p1, axes: [], interventions: [], decoding: { maxNewTokens: 4 } }, { signal: pre.signal }), { name: 'AbortError' });
    // The model stays usable.
    const r = await model.trace({ prompt: p1, axes: [], interventions: [], decoding: { maxNewTokens: 8, stopAtEos: false } });
    assert.deepEqual(generatedIds(r), g.greedy.none);
  });

  it('a chat prompt goes through the template; the result carries labels and timings', async () => {
    const r = await model.trace({
      prompt: { kind: 'chat', messages: [{ role: 'user', content: 'Hi there!' }], prefill: 'I' },
      axes, interventions: [], decoding: { maxNewTokens: 4, stopAtEos: false },
    });
    const { ids } = model.encode({ kind: 'chat', messages: [{ role: 'user', content: 'Hi there!' }] });
    const withPrefill = model.encode({ kind: 'chat', messages: [{ role: 'user', content: 'Hi there!' }], prefill: 'I' }).ids;
    assert.deepEqual(withPrefill.slice(0, ids.length), ids);
    assert.ok(withPrefill.length > ids.length);
    assert.deepEqual(r.tokens.filter((t) => !t.generated).map((t) => t.id), withPrefill);
    assert.equal(r.schema, 'refusal-lens.trace/2');
    assert.equal(r.readouts.projections, r.projections, 'the in-memory alias is the same array');
    assert.ok(['refusal', 'bypass', 'degenerate'].includes(r.label.label));
    assert.ok(Number.isFinite(r.label.refusalScore));
    assert.ok(r.timings.prefillMs > 0 && r.timings.decodeMs > 0 && r.timings.totalMs >= r.timings.prefillMs);
    assert.deepEqual(r.axes.map((a) => a.name), ['A', 'B']);
  });

  it('loads the fp16 variant; its readouts follow the fp32 golden values loosely', async () => {
    const m = await loadModel(join(FIXTURES, NAME), { dtype: 'fp16', threads: 1 });
    try {
      assert.equal(m.summary.dtype, 'fp16');
      assert.notEqual(m.summary.graphHash, model.summary.graphHash);
      const r = await m.trace({ prompt: p1, axes, interventions: steer, decoding: { maxNewTokens: 4, stopAtEos: false } });
      for (let l = 0; l < g.layers; l++) {
        assertClose(r.projections[0]![l]!.slice(0, g.prompt_ids.length), g.cases['steer_A_l12']!.readouts['A']![l]!, 2e-2, `fp16 layer ${l}`, maxAbs(g.cases['none']!.resid[l]!));
      }
      assert.equal(generatedIds(r).length, 4);
    } finally {
      await m.dispose();
    }
  });
});
