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
  assert.equal(t.schema, 'refusal-lens.trace/2');
  assert.equal('projections' in t, false, 'trace/2 JSON: projections live in readouts');
  assert.deepEqual(t.axes.map((x) => x.name), ['A', 'B']);
  assert.deepEqual(t.layers, [0, 1, 2, 3]);
  const nPrompt = t.tokens.filter((x) => !x.generated).length;
  assert.equal(nPrompt, g.prompt_ids.length);
  assert.ok(t.tokens.length > nPrompt, 'generated tokens are listed');
  assert.deepEqual(t.interventions, [{ kind: 'project_out', axes: ['A'], layers: [1, 2, 3] }]);
  const want = g.cases.project_out_A_l123.readouts;
  for (const [ai, name] of ['A', 'B'].entries()) {
    assert.equal(t.readouts.projections[ai].length, 4);
    for (let l = 0; l < 4; l++) {
      assert.equal(t.readouts.projections[ai][l].length, t.tokens.length);
      for (let tok = 0; tok < nPrompt; tok++) {
        const got = t.readouts.projections[ai][l][tok];
        const exp = want[name][l][tok];
        assert.ok(Math.abs(got - exp) <= 1e-4 * Math.max(1, Math.abs(exp)), `${name} L${l} t${tok}: ${got} vs ${exp}`);
      }
    }
  }
  // projected out at layers 1-3: the A readout there is 0 at every token, generated ones included
  for (let l = 1; l < 4; l++) for (const v of t.readouts.projections[0][l]) assert.ok(Math.abs(v) < 1e-4, `A at L${l} = ${v}`);
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
  assert.equal((html.match(/<h2>/g) ?? []).length, 6);
  // 6 runs × 2 axes (run 6: the persona cap), and the random-control run also reads out its control axis
  assert.equal((html.match(/<svg /g) ?? []).length, 13);
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
  for (const l of [1, 2]) for (const x of t.readouts.projections[0][l]) assert.ok(x <= 1e-4, `A at L${l}: ${x} > 0`);
  // ...where the uncapped prompt has positive projections there (so the cap did something)
  assert.ok(g.cases.none.readouts.A[1].some((x) => x > 1e-3), 'the fixture has positive A projections at L1 to cap');
  const text = await cli('trace', MODEL, '--token-ids', ids, '--axis', a, '--cap', 'A:-1:0.5:1', '-n', '1', '--no-color');
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /cap A to \[-1, 0\.5\] @ L1/);
  const bad: [string, RegExp][] = [
    ['A:::1', /--cap 'A:::1': a cap intervention needs "lo", "hi" or both/],
    // p25 is a percentile bound now (test/integration/reference.test.ts); q25 is neither that nor a number
    ['A:q25::1', /lower bound 'q25' is not a number or a percentile \(e\.g\. p25\)/],
    ['A:p101::1', /lower bound 'p101' is not a percentile p0…p100/],
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

test('trace --logit-lens: readouts.logitLens in --json, a layer table in the text view, --schema 1 on request, from a prompt file too', async () => {
  const ids = g.prompt_ids.join(',');
  const T = g.prompt_ids.length;
  const r = await cli('trace', MODEL, '--token-ids', ids, '--lens-positions', '0,-1', '--lens-top-k', '3', '-n', '1', '--json');
  assert.equal(r.code, 0, r.err);
  const t = JSON.parse(r.out) as TraceResult;
  const lens = t.readouts.logitLens!;
  assert.deepEqual(lens.positions, [0, T - 1]);
  assert.equal(lens.topK, 3);
  assert.equal(lens.top.length, 4);
  assert.ok(lens.top.every((perPos) => perPos.length === 2 && perPos.every((toks) => toks.length === 3 && toks.every((x) => typeof x.text === 'string' && x.p > 0 && x.p <= 1))));
  assert.ok(lens.refusal.every((perPos) => perPos.length === 2 && perPos.every((p) => p >= 0 && p <= 1)));

  const text = await cli('trace', MODEL, '--token-ids', ids, '--logit-lens', '-n', '1', '--no-color');
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, new RegExp(`logit lens at token ${T - 1} \\(.*\\): p\\(refusal start\\) and top 5 next tokens per layer`));
  const rows = text.out.split('\n').filter((l) => /^\s+\d\s+\d\.\d{4}\s/.test(l));
  assert.equal(rows.length, 4, 'one line per layer');
  const plain = await cli('trace', MODEL, '--token-ids', ids, '-n', '1', '--no-color');
  assert.doesNotMatch(plain.out, /logit lens/, 'off unless asked');

  const v1 = await cli('trace', MODEL, '--token-ids', ids, '-n', '1', '--json', '--schema', '1');
  assert.equal(v1.code, 0, v1.err);
  const o1 = JSON.parse(v1.out);
  assert.equal(o1.schema, 'refusal-lens.trace/1');
  assert.ok(Array.isArray(o1.projections) && !('readouts' in o1));
  assert.deepEqual(Object.keys(o1).slice(0, 7), ['schema', 'model', 'prompt', 'tokens', 'layers', 'axes', 'projections'], 'trace/1 field order');

  const noRoom = await cli('trace', MODEL, '--token-ids', ids, '-n', '1', '--json', '--schema', '1', '--logit-lens');
  assert.notEqual(noRoom.code, 0);
  assert.match(noRoom.err, /--schema 1 has no place for the logit lens/);
  const badPos = await cli('trace', MODEL, '--token-ids', ids, '-n', '1', '--lens-positions', '0,x');
  assert.notEqual(badPos.code, 0);
  assert.match(badPos.err, /--lens-positions: "x" is not an integer position/);
  const outside = await cli('trace', MODEL, '--token-ids', ids, '-n', '1', '--lens-positions', String(T));
  assert.notEqual(outside.code, 0);
  assert.match(outside.err, new RegExp(`logitLens\\.positions\\[0\\] = ${T} is outside the prompt`));
  assert.doesNotMatch(outside.err, /\n\s+at /, 'no stack trace');

  const file = join(dir, 'lens.rlprompt');
  writeFileSync(file, JSON.stringify({ user: 'Hello there', logitLens: { positions: [-1, -2], topK: 2 }, decoding: { maxNewTokens: 1 } }));
  const fromFile = await cli('trace', MODEL, '--prompt', file, '--json');
  assert.equal(fromFile.code, 0, fromFile.err);
  const f = (JSON.parse(fromFile.out) as TraceResult).readouts.logitLens!;
  assert.equal(f.topK, 2);
  assert.equal(f.positions.length, 2);
  const off = await cli('trace', MODEL, '--prompt', file, '--json', '--no-logit-lens');
  assert.equal((JSON.parse(off.out) as TraceResult).readouts.logitLens, undefined, '--no-logit-lens turns the file\'s lens off');
  writeFileSync(file, '{ "user": "hi",\n  "logitLens": { "topK": 0 } }');
  const badFile = await cli('trace', MODEL, '--prompt', file);
  assert.notEqual(badFile.code, 0);
  assert.match(badFile.err, /lens\.rlprompt:2:\d+ logitLens\.topK/);
});
