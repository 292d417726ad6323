// The intervention registry (src/protocol/interventions.ts) against everything that must agree
// with it: every kind complete (fields, axes, description, rules, graph inputs), both JSON schemas,
// the rewrite's hookNames, the feeds each kind fills, the four parsers (CLI string, prompt file,
// condition file, webview form) and the one description in every medium.
import { COEFFICIENT_UNITS } from '../../src/protocol/reference';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  describeIntervention, fieldsOf, kindList, INTERVENTION_KINDS, INTERVENTIONS, interventionAxes, interventionProblems, POSITION_LABELS,
  POSITIONS, READOUT_INPUTS, type Intervention, type InterventionKind,
} from '../../src/protocol/interventions';
import { describeIntervention as cliText, parseIntervention } from '../../src/cli/interventions';
import { describeIntervention as receiptText } from '../../src/engine/experiments/receipt-render';
import { receiptProblem } from '../../src/engine/experiments/receipt-check';
import { parseConditions, resolveIntervention, type LocatedIssue } from '../../src/engine/experiments/conditions';
import { parsePromptFile } from '../../src/engine/prompts/index';
import { hookNames } from '../../src/engine/onnx/rewrite';
import { interventionFeeds, ZeroFeeds, type AxisVectors } from '../../src/engine/generate/feeds';
import { mulberry32 } from '../../src/engine/generate/sampling';
import { interventionText, projectOutFromForm, steerFromForm } from '../../webview/format';
import { initialState } from '../../webview/state';

type Schema = { $defs?: Record<string, Schema>; properties?: Record<string, Schema>; required?: string[]; const?: unknown; enum?: unknown[]; minimum?: number; maximum?: number; $ref?: string; oneOf?: Schema[]; anyOf?: Schema[]; items?: Schema; type?: string; defaultSnippets?: { label: string }[] };
const ROOT = path.resolve(__dirname, '..', '..');
const schema = (f: string): Schema => JSON.parse(readFileSync(path.join(ROOT, 'schemas', f), 'utf8'));
/** A kind's $defs name in the schemas: project_out → projectOut. */
const defName = (k: InterventionKind) => k.replace(/_(.)/g, (_, c: string) => c.toUpperCase());

/** Each kind's CLI example, parsed: one sample intervention per kind (6 layers). */
const sample = (k: InterventionKind): Intervention => parseIntervention(k, INTERVENTIONS[k].example, 6);

describe('every kind is complete', () => {
  it('the registry has exactly the listed kinds, each with fields, axes, a description, rules, inputs and a CLI form', () => {
    assert.deepEqual(Object.keys(INTERVENTIONS).sort(), [...INTERVENTION_KINDS].sort());
    const flags = new Set<string>();
    for (const k of INTERVENTION_KINDS) {
      const s = INTERVENTIONS[k];
      assert.equal(s.kind, k);
      for (const fn of ['axes', 'describe', 'rules'] as const) assert.equal(typeof s[fn], 'function', `${k}.${fn}`);
      assert.ok(s.title && s.doc.length > 20 && s.fields.length > 0 && s.inputs.length > 0, k);
      assert.ok(!flags.has(s.flag), `--${s.flag} twice`);
      flags.add(s.flag);
      const names = fieldsOf(k).map((f) => f.name);
      assert.equal(new Set(names).size, names.length, `${k}: a field twice`);
      assert.ok(s.fields.some((f) => f.type === 'axis' || f.type === 'axes'), `${k} reads no axis`);
      const iv = sample(k);
      assert.equal(iv.kind, k);
      assert.ok(interventionAxes(iv).length > 0);
      assert.match(describeIntervention(iv), new RegExp(`^${s.title} .* @ L`));
      assert.deepEqual(interventionProblems(iv, { nLayers: 6, axes: ['persona'] }), [], `${k}: its own example is sound`);
    }
    assert.deepEqual(Object.keys(POSITION_LABELS), [...POSITIONS]);
  });

  it('a missing required field, an unknown kind and a value out of bounds are problems naming the field', () => {
    for (const k of INTERVENTION_KINDS) {
      for (const f of fieldsOf(k).filter((f) => f.required)) {
        const { [f.name]: _gone, ...rest } = sample(k) as unknown as Record<string, unknown>;
        const p = interventionProblems(rest);
        assert.equal(p[0]?.field, f.name, `${k} without ${f.name}: ${JSON.stringify(p)}`);
      }
      for (const f of fieldsOf(k).filter((f) => f.max !== undefined)) {
        const p = interventionProblems({ ...sample(k), [f.name]: f.max! * 2 });
        assert.match(p[0]?.message ?? '', new RegExp(`${f.name} .* is outside`), k);
      }
    }
    assert.match(kindList(), /^"steer", ("[a-z_]+", )*"[a-z_]+" or "[a-z_]+"$/);
    assert.equal(interventionProblems({ kind: 'clamp', axis: 'a', layers: [0] })[0]!.message, `kind must be ${kindList()}, got "clamp"`);
    assert.match(interventionProblems({ ...sample('steer'), positions: 'end' })[0]!.message, /positions must be all, prompt or generated/);
    assert.match(interventionProblems(sample('steer'), { nLayers: 4 })[0]!.message, /layers: layer 4 is out of range \(the model has layers 0\.\.3\)/);
  });
});

describe('the JSON schemas say what the registry says', () => {
  const check = (file: string, union: Schema[]) => {
    const s = schema(file);
    assert.deepEqual(union.map((u) => u.$ref), INTERVENTION_KINDS.map((k) => `#/$defs/${defName(k)}`), `${file}: the intervention union lists every kind, in order`);
    assert.deepEqual(s.$defs!.positions!.enum, [...POSITIONS], `${file}: positions`);
    assert.deepEqual(s.$defs!.unit!.enum, [...COEFFICIENT_UNITS], `${file}: coefficient units`);
    for (const k of INTERVENTION_KINDS) {
      const d = s.$defs![defName(k)]!;
      assert.ok(d, `${file} has no $defs.${defName(k)}`);
      assert.equal(d.properties!.kind!.const, k);
      assert.deepEqual(Object.keys(d.properties!), ['kind', ...fieldsOf(k).map((f) => f.name)], `${file} ${k}: fields`);
      assert.deepEqual(d.required, ['kind', ...fieldsOf(k).filter((f) => f.required).map((f) => f.name)], `${file} ${k}: required`);
      for (const f of fieldsOf(k)) {
        const p = d.properties![f.name]!;
        if (f.min !== undefined || f.max !== undefined) assert.deepEqual([p.minimum, p.maximum], [f.min, f.max], `${file} ${k}.${f.name}: bounds`);
        const ref = p.$ref?.split('/').pop();
        const want = { axis: 'string', axes: 'array', number: 'number', bound: 'bound', unit: 'unit', layers: 'layers', layer: f.name === 'sourceLayer' ? 'integer|sourceLayer' : 'integer', positions: 'positions' }[f.type];
        assert.ok(want.split('|').includes(ref ?? p.type ?? ''), `${file} ${k}.${f.name}: ${ref ?? p.type} for a ${f.type}`);
      }
    }
  };
  it('rlprompt.schema.json', () => {
    const items = schema('rlprompt.schema.json').properties!.interventions!.items!;
    check('rlprompt.schema.json', items.oneOf!);
    assert.deepEqual(items.defaultSnippets!.map((d) => d.label), [...INTERVENTION_KINDS], 'a snippet per kind');
  });
  it('conditions.schema.json, and its sweep windows move every kind (its fields but layers)', () => {
    const s = schema('conditions.schema.json');
    check('conditions.schema.json', s.$defs!.intervention!.anyOf!);
    const moving = s.$defs!.sweep!.properties!.window!.properties!.intervention!.anyOf!;
    assert.deepEqual(moving.map((m) => m.properties!.kind!.const).sort(), [...INTERVENTION_KINDS].sort());
    for (const m of moving) {
      const k = m.properties!.kind!.const as InterventionKind;
      const own = fieldsOf(k).filter((f) => f.name !== 'layers');
      assert.deepEqual(Object.keys(m.properties!), ['kind', ...own.map((f) => f.name)], `window ${k}: fields`);
      assert.deepEqual(m.required, ['kind', ...own.filter((f) => f.required).map((f) => f.name)], `window ${k}: required`);
    }
  });
});

describe('graph inputs', () => {
  const L = 3;
  const D = 8;
  const r = mulberry32(5);
  const persona: AxisVectors = { name: 'persona', nLayers: L, dModel: D, vectors: Float32Array.from({ length: L * D }, () => r() * 2 - 1) };
  const zeros = new ZeroFeeds(D, L);
  it('are the rewrite\'s hookNames inputs, each fed by one kind (or the readout)', () => {
    const declared = [...INTERVENTION_KINDS.flatMap((k) => INTERVENTIONS[k].inputs), ...READOUT_INPUTS];
    assert.equal(new Set(declared).size, declared.length, 'no input fed by two kinds');
    assert.deepEqual([...declared].sort(), Object.keys(hookNames(0).inputNames).sort());
  });
  it('each kind fills exactly the inputs it declares where it is active, and the zero inputs elsewhere', () => {
    for (const k of INTERVENTION_KINDS) {
      const iv = { ...sample(k), layers: [1] } as Intervention;
      const f = interventionFeeds([iv], [persona], L, 'prompt', zeros);
      const names = hookNames(1).inputNames;
      for (const input of INTERVENTION_KINDS.flatMap((j) => INTERVENTIONS[j].inputs)) {
        const zero = (zeros as unknown as Record<string, unknown[]>)[input]![1];
        if (INTERVENTIONS[k].inputs.includes(input)) assert.notEqual(f[names[input]], zero, `${k} feeds ${input}`);
        else assert.equal(f[names[input]], zero, `${k} leaves ${input} at zero`);
        assert.equal(f[hookNames(0).inputNames[input]], (zeros as unknown as Record<string, unknown[]>)[input]![0], `${k}: layer 0 is inactive`);
      }
    }
  });
});

describe('the four parsers give the same intervention', () => {
  for (const k of INTERVENTION_KINDS) {
    it(k, () => {
      const iv = { ...sample(k), sourceLayer: 1, positions: 'generated' } as Intervention;
      const fromCli = parseIntervention(k, `${INTERVENTIONS[k].example}:generated@1`, 6);
      // (the CLI keeps its order, positions before sourceLayer: annotate's .run.json records it)
      assert.deepEqual(fromCli, iv, 'CLI');
      const file = parsePromptFile(JSON.stringify({ user: 'x', interventions: [iv] }), 'p.rlprompt', { nLayers: 6 });
      assert.deepEqual(file.diagnostics, []);
      assert.equal(JSON.stringify(file.prompt!.interventions[0]), JSON.stringify(iv), 'prompt file (field order too: receipts hash it)');
      const plan = parseConditions(JSON.stringify({ sets: { s: 'builtin:harmful' }, axes: { persona: 'p.safetensors' }, decoding: { maxNewTokens: 1 }, conditions: [{ name: 'c', set: 's', interventions: [iv] }] }), 'c.json');
      const problems: LocatedIssue[] = [];
      assert.equal(JSON.stringify(resolveIntervention(plan, plan.conditions[0]!.interventions[0]!, 6, problems)), JSON.stringify(iv), 'condition file');
      assert.deepEqual(problems, []);
    });
  }
  it('the webview forms, and the registry\'s bound reaches them', () => {
    const form = { ...initialState().form, steerAxis: 'persona', coefficient: '4', steerFrom: '2', steerTo: '5', poAxis: 'persona', poFrom: '3', poTo: '5', positions: 'all' as const };
    const steer = steerFromForm(form, ['persona'], 6);
    assert.ok(steer.ok);
    const { type: _t, ...s } = steer.message;
    assert.deepEqual({ kind: 'steer', ...s }, sample('steer'));
    const po = projectOutFromForm(form, ['persona'], 6);
    assert.ok(po.ok);
    const { type: _p, ...p } = po.message;
    assert.deepEqual({ kind: 'project_out', ...p }, sample('project_out'));
    const big = steerFromForm({ ...form, coefficient: '20000' }, ['persona'], 6);
    assert.ok(!big.ok && /^Coefficient 20000 is outside ±10000/.test(big.error), JSON.stringify(big));
  });
});

describe('one description', () => {
  const cases: [Intervention, string, string][] = [
    [{ kind: 'steer', axis: 'persona', coefficient: -1.5, layers: [2, 3, 4, 7], sourceLayer: 3, positions: 'generated' }, 'steer persona -1.5 @ L2-4,7 from L3 (generated)', 'steer persona −1.5 @ L2–4, 7 from L3 (generated)'],
    [{ kind: 'steer', axis: 'persona', coefficient: 4, layers: [0, 1] }, 'steer persona +4 @ L0-1', 'steer persona +4 @ L0–1'],
    [{ kind: 'project_out', axes: ['persona', 'refusal'], layers: [5], positions: 'prompt' }, 'project out persona+refusal @ L5 (prompt)', 'project out persona + refusal @ L5 (prompt)'],
    [{ kind: 'cap', axis: 'persona', hi: 0, layers: [4, 5] }, 'cap persona ≤ 0 @ L4-5', 'cap persona ≤ 0 @ L4–5'],
    [{ kind: 'cap', axis: 'persona', lo: -2, hi: 1.5, layers: [3], sourceLayer: 2, positions: 'generated' }, 'cap persona to [-2, 1.5] @ L3 from L2 (generated)', 'cap persona to [-2, 1.5] @ L3 from L2 (generated)'],
    [{ kind: 'cap', axis: 'refusal', lo: -1, layers: [1] }, 'cap refusal ≥ -1 @ L1', 'cap refusal ≥ -1 @ L1'],
  ];
  it('the CLI and receipts print the text form, the chips (and the status bar) the display form', () => {
    for (const [iv, text, display] of cases) {
      assert.equal(cliText(iv), text);
      assert.equal(receiptText(iv), text);
      assert.equal(interventionText(iv), display);
      assert.equal(describeIntervention(iv, 'display'), display);
    }
    assert.deepEqual(INTERVENTION_KINDS.filter((k) => !cases.some(([iv]) => iv.kind === k)), [], 'every kind has a pinned description');
  });
  it('the receipt check reads each kind by its registry fields and names a wrong one', () => {
    const rate = { count: 0, rate: 0, lo: 0, hi: 0 };
    const receipt = (interventions: unknown[]) => ({
      schema: 'refusal-lens.receipt/1', title: 't', toolVersion: '0', conditionFile: { file: 'c.yaml', sha256: 'f' },
      model: { name: 'm', modelType: 'llama', layers: 6, dModel: 8, dtype: 'fp32', graphHash: 'a', tokenizerHash: 'b' },
      sets: [], axes: [], decoding: { maxNewTokens: 1 }, batchSize: 8,
      conditions: [{ name: 'c', set: 's', n: 0, systemPrompts: [], interventions, rates: { refusal: rate, bypass: rate, degenerate: rate }, meanRefusalScore: null }],
      sweeps: [], hash: 'h', created: 'now',
    });
    const all = INTERVENTION_KINDS.map(sample);
    assert.equal(receiptProblem(receipt(all)), undefined);
    const capAt = INTERVENTION_KINDS.indexOf('cap');
    // A percentile bound as written ("p25") is a bound a receipt records; "q25" is not.
    assert.equal(receiptProblem(receipt(all.map((iv, i) => (i === capAt ? { ...iv, hi: 'p25' } : iv)))), undefined);
    assert.match(receiptProblem(receipt(all.map((iv, i) => (i === capAt ? { ...iv, hi: 'q25' } : iv))))!, new RegExp(`conditions\\[0\\]\\.interventions\\[${capAt}\\]\\.hi: expected a number or a percentile`));
    assert.ok(receiptProblem(receipt([{ kind: 'clamp', layers: [0] }]))!.endsWith(`interventions[0].kind: expected ${kindList()}, got the string "clamp"`));
    assert.match(receiptProblem(receipt([{ kind: 'steer', axis: 'p', layers: [0] }]))!, /interventions\[0\]\.coefficient: missing/);
  });
});
