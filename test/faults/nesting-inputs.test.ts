// Issue 10 #10: deep nesting in an input ended in "Maximum call stack size exceeded" (jsonc-parser,
// yaml and JSON.stringify recurse per level). Every input is now measured first, without
// recursion, against one stated limit (MAX_NESTING = 64) and refused with the file and place.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadDirection, loadModel, saveDirection } from '../../src/engine/index';
import { ConditionFileError, parseConditions } from '../../src/engine/experiments/conditions';
import { parseJsonl, parsePromptFile } from '../../src/engine/prompts/index';
import { parseResults, rowDetails } from '../../src/extension/experiments/results';
import { jsonTooDeepAt, MAX_NESTING, valueTooDeep } from '../../src/protocol/nesting';
import { CheckConditions, Hello } from '../../src/protocol/rpc';
import { FIXTURE_MODEL, ROOT, startClient } from '../unit/worker-harness';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rl-nesting-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const DEEP = 20_000; // far past where the recursive parsers overflowed (~1,000-5,000)
const arr = (n: number) => '['.repeat(n) + ']'.repeat(n);
function deepValue(n: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < n; i++) v = [v];
  return v;
}
const TOO_DEEP = /nested more than 64 levels deep/;
const CONDITIONS_HEAD = 'sets: {s: builtin:harmful}\ndecoding: {maxNewTokens: 2}\nconditions: [{name: a, set: s}]\n';

describe('the measure', () => {
  test('JSON text: exactly the limit passes, one more is found where it opens; strings and comments do not count', () => {
    assert.equal(MAX_NESTING, 64);
    assert.equal(jsonTooDeepAt(arr(64)), undefined);
    assert.equal(jsonTooDeepAt(arr(65)), 64);
    assert.equal(jsonTooDeepAt(`{"a": "${'['.repeat(500)}", "b": "\\"[[[["}`), undefined);
    assert.equal(jsonTooDeepAt(`// ${'{'.repeat(500)}\n/* ${'['.repeat(500)} */ {}`), undefined);
    assert.equal(jsonTooDeepAt(arr(DEEP)), 64);
  });

  test('parsed values: a loop, so a depth no recursion survives is measured', () => {
    assert.equal(valueTooDeep(deepValue(64)), false);
    assert.equal(valueTooDeep(deepValue(65)), true);
    assert.equal(valueTooDeep(deepValue(200_000)), true);
    assert.equal(valueTooDeep({ a: [{ b: 1 }], c: 'x'.repeat(10) }), false);
  });
});

describe('inputs nested too deep are refused with the file and the place', () => {
  test('a prompt file', () => {
    const { prompt, diagnostics } = parsePromptFile(`{\n  "user": "hi",\n  "x": ${arr(DEEP)}\n}\n`, 'deep.rlprompt');
    assert.equal(prompt, undefined);
    assert.equal(diagnostics.length, 1);
    assert.match(diagnostics[0]!.message, TOO_DEEP);
    assert.deepEqual([diagnostics[0]!.file, diagnostics[0]!.line, diagnostics[0]!.column], ['deep.rlprompt', 3, 8 + 63]);
    // at the limit it still parses (the unknown field only warns)
    assert.ok(parsePromptFile(`{"user": "hi", "x": ${arr(63)}}`, 'ok.rlprompt').prompt);
  });

  test('a JSONL row: that row is skipped with its line, the others are kept', () => {
    const text = `{"id":"a","prompt":"hi"}\n{"id":"b","prompt":"x","m":${arr(DEEP)}}\n{"id":"c","prompt":"yo"}\n`;
    const { rows, diagnostics } = parseJsonl(text, 'data.jsonl');
    assert.deepEqual(rows.map((r) => r.id), ['a', 'c']);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]!.line, 2);
    assert.match(diagnostics[0]!.message, TOO_DEEP);
  });

  test('condition files: JSON, YAML flow, YAML block (indentation and dashes), and nesting made by aliases', () => {
    const cases: [string, string, number][] = [
      ['c.json', `{"sets":{"s":"builtin:harmful"},"decoding":{"maxNewTokens":2},"conditions":[{"name":"a","set":"s"}],\n"x":${arr(DEEP)}}`, 2],
      ['flow.yaml', `${CONDITIONS_HEAD}x: ${arr(DEEP)}\n`, 4],
      ['indent.yaml', CONDITIONS_HEAD + Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n', 68],
      ['dashes.yaml', `${CONDITIONS_HEAD}x:\n  ${'- '.repeat(DEEP)}y\n`, 5],
      ['alias.yaml', `${CONDITIONS_HEAD}a: &a ${arr(40)}\nb: ${'['.repeat(40)}*a${']'.repeat(40)}\n`, 1],
    ];
    for (const [file, text, line] of cases) {
      assert.throws(() => parseConditions(text, file), (e: unknown) => {
        assert.ok(e instanceof ConditionFileError, `${file}: ${(e as Error).message}`);
        assert.equal(e.issues.length, 1, file);
        assert.equal(e.issues[0]!.file, file);
        assert.equal(e.issues[0]!.line, line, file);
        assert.match(e.issues[0]!.message, TOO_DEEP, file);
        return true;
      });
    }
  });

  test('a results file row: counted as unreadable, so the inline labels and the summary never walk it', () => {
    const ok = '{"id":"a","line":1,"label":"refusal","refusalScore":1,"projections":{"persona":{"0":{"last_prompt":0.5}}}}';
    const deep = `{"id":"b","line":2,"label":"bypass","refusalScore":0,"projections":{"persona":{"0":{"last_prompt":${arr(DEEP)}}}}}`;
    const { rows, bad } = parseResults(`${ok}\n${deep}\n`);
    assert.deepEqual([...rows.keys()], ['a']);
    assert.equal(bad, 1);
    for (const r of rows.values()) assert.doesNotThrow(() => rowDetails(r));
  });

  test("a model folder's JSON (tokenizer.json, which the tokenizers library walks recursively) names the file, line and column", async () => {
    const dir = path.join(tmp, 'model');
    cpSync(FIXTURE_MODEL, dir, { recursive: true, filter: (f) => !f.includes('.hooked-') });
    const tj = path.join(dir, 'tokenizer.json');
    const pre = '{"type":"Sequence","normalizers":[';
    writeFileSync(tj, readFileSync(tj, 'utf8').replace(/^\{/, `{"normalizer_x":${pre.repeat(DEEP)}${']}'.repeat(DEEP)},`));
    await assert.rejects(loadModel(dir), (e: Error) => e.message.startsWith(`${tj}:1:`) && TOO_DEEP.test(e.message));
  });

  test('a direction file whose metadata "extra" nests too deep names the file', async () => {
    const file = path.join(tmp, 'deep-extra.safetensors');
    const meta = { name: 'x', modelName: 'm', modelGraphHash: 'h', hook: 'resid_post' as const, layerBase: 0 as const, method: 'test', positions: 'last', nPos: 0, nNeg: 0, created: '2026-01-01T00:00:00Z', toolVersion: '0', extra: deepValue(100) };
    await saveDirection(file, { name: 'x', vectors: new Float32Array(8).fill(0.5), nLayers: 2, dModel: 4, meta } as Parameters<typeof saveDirection>[1]);
    await assert.rejects(loadDirection(file), (e: Error) => e.message.includes(file) && /extra is nested more than 64 levels deep/.test(e.message));
  });
});

describe('worker messages', () => {
  test('too deep params are refused by the host before sending and by the worker on receipt; the worker lives on', async () => {
    const t = await startClient();
    try {
      await assert.rejects(t.client.request(CheckConditions, { file: deepValue(DEEP) as string }), /refusalLens\/checkConditions: the request's params are nested more than 64 levels deep/);
      // Past the host's check (as another client might send it): the worker's own.
      const w = await t.client.ensureStarted();
      await assert.rejects(w.conn.sendRequest('refusalLens/checkConditions', { file: deepValue(1000) }), /refusalLens\/checkConditions: the request's params are nested more than 64 levels deep/);
      assert.equal((await t.client.request(Hello, undefined)).pid, t.client.pid);
    } finally {
      await t.client.stop();
    }
  });
});

describe('the CLI', () => {
  test('prompt, dataset and condition files nested too deep: exit 1, file and place, no stack trace', () => {
    const prompt = path.join(tmp, 'deep.rlprompt');
    writeFileSync(prompt, `{"user": "hi", "x": ${arr(DEEP)}}\n`);
    const cond = path.join(tmp, 'deep.yaml');
    writeFileSync(cond, `${CONDITIONS_HEAD}x: ${arr(DEEP)}\n`);
    const data = path.join(tmp, 'deep.jsonl');
    writeFileSync(data, `{"id":"a","prompt":"hi"}\n{"id":"b","prompt":"x","m":${arr(DEEP)}}\n`);
    const run = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin', 'refusal-lens.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
    for (const [args, where] of [
      [['trace', 'builtin', '--prompt', prompt, '-n', '1'], `${prompt}:1:84`],
      [['ablate', cond, '--out', path.join(tmp, 'r')], `${cond}:4:67`],
    ] as const) {
      const r = run(...args);
      assert.equal(r.status, 1, r.stderr);
      assert.ok(r.stderr.includes(where), r.stderr);
      assert.match(r.stderr, TOO_DEEP);
      assert.doesNotMatch(r.stderr, /call stack|\n\s+at /);
    }
    const out = path.join(tmp, 'deep.results.jsonl');
    const r = run('annotate', 'builtin', data, '--out', out, '-n', '1');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /deep\.jsonl:2:\d+.*nested more than 64 levels deep/);
    assert.deepEqual(readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l).id), ['a']);
  });
});
