// The logit lens's graph structure (src/engine/onnx/lens.ts) on the test builder's decoder
// graphs: what it adds and where it reads, and the tails it refuses to copy (with the reason).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeModel, DT, GraphView, hookModel, LENS_INPUTS, LENS_OUTPUTS, makeNode } from '../../src/engine/onnx/index';
import { decoder } from './onnx-builder';

const hook = (bytes: Uint8Array, layers: number) => {
  const out = hookModel(bytes, { numLayers: layers, dModel: 4 });
  return { info: out.info, model: decodeModel(out.bytes) };
};

test('fused decoder: the lens reads every layer\'s r\'\'\' through one copied tail; no original node reads a lens value', () => {
  const { b } = decoder({ layers: 3, fused: true });
  const before = b.decoded().graph.node.length;
  const { info, model } = hook(b.bytes(), 3);
  assert.equal(info.logitLens, true, info.logitLensReason);
  const g = model.graph;
  const lens = g.node.filter((n) => n.name.startsWith('rl/rl.lens'));
  assert.ok(lens.length > 0);
  const firstLens = g.node.indexOf(lens[0]!);
  assert.ok(g.node.slice(firstLens).every((n) => n.name.startsWith('rl/rl.lens') || n.name.startsWith('rl/rl.last_position')), 'lens nodes come after every original node');
  assert.ok(g.node.slice(0, firstLens).every((n) => n.input.every((x) => !x.startsWith('rl.lens'))), 'nothing outside the lens reads its values');
  // one Gather per layer of r''' (rl.resid.l), then one Concat; one copy of the lm_head
  const view = new GraphView(g);
  const gathers = lens.filter((n) => n.opType === 'Gather' && n.input[1] === LENS_INPUTS.positions);
  assert.deepEqual(gathers.map((n) => n.input[0]), info.layers.map((l) => l.outputNames.resid));
  const pad = lens.find((n) => n.opType === 'Gather' && n.input[1] === LENS_INPUTS.pad)!;
  assert.equal(pad.input[0], info.layers.at(-1)!.outputNames.resid, 'padding rows come from the last layer');
  assert.deepEqual(view.producers.get('rl.lens.h')!.node.input, [...gathers.map((n) => n.output[0]), pad.output[0]], 'layers, then padding');
  assert.equal(lens.filter((n) => n.opType === 'MatMul' && n.input[1] === 'lm_head').length, 1, 'one lm_head copy for all layers');
  const norm = lens.find((n) => n.opType === 'SkipSimplifiedLayerNormalization')!;
  assert.deepEqual(norm.input.slice(0, 2), ['rl.lens.h', 'rl.lens.zero'], 'the last Skip norm copied as norm(h + 0)');
  assert.equal(view.producers.get('rl.lens.zero')!.node.opType, 'Sub');
  assert.ok(lens.length < 35, `${lens.length} lens nodes for 3 layers`);
  assert.equal(g.node.length - before, 11 * 3 + 1 + lens.length, 'per-layer hooks, the last-position Slice, the lens');
  const ins = Object.fromEntries(g.input.map((v) => [v.name, v]));
  assert.ok(Object.values(LENS_INPUTS).every((n) => ins[n]!.elemType === DT.INT64));
  const outs = g.output.map((v) => v.name);
  assert.deepEqual(outs.slice(-3), [LENS_OUTPUTS.topProbs, LENS_OUTPUTS.topIds, LENS_OUTPUTS.refusal]);
});

test('tails the lens cannot copy leave the graph without it and say why', () => {
  // the plain builder's RMS norm reduces over every axis (ReduceMean without axes)
  const plain = hook(decoder({ layers: 2 }).b.bytes(), 2);
  assert.equal(plain.info.logitLens, false);
  assert.match(plain.info.logitLensReason!, /ReduceMean .* is not a per-position op/);
  assert.ok(!plain.model.graph.input.some((v) => v.name.startsWith('rl.lens')) && !plain.model.graph.node.some((n) => n.name.startsWith('rl/rl.lens')));

  // a Reshape between the final norm and lm_head
  const { b } = decoder({ layers: 2, fused: true });
  const head = b.nodes.find((n) => n.output[0] === 'logits')!;
  const shape = b.init('shape', [3], DT.INT64);
  b.nodes.splice(b.nodes.indexOf(head), 0, makeNode('Reshape', [head.input[0]!, shape], ['reshaped'], 'reshape'));
  head.input[0] = 'reshaped';
  const r = hook(b.bytes(), 2);
  assert.equal(r.info.logitLens, false);
  assert.match(r.info.logitLensReason!, /Reshape 'reshape'/);

  // opset 13
  const old = decoder({ layers: 2, fused: true }).b;
  old.opsets[0]!.version = 13;
  const o = hook(old.bytes(), 2);
  assert.equal(o.info.logitLens, false);
  assert.match(o.info.logitLensReason!, /opset 13 < 14/);
});
