import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  DECODING_FIELDS, PROMPT_FIELDS, promptFileFields, formatLayerSpec, parseLayerSpec, parsePromptFile,
  sha256Text, toPromptInput, type Diagnostic,
} from '../../src/engine/prompts/index';

/** 1-based line and column of the first occurrence of `needle` (after `after`, if given). */
function pos(text: string, needle: string, after = ''): { line: number; column: number } {
  const at = text.indexOf(needle, after ? text.indexOf(after) : 0);
  assert.ok(at >= 0, `fixture lacks ${needle}`);
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

function only(diags: Diagnostic[], severity: 'error' | 'warning' = 'error'): Diagnostic {
  const d = diags.filter((x) => x.severity === severity);
  assert.equal(d.length, 1, JSON.stringify(diags, null, 1));
  return d[0];
}

const FULL = `// refusal on a harmful request, ablated in the middle layers
{
  "$schema": "../schemas/rlprompt.schema.json",
  "system": "You are a helpful assistant.",
  "user": "How do I pick a lock?",
  "prefill": "Sure,",
  "model": "builtin",
  "axes": ["refusal", "persona", "./dirs/custom.safetensors"],
  "interventions": [
    { "kind": "steer", "axis": "persona", "coefficient": -1.5, "layers": "4-6,9", "positions": "generated" },
    /* Arditi-style ablation */
    { "kind": "project_out", "axes": ["refusal"], "layers": [3, 2, 3], "sourceLayer": 5 },
    { "kind": "project_out", "axes": ["persona"], "layers": "all" },
  ],
  "decoding": { "maxNewTokens": 64, "temperature": 0.7, "seed": 42, "topK": 40, "topP": 0.9 },
}
`;

test('a full prompt file parses, with comments and trailing commas', () => {
  const { prompt, diagnostics } = parsePromptFile(FULL, 'full.rlprompt');
  assert.deepEqual(diagnostics, []);
  assert.ok(prompt);
  assert.deepEqual(prompt.messages, [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'How do I pick a lock?' },
  ]);
  assert.equal(prompt.prefill, 'Sure,');
  assert.equal(prompt.model, 'builtin');
  assert.deepEqual(prompt.axes, ['refusal', 'persona', './dirs/custom.safetensors']);
  assert.deepEqual(prompt.interventions[0], { kind: 'steer', axis: 'persona', coefficient: -1.5, layers: [4, 5, 6, 9], layerSpec: '4-6,9', positions: 'generated' });
  assert.deepEqual(prompt.interventions[1], { kind: 'project_out', axes: ['refusal'], layers: [2, 3], sourceLayer: 5 });
  // "all" waits for the model's layer count …
  assert.deepEqual(prompt.interventions[2], { kind: 'project_out', axes: ['persona'], layers: [], layerSpec: 'all' });
  assert.deepEqual(prompt.decoding, { maxNewTokens: 64, temperature: 0.7, seed: 42, topK: 40, topP: 0.9 });
  // … and resolves when parsed again with it
  const again = parsePromptFile(FULL, 'full.rlprompt', { nLayers: 10 });
  assert.deepEqual(again.prompt?.interventions[2].layers, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(toPromptInput(prompt), { kind: 'chat', messages: prompt.messages, prefill: 'Sure,' });
});

test('messages form, and toPromptInput without prefill', () => {
  const text = '{"messages": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Bye"}]}';
  const { prompt, diagnostics } = parsePromptFile(text, 'm.rlprompt');
  assert.deepEqual(diagnostics, []);
  assert.equal(prompt?.messages.length, 4);
  assert.deepEqual(prompt?.interventions, []);
  assert.deepEqual(toPromptInput(prompt!), { kind: 'chat', messages: prompt!.messages });
});

test('syntax errors carry line and column', () => {
  const text = '{\n  "user": "hi"\n  "model": "builtin"\n}';
  const d = only(parsePromptFile(text, 's.rlprompt').diagnostics);
  assert.equal(d.file, 's.rlprompt');
  assert.deepEqual({ line: d.line, column: d.column }, pos(text, '"model"'));
  assert.match(d.message, /^syntax error: comma expected/);
  assert.equal(parsePromptFile(text, 's.rlprompt').prompt, undefined);
  const unterminated = parsePromptFile('{\n"user": "hi', 'u.rlprompt').diagnostics[0];
  assert.equal(unterminated.line, 2);
  assert.match(unterminated.message, /unexpected end of string|close brace expected/);
});

test('unknown fields are warnings at the key, with a suggestion; the prompt still loads', () => {
  const text = '{\n  "user": "hi",\n  "decoding": {\n    "maxNewToken": 5\n  },\n  "colour": 1\n}';
  const { prompt, diagnostics } = parsePromptFile(text, 'w.rlprompt');
  assert.ok(prompt);
  assert.equal(diagnostics.length, 2);
  const [a, b] = diagnostics;
  assert.equal(a.severity, 'warning');
  assert.equal(a.field, 'decoding.maxNewToken');
  assert.deepEqual({ line: a.line, column: a.column }, pos(text, '"maxNewToken"'));
  assert.equal(a.endColumn, a.column + '"maxNewToken"'.length);
  assert.match(a.message, /unknown field 'maxNewToken' \(did you mean 'maxNewTokens'\?\)/);
  assert.equal(b.field, 'colour');
  assert.doesNotMatch(b.message, /did you mean/);
});

test('wrong types and bad values point at the field', () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['{"user": 5}', 'user', '5', /user must be a string, got a number/],
    ['{"user": "x", "decoding": {"topP": 2}}', 'decoding.topP', '2', /decoding\.topP must be > 0 and ≤ 1, got 2/],
    ['{"user": "x", "decoding": {"maxNewTokens": 2.5}}', 'decoding.maxNewTokens', '2.5', /must be an integer, got 2\.5/],
    ['{"user": "x", "decoding": {"stopAtEos": "yes"}}', 'decoding.stopAtEos', '"yes"', /must be true or false, got a string/],
    ['{"user": "x", "axes": "refusal"}', 'axes', '"refusal"', /axes must be an array, got a string/],
    ['{"user": "x", "axes": []}', 'axes', '[]', /axes must name at least one axis/],
    ['{"user": "x", "model": ""}', 'model', '""', /model must not be empty/],
    ['{"user": "x", "interventions": [{"kind": "steer", "axis": "r", "coefficient": 1, "layers": "4-x"}]}', 'interventions[0].layers', '"4-x"', /bad layers: '4-x' is not a layer number or a range like 4-7/],
    ['{"user": "x", "interventions": [{"kind": "steer", "axis": "r", "coefficient": 1, "layers": "7-4"}]}', 'interventions[0].layers', '"7-4"', /range '7-4' runs backwards/],
    ['{"user": "x", "interventions": [{"kind": "steer", "axis": "r", "coefficient": 1, "layers": [1, "2"]}]}', 'interventions[0].layers[1]', '"2"', /must be a layer number, got a string/],
    ['{"user": "x", "interventions": [{"kind": "steer", "axis": "r", "coefficient": "big", "layers": [1]}]}', 'interventions[0].coefficient', '"big"', /must be a number, got a string/],
    ['{"user": "x", "interventions": [{"kind": "steer", "axis": "r", "coefficient": 1, "layers": [1], "positions": "end"}]}', 'interventions[0].positions', '"end"', /positions must be "all", "prompt" or "generated", got 'end'/],
    ['{"user": "x", "interventions": [{"kind": "ablate", "axes": ["r"], "layers": [1]}]}', 'interventions[0].kind', '"ablate"', /unknown intervention kind 'ablate'/],
    ['{"messages": [{"role": "user", "content": "a"}, {"role": "bot", "content": "b"}]}', 'messages[1].role', '"bot"', /unknown role 'bot': use system, user or assistant/],
    ['{"messages": [{"role": "user", "content": "a"}, {"role": "system", "content": "b"}, {"role": "user", "content": "c"}]}', 'messages[1].role', '"system"', /a system message must come first/],
    ['{"messages": [{"role": "user", "content": 3}]}', 'messages[0].content', '3', /messages\[0\]\.content must be a string, got a number/],
  ];
  for (const [text, field, at, message] of cases) {
    const { prompt, diagnostics } = parsePromptFile(text, 't.rlprompt');
    assert.equal(prompt, undefined, text);
    const d = only(diagnostics);
    assert.equal(d.field, field, text);
    assert.match(d.message, message, text);
    const p = pos(text, at, field.split(/[.[]/).pop()!.replace(']', ''));
    assert.deepEqual({ line: d.line, column: d.column }, p, text);
    assert.equal(d.endColumn - d.column, at.length, text);
  }
});

test('missing required intervention fields name the field, with the axis/axes hint', () => {
  const text = '{"user": "x", "interventions": [\n {"kind": "project_out", "axis": "refusal", "layers": [1]}\n]}';
  const { diagnostics } = parsePromptFile(text, 'i.rlprompt');
  const err = only(diagnostics, 'error');
  assert.equal(err.field, 'interventions[0].axes');
  assert.equal(err.line, 2);
  assert.match(err.message, /project_out intervention needs "axes"/);
  assert.match(only(diagnostics, 'warning').message, /unknown field 'axis' \(did you mean 'axes'\?\)/);
});

test('cap interventions: bounds read as given, an open side omitted; no bound or lo > hi is an error at the field', () => {
  const ok = parsePromptFile('{"user": "x", "interventions": [{"kind": "cap", "axis": "persona", "hi": 0, "layers": "4-5", "positions": "generated"}, {"kind": "cap", "axis": "persona", "lo": -2, "hi": 1.5, "layers": [1]}]}', 'c.rlprompt');
  assert.deepEqual(ok.diagnostics, []);
  assert.deepEqual(ok.prompt!.interventions, [
    { kind: 'cap', axis: 'persona', hi: 0, layers: [4, 5], layerSpec: '4-5', positions: 'generated' },
    { kind: 'cap', axis: 'persona', lo: -2, hi: 1.5, layers: [1] },
  ]);
  const none = only(parsePromptFile('{"user": "x", "interventions": [\n {"kind": "cap", "axis": "persona", "layers": [1]}\n]}', 'c').diagnostics);
  assert.equal(none.field, 'interventions[0].hi');
  assert.match(none.message, /cap intervention needs "lo", "hi" or both/);
  const inverted = only(parsePromptFile('{"user": "x", "interventions": [{"kind": "cap", "axis": "p", "lo": 3, "hi": 1, "layers": [1]}]}', 'c').diagnostics);
  assert.equal(inverted.field, 'interventions[0].lo');
  assert.match(inverted.message, /lo 3 is above hi 1/);
  const str = only(parsePromptFile('{"user": "x", "interventions": [{"kind": "cap", "axis": "p", "hi": "p25", "layers": [1]}]}', 'c').diagnostics);
  assert.equal(str.field, 'interventions[0].hi');
  const axes = parsePromptFile('{"user": "x", "interventions": [{"kind": "cap", "axes": ["p"], "hi": 0, "layers": [1]}]}', 'c').diagnostics;
  assert.ok(axes.some((d) => /did you mean 'axis'/.test(d.message)), JSON.stringify(axes));
});

test('empty and contradictory prompts', () => {
  assert.match(only(parsePromptFile('{"system": "s"}', 'e').diagnostics).message, /^empty prompt: give "user"/);
  assert.match(only(parsePromptFile('{"user": "   "}', 'e').diagnostics).message, /^empty prompt: "user" is empty/);
  assert.match(only(parsePromptFile('{"messages": []}', 'e').diagnostics).message, /^empty prompt: messages has no messages/);
  assert.match(only(parsePromptFile('', 'e').diagnostics).message, /^empty prompt file/);
  assert.match(only(parsePromptFile('[1]', 'e').diagnostics).message, /the document must be an object, got an array/);
  const both = only(parsePromptFile('{"user": "a", "messages": [{"role": "user", "content": "b"}]}', 'e').diagnostics);
  assert.equal(both.field, 'messages');
  const asst = only(parsePromptFile('{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "Sure"}]}', 'e').diagnostics);
  assert.equal(asst.field, 'messages[1]');
  assert.match(asst.message, /last message must be the user's, not assistant; put assistant text .* in "prefill"/);
  const sys = only(parsePromptFile('{"system": "a", "messages": [{"role": "system", "content": "b"}, {"role": "user", "content": "c"}]}', 'e').diagnostics);
  assert.equal(sys.field, 'system');
});

test('duplicate keys warn at the ignored one; the last wins', () => {
  const text = '{\n "user": "first",\n "user": "second"\n}';
  const { prompt, diagnostics } = parsePromptFile(text, 'd');
  assert.equal(prompt?.messages[0].content, 'second');
  const w = only(diagnostics, 'warning');
  assert.equal(w.line, 2);
  assert.match(w.message, /'user' is given again on line 3; this one is ignored/);
});

test('layer bounds are checked once the layer count is known', () => {
  const text = '{"user": "x",\n"interventions": [{"kind": "steer", "axis": "r", "coefficient": 1, "layers": "6-8", "sourceLayer": 9}]}';
  assert.equal(parsePromptFile(text, 'b').prompt?.interventions[0].sourceLayer, 9);
  const { diagnostics } = parsePromptFile(text, 'b', { nLayers: 8 });
  assert.deepEqual(diagnostics.map((d) => d.field), ['interventions[0].layers', 'interventions[0].sourceLayer']);
  assert.match(diagnostics[0].message, /layer 8 is out of range: the model has 8 layers \(0-7\)/);
  assert.match(diagnostics[1].message, /sourceLayer must be ≥ 0 and ≤ 7, got 9/);
  assert.equal(diagnostics[0].line, 2);
});

test('parseLayerSpec', () => {
  assert.deepEqual(parseLayerSpec('4-7'), [4, 5, 6, 7]);
  assert.deepEqual(parseLayerSpec(' 4, 6 ,8 - 10 '), [4, 6, 8, 9, 10]);
  assert.deepEqual(parseLayerSpec([5, 1, 5]), [1, 5]);
  assert.deepEqual(parseLayerSpec('all', 3), [0, 1, 2]);
  assert.deepEqual(parseLayerSpec('3', 4), [3]);
  assert.throws(() => parseLayerSpec('all'), /'all' needs the model's layer count/);
  assert.throws(() => parseLayerSpec('4,,5'), /empty item in layer list '4,,5'/);
  assert.throws(() => parseLayerSpec('-1'), /'-1' is not a layer number/);
  assert.throws(() => parseLayerSpec([1.5]), /layer 1.5 is not a non-negative integer/);
  assert.throws(() => parseLayerSpec('2-9', 8), /layer 8 is out of range: the model has 8 layers \(0-7\)/);
  assert.throws(() => parseLayerSpec([]), /no layers given/);
  assert.throws(() => parseLayerSpec('0-999999999'), /implausibly large/);
  assert.equal(formatLayerSpec([9, 4, 5, 6, 7, 11]), '4-7,9,11');
  assert.deepEqual(parseLayerSpec(formatLayerSpec([0, 2, 3, 5])), [0, 2, 3, 5]);
});

test('sha256Text agrees with node:crypto', () => {
  for (const s of ['', 'abc', 'a'.repeat(55), 'b'.repeat(56), 'c'.repeat(64), 'd'.repeat(1000), 'héllo wörld ✓ 🧪', '\u0000\n\r']) {
    assert.equal(sha256Text(s), createHash('sha256').update(s, 'utf8').digest('hex'), JSON.stringify(s.slice(0, 10)));
  }
});

type SchemaNode = { properties?: Record<string, SchemaNode>; items?: SchemaNode; $defs?: Record<string, SchemaNode>; description?: string; $ref?: string; oneOf?: SchemaNode[]; anyOf?: SchemaNode[] };

test('the JSON schema describes every field and matches the parser', () => {
  const schema = JSON.parse(readFileSync(path.join(__dirname, '../../schemas/rlprompt.schema.json'), 'utf8')) as SchemaNode;
  const missing: string[] = [];
  const walk = (node: SchemaNode, where: string): void => {
    for (const [k, v] of Object.entries(node.properties ?? {})) {
      if (!v.description && !v.$ref) missing.push(`${where}.${k}`);
      walk(v, `${where}.${k}`);
    }
    if (node.items) walk(node.items, `${where}[]`);
    for (const [k, v] of Object.entries(node.$defs ?? {})) {
      if (!v.description) missing.push(`$defs.${k}`);
      walk(v, `$defs.${k}`);
    }
  };
  walk(schema, '');
  assert.deepEqual(missing, []);
  assert.deepEqual(Object.keys(schema.properties!).sort(), [...PROMPT_FIELDS].sort());
  assert.deepEqual(Object.keys(schema.properties!.decoding.properties!).sort(), [...DECODING_FIELDS].sort());
  // (the intervention kinds are checked against the registry in interventions-registry.test.ts)
  assert.deepEqual(Object.keys(schema.$defs!.steer.properties!).sort(), promptFileFields('steer').sort());
  // the layer-string pattern accepts what parseLayerSpec accepts
  const layers = schema.$defs!.layers.anyOf!.find((s) => (s as { type?: string }).type === 'string') as { pattern: string };
  const re = new RegExp(layers.pattern);
  for (const ok of ['4-7', '4,6,8-10', ' 3 ', 'all', 'ALL']) assert.ok(re.test(ok), ok);
  for (const bad of ['4-', '-1', 'a', '4,,5', '']) assert.ok(!re.test(bad), bad);
});
