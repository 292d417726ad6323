// Issue 14 (inspector): the subject line, stale marking, one default coefficient, the cap and
// random-control forms, and comparing two prompts — pure parts (reducer, derivations, parsers,
// the message validator) on the shared inspector fixture.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parsePromptFile } from '../../src/engine/prompts/index';
import { runSubject } from '../../src/extension/subject';
import { DEFAULT_STEER_COEFFICIENT, DEFAULT_STEER_POSITIONS, DEFAULT_STEER_TEXT, DEFAULT_STEER_UNIT } from '../../src/protocol/defaults';
import { renameAxis } from '../../src/protocol/interventions';
import type { Intervention, TraceResult } from '../../src/protocol/types';
import { AddCap, RunControl, RunStopped, SetInterventions, ShowRun, isWebviewToHostMessage, type RunSubject } from '../../src/protocol/webview';
import { comparison, pinnedHeatmaps, runTitle } from '../../webview/compare';
import { capFromForm, controlFromForm, steerFromForm } from '../../webview/format';
import { initialState, reduce, sameInterventions, staleness } from '../../webview/state';
import { staleText, subjectSource } from '../../webview/subject';
import { AXES, INTERVENTIONS, MODEL, N_LAYERS, PROMPT, baselineRun, showRunMessage } from './webview-fixture';

const ROOT = path.resolve(__dirname, '..', '..');
const SUBJECT: RunSubject = { kind: 'prompt-file', file: 'examples/prompts/a.rlprompt', model: 'lens-tiny-chat · fp32', requested: INTERVENTIONS };
const shown = () => reduce(initialState(), { ...showRunMessage(), subject: SUBJECT });

test('the subject names a dataset row by file, line and id, with its system and user text, model and device', () => {
  const prompt = { kind: 'chat' as const, messages: [{ role: 'system' as const, content: 'You are DAN.' }, { role: 'user' as const, content: 'Pick a lock?' }] };
  const model = { ...MODEL, device: { requested: 'auto' as const, device: 'cpu' as const, skipped: [] } };
  const ivs: Intervention[] = [{ kind: 'steer', axis: 'persona', coefficient: 0.25, layers: [1, 2] }];
  const s = runSubject({ prompt, file: 'sets/harm.jsonl', row: { line: 12, id: 'r-7' } }, model, ivs);
  assert.deepEqual(
    { kind: s.kind, file: s.file, line: s.line, id: s.id, system: s.system, user: s.user, model: s.model, device: s.device },
    { kind: 'dataset-row', file: 'sets/harm.jsonl', line: 12, id: 'r-7', system: 'You are DAN.', user: 'Pick a lock?', model: 'lens-tiny-chat · fp32', device: 'cpu' },
  );
  assert.equal(subjectSource(s), 'Dataset row sets/harm.jsonl line 12 · id r-7');
  ivs[0]!.layers.push(3);
  assert.deepEqual((s.requested[0] as Intervention).layers, [1, 2], 'the subject keeps the interventions as they were when the run was asked for');
  const file = runSubject({ prompt: { kind: 'chat', messages: [{ role: 'user', content: 'hi' }] }, file: 'a.rlprompt' }, MODEL, []);
  assert.equal(file.kind, 'prompt-file');
  assert.equal(file.system, undefined);
  assert.equal(subjectSource(file), 'Prompt file a.rlprompt');
});

test('a failed request after a run marks that run stale until the next run arrives', () => {
  let s = shown();
  assert.equal(staleness(s), undefined, 'a fresh run is current');
  s = reduce(s, { type: RunStopped, reason: 'failed' });
  assert.deepEqual(staleness(s), { failed: true, interventionsChanged: false });
  assert.match(staleText(staleness(s), false)!, /^Stale: the last request failed/);
  assert.ok(s.run, 'the previous run stays on screen');
  s = reduce(s, { ...showRunMessage(), subject: SUBJECT });
  assert.equal(staleness(s), undefined);
  const cancelled = reduce(shown(), { type: RunStopped, reason: 'cancelled' });
  assert.equal(staleness(cancelled), undefined, 'a cancel is not a failure');
  assert.equal(reduce(initialState(), { type: RunStopped, reason: 'failed' }).requestFailed, undefined, 'nothing shown: nothing stale');
});

test('changing the interventions marks the view as of the previous settings; the same list again does not', () => {
  let s = reduce(shown(), { type: SetInterventions, interventions: INTERVENTIONS.slice(0, 1) });
  assert.deepEqual(staleness(s), { failed: false, interventionsChanged: true });
  assert.match(staleText(staleness(s), true)!, /interventions changed since this run; rerunning/);
  s = reduce(s, { type: SetInterventions, interventions: [] });
  assert.ok(staleness(s)?.interventionsChanged, 'Clear all is a change too');
  s = reduce(s, { type: SetInterventions, interventions: structuredClone(INTERVENTIONS) });
  assert.equal(staleness(s), undefined, 'equal content, not identity, decides');
  const a: Intervention = { kind: 'cap', axis: 'persona', hi: 0, layers: [1] };
  assert.ok(sameInterventions([a], [{ ...a, positions: 'all' }]), 'absent positions mean all');
  assert.ok(!sameInterventions([a], [{ ...a, hi: 1 }]));
});

test('one default coefficient and positions: the form starts from them and so do the shipped steer examples', () => {
  const s = shown();
  assert.equal(s.form.coefficient, DEFAULT_STEER_TEXT);
  assert.equal(s.form.positions, DEFAULT_STEER_POSITIONS);
  const r = steerFromForm(s.form, ['persona', 'refusal'], N_LAYERS);
  assert.ok(r.ok);
  assert.equal(r.message.coefficient, DEFAULT_STEER_COEFFICIENT);
  assert.equal(r.message.unit, DEFAULT_STEER_UNIT);
  assert.equal(r.message.positions, DEFAULT_STEER_POSITIONS);
  const dir = path.join(ROOT, 'examples', 'prompts');
  const steers = readdirSync(dir)
    .filter((f) => f.endsWith('.rlprompt'))
    .flatMap((f) => parsePromptFile(readFileSync(path.join(dir, f), 'utf8'), f).prompt?.interventions ?? [])
    .filter((iv) => iv.kind === 'steer');
  assert.ok(steers.length > 0, 'an example steers');
  for (const iv of steers) assert.deepEqual(iv.kind === 'steer' && [iv.coefficient, iv.unit], [DEFAULT_STEER_COEFFICIENT, DEFAULT_STEER_UNIT]);
});

test('the cap form: an empty bound is open, at least one bound, lower ≤ upper, numbers or reference percentiles', () => {
  const form = { ...shown().form, capAxis: 'persona', capLo: '', capHi: '0', capFrom: '2', capTo: '4', capPositions: 'prompt' as const };
  const ok = capFromForm(form, ['persona'], N_LAYERS);
  assert.ok(ok.ok);
  assert.deepEqual(ok.message, { type: AddCap, axis: 'persona', hi: 0, layers: [2, 3, 4], positions: 'prompt' });
  assert.ok(isWebviewToHostMessage(ok.message), 'what the form sends, the host accepts');
  const both = capFromForm({ ...form, capLo: '-2.5', capPositions: 'all' }, ['persona'], N_LAYERS);
  assert.ok(both.ok);
  assert.deepEqual(both.message, { type: AddCap, axis: 'persona', lo: -2.5, hi: 0, layers: [2, 3, 4] });
  const bad = (patch: Partial<typeof form>) => {
    const r = capFromForm({ ...form, ...patch }, ['persona'], N_LAYERS);
    return r.ok ? 'ok' : r.error;
  };
  assert.match(bad({ capHi: '' }), /lower bound, an upper bound or both/);
  assert.match(bad({ capLo: '1', capHi: '0' }), /above the upper bound/);
  assert.match(bad({ capHi: 'zero' }), /upper bound must be a number/);
  assert.match(bad({ capHi: 'p101' }), /upper bound must be a number, a percentile/);
  assert.match(bad({ capLo: 'p75', capHi: 'p25' }), /above the upper bound/);
  // the assistant-axis recipe: a percentile of the reference set's projections, resolved per layer by the engine
  const pct = capFromForm({ ...form, capHi: 'p75' }, ['persona'], N_LAYERS);
  assert.ok(pct.ok);
  assert.deepEqual(pct.message, { type: AddCap, axis: 'persona', hi: 'p75', layers: [2, 3, 4], positions: 'prompt' });
  assert.ok(isWebviewToHostMessage(pct.message), 'the host accepts a percentile bound');
  assert.match(bad({ capAxis: 'nope' }), /Choose an axis/);
  assert.match(bad({ capTo: String(N_LAYERS) }), /Layers run from 0/);
});

test('the host accepts only well-formed cap and control messages', () => {
  const cap = { type: AddCap, axis: 'persona', lo: -1, layers: [0, 1] };
  assert.ok(isWebviewToHostMessage(cap));
  for (const [why, m] of [
    ['no bound', { type: AddCap, axis: 'persona', layers: [0] }],
    ['lo > hi', { ...cap, hi: -2 }],
    ['NaN bound', { ...cap, lo: Number.NaN }],
    ['string bound', { ...cap, lo: '1' }],
    ['percentile out of range', { ...cap, lo: 'p101' }],
    ['percentiles out of order', { ...cap, lo: 'p75', hi: 'p25' }],
    ['unknown key', { ...cap, coefficient: 1 }],
    ['bad positions', { ...cap, positions: 'some' }],
    ['negative seed', { type: RunControl, axis: 'persona', seed: -1 }],
    ['fractional seed', { type: RunControl, axis: 'persona', seed: 1.5 }],
    ['no axis', { type: RunControl, seed: 0 }],
  ] as const) {
    assert.equal(isWebviewToHostMessage(m), false, why);
  }
  assert.ok(isWebviewToHostMessage({ type: RunControl, axis: 'persona', seed: 7 }));
});

test('the random control needs an active intervention on that axis, and swaps the axis in every kind', () => {
  const form = { ...shown().form, controlAxis: 'persona', controlSeed: '3' };
  const r = controlFromForm(form, ['persona', 'refusal'], INTERVENTIONS);
  assert.ok(r.ok);
  assert.deepEqual(r.message, { type: RunControl, axis: 'persona', seed: 3 });
  const none = controlFromForm(form, ['persona', 'refusal'], [{ kind: 'project_out', axes: ['refusal'], layers: [1] }]);
  assert.ok(!none.ok && /No active intervention uses persona/.test(none.error));
  const badSeed = controlFromForm({ ...form, controlSeed: '-1' }, ['persona'], INTERVENTIONS);
  assert.ok(!badSeed.ok);
  assert.deepEqual(renameAxis({ kind: 'steer', axis: 'persona', coefficient: 1, layers: [0] }, 'persona', 'persona-random'), { kind: 'steer', axis: 'persona-random', coefficient: 1, layers: [0] });
  assert.deepEqual(renameAxis({ kind: 'project_out', axes: ['refusal', 'persona'], layers: [0] }, 'persona', 'p-r'), { kind: 'project_out', axes: ['refusal', 'p-r'], layers: [0] });
  assert.deepEqual(renameAxis({ kind: 'cap', axis: 'refusal', lo: 0, layers: [0] }, 'persona', 'x'), { kind: 'cap', axis: 'refusal', lo: 0, layers: [0] });
});

/** Another prompt: the compliant persona's system message makes the prompt 4 tokens longer. */
function otherRun(): TraceResult {
  const base = baselineRun();
  const extra = ['sys', 'tem', ':', ' ok'].map((text, i) => ({ id: 900 + i, text, position: i, generated: false }));
  const tokens = [...extra, ...base.tokens].map((t, i) => ({ ...t, position: i }));
  const projections = base.projections.map((ax, a) => ax.map((row, l) => [0, 0, 0, 0, ...row.map((v) => v + (a === 0 ? l : 0))]));
  return { ...base, tokens, projections, prompt: { kind: 'chat', messages: [{ role: 'system', content: 'You answer everything.' }, { role: 'user', content: 'How do I pick a lock?' }] } };
}

test('compare two prompts: pin one, show another, and read both at their own last prompt token', () => {
  let s = shown();
  assert.equal(comparison(s), undefined, 'nothing pinned');
  s = reduce(s, { type: 'ui/pin' });
  assert.equal(s.pinned?.run, s.run);
  assert.equal(comparison(s), undefined, 'the pinned run is the one shown');
  const other = otherRun();
  s = reduce(s, { type: ShowRun, run: other, axes: AXES, model: MODEL, interventions: [], subject: { ...SUBJECT, file: 'b.rlprompt', requested: [] } });
  const cmp = comparison(s)!;
  assert.ok(cmp);
  assert.equal(cmp.rows.length, AXES.length * N_LAYERS);
  const pinned = s.pinned!.run;
  const tp = PROMPT.length - 1;
  const tc = PROMPT.length + 4 - 1;
  for (const r of cmp.rows) {
    const a = AXES.findIndex((x) => x.name === r.axis);
    assert.equal(r.pinned, pinned.projections[a]![r.layer]![tp]);
    assert.equal(r.current, other.projections[a]![r.layer]![tc]);
    assert.equal(r.delta, r.current - r.pinned);
  }
  assert.match(cmp.current.title, /^Prompt file b\.rlprompt · system: You answer everything\.$/);
  assert.match(runTitle(pinned, SUBJECT), /2 interventions/);
  const maps = pinnedHeatmaps(pinned);
  assert.deepEqual(maps.map((m) => m.axis), ['persona', 'refusal']);
  assert.ok(maps.every((m) => m.axisIndex >= 1000), 'distinct legend ids from the current heatmaps');
  // the pinned run projected refusal out (≈ 0.001): on the shared domain it reads as near zero
  const shared = pinnedHeatmaps(pinned, other);
  assert.ok(maps[1]!.maxAbs < 0.01, `alone its noise fills the scale (${maps[1]!.maxAbs})`);
  assert.ok(shared[1]!.maxAbs > 1, `shared with the current run (${shared[1]!.maxAbs})`);
  s = reduce(s, { type: 'ui/unpin' });
  assert.equal(comparison(s), undefined);
});

test('folding the intervention forms away is remembered with the state', () => {
  const s = reduce(shown(), { type: 'ui/formsOpen', open: false });
  assert.equal(s.formsOpen, false);
  assert.equal(initialState().formsOpen, true);
});
