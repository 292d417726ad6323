// Pure parts of the inspector: reducer, derived heatmap / profile data, colour scale,
// layout and the text and form parsing the user sees.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { color as parseColor } from 'd3-color';
import { interpolateLab } from 'd3-interpolate';
import { isWebviewToHostMessage, RunStarted, RunStopped, SetInterventions, Tokens, ErrorShown, Busy } from '../../src/protocol/webview';
import { cellText, formatDelta, interventionText, layerRanges, projectOutFromForm, steerFromForm, tokenLabel } from '../../webview/format';
import { LABEL_PITCH, generatedScrollLeft, heatmapLayout, labelledTokens, regionLabels } from '../../webview/layout';
import { fullMaxAbs, robustMaxAbs } from '../../src/protocol/scale';
import { heatmapModels, profileSeries, promptLength, selectedToken, shownRun, symmetricExtent } from '../../webview/model';
import { DEFAULT_COLORS, divergingColor, legendTicks, symmetricLinear } from '../../webview/scales';
import { initialState, reduce, restoreState } from '../../webview/state';
import { AXES, COMPLY, INTERVENTIONS, N_LAYERS, PROMPT, REFUSAL, baselineValue, intervenedValue, showRunMessage } from './webview-fixture';

const loaded = () => reduce(initialState(), showRunMessage());

test('ShowRun stores the run, fills form defaults from axes and layers, and ends busy', () => {
  const s = reduce({ ...initialState(), busy: true, error: { message: 'old' } }, showRunMessage());
  assert.equal(s.run?.tokens.length, PROMPT.length + COMPLY.length);
  assert.equal(s.busy, false);
  assert.equal(s.error, undefined);
  assert.equal(s.form.steerAxis, 'persona');
  assert.equal(s.form.poAxis, 'refusal', 'project-out defaults to the refusal axis');
  assert.equal(s.form.steerTo, String(N_LAYERS - 1));
  assert.deepEqual(s.interventions, INTERVENTIONS);
});

test('the layer profile defaults to the last prompt token and keeps a valid choice across runs', () => {
  let s = loaded();
  const run = shownRun(s)!;
  assert.equal(promptLength(run.tokens), PROMPT.length);
  assert.equal(selectedToken(s, run), PROMPT.length - 1);
  s = reduce(s, { type: 'ui/selectToken', token: 17 });
  assert.equal(selectedToken(s, shownRun(s)!), 17);
  s = reduce(s, showRunMessage());
  assert.equal(s.selectedToken, 17);
  s = reduce({ ...s, selectedToken: 999 }, showRunMessage());
  assert.equal(s.selectedToken, undefined, 'a token past the new run falls back to the default');
});

test('streamed tokens grow the live run column by column, then ShowRun replaces it', () => {
  let s = reduce(loaded(), { type: RunStarted, axes: AXES, layers: [0, 1, 2], interventions: [] });
  assert.equal(s.busy, true);
  const tok = (text: string, position: number, generated: boolean) => ({ id: position, text, position, generated });
  s = reduce(s, { type: Tokens, event: { tokens: [tok('a', 0, false), tok('b', 1, false)], projections: [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]] } });
  s = reduce(s, { type: Tokens, event: { tokens: [tok('c', 2, true)], projections: [[[-1], [-2], [-3]], [[-4], [-5], [-6]]] } });
  const live = shownRun(s)!;
  assert.equal(live.streaming, true);
  assert.deepEqual(live.readouts.projections[1]![2], [11, 12, -6]);
  assert.deepEqual(live.readouts.projections[0]![0], [1, 2, -1]);
  const maps = heatmapModels(s);
  assert.equal(maps.length, 2);
  assert.equal(maps[0]!.tokens.length, 3);
  assert.equal(maps[0]!.promptLength, 2);
  s = reduce(s, showRunMessage());
  assert.equal(s.live, undefined);
  assert.equal(shownRun(s)!.streaming, false);
});

test('tokens for a run that never started are ignored; a failed run with nothing streamed leaves nothing behind', () => {
  const s0 = loaded();
  assert.equal(reduce(s0, { type: Tokens, event: { tokens: [], projections: [] } }), s0);
  let s = reduce(s0, { type: RunStarted, axes: AXES, layers: [0], interventions: [] });
  s = reduce(s, { type: RunStopped, reason: 'failed' });
  s = reduce(s, { type: ErrorShown, message: 'worker died (SIGKILL)' });
  assert.equal(s.busy, false);
  assert.equal(s.live, undefined);
  assert.equal(shownRun(s)!.streaming, false, 'the last finished run shows again');
  assert.equal(s.error?.message, 'worker died (SIGKILL)');
  assert.equal(reduce(s, { type: 'ui/dismissError' }).error, undefined);
  assert.equal(reduce(reduce(s, { type: Busy, busy: true, message: 'Loading' }), { type: Busy, busy: false }).busyMessage, undefined);
});

test('a cancelled or failed run keeps what streamed, marked stopped, until the next run', () => {
  const tok = (text: string, position: number, generated: boolean) => ({ id: position, text, position, generated });
  for (const reason of ['cancelled', 'failed'] as const) {
    let s = reduce(loaded(), { type: RunStarted, axes: AXES, layers: [0, 1, 2], interventions: [] });
    s = reduce(s, { type: Tokens, event: { tokens: [tok('a', 0, false), tok('b', 1, true)], projections: [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]] } });
    s = reduce(s, { type: RunStopped, reason });
    assert.equal(s.busy, false);
    const shown = shownRun(s)!;
    assert.equal(shown.streaming, false);
    assert.equal(shown.stopped, reason);
    assert.equal(shown.tokens.length, 2);
    assert.deepEqual(shown.readouts.projections[1]![2], [11, 12]);
    // a late token of the stopped run does not attach
    assert.equal(reduce(s, { type: Tokens, event: { tokens: [tok('c', 2, true)], projections: [[[0], [0], [0]], [[0], [0], [0]]] } }), s);
    // the next run replaces it, as does a finished run
    assert.equal(reduce(s, { type: RunStarted, axes: AXES, layers: [0], interventions: [] }).live?.stopped, undefined);
    assert.equal(reduce(s, showRunMessage()).live, undefined);
  }
});

test('an error during a streaming run (a bad form entry) shows the message and leaves the run streaming', () => {
  const tok = (text: string, position: number) => ({ id: position, text, position, generated: false });
  let s = reduce(loaded(), { type: RunStarted, axes: AXES, layers: [0], interventions: [] });
  s = reduce(s, { type: Tokens, event: { tokens: [tok('a', 0)], projections: [[[1]], [[2]]] } });
  s = reduce(s, { type: ErrorShown, message: 'layers 0-99: the model has layers 0..5' });
  assert.equal(s.busy, true);
  assert.equal(shownRun(s)!.streaming, true);
  s = reduce(s, { type: Tokens, event: { tokens: [tok('b', 1)], projections: [[[3]], [[4]]] } });
  assert.equal(shownRun(s)!.tokens.length, 2, 'tokens keep arriving');
  assert.equal(s.error?.message, 'layers 0-99: the model has layers 0..5');
});

test('SetInterventions replaces the chips; diff view needs a baseline', () => {
  let s = reduce(loaded(), { type: SetInterventions, interventions: [INTERVENTIONS[0]!] });
  assert.equal(s.interventions.length, 1);
  assert.equal(reduce(initialState(), { type: 'ui/view', view: 'diff' }).view, 'values');
  s = reduce(s, { type: 'ui/view', view: 'diff' });
  assert.equal(s.view, 'diff');
});

test('restoreState takes back a saved state but drops in-flight work and rejects junk', () => {
  const saved = JSON.parse(JSON.stringify({ ...loaded(), busy: true, selectedToken: 20, view: 'diff' }));
  const r = restoreState(saved);
  assert.equal(r.busy, false);
  assert.equal(r.selectedToken, 20);
  assert.equal(r.view, 'diff');
  assert.equal(r.run?.tokens.length, PROMPT.length + COMPLY.length);
  assert.deepEqual(restoreState({ version: 2, axes: [] }), initialState());
  assert.deepEqual(restoreState('garbage'), initialState());
});

test('heatmap models: values, Δ against the baseline by axis name and position, diff mode', () => {
  const s = loaded();
  const [persona, refusal] = heatmapModels(s);
  assert.equal(refusal!.axis, 'refusal');
  assert.equal(refusal!.shown.length, N_LAYERS);
  assert.equal(refusal!.shown[0]!.length, PROMPT.length + COMPLY.length);
  const t = PROMPT.length - 1;
  assert.equal(refusal!.value[6]![t], intervenedValue(1, 6, t));
  assert.ok(Math.abs(refusal!.delta[6]![t]! - (intervenedValue(1, 6, t) - baselineValue(1, 6, t))) < 1e-12);
  assert.ok(Math.abs(persona!.delta[3]![2]! - 1.5) < 1e-9, 'the persona steer shows as +1.5 on prompt tokens');
  // The intervened run generated fewer tokens than the baseline: every position has a baseline here.
  assert.ok(COMPLY.length < REFUSAL.length);
  assert.ok(refusal!.delta.every((row) => row.every((d) => d !== undefined)));
  assert.equal(refusal!.baselineText[PROMPT.length - 1], undefined, 'same prompt token: nothing to flag');
  assert.equal(refusal!.baselineText[PROMPT.length], REFUSAL[0], 'diverged generation: Δ compares with a different token');

  // The projected-out run shares the baseline's colour domain, so its ~0 values stay pale.
  assert.ok(Math.max(...refusal!.value.flat().map(Math.abs)) < 0.01);
  assert.equal(refusal!.maxAbs, symmetricExtent(s.baseline!.projections[1]!));
  const diff = heatmapModels(reduce(s, { type: 'ui/view', view: 'diff' }))[1]!;
  assert.equal(diff.mode, 'diff');
  assert.equal(diff.maxAbs, symmetricExtent(diff.shown), 'the difference view scales to the differences');
  assert.equal(diff.shown[6]![t], diff.delta[6]![t]);
  assert.equal(diff.value[6]![t], refusal!.value[6]![t], 'the raw value stays available in diff mode');
});

test('Δ is undefined where the baseline has no token at that position', () => {
  const msg = showRunMessage();
  // Swap roles: the longer refusal run is now the current run, the shorter one the baseline.
  const s = reduce(initialState(), { ...msg, run: msg.baseline!, baseline: msg.run });
  const m = heatmapModels(s)[0]!;
  const last = PROMPT.length + REFUSAL.length - 1;
  assert.equal(m.delta[0]![last], undefined);
  assert.notEqual(m.delta[0]![PROMPT.length + COMPLY.length - 1], undefined);
  const diff = heatmapModels(reduce(s, { type: 'ui/view', view: 'diff' }))[0]!;
  assert.ok(Number.isNaN(diff.shown[0]![last]!));
});

test('layer profile: one series per axis at the chosen token, baseline alongside', () => {
  const s = loaded();
  const t = 4;
  const series = profileSeries(s, t);
  assert.deepEqual(series.map((x) => x.axis), ['persona', 'refusal']);
  assert.deepEqual(series[1]!.current, Array.from({ length: N_LAYERS }, (_, l) => intervenedValue(1, l, t)));
  assert.deepEqual(series[1]!.baseline, Array.from({ length: N_LAYERS }, (_, l) => baselineValue(1, l, t)));
  assert.equal(profileSeries({ ...s, baseline: undefined }, t)[0]!.baseline, undefined);
});

test('colour scale is symmetric around 0, clamps, and greys out missing values', () => {
  const colors = { negative: '#0000ff', neutral: '#ffffff', positive: '#ff0000', missing: 'none' };
  const c = divergingColor(4, colors);
  assert.equal(parseColor(c(0))!.formatHex(), '#ffffff');
  assert.equal(parseColor(c(4))!.formatHex(), '#ff0000');
  assert.equal(parseColor(c(-4))!.formatHex(), '#0000ff');
  assert.equal(c(40), c(4), 'values past the domain clamp');
  const pos = parseColor(c(2))!.rgb();
  const neg = parseColor(c(-2))!.rgb();
  assert.ok(pos.r > pos.b && neg.b > neg.r, 'sign picks the hue');
  // Symmetric domain: ±2 of ±4 lie halfway along their arm of the scale.
  assert.equal(parseColor(c(2))!.formatHex(), parseColor(interpolateLab('#ffffff', '#ff0000')(0.5))!.formatHex());
  assert.equal(parseColor(c(-2))!.formatHex(), parseColor(interpolateLab('#0000ff', '#ffffff')(0.5))!.formatHex());
  assert.equal(c(Number.NaN), 'none');
  assert.equal(parseColor(divergingColor(0, DEFAULT_COLORS)(0))!.formatHex(), '#f7f7f7', 'an all-zero map still has a domain');
  // The domain is the 99th percentile of |value| (NaN ignored): one outlier token saturates
  // instead of washing every other cell out to white.
  assert.equal(symmetricExtent([[1, -3], [2, Number.NaN]]), 2);
  assert.equal(symmetricExtent([Array.from({ length: 99 }, (_, i) => (i % 2 ? 1 : -1)), [1000]]), 1);
  assert.equal(symmetricExtent([[]]), 1);
});

test('layout: divider sits after the last prompt column, labels never overlap', () => {
  const l = heatmapLayout({ nLayers: 8, nTokens: 27, promptLength: 15, viewWidth: 900 });
  assert.equal(l.dividerX, 15 * l.cellW);
  assert.equal(l.plotW, 27 * l.cellW);
  assert.equal(l.innerW, l.padLeft + l.plotW + l.padRight);
  assert.ok(l.axisW + l.innerW <= 900, 'a short run fits the view');
  assert.ok(l.labelStep * l.cellW >= LABEL_PITCH);
  const many = heatmapLayout({ nLayers: 40, nTokens: 600, promptLength: 500, viewWidth: 800 });
  assert.ok(many.cellW >= 6 && many.labelStep > 1 && many.layerStep >= 1, 'a long run scrolls rather than shrinking cells to nothing');
  assert.ok(many.layerStep * many.cellH >= 10);
  assert.equal(heatmapLayout({ nLayers: 8, nTokens: 10, promptLength: 10, viewWidth: 800 }).dividerX, undefined, 'no divider before anything is generated');
  // Zoom: the asked width is honoured within bounds; the canvas limit caps it for long runs.
  assert.equal(heatmapLayout({ nLayers: 8, nTokens: 27, promptLength: 15, viewWidth: 900, cellWidth: 40 }).cellW, 40);
  const long = heatmapLayout({ nLayers: 32, nTokens: 1000, promptLength: 900, viewWidth: 1000, cellWidth: 500, devicePixelRatio: 2 });
  assert.ok(long.cellW * 1000 * 2 <= 30000 && long.cellW >= LABEL_PITCH, `zoomed in fully, every token of 1,000 can still be labelled (cell ${long.cellW}px)`);
  // The label band holds the longest label: a 60° label of w px needs sin60·w below and cos60·w left.
  const short = heatmapLayout({ nLayers: 8, nTokens: 27, promptLength: 15, viewWidth: 900, labelChars: 2 });
  assert.ok(short.bottom < l.bottom && short.padLeft < l.padLeft);
  assert.ok(l.padLeft >= 0.5 * 12 * 6 && l.bottom >= 0.866 * 12 * 6);
});

test('token labels: every step from the first generated token, the selected one always, neighbours give way', () => {
  const t = labelledTokens(40, 15, 4, 21);
  assert.ok(t.includes(15), 'the first generated token is labelled');
  assert.ok(t.includes(21), 'the selected token is labelled');
  assert.ok(!t.includes(19) && !t.includes(23), 'neighbours closer than a step give way to the selection');
  for (let i = 1; i < t.length; i++) assert.ok(t[i]! - t[i - 1]! >= 2, `labels ${t[i - 1]} and ${t[i]} keep apart`);
  assert.deepEqual(labelledTokens(5, 5, 1, 0), [0, 1, 2, 3, 4]);
});

test('region labels stay on their side of the divider and inside the plot, or are left out', () => {
  const both = regionLabels(200, 400);
  assert.deepEqual(both.map((r) => r.name), ['prompt', 'generated']);
  assert.ok(both[0]!.right < 200 && both[1]!.left > 200 && both[0]!.left >= 0 && both[1]!.right <= 400);
  assert.deepEqual(regionLabels(20, 400).map((r) => r.name), ['generated'], 'no room for "prompt" left of an early divider');
  assert.deepEqual(regionLabels(380, 400).map((r) => r.name), ['prompt'], 'no room for "generated" right of a late divider');
  assert.deepEqual(regionLabels(undefined, 400), []);
});

test('legend ticks never collide: thousands read compactly and fewer ticks are drawn when they would touch', () => {
  for (const m of [0.37, 2.5, 25, 46, 640, 6000, 12345, 2.5e6]) {
    const scale = symmetricLinear(m, [0, 160]);
    const { values, format } = legendTicks(scale);
    assert.ok(values.length >= 2, `${m}: at least two ticks`);
    const boxes = values.map((v) => ({ x: scale(v), w: format(v).length * 6 }));
    for (let i = 1; i < boxes.length; i++) assert.ok(boxes[i]!.x - boxes[i - 1]!.x >= (boxes[i]!.w + boxes[i - 1]!.w) / 2 + 8, `${m}: ${values.map(format).join(' ')} collide`);
  }
  const big = legendTicks(symmetricLinear(6000, [0, 160]));
  assert.ok(big.values.map(big.format).includes('−5k') || big.values.map(big.format).includes('−6k'), big.values.map(big.format).join(' '));
});

test('robust and full colour scale: the robust one is the 99th percentile of |v|, the full one never clips', () => {
  const values = Array.from({ length: 1000 }, (_, i) => (i % 2 ? 1 : -1) * (i < 995 ? 10 : 46));
  assert.equal(robustMaxAbs(values), 10);
  assert.equal(fullMaxAbs(values), 46);
  assert.equal(fullMaxAbs([Number.NaN]), 1);
});

test('scale and zoom live in the state and survive a reload; a new run counts once, its final message does not', () => {
  let s = reduce(loaded(), { type: 'ui/scale', scale: 'full' });
  s = reduce(s, { type: 'ui/zoom', cellWidth: 18 });
  const r = restoreState(JSON.parse(JSON.stringify(s)));
  assert.equal(r.scale, 'full');
  assert.equal(r.cellWidth, 18);
  assert.equal(reduce(r, { type: 'ui/zoom', cellWidth: undefined }).cellWidth, undefined, 'Fit');
  assert.equal(restoreState({ ...JSON.parse(JSON.stringify(s)), scale: 'weird', cellWidth: -3 }).scale, 'robust');
  assert.equal(restoreState({ ...JSON.parse(JSON.stringify(s)), cellWidth: 'x' }).cellWidth, undefined);
  const seq0 = s.runSeq;
  s = reduce(s, { type: RunStarted, axes: AXES, layers: [0], interventions: [] });
  assert.equal(s.runSeq, seq0 + 1);
  s = reduce(s, showRunMessage());
  assert.equal(s.runSeq, seq0 + 1, 'the streamed run\'s result is the same run');
  s = reduce(s, showRunMessage());
  assert.equal(s.runSeq, seq0 + 2, 'a result that did not stream here is a new run');
});

test('scroll to the generated part: the divider a quarter in, or the newest token while streaming', () => {
  const lay = heatmapLayout({ nLayers: 6, nTokens: 314, promptLength: 280, viewWidth: 900 });
  const view = 800;
  const x = generatedScrollLeft(lay, view, false);
  const divider = lay.padLeft + lay.dividerX!;
  assert.ok(divider - x > 0 && divider - x < view, 'the divider is in view');
  assert.ok(lay.padLeft + lay.plotW - x <= view, 'and all of a short generation after it');
  const longGen = heatmapLayout({ nLayers: 6, nTokens: 600, promptLength: 280, viewWidth: 900 });
  const xl = generatedScrollLeft(longGen, view, false);
  assert.ok(Math.abs(longGen.padLeft + longGen.dividerX! - xl - view / 4) <= 1, 'a long generation starts a quarter in');
  const end = generatedScrollLeft(lay, view, true);
  assert.equal(end, lay.innerW - view, 'streaming follows the newest token');
  const none = heatmapLayout({ nLayers: 6, nTokens: 314, promptLength: 314, viewWidth: 900 });
  assert.equal(generatedScrollLeft(none, view, false), none.innerW - view, 'prompt only: its end');
  assert.equal(generatedScrollLeft(heatmapLayout({ nLayers: 6, nTokens: 20, promptLength: 15, viewWidth: 900 }), 900, false), 0, 'a run that fits does not scroll');
});

test('tokens read visibly, values and interventions read compactly', () => {
  assert.equal(tokenLabel(' lock'), '·lock');
  assert.equal(tokenLabel('\n'), '↵');
  assert.equal(tokenLabel(''), '∅');
  assert.equal(tokenLabel('x'.repeat(30), 10).length, 10);
  assert.equal(formatDelta(-0.5), '−0.500');
  assert.equal(formatDelta(undefined), '–');
  assert.equal(layerRanges([7, 3, 4, 5, 9]), '3–5, 7, 9');
  assert.equal(interventionText(INTERVENTIONS[0]!), 'steer persona +2 @ L2–4 (prompt)');
  assert.equal(interventionText(INTERVENTIONS[1]!), 'project out refusal @ L0–7');
  const text = cellText('refusal', { token: { id: 1, text: ' lock', position: 8, generated: false }, tokenIndex: 8, layer: 5, value: 1.23456, delta: -2 });
  for (const part of ['refusal', '"·lock"', '#8', 'prompt', 'layer 5', 'value 1.235', 'Δ −2.000 vs baseline']) assert.ok(text.includes(part), `${part} in ${text}`);
  const gen = cellText('persona', { token: { id: 2, text: 'Sure', position: 15, generated: true }, tokenIndex: 15, layer: 1, value: 0, delta: 0.25, baselineText: 'I' });
  assert.ok(gen.endsWith('Δ +0.250 vs baseline (baseline token there: "I")'), gen);
});

test('forms become valid messages, or say what is wrong', () => {
  const form = { ...loaded().form, steerAxis: 'persona', coefficient: '-3.5', steerFrom: '2', steerTo: '4', positions: 'generated' as const };
  const ok = steerFromForm(form, ['persona', 'refusal'], N_LAYERS);
  assert.ok(ok.ok);
  if (ok.ok) {
    assert.deepEqual(ok.message, { type: 'addSteer', axis: 'persona', coefficient: -3.5, layers: [2, 3, 4], positions: 'generated' });
    assert.ok(isWebviewToHostMessage(ok.message));
  }
  const errors = [
    steerFromForm({ ...form, coefficient: 'abc' }, ['persona'], N_LAYERS),
    steerFromForm({ ...form, coefficient: '0' }, ['persona'], N_LAYERS),
    steerFromForm({ ...form, steerTo: '8' }, ['persona'], N_LAYERS),
    steerFromForm({ ...form, steerFrom: '5' }, ['persona'], N_LAYERS),
    steerFromForm({ ...form, steerFrom: '1.5' }, ['persona'], N_LAYERS),
    steerFromForm({ ...form, steerAxis: 'nope' }, ['persona'], N_LAYERS),
    projectOutFromForm({ ...form, poAxis: 'refusal', poFrom: '', poTo: '3' }, ['refusal'], N_LAYERS),
  ];
  for (const e of errors) assert.ok(!e.ok && e.error.length > 0);
  const po = projectOutFromForm({ ...form, poAxis: 'refusal', poFrom: '6', poTo: '7' }, ['persona', 'refusal'], N_LAYERS);
  assert.ok(po.ok && isWebviewToHostMessage(po.message));
  if (po.ok) assert.deepEqual(po.message.layers, [6, 7]);
});
