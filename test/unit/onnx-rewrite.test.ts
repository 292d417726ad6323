import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attrInt, decodeModel, DT, makeNode, makeValueInfo, tensorValues, encodeModel, GraphView, hookModel, REWRITE_VERSION } from '../../src/engine/onnx/index';
import type { ModelProto } from '../../src/engine/onnx/index';
import { decoder, DecoderOptions } from './onnx-builder';

function hook(o: DecoderOptions) {
  const { b, blockOutputs, normOutputs } = decoder(o);
  const before = b.decoded();
  const out = hookModel(b.bytes(), { numLayers: o.layers, dModel: o.d ?? 4 });
  return { before, after: decodeModel(out.bytes), info: out.info, blockOutputs, normOutputs, bytes: out.bytes };
}

/** every node input is a graph input, an initializer, or produced by an earlier node */
function assertTopological(m: ModelProto): void {
  const known = new Set([...m.graph.input.map((v) => v.name), ...m.graph.initializer.map((t) => t.name), '']);
  for (const n of m.graph.node) {
    for (const i of n.input) assert.ok(known.has(i), `${n.name} reads '${i}' before it is produced`);
    for (const o of n.output) known.add(o);
  }
}

test('plain decoder: eleven nodes per layer (steer 1, project-out 3, cap 6, readout 1), consumers rewired, inputs and outputs declared', () => {
  const { before, after, info, blockOutputs } = hook({ layers: 3 });
  assert.equal(after.graph.node.length - before.graph.node.length, 11 * 3 + 1, 'eleven per layer and the last-position Slice');
  assert.deepEqual(info.layers.map((l) => [l.layer, l.value, l.producerOp]), blockOutputs.map((v, i) => [i, v, 'Add']));
  assert.equal(info.rewriteVersion, REWRITE_VERSION);
  assert.equal(info.residualDtype, 'float32');
  const view = new GraphView(after.graph);
  for (let l = 0; l < 3; l++) {
    // the only reader of the original block output is the new Add
    assert.deepEqual(view.consumersOf(blockOutputs[l]!).map((c) => c.node.name), [`rl/rl.steered.${l}`]);
    // r''' = r'' + shift: the cap's Add, after the project-out's Sub
    assert.deepEqual(view.producers.get(`rl.resid.${l}`)!.node.input, [`rl.projected.${l}`, `rl.capshift.${l}`]);
    assert.equal(view.producers.get(`rl.resid.${l}`)!.node.opType, 'Add');
    assert.equal(view.producers.get(`rl.projected.${l}`)!.node.opType, 'Sub');
    assert.deepEqual(['Max', 'Min'].map((op) => view.producers.get(`rl.cap${op === 'Max' ? 'max' : 'clamp'}.${l}`)!.node.opType), ['Max', 'Min']);
    assert.ok(view.consumersOf(`rl.resid.${l}`).length >= 2, 'the next block and the readout read r\'\'');
    const ins = Object.fromEntries(after.graph.input.map((v) => [v.name, v]));
    assert.deepEqual(ins[`rl.add.${l}`]!.dims, [4]);
    assert.deepEqual(ins[`rl.proj.${l}`]!.dims, [`rl_k_${l}`, 4]);
    assert.deepEqual(ins[`rl.projT.${l}`]!.dims, [4, `rl_k_${l}`]);
    assert.deepEqual(ins[`rl.axesT.${l}`]!.dims, [4, `rl_n_${l}`]);
    assert.deepEqual(ins[`rl.capU.${l}`]!.dims, [4, `rl_m_${l}`]);
    assert.deepEqual(ins[`rl.capUT.${l}`]!.dims, [`rl_m_${l}`, 4]);
    assert.deepEqual(ins[`rl.capLo.${l}`]!.dims, [`rl_m_${l}`]);
    assert.deepEqual(ins[`rl.capHi.${l}`]!.dims, [`rl_m_${l}`]);
    assert.ok(['rl.add', 'rl.proj', 'rl.projT', 'rl.axesT', 'rl.capU', 'rl.capUT', 'rl.capLo', 'rl.capHi'].every((p) => ins[`${p}.${l}`]!.elemType === DT.FLOAT));
    assert.deepEqual(info.layers[l]!.outputNames, { read: `rl.read.${l}`, resid: `rl.resid.${l}` });
  }
  const outs = after.graph.output.map((v) => v.name);
  assert.deepEqual(outs.slice(-6), ['rl.read.0', 'rl.resid.0', 'rl.read.1', 'rl.resid.1', 'rl.read.2', 'rl.resid.2']);
  assertTopological(after);
});

test('the hooked model decodes and re-encodes byte-identically', () => {
  const { bytes } = hook({ layers: 2, fused: true });
  assert.deepEqual(encodeModel(decodeModel(bytes)), bytes);
});

test('fp16 residual: float32 inputs cast in, float32 outputs cast out', () => {
  const { before, after, info } = hook({ layers: 2, dtype: DT.FLOAT16 });
  assert.equal(info.residualDtype, 'float16');
  const added = after.graph.node.slice(0).filter((n) => n.name.startsWith('rl/'));
  console.log(`fp16: ${(after.graph.node.length - before.graph.node.length) / 2} nodes added per layer`);
  const casts = added.filter((n) => n.opType === 'Cast');
  assert.equal(casts.length, 2 * 6); // add, projT, proj in; r'' to float32 and the cap's shift back; resid out
  const to = (n: (typeof casts)[0]) => n.attributes.find((a) => a.name === 'to')!.i;
  assert.deepEqual(casts.filter((n) => to(n) === DT.FLOAT).map((n) => n.output[0]), ['rl.projected.0.f', 'rl.resid.0', 'rl.projected.1.f', 'rl.resid.1']);
  assert.equal(new GraphView(after.graph).producers.get('rl.capc.0')!.node.input[0], 'rl.projected.0.f', 'the cap runs in float32');
  assert.ok(after.graph.input.filter((v) => v.name.startsWith('rl.')).every((v) => v.elemType === DT.FLOAT));
  const view = new GraphView(after.graph);
  assert.equal(view.producers.get('rl.read.0')!.node.input[0], 'rl.resid.0', 'readouts are taken in float32');
  assertTopological(after);

  const fused = hook({ layers: 2, dtype: DT.FLOAT16, fused: true });
  const fv = new GraphView(fused.after.graph);
  assert.deepEqual([fv.producers.get('rl.resid.1.h')!.node.opType, fv.producers.get('rl.resid.1.h')!.index], ['SkipSimplifiedLayerNormalization', 3]);
  assert.equal(fv.producers.get('rl.resid.1')!.node.opType, 'Cast');
  assertTopological(fused.after);
});

test('fused form: a second Skip op computes r\'\'\' = r\'\' + shift and the norm; the unnamed sum gets a name', () => {
  const { before, after, info, blockOutputs, normOutputs } = hook({ layers: 3, fused: true });
  console.log(`fused: ${(after.graph.node.length - before.graph.node.length) / 3} nodes added per layer`);
  assert.equal(info.layers[2]!.value, 'rl.sum.2');
  assert.deepEqual(info.layers.slice(0, 2).map((l) => l.value), blockOutputs.slice(0, 2));
  const view = new GraphView(after.graph);
  for (let l = 0; l < 3; l++) {
    const skip = view.producers.get(`rl.resid.${l}`)!;
    assert.equal(skip.node.opType, 'SkipSimplifiedLayerNormalization');
    assert.equal(skip.node.domain, 'com.microsoft');
    assert.equal(skip.index, 3);
    assert.deepEqual(skip.node.input.slice(0, 2), [`rl.projected.${l}`, `rl.capshift.${l}`]);
    assert.equal(skip.node.output[0], normOutputs[l], 'the normalised output keeps its name');
    assert.equal(skip.node.attributes.find((a) => a.name === 'epsilon')!.f, Math.fround(1e-6));
    assert.equal(view.consumersOf(`rl.unused.${l}`).length, 0);
  }
  assertTopological(after);
});

test('a block output that is also a graph output keeps its name through an Identity', () => {
  const { b, blockOutputs } = decoder({ layers: 2 });
  b.output(blockOutputs[0]!);
  const after = decodeModel(hookModel(b.bytes(), { numLayers: 2, dModel: 4 }).bytes);
  const view = new GraphView(after.graph);
  const p = view.producers.get(blockOutputs[0]!)!;
  assert.deepEqual([p.node.opType, p.node.input[0]], ['Identity', 'rl.resid.0']);
  assert.equal(view.producers.get('rl.pre.0')!.node.opType, 'Add');
  assertTopological(after);
});

test('bad options and already-hooked graphs are refused with a reason', () => {
  const { b } = decoder({ layers: 2 });
  assert.throws(() => hookModel(b.bytes(), { numLayers: 2, dModel: 8 }), /embedding table 'embed.weight' has shape \[10, 4\]; config says d_model 8/);
  assert.throws(() => hookModel(b.bytes(), { numLayers: 0, dModel: 4 }), /numLayers must be a positive integer/);
  const once = hookModel(b.bytes(), { numLayers: 2, dModel: 4 }).bytes;
  assert.throws(() => hookModel(once, { numLayers: 2, dModel: 4 }), /already hooked/);
  assert.throws(() => hookModel(new Uint8Array([1, 2, 3]), { numLayers: 2, dModel: 4 }), /not a valid ONNX model/);
});

const sliceOf = (m: ModelProto) => m.graph.node.filter((n) => n.opType === 'Slice' && n.name.startsWith('rl/'));

test('logits for the last position only: a Slice on the lm_head MatMul input, through elementwise ops', () => {
  // plain: lm_head MatMul straight to logits
  const { before, after, info } = hook({ layers: 2 });
  assert.equal(info.lastPositionLogits, true);
  const view = new GraphView(after.graph);
  const [slice] = sliceOf(after);
  assert.ok(slice && sliceOf(after).length === 1);
  const lmHead = view.producers.get('logits')!.node;
  assert.equal(lmHead.opType, 'MatMul');
  assert.deepEqual(lmHead.input, ['rl.last_position', 'lm_head']);
  assert.equal(view.producers.get('rl.last_position')!.node, slice);
  const inits = Object.fromEntries(after.graph.initializer.map((t) => [t.name, t]));
  const vals = (k: string) => tensorValues(inits[`rl.last_position.${k}`]!) as bigint[];
  assert.ok(['starts', 'ends', 'axes'].every((k) => inits[`rl.last_position.${k}`]!.dataType === DT.INT64));
  assert.deepEqual([vals('starts'), vals('ends'), vals('axes')], [[-1n], [0x7fffffffffffffffn], [1n]]);
  // it slices what lm_head read before: the final norm's output
  assert.equal(slice.input[0], new GraphView(before.graph).producers.get('logits')!.node.input[0]);
  assertTopological(after);

  // tied embeddings (Transpose of the table) and a softcap chain (Div → Tanh → Mul) and a Cast
  const { b } = decoder({ layers: 2 });
  const mm = b.nodes.find((n) => n.output[0] === 'logits')!;
  mm.input[1] = b.node('Transpose', ['embed.weight'], 1, []);
  b.nodes.splice(b.nodes.indexOf(mm), 0, b.nodes.pop()!); // before its reader
  mm.output[0] = 'raw';
  const cap = b.init('cap', []);
  b.node('Cast', [b.node('Mul', [b.node('Tanh', [b.node('Div', ['raw', cap])]), cap])], ['logits'], [attrInt('to', DT.FLOAT)]);
  b.outputs = b.outputs.map((v) => (v.name === 'logits' ? makeValueInfo('logits', DT.FLOAT, ['batch', 'seq', 10]) : v));
  const capped = decodeModel(hookModel(b.bytes(), { numLayers: 2, dModel: 4 }).bytes);
  const cv = new GraphView(capped.graph);
  assert.deepEqual(cv.producers.get('raw')!.node.input[0], 'rl.last_position');
  assert.equal(sliceOf(capped).length, 1);
  assert.deepEqual(capped.graph.output.find((v) => v.name === 'logits')!.dims, ['batch', 1, 10], 'the declared seq dim becomes 1');
  assertTopological(capped);
});

test('no recognisable lm_head: no Slice, lastPositionLogits false', () => {
  // logits from a MatMul of two live values (no constant weight)
  const { b } = decoder({ layers: 2 });
  const mm = b.nodes.find((n) => n.output[0] === 'logits')!;
  mm.input[1] = b.node('Transpose', [mm.input[0]!], 1, []);
  b.nodes.splice(b.nodes.indexOf(mm), 0, b.nodes.pop()!);
  const out = hookModel(b.bytes(), { numLayers: 2, dModel: 4 });
  assert.equal(out.info.lastPositionLogits, false);
  assert.equal(sliceOf(decodeModel(out.bytes)).length, 0);

  // an op between lm_head and logits that is not per-position elementwise (a Reshape)
  const s = decoder({ layers: 2 }).b;
  const mm2 = s.nodes.find((n) => n.output[0] === 'logits')!;
  mm2.output[0] = 'raw';
  s.nodes.push(makeNode('Reshape', ['raw', s.init('shape', [3], DT.INT64)], ['logits'], 'reshape'));
  const o2 = hookModel(s.bytes(), { numLayers: 2, dModel: 4 });
  assert.equal(o2.info.lastPositionLogits, false);
  assert.equal(sliceOf(decodeModel(o2.bytes)).length, 0);

  // the lm_head output is also read elsewhere (a second graph output): slicing would change it
  const t = decoder({ layers: 2 }).b;
  const mm3 = t.nodes.find((n) => n.output[0] === 'logits')!;
  mm3.output[0] = 'raw';
  t.node('Identity', ['raw'], ['logits']);
  t.output('raw');
  const o3 = hookModel(t.bytes(), { numLayers: 2, dModel: 4 });
  assert.equal(o3.info.lastPositionLogits, false);
  assert.equal(sliceOf(decodeModel(o3.bytes)).length, 0);
});
