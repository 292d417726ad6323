// The logit lens in the graph (docs/ARCHITECTURE.md, "Logit lens"): the model's own final norm
// and lm_head (and anything per-position between them and `logits`: a bias, soft-capping, a
// Cast) applied to the chosen positions of every layer's r'''_l at once, then softmax, top-k and
// the summed probability of the refusal-start tokens. The nodes are copies of the graph's
// own tail, so no weight is read into JavaScript and a MatMulNBits lm_head stays quantized.
// The original nodes are untouched: outputs that do not fetch the lens stay bit-identical, and
// an empty `rl.lens.pos` makes every lens tensor empty even where all outputs are computed.

import { GraphView } from './graph';
import { attrInt, DT, makeNode, makeTensor, makeValueInfo, tensorValues, type GraphProto, type NodeProto, type ValueInfo } from './proto';
import { LENS_INPUTS, LENS_OUTPUTS } from './names';
import { isSkipNorm } from './residual';

/** Ops the tail may hold: each acts on one position at a time (reductions over the last axis only, checked below). */
const PER_POSITION = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Reciprocal', 'Neg', 'Tanh', 'Cast', 'Identity', 'Erf', 'Sigmoid',
  'ReduceMean', 'LayerNormalization', 'SimplifiedLayerNormalization', 'MatMul', 'MatMulNBits',
  'SkipSimplifiedLayerNormalization', 'SkipLayerNormalization',
]);

export interface LensLayer {
  layer: number;
  /** r'''_l in the residual's own dtype (what the next block reads) */
  value: string;
}

export type LensResult = { ok: true } | { ok: false; reason: string };

function int64Init(name: string, values: bigint[]) {
  const raw = new Uint8Array(8 * values.length);
  values.forEach((v, i) => new DataView(raw.buffer).setBigInt64(8 * i, v, true));
  return makeTensor(name, DT.INT64, [values.length], raw);
}

/** Whether a reduction / normalisation node works over the last axis only. */
function lastAxisOnly(n: NodeProto, view: GraphView): boolean {
  const axisAttr = n.attributes.find((a) => a.name === 'axis' || a.name === 'axes');
  if (n.opType === 'ReduceMean') {
    const t = n.input[1] ? view.constantTensor(n.input[1]) : undefined;
    const axes = axisAttr?.ints ?? (t ? tensorValues(t).map(Number) : undefined);
    return !!axes && axes.length === 1 && (axes[0] === -1 || axes[0] === 2);
  }
  if (n.opType.endsWith('LayerNormalization') && !isSkipNorm(n)) {
    const axis = axisAttr?.i ?? -1;
    return axis === -1 || axis === 2;
  }
  return true;
}

/**
 * Add the lens after the per-layer rewrite and before the last-position Slice. `layers[i].value`
 * is r'''; the last one is what the final norm reads. Leaves the graph unchanged and says why
 * when the tail from the last block to `logits` is not one it can copy.
 */
export function addLogitLens(g: GraphProto, layers: readonly LensLayer[], opset: number): LensResult {
  if (opset < 14) return { ok: false, reason: `opset ${opset} < 14 (the lens uses ReduceSum with axes as an input and Reshape with allowzero)` };
  const view = new GraphView(g);
  const logitsInfo = g.output.find((v) => v.name === 'logits');
  if (!logitsInfo) return { ok: false, reason: 'no logits output' };
  const last = layers[layers.length - 1]!.value;
  const seed = view.producers.get(last);
  // a fused norm computes r''' (output 3) and the normalised output 0 side by side
  const seedNode = seed && isSkipNorm(seed.node) && seed.index === 3 ? seed.node : undefined;

  const dependent = new Set<string>([last]);
  const tailNodes: NodeProto[] = [];
  const feedsLogits = view.ancestors('logits');
  feedsLogits.add('logits');
  for (const i of view.topoOrder()) {
    const n = g.node[i]!;
    if (n !== seedNode && !n.input.some((x) => dependent.has(x))) continue;
    for (const o of n.output) if (o) dependent.add(o);
    if (n.output.some((o) => feedsLogits.has(o))) tailNodes.push(n);
  }
  if (!dependent.has('logits')) return { ok: false, reason: 'logits do not depend on the last block output' };
  for (const n of tailNodes) {
    if (!PER_POSITION.has(n.opType) || !lastAxisOnly(n, view)) {
      return { ok: false, reason: `${n.opType} '${n.name}' between the last block and logits is not a per-position op the lens can copy` };
    }
    if ((n.opType === 'MatMul' || n.opType === 'MatMulNBits') && (!dependent.has(n.input[0]!) || n.input.slice(1).some((x) => dependent.has(x)))) {
      return { ok: false, reason: `${n.opType} '${n.name}' does not multiply the residual by a fixed weight` };
    }
  }

  const P = LENS_INPUTS.positions;
  // int64 [1] constants for the shape arithmetic
  const C = { zero: 'rl.lens.c0', one: 'rl.lens.c1', two: 'rl.lens.c2', three: 'rl.lens.c3', minusOne: 'rl.lens.last_axis' };
  const nodes: NodeProto[] = [];
  const add = (op: string, ins: string[], outs: string[], attrs = [] as NodeProto['attributes'], domain = '') =>
    nodes.push(makeNode(op, ins, outs, `rl/${outs.find((o) => o) ?? op}`, attrs, domain));
  // one copy of the tail for all layers: rows [layer 0's P positions, layer 1's, ...], so the
  // graph gains L Gathers and ~30 nodes (not L copies), and lm_head is one [B, L·P, d] matmul
  const H = 'rl.lens.h';
  const gathered = layers.map(({ layer: l, value }) => {
    add('Gather', [value, P], [`${H}.${l}`], [attrInt('axis', 1)]);
    return `${H}.${l}`;
  });
  // webgpu's Softmax fails on an empty tensor ("Invalid dispatch group size (0, 1, 1)"): there
  // the engine feeds one padding row (rl.lens.pad = [-1]) so the lens is never empty
  add('Gather', [last, LENS_INPUTS.pad], [`${H}.pad`], [attrInt('axis', 1)]);
  add('Concat', [...gathered, `${H}.pad`], [H], [attrInt('axis', 1)]);
  const tag = (v: string) => `rl.lens/${v}`;
  const rename = new Map<string, string>([[last, H]]);
  for (const n of tailNodes) {
    if (n === seedNode) {
      // norm(h) with the same kernel, gamma (and beta) and epsilon: h + 0, the bias is already in r'''
      const zero = 'rl.lens.zero';
      add('Sub', [H, H], [zero]);
      const ins = n.opType === 'SkipLayerNormalization' && n.input[3] ? [H, zero, n.input[2]!, n.input[3]] : [H, zero, n.input[2]!];
      const outs = n.output.map((o, k) => (o && k < 3 ? tag(o) : ''));
      for (let k = 0; k < 3; k++) if (n.output[k]) rename.set(n.output[k]!, outs[k]!);
      add(n.opType, ins, outs, n.attributes.filter((a) => a.name === 'epsilon'), n.domain);
      continue;
    }
    const outs = n.output.map((o) => (o ? tag(o) : ''));
    n.output.forEach((o, k) => o && rename.set(o, outs[k]!));
    add(n.opType, n.input.map((x) => rename.get(x) ?? x), outs, n.attributes, n.domain);
  }
  let logits = rename.get('logits')!;
  if (logitsInfo.elemType !== DT.FLOAT) {
    add('Cast', [logits], [`${logits}.f`], [attrInt('to', DT.FLOAT)]);
    logits = `${logits}.f`;
  }
  const { topProbs, topIds, refusal } = LENS_OUTPUTS;
  const probs = 'rl.lens.probs';
  add('Softmax', [logits], [probs], [attrInt('axis', -1)]);
  // ORT's CPU TopK dies (SIGFPE) on an empty input, and every node runs whatever is fetched:
  // TopK sees [B·L·P + 1, V], the extra row zeros, dropped after (the cost of one V-row sort)
  const t = (v: string) => `rl.lens.topk/${v}`;
  add('Shape', [probs], [t('shape')]);
  add('Slice', [t('shape'), C.two, C.three, C.zero], [t('V')]);
  add('Slice', [t('shape'), C.zero, C.two, C.zero], [t('BP')]);
  add('Concat', [C.minusOne, t('V')], [t('flatShape')], [attrInt('axis', 0)]);
  add('Reshape', [probs, t('flatShape')], [t('flat')]);
  add('Concat', [C.one, t('V')], [t('rowShape')], [attrInt('axis', 0)]);
  add('ConstantOfShape', [t('rowShape')], [t('row')]);
  add('Concat', [t('flat'), t('row')], [t('padded')], [attrInt('axis', 0)]);
  add('TopK', [t('padded'), LENS_INPUTS.k], [t('v'), t('i')], [attrInt('axis', -1), attrInt('largest', 1), attrInt('sorted', 1)]);
  add('Concat', [t('BP'), LENS_INPUTS.k], [t('outShape')], [attrInt('axis', 0)]);
  for (const [v, out] of [[t('v'), topProbs], [t('i'), topIds]] as const) {
    add('Slice', [v, C.zero, C.minusOne, C.zero], [`${v}.rows`]);
    add('Reshape', [`${v}.rows`, t('outShape')], [out], [attrInt('allowzero', 1)]); // P may be 0
  }
  add('Gather', [probs, LENS_INPUTS.refusalIds], ['rl.lens.refusalp'], [attrInt('axis', 2)]);
  // keepdims: ORT keeps an empty input's reduced axis whatever keepdims says (and warns), so [B, L·P, 1] always
  add('ReduceSum', ['rl.lens.refusalp', C.minusOne], [refusal], [attrInt('keepdims', 1)]);
  const newOutputs: ValueInfo[] = [makeValueInfo(topProbs, DT.FLOAT), makeValueInfo(topIds, DT.INT64), makeValueInfo(refusal, DT.FLOAT)];
  // after every original node: each lens reads r'''_l and constants only
  g.node = [...g.node, ...nodes];
  g.initializer = [
    ...g.initializer,
    ...([[C.minusOne, -1n], [C.zero, 0n], [C.one, 1n], [C.two, 2n], [C.three, 3n]] as const).map(([n, v]) => int64Init(n, [v])),
  ];
  g.input = [
    ...g.input,
    makeValueInfo(P, DT.INT64, ['rl_lens_p']),
    makeValueInfo(LENS_INPUTS.k, DT.INT64, [1]),
    makeValueInfo(LENS_INPUTS.refusalIds, DT.INT64, ['rl_lens_r']),
    makeValueInfo(LENS_INPUTS.pad, DT.INT64, ['rl_lens_pad']),
  ];
  g.output = [...g.output, ...newOutputs];
  return { ok: true };
}
