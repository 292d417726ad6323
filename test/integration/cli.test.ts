// The CLI end to end in-process (main(argv, io)) on a fixture model: the --json schema against
// the golden PyTorch readouts, the readable view, the demo's report, and bad input messages.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/command';
import { writeDirection } from '../../src/engine/directions/index';
import type { TraceResult } from '../../src/protocol/types';
import { FIXTURES, axesOf, golden } from './engine-fixtures';

const MODEL = join(FIXTURES, 'llama-gqa');
const g = golden('llama-gqa');
const dir = mkdtempSync(join(tmpdir(), 'rl-cli-'));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t), color: false, signal: new AbortController().signal };
  const code = await main(argv, io);
  return { code, out, err };
}

async function axisFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const d of axesOf(g)) {
    const f = join(dir, `${d.name}.safetensors`);
    if (!existsSync(f)) await writeDirection(f, d);
    files.push(f);
  }
  return files;
}

test('trace --json: schema, shapes and golden readouts under project-out', async () => {
  const [a, b] = await axisFiles();
  const ids = g.prompt_ids.join(',');
  const r = await cli('trace', MODEL, '--token-ids', ids, '--axis', a, '--axis', b, '--project-out', 'A:1-3', '-n', '3', '--json');
  assert.equal(r.code, 0, r.err);
  const t = JSON.parse(r.out) as TraceResult;
  assert.equal(t.schema, 'refusal-lens.trace/1');
  assert.deepEqual(t.axes.map((x) => x.name), ['A', 'B']);
  assert.deepEqual(t.layers, [0, 1, 2, 3]);
  const nPrompt = t.tokens.filter((x) => !x.generated).length;
  assert.equal(nPrompt, g.prompt_ids.length);
  assert.ok(t.tokens.length > nPrompt, 'generated tokens are listed');
  assert.deepEqual(t.interventions, [{ kind: 'project_out', axes: ['A'], layers: [1, 2, 3] }]);
  const want = g.cases.project_out_A_l123.readouts;
  for (const [ai, name] of ['A', 'B'].entries()) {
    assert.equal(t.projections[ai].length, 4);
    for (let l = 0; l < 4; l++) {
      assert.equal(t.projections[ai][l].length, t.tokens.length);
      for (let tok = 0; tok < nPrompt; tok++) {
        const got = t.projections[ai][l][tok];
        const exp = want[name][l][tok];
        assert.ok(Math.abs(got - exp) <= 1e-4 * Math.max(1, Math.abs(exp)), `${name} L${l} t${tok}: ${got} vs ${exp}`);
      }
    }
  }
  // projected out at layers 1-3: the A readout there is 0 at every token, generated ones included
  for (let l = 1; l < 4; l++) for (const v of t.projections[0][l]) assert.ok(Math.abs(v) < 1e-4, `A at L${l} = ${v}`);
});

test('trace without --json prints the label, the profile and one heatmap row per layer', async () => {
  const [a] = await axisFiles();
  const r = await cli('trace', MODEL, '--text', 'hello', '--axis', a, '--steer', 'A:2:0-1', '-n', '2');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /label {5}(REFUSAL|BYPASS|DEGENERATE)/);
  assert.match(r.out, /steer A \+2 @ L0-1/);
  assert.equal((r.out.match(/^ {2}L0\d /gm) ?? []).length, 4, r.out);
});

test('demo writes a self-contained HTML report with every run', async () => {
  const [a, b] = await axisFiles();
  const out = join(dir, 'report.html');
  const r = await cli('demo', MODEL, '--axis', a, '--axis', b, '--persona-axis', 'A', '--window', '1-2', '-n', '2', '--out', out);
  assert.equal(r.code, 0, r.err);
  const html = readFileSync(out, 'utf8');
  assert.equal((html.match(/<h2>/g) ?? []).length, 5);
  // 5 runs × 2 axes, and the random-control run also reads out its control axis
  assert.equal((html.match(/<svg /g) ?? []).length, 11);
  assert.match(html, /A-random axis/);
  assert.doesNotMatch(html, /<script|src="http/);
  assert.match(r.out, /5\. Default persona, steered/);
});

test('model: reports the graph, the hooked form of every layer and how batches will run', async () => {
  const std = await cli('model', MODEL, '--json');
  assert.equal(std.code, 0, std.err);
  const a = JSON.parse(std.out);
  assert.equal(a.layers, g.layers);
  assert.deepEqual(a.hookedAt.map((h: { layer: number }) => h.layer), Array.from({ length: g.layers }, (_, l) => l));
  assert.equal(a.lastPositionLogits, true);
  assert.equal(a.batching, 'left-padded batches');
  assert.deepEqual(a.dtypesAvailable, ['fp32', 'fp16']);
  const fused = await cli('model', join(FIXTURES, 'llama-fused'));
  assert.equal(fused.code, 0, fused.err);
  assert.match(fused.out, /every layer hooked at its block output \(SkipSimplifiedLayerNormalization\)/);
  const q4 = await cli('model', join(FIXTURES, 'llama-ortgqa'), '--dtype', 'q4', '--json');
  assert.equal(q4.code, 0, q4.err);
  const b = JSON.parse(q4.out);
  assert.equal(b.graph, join('onnx', 'model_q4.onnx'));
  assert.match(b.batching, /^equal prompt lengths only \(GroupQueryAttention/);
  assert.deepEqual(b.inputs, { attentionMask: true, positionIds: false, kvCache: '2 layers, float32' });
  const missing = await cli('model', join(dir, 'no-such-model'));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /model folder not found: .*no-such-model/);
});

test('bad input: each gets a message that says what and where, never a crash', async () => {
  const [a] = await axisFiles();
  const cases: [string[], number, RegExp][] = [
    [['trace', MODEL, '--txt', 'x'], 2, /unknown option --txt/],
    [['trace', MODEL], 2, /exactly one of --prompt FILE, --text TEXT, --token-ids IDS/],
    [['trace', MODEL, '--text', 'x', '--axis', a, '--steer', 'A:lots:1'], 2, /coefficient 'lots' is not a number/],
    [['trace', MODEL, '--text', 'x', '--axis', a, '--project-out', 'A:9'], 2, /9/],
    [['trace', join(dir, 'no-such-model'), '--text', 'x'], 1, /no-such-model/],
    [['trace', MODEL, '--token-ids', '1,2,99999'], 1, /99999/],
    [['trace', MODEL, '--token-ids', '1,,2'], 2, /item 2 '' is not a non-negative integer/],
    [['nonsense'], 2, /unknown command 'nonsense'/],
  ];
  for (const [argv, code, re] of cases) {
    const r = await cli(...argv);
    assert.equal(r.code, code, `${argv.join(' ')} → ${r.code}: ${r.err}`);
    assert.match(r.err, re, argv.join(' '));
  }
  const bad = join(dir, 'bad.rlprompt');
  writeFileSync(bad, '{\n  "user": "hi",\n  "interventions": [{"kind": "steer", "axis": "A", "coefficient": "big", "layers": "1"}]\n}\n');
  const r = await cli('trace', MODEL, '--prompt', bad);
  assert.equal(r.code, 1);
  assert.match(r.err, /bad\.rlprompt:3:\d+ interventions\[0\]\.coefficient/);
});

test('trace --cap: recorded, described, readout on the capped axis inside the bound; bad caps are usage errors', async () => {
  const [a, b] = await axisFiles();
  const ids = g.prompt_ids.join(',');
  const r = await cli('trace', MODEL, '--token-ids', ids, '--axis', a, '--axis', b, '--cap', 'A::0:1-2', '-n', '2', '--json');
  assert.equal(r.code, 0, r.err);
  const t = JSON.parse(r.out) as TraceResult;
  assert.deepEqual(t.interventions, [{ kind: 'cap', axis: 'A', hi: 0, layers: [1, 2] }]);
  // the readout is taken after the cap: A's projection at layers 1 and 2 is at most 0 on every token
  for (const l of [1, 2]) for (const x of t.projections[0][l]) assert.ok(x <= 1e-4, `A at L${l}: ${x} > 0`);
  // ...where the uncapped prompt has positive projections there (so the cap did something)
  assert.ok(g.cases.none.readouts.A[1].some((x) => x > 1e-3), 'the fixture has positive A projections at L1 to cap');
  const text = await cli('trace', MODEL, '--token-ids', ids, '--axis', a, '--cap', 'A:-1:0.5:1', '-n', '1', '--no-color');
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /cap A to \[-1, 0\.5\] @ L1/);
  const bad: [string, RegExp][] = [
    ['A:::1', /--cap 'A:::1': a cap intervention needs "lo", "hi" or both/],
    ['A:p25::1', /lower bound 'p25' is not a number \(percentile bounds are not supported yet\)/],
    ['A:2:1:1', /cap bounds: lo 2 is above hi 1/],
    ['A:0:1', /expected AXIS:LO:HI:LAYERS/],
    ['A::0:9', /9/],
  ];
  for (const [spec, re] of bad) {
    const e = await cli('trace', MODEL, '--token-ids', ids, '--axis', a, '--cap', spec);
    assert.equal(e.code, 2, `--cap ${spec} → ${e.code}: ${e.err}`);
    assert.match(e.err, re);
  }
});
