// Condition files: the example parses; errors come with file, line, column and field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ConditionFileError, loadConditionFile, parseConditions, resolveIntervention, sweepWindows, type LocatedIssue } from '../../src/engine/experiments/conditions';

const example = path.join(__dirname, '../../examples/conditions/persona-gate.yaml');

function issuesOf(text: string, file = 'c.yaml'): LocatedIssue[] {
  try {
    parseConditions(text, file);
  } catch (e) {
    if (e instanceof ConditionFileError) return e.issues;
    throw e;
  }
  assert.fail('expected a ConditionFileError');
}

test('the shipped example parses, anchors expand, sweeps list every window', () => {
  // examples/conditions/persona-gate.yaml is written for the built-in model: 6 layers, its own axes and held-out sets
  const plan = loadConditionFile(example);
  assert.equal(plan.conditions.length, 9);
  assert.deepEqual(plan.sets.map((s) => [s.name, s.source.kind]), [['harmful', 'file'], ['harmless', 'file']]);
  const rnd = plan.axes.find((a) => a.name === 'random');
  assert.deepEqual(rnd, { name: 'random', kind: 'random', randomLike: 'persona', seed: 1 });
  const persona = plan.axes.find((a) => a.name === 'persona');
  assert.ok(persona?.kind === 'file' && persona.file === path.join(path.dirname(example), '../../media/models/organism/axes/persona.safetensors'));
  const problems: LocatedIssue[] = [];
  const iv = resolveIntervention(plan, plan.conditions[3].interventions[1], 6, problems);
  assert.deepEqual(iv, { kind: 'project_out', axes: ['persona'], layers: [4, 5] });
  // the anchored steer expands to the same intervention in every condition that uses it
  const steer = resolveIntervention(plan, plan.conditions[3].interventions[0], 6, problems);
  assert.deepEqual(steer, resolveIntervention(plan, plan.conditions[1].interventions[0], 6, problems));
  assert.deepEqual(problems, []);
  assert.deepEqual(sweepWindows(plan.sweeps[0].window, 6).length, 6);
  assert.match(plan.sha256, /^[0-9a-f]{64}$/);
});

test('schema errors carry line, column and field', () => {
  const text = [
    'sets:',
    '  harmful: builtin:harmful',
    'decoding:',
    '  maxNewTokens: many', // line 4: wrong type
    'conditions:',
    '  - name: base',
    '    set: harmful',
    '    interventions:',
    '      - { kind: steer, axis: persona, coefficent: 2, layers: "1-2" }', // line 9: typo + missing field
    '      - { kind: project, axes: [persona], layers: "1" }', // line 10: bad kind
  ].join('\n');
  const issues = issuesOf(text);
  const byField = new Map(issues.map((i) => [i.field, i]));
  const tokens = byField.get('decoding.maxNewTokens');
  assert.ok(tokens, JSON.stringify(issues));
  assert.equal(tokens.line, 4);
  assert.match(tokens.message, /must be an integer, got the string "many"/);
  const typo = byField.get('conditions[0].interventions[0].coefficent');
  assert.ok(typo && typo.line === 9, JSON.stringify(issues));
  assert.match(typo.message, /unknown field 'coefficent'/);
  const missing = issues.find((i) => i.field === 'conditions[0].interventions[0]' && /coefficient/.test(i.message));
  assert.ok(missing && missing.line === 9);
  const kind = byField.get('conditions[0].interventions[1].kind');
  assert.ok(kind && kind.line === 10 && /kind must be "steer" or "project_out"/.test(kind.message), JSON.stringify(issues));
  // The thrown message is one line per issue, in file:line:col: field: message form.
  try {
    parseConditions(text, 'c.yaml');
  } catch (e) {
    assert.match((e as Error).message, /^c\.yaml:4:3: decoding\.maxNewTokens: /m);
  }
});

test('references to undefined sets and axes, duplicate names, bad layers against the model', () => {
  const text = `{
  "sets": { "harmful": "h.jsonl" },
  "axes": { "persona": "p.safetensors", "rnd": { "randomLike": "persnoa", "seed": 3 } },
  "decoding": { "maxNewTokens": 8 },
  "conditions": [
    { "name": "a", "set": "harmfull" },
    { "name": "a", "set": "harmful", "interventions": [ { "kind": "steer", "axis": "refusal", "coefficient": 1, "layers": [1] } ] }
  ]
}`;
  const issues = issuesOf(text, 'c.json');
  const find = (field: string) => issues.find((i) => i.field === field);
  assert.equal(find('axes.rnd.randomLike')?.line, 3);
  assert.match(find('axes.rnd.randomLike')!.message, /no axis named 'persnoa'/);
  assert.equal(find('conditions[0].set')?.line, 6);
  assert.match(find('conditions[0].set')!.message, /no prompt set named 'harmfull'/);
  assert.equal(find('conditions[1].name')?.line, 7);
  assert.match(find('conditions[1].name')!.message, /used twice/);
  assert.match(find('conditions[1].interventions[0].axis')!.message, /no axis named 'refusal' \(axes: persona, rnd\)/);

  const plan = parseConditions(text.replace('persnoa', 'persona').replace('harmfull', 'harmful').replace('"name": "a", "set": "harmful", "interventions"', '"name": "b", "set": "harmful", "interventions"').replace('"refusal"', '"persona"').replace('[1]', '"2-40"'), 'c.json');
  const problems: LocatedIssue[] = [];
  assert.equal(resolveIntervention(plan, plan.conditions[1].interventions[0], 24, problems), undefined);
  assert.equal(problems[0].field, 'conditions[1].interventions[0].layers');
  assert.equal(problems[0].line, 7);
  assert.match(problems[0].message, /layer 24 is out of range: the model has 24 layers \(0-23\)/);
});

test('YAML syntax errors point at the line', () => {
  const issues = issuesOf('sets:\n  harmful: [a, b\ndecoding: {maxNewTokens: 3}\n');
  assert.ok(issues.length >= 1);
  assert.ok(issues[0].line >= 2, JSON.stringify(issues));
});

test('cap interventions: resolved with an open side omitted; no bound, lo > hi and an unknown axis are located errors', () => {
  const head = `{
  "sets": { "harmful": "h.jsonl" },
  "axes": { "persona": "p.safetensors" },
  "decoding": { "maxNewTokens": 8 },
  "conditions": [
    { "name": "steer+cap", "set": "harmful", "interventions": [
      { "kind": "steer", "axis": "persona", "coefficient": 4, "layers": "2-3" },
      CAP ] }
  ]
}`;
  const plan = parseConditions(head.replace('CAP', '{ "kind": "cap", "axis": "persona", "hi": 0, "layers": "4-5", "positions": "generated" }'), 'c.json');
  const problems: LocatedIssue[] = [];
  assert.deepEqual(resolveIntervention(plan, plan.conditions[0].interventions[1], 6, problems), { kind: 'cap', axis: 'persona', hi: 0, layers: [4, 5], positions: 'generated' });
  assert.deepEqual(problems, []);
  const one = (cap: string) => {
    const issues = issuesOf(head.replace('CAP', cap), 'c.json');
    assert.equal(issues.length, 1, JSON.stringify(issues));
    return issues[0];
  };
  const none = one('{ "kind": "cap", "axis": "persona", "layers": [1] }');
  assert.equal(none.field, 'conditions[0].interventions[1].hi', 'located as in a prompt file: the registry names the field');
  assert.equal(none.line, 8);
  assert.match(none.message, /a cap intervention needs "lo", "hi" or both/);
  const inverted = one('{ "kind": "cap", "axis": "persona", "lo": 2, "hi": 1, "layers": [1] }');
  assert.equal(inverted.field, 'conditions[0].interventions[1].lo');
  assert.match(inverted.message, /lo 2 is above hi 1/);
  assert.match(one('{ "kind": "cap", "axis": "persnoa", "hi": 0, "layers": [1] }').message, /no axis named 'persnoa'/);
  // A percentile is a bound ("p25", resolved on the reference set); anything else string-like is not.
  assert.ok(one('{ "kind": "cap", "axis": "persona", "hi": "q25", "layers": [1] }').field?.startsWith('conditions[0].interventions[1]'));
});

test('a sweep can move a cap along the layers; its bounds are checked where they are written', () => {
  const file = (cap: string) => `sets: { harmful: h.jsonl }
axes: { persona: p.safetensors }
decoding: { maxNewTokens: 8 }
conditions: [{ name: baseline, set: harmful }]
sweeps:
  - name: sliding cap
    set: harmful
    interventions: [{ kind: steer, axis: persona, coefficient: 4, layers: "0-1" }]
    window: { intervention: ${cap}, size: 2, stride: 2 }
`;
  const plan = parseConditions(file('{ kind: cap, axis: persona, hi: 0, positions: prompt }'), 'c.yaml');
  assert.deepEqual(plan.sweeps[0].window.intervention, { kind: 'cap', axis: 'persona', hi: 0, positions: 'prompt' });
  assert.deepEqual(sweepWindows(plan.sweeps[0].window, 6), [[0, 1], [2, 3], [4, 5]]);
  const inverted = issuesOf(file('{ kind: cap, axis: persona, lo: 2, hi: 1 }'));
  assert.equal(inverted.length, 1, JSON.stringify(inverted));
  assert.equal(inverted[0].field, 'sweeps[0].window.intervention.lo');
  assert.equal(inverted[0].line, 9);
  assert.match(inverted[0].message, /cap bounds: lo 2 is above hi 1/);
  assert.match(issuesOf(file('{ kind: cap, axis: persona }'))[0].message, /a cap intervention needs "lo", "hi" or both/);
});
