// The hooking rewrite on the exported fixture models, run in onnxruntime-node against the
// golden values computed by PyTorch forward hooks (tools/pymodels/golden.py).

import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { OrtTensor, Session } from '../../src/engine/runtime';

type Outputs = Awaited<ReturnType<Session['run']>>;
import { decodeModel, encodeModel, GraphView, hookModel, LENS_OUTPUTS, makeNode, ProtoError, ResidualError } from '../../src/engine/onnx/index';
import { lensInputFeeds } from '../../src/engine/generate/feeds';
import { halfToFloat } from '../../src/engine/half';
import {
  baseFeeds, bitEqual, FIXTURES, lastPositionBitEqual, fixtureConfig, hookFeeds, maxRowNorm, readGolden, relErr, session, sourceInputs,
} from './hook-util';

const TOL = 1e-4;
const tmp = mkdtempSync(path.join(tmpdir(), 'rl-hook-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * GPT-2 in the fused form ORT's optimizer makes: each residual Add that feeds a
 * LayerNormalization becomes one SkipLayerNormalization (output 0 = norm, output 3 = sum).
 */
function fuseSkipLayerNorm(bytes: Uint8Array): Uint8Array {
  const m = decodeModel(bytes);
  const view = new GraphView(m.graph);
  const drop = new Set<object>();
  const replace = new Map<object, ReturnType<typeof makeNode>>();
  for (const ln of m.graph.node.filter((n) => n.opType === 'LayerNormalization')) {
    const add = view.producers.get(ln.input[0]!)?.node;
    if (!add || add.opType !== 'Add' || add.input.some((x) => view.isConstant(x))) continue;
    const skip = makeNode('SkipLayerNormalization', [add.input[0]!, add.input[1]!, ln.input[1]!, ln.input[2]!], [ln.output[0]!, '', '', add.output[0]!], `fused/${ln.name}`,
      ln.attributes.filter((a) => a.name === 'epsilon'), 'com.microsoft');
    replace.set(add, skip);
    drop.add(ln);
  }
  m.graph.node = m.graph.node.filter((n) => !drop.has(n)).map((n) => replace.get(n) ?? n);
  m.opsetImport.push({ domain: 'com.microsoft', version: 1 });
  return encodeModel(m);
}

/** Hooked copy of a fixture's graph, next to a copy of its external data. */
function hookedCopy(name: string, file = 'model.onnx', transform?: (b: Uint8Array) => Uint8Array) {
  const dir = path.join(tmp, name + (transform ? '-fused' : ''));
  cpSync(path.join(FIXTURES, name, 'onnx'), dir, { recursive: true, filter: (f) => !f.includes('.hooked-') });
  const src = path.join(dir, file);
  if (transform) writeFileSync(src, transform(readFileSync(src)));
  const bytes = readFileSync(src);
  const cfg = fixtureConfig(name);
  const { bytes: hooked, info } = hookModel(bytes, cfg);
  const dst = path.join(dir, `hooked-${file}`);
  writeFileSync(dst, hooked);
  const added = decodeModel(hooked).graph.node.length - decodeModel(bytes).graph.node.length - (info.lastPositionLogits ? 1 : 0);
  console.log(`${name}/${file}: ${info.layers.map((l) => l.producerOp).join(',')} — ${added / cfg.numLayers} nodes added per layer, last-position logits ${info.lastPositionLogits}`);
  return { src, dst, info, cfg };
}

const lastRow = (t: OrtTensor): Float32Array => {
  const d = t.data as Float32Array;
  const V = t.dims[t.dims.length - 1]!;
  return d.subarray(d.length - V);
};
/**
 * Zero interventions: every source output is bit-identical in the hooked graph, except that its
 * `logits` hold the last position only ([batch, 1, vocab]), bit-identical to the source's last row.
 */
function assertZeroBitIdentical(ref: Outputs, zero: Outputs, names: readonly string[]): void {
  for (const out of names) {
    if (out !== 'logits') {
      assert.ok(bitEqual(ref[out]!, zero[out]!), `${out} differs with zero interventions`);
      continue;
    }
    assert.ok(ref.logits!.dims[1]! > 1, 'the prompt has more than one position');
    assert.deepEqual(zero.logits!.dims, [ref.logits!.dims[0], 1, ref.logits!.dims[2]], 'the hooked graph computes logits for the last position only');
    assert.ok(lastPositionBitEqual(ref.logits!, zero.logits!), 'last-position logits differ with zero interventions');
  }
}
const lastRowHalf = (t: OrtTensor): Uint16Array => {
  const d = t.data as Uint16Array;
  return d.subarray(d.length - t.dims[t.dims.length - 1]!);
};
const column = (t: OrtTensor, j: number, n: number) => Array.from(t.data as Float32Array).filter((_, i) => i % n === j);

test('every fixture graph re-encodes byte-identically', () => {
  let n = 0;
  for (const name of readdirSync(FIXTURES)) {
    for (const f of readdirSync(path.join(FIXTURES, name, 'onnx')).filter((x) => x.endsWith('.onnx') && !x.includes('.hooked-'))) {
      const bytes = readFileSync(path.join(FIXTURES, name, 'onnx', f));
      assert.ok(Buffer.from(encodeModel(decodeModel(bytes))).equals(bytes), `${name}/${f}`);
      n++;
    }
  }
  assert.ok(n >= 7, `only ${n} fixture graphs`);
});

/**
 * Opens the source and hooked sessions of a fixture graph and checks the hooked graph with zero
 * interventions against the source: the part every form's test starts with.
 */
async function openCheckedPair(name: string, file = 'model.onnx', transform?: (b: Uint8Array) => Uint8Array) {
  const { src, dst, info, cfg } = hookedCopy(name, file, transform);
  const g = readGolden(name);
  const [plain, hooked] = await Promise.all([session(src), session(dst)]);
  const base = baseFeeds(sourceInputs(src), g.prompt_ids);
  const axes = Object.keys(g.axes);
  const ref = await plain.run(base);
  const zero = await hooked.run({ ...base, ...hookFeeds(g, [], axes) });
  assert.equal(info.lastPositionLogits, true);
  assertZeroBitIdentical(ref, zero, plain.outputNames);
  // the logit lens: computing it changes no other output, and its last layer at the last
  // position is the model's own next-token distribution
  assert.equal(info.logitLens, true, info.logitLensReason);
  const T = g.prompt_ids.length;
  const lensOn = await hooked.run({ ...base, ...hookFeeds(g, [], axes), ...lensInputFeeds({ positions: [0, T - 1], topK: 3, refusalIds: [1, 2] }) });
  assertZeroBitIdentical(ref, lensOn, plain.outputNames);
  const L = cfg.numLayers;
  assert.deepEqual(lensOn[LENS_OUTPUTS.topProbs]!.dims, [1, 2 * L, 3], 'rows: layers × positions');
  assert.deepEqual(zero[LENS_OUTPUTS.topProbs]!.dims, [1, 0, 1], 'no positions: empty lens outputs');
  assert.deepEqual(zero[LENS_OUTPUTS.refusal]!.dims, [1, 0, 1]);
  const logits = ref.logits!.type === 'float16' ? Array.from(lastRowHalf(ref.logits!), halfToFloat) : Array.from(lastRow(ref.logits!));
  const max = Math.max(...logits);
  const sum = logits.reduce((s, x) => s + Math.exp(x - max), 0);
  const p1 = (lensOn[LENS_OUTPUTS.topProbs]!.data as Float32Array)[(2 * L - 1) * 3]!; // last layer, last position, top 1
  assert.ok(Math.abs(p1 - 1 / sum) <= (ref.logits!.type === 'float16' ? 1e-3 : 1e-5), `last-layer lens top-1 ${p1} vs softmax(logits) max ${1 / sum}`);
  return { info, cfg, g, hooked, base, axes };
}

const FORMS: [string, string, ((b: Uint8Array) => Uint8Array)?][] = [
  ['llama-gqa', 'Add'], ['llama-tied', 'Add'], ['gpt2', 'Add'], ['gemma', 'Add'], ['llama-fused', 'SkipSimplifiedLayerNormalization'],
  ['gpt2', 'SkipLayerNormalization', fuseSkipLayerNorm],
];
for (const [name, op, transform] of FORMS) {
  test(`${name}${transform ? ' (fused here)' : ''}: chain found, zero inputs bit-identical, interventions match golden`, async () => {
    const { info, cfg, g, hooked, base, axes } = await openCheckedPair(name, 'model.onnx', transform);
    assert.ok(info.layers.every((l) => l.producerOp === op), info.layers.map((l) => l.producerOp).join());
    assert.equal(info.layers.length, cfg.numLayers);
    assert.equal(g.layers, cfg.numLayers);

    let worst = 0;
    for (const [caseName, c] of Object.entries(g.cases)) {
      const o = await hooked.run({ ...base, ...hookFeeds(g, c.interventions, axes) });
      for (let l = 0; l < cfg.numLayers; l++) {
        const e = relErr(o[`rl.resid.${l}`]!.data as Float32Array, c.resid[l]!.flat());
        assert.ok(e <= TOL, `${caseName} layer ${l}: resid relative error ${e}`);
        worst = Math.max(worst, e);
        axes.forEach((a, j) => {
          const r = relErr(column(o[`rl.read.${l}`]!, j, axes.length), c.readouts[a]![l]!, maxRowNorm(c.resid[l]!));
          assert.ok(r <= TOL, `${caseName} layer ${l} axis ${a}: readout error ${r}`);
        });
      }
      const el = relErr(lastRow(o.logits!), c.logits_last);
      assert.ok(el <= TOL, `${caseName}: logits error ${el}`);
      worst = Math.max(worst, el);
      // a projected-out axis reads 0 at the layers it is removed from
      for (const iv of c.interventions.filter((x) => x.kind === 'project_out')) {
        for (const l of iv.layers) for (const a of iv.axes!) {
          const v = column(o[`rl.read.${l}`]!, axes.indexOf(a), axes.length);
          assert.ok(Math.max(...v.map(Math.abs)) < 1e-4 * maxRowNorm(c.resid[l]!), `${caseName}: ${a} still read at layer ${l}`);
        }
      }
    }
    console.log(`${name}: worst relative error vs golden ${worst.toExponential(2)}`);
  });
}

test('fp16 graph: hooks, runs, zero inputs bit-identical, steering follows golden within fp16 precision', async () => {
  const { info, cfg, g, hooked, base, axes } = await openCheckedPair('llama-gqa', 'model_fp16.onnx');
  assert.equal(info.residualDtype, 'float16');
  for (const caseName of ['none', 'steer_A_l12', 'project_out_AB_l1']) {
    const c = g.cases[caseName]!;
    const o = await hooked.run({ ...base, ...hookFeeds(g, c.interventions, axes) });
    let worst = 0;
    for (let l = 0; l < cfg.numLayers; l++) {
      assert.equal(o[`rl.resid.${l}`]!.type, 'float32');
      worst = Math.max(worst, relErr(o[`rl.resid.${l}`]!.data as Float32Array, c.resid[l]!.flat()));
    }
    console.log(`fp16 ${caseName}: worst resid relative error vs fp32 golden ${worst.toExponential(2)}`);
    assert.ok(worst < 5e-3, `fp16 ${caseName}: ${worst}`);
  }
});

test('a graph without a residual chain fails with what was found; corrupt bytes fail clearly', () => {
  const bytes = readFileSync(path.join(FIXTURES, 'no-residual', 'onnx', 'model.onnx'));
  const cfg = fixtureConfig('no-residual');
  assert.throws(() => hookModel(bytes, cfg), (e: Error) => {
    assert.ok(e instanceof ResidualError);
    assert.match(e.message, /found embedding Gather '.*' fed by input_ids, followed \d+ residual Adds\/Skip norms; /);
    return true;
  });
  const good = readFileSync(path.join(FIXTURES, 'llama-gqa', 'onnx', 'model.onnx'));
  for (const bad of [good.subarray(0, good.length >> 1), Buffer.from('PK\x03\x04 not an onnx file'), Buffer.alloc(0)]) {
    assert.throws(() => hookModel(bad, fixtureConfig('llama-gqa')), ProtoError);
  }
});
