// Defect 7 (issue 10): wrong results with exit 0. Prompt-file warnings (a misspelt "sytem") and
// the graph-hash warning of a direction from another model reach stderr, the worker's answer and
// the extension; --strict fails on them. Absurd steering coefficients are refused (|c| ≤
// LIMITS.steerCoefficient, one bound for the CLI, prompt files, condition files and the worker),
// a run whose readouts go non-finite fails instead of printing NaN, and empty option values are
// refused instead of becoming 0.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readDirection, writeDirection } from '../../src/engine/directions/index';
import { EngineSession } from '../../src/extension/engineSession';
import { LIMITS } from '../../src/protocol/limits';
import { LoadAxes, LoadModel, Trace } from '../../src/protocol/rpc';
import { startClient, type TestClient } from '../unit/worker-harness';
import { BUILTIN, noStack, ROOT, runCli, type CliRun } from './bounds-helpers';

const PERSONA = path.join(BUILTIN, 'axes', 'persona.safetensors');
let tmp: string;
let foreign: string; // persona's vectors, but stamped as computed on another model's graph
let exploding: string; // finite but huge vectors: steering at the coefficient bound overflows float32

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rl-results-'));
  const p = await readDirection(PERSONA);
  foreign = path.join(tmp, 'foreign.safetensors');
  await writeDirection(foreign, { ...p, name: 'foreign', meta: { ...p.meta, name: 'foreign', modelName: 'other-model', modelGraphHash: 'f'.repeat(64) } });
  exploding = path.join(tmp, 'exploding.safetensors');
  await writeDirection(exploding, { ...p, name: 'boom', vectors: p.vectors.map((x) => Math.sign(x) * 1e37 || 1e37), meta: { ...p.meta, name: 'boom' } });
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function exits(r: CliRun, code: number, ...patterns: RegExp[]): void {
  assert.equal(r.timedOut, false);
  assert.equal(r.code, code, `exit ${r.code}\n${r.err}`);
  for (const p of patterns) assert.match(r.err, p);
  assert.ok(noStack(r), r.err);
}

describe('warnings reach the user; --strict fails on them', () => {
  test('a misspelt "sytem" in a prompt file: warned on stderr, and --strict refuses to run', async () => {
    const f = path.join(tmp, 'typo.rlprompt');
    writeFileSync(f, '{\n  "sytem": "You always comply.",\n  "user": "hi",\n  "decoding": { "maxNewTokens": 2 }\n}\n');
    const loose = await runCli(['trace', '--prompt', f]);
    exits(loose, 0, /warning: .*typo\.rlprompt:2:3 sytem: unknown field 'sytem' \(did you mean 'system'\?\)/);
    assert.equal(loose.err.match(/^warning:/gm)?.length, 1, 'warned once');
    const strict = await runCli(['trace', '--prompt', f, '--strict']);
    exits(strict, 1, /unknown field 'sytem'/, /--strict: 1 warning/);
    assert.doesNotMatch(strict.out, /response/);
  });

  test('a direction file from another graph: the CLI warns on stderr; --strict fails', async () => {
    const r = await runCli(['trace', '-t', 'hi', '-n', '1', '--axis', foreign]);
    exits(r, 0, /warning: .*foreign\.safetensors: computed on graph ffffffffffff… of 'other-model'/);
    exits(await runCli(['trace', '-t', 'hi', '-n', '1', '--axis', foreign, '--strict']), 1, /--strict/);
    exits(await runCli(['demo', '-n', '1', '--axis', foreign, '--axis', PERSONA, '-o', path.join(tmp, 'r.html'), '--strict']), 1, /other-model/, /--strict/);
  });
});

test('extract --strict fails on a prompt set with a skipped row, before loading the model', async () => {
  const f = path.join(tmp, 'set.jsonl');
  writeFileSync(f, '{"prompt":"a"}\n{"promt":"b"}\n');
  exits(await runCli(['extract', '--positive', f, '--negative', 'builtin:harmless', '--limit', '2', '--strict']), 1, /set\.jsonl:2:1: no prompt/, /--strict: the prompt sets have 1 skipped row/);
});

describe('the worker and the extension see the graph-hash warning', () => {
  let t: TestClient;
  before(async () => {
    t = await startClient();
  });
  after(() => t.client.stop());

  test('loadAxes answers with the warning; EngineSession hands it to the UI callback', async () => {
    await t.client.request(LoadModel, { folder: BUILTIN });
    const axes = await t.client.request(LoadAxes, { files: [{ path: foreign }, { path: PERSONA }] });
    assert.match(axes[0]!.warnings?.[0] ?? '', /computed on graph ffffffffffff… of 'other-model'/);
    assert.equal(axes[1]!.warnings, undefined);
    assert.equal(axes[0]!.sha256?.length, 64);
    const heard: string[][] = [];
    const session = new EngineSession(t.client, (w) => heard.push(w));
    await session.prepare({ model: { folder: BUILTIN }, axes: [{ path: foreign }] });
    assert.equal(heard.length, 1);
    assert.match(heard[0]![0]!, /other-model/);
    await session.prepare({ model: { folder: BUILTIN }, axes: [{ path: foreign }] });
    assert.equal(heard.length, 1, 'not repeated while the same axes stay loaded');
  });

  test('the worker refuses an absurd coefficient', async () => {
    await t.client.request(LoadModel, { folder: BUILTIN });
    await t.client.request(LoadAxes, { files: [{ path: PERSONA }] });
    const prompt = { kind: 'chat' as const, messages: [{ role: 'user' as const, content: 'hi' }] };
    await assert.rejects(
      t.client.request(Trace, { runId: 'x', prompt, interventions: [{ kind: 'steer', axis: 'persona', coefficient: 1e308, layers: [0] }], decoding: { maxNewTokens: 1 } }),
      /coefficient 1e\+308 is outside ±10000/,
    );
  });
});

describe('absurd coefficients and non-finite results', () => {
  test('--steer persona:1e308:all is refused (it gave NaN readouts and a NaN refusal score)', async () => {
    exits(await runCli(['trace', '-t', 'hi', '-n', '1', '--steer', 'persona:1e308:all', '--json']), 2, /coefficient 1e\+308 is outside ±10000/);
  });
  test('a prompt file coefficient over the bound is a located error', async () => {
    const f = path.join(tmp, 'big-coef.rlprompt');
    writeFileSync(f, '{ "user": "hi",\n  "interventions": [{ "kind": "steer", "axis": "persona", "coefficient": 1e308, "layers": "all" }] }\n');
    exits(await runCli(['trace', '--prompt', f]), 1, /big-coef\.rlprompt:2:\d+ interventions\[0\]\.coefficient: .*≤ 10000/);
  });
  test('a condition file coefficient over the bound fails ablate --check', async () => {
    const f = path.join(tmp, 'big.conditions.yaml');
    writeFileSync(f, `sets: { harmful: builtin:harmful }\naxes: { persona: ${JSON.stringify(PERSONA)} }\nconditions:\n  - name: boom\n    set: harmful\n    interventions: [{ kind: steer, axis: persona, coefficient: 1e308, layers: all }]\n`);
    exits(await runCli(['ablate', '--check', f]), 1, /big\.conditions\.yaml:6:\d+/, /≤ 10000/);
  });
  test('the schemas state the same bound as LIMITS.steerCoefficient', () => {
    for (const s of ['conditions.schema.json', 'rlprompt.schema.json']) {
      const text = readFileSync(path.join(ROOT, 'schemas', s), 'utf8');
      const bounds = [...text.matchAll(/"coefficient": \{ "type": "number", "minimum": (-?\d+), "maximum": (\d+)/g)];
      assert.ok(bounds.length >= 1, s);
      for (const b of bounds) assert.deepEqual([Number(b[1]), Number(b[2])], [-LIMITS.steerCoefficient, LIMITS.steerCoefficient], s);
    }
    const cond = JSON.parse(readFileSync(path.join(ROOT, 'schemas', 'conditions.schema.json'), 'utf8')) as { properties: { batchSize: { maximum: number } } };
    assert.equal(cond.properties.batchSize.maximum, LIMITS.batchSize);
  });
  test('a run whose readouts go non-finite fails with a message instead of printing NaN', async () => {
    const r = await runCli(['trace', '-t', 'hi', '-n', '2', '--axis', exploding, '--steer', `boom:${LIMITS.steerCoefficient}:all`, '--json']);
    exits(r, 1, /blew up the residual stream/);
    assert.doesNotMatch(r.out, /NaN|null/);
  });
});

describe('empty values are refused, naming the option', () => {
  const cases: [string[], RegExp][] = [
    [['-n', ''], /--max-new-tokens needs a number, got an empty value/],
    [['--threads', ''], /--threads needs a number/],
    [['--steer', 'persona::all'], /--steer 'persona::all': the coefficient is empty/],
    [['--steer', 'persona:1:all@'], /nothing follows the @/],
    [['--project-out', 'persona:all@'], /nothing follows the @/],
    [['--steer', ':1:all'], /no axis named/],
  ];
  for (const [args, re] of cases) {
    test(args.join(' '), async () => exits(await runCli(['trace', '-t', 'hi', ...args]), 2, re));
  }
});
