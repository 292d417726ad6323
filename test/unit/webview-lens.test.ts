// The inspector's logit lens (webview/lens.ts): which position the table shows, its rows
// (deepest layer first, baseline beside the run), the refusal-probability series for the layer
// profile, and nothing at all for a run without the lens.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lensProfileSeries, lensView } from '../../webview/lens';
import { initialState, reduce } from '../../webview/state';
import { N_LAYERS, PROMPT, showRunMessage } from './webview-fixture';
import { LAST, withLens } from './webview-lens-fixture';

function state(baselineLens: boolean) {
  const msg = showRunMessage();
  return reduce(initialState(), { ...msg, run: withLens(msg.run, 0.5), baseline: baselineLens ? withLens(msg.baseline!, 0.9) : msg.baseline });
}

test('the table shows the chosen token when the lens read it, else its last position; deepest layer first', () => {
  const s = state(true);
  const v = lensView(s, LAST)!;
  assert.equal(v.position, LAST);
  assert.equal(v.token?.text, PROMPT[LAST]);
  assert.deepEqual(v.rows.map((r) => r.layer), Array.from({ length: N_LAYERS }, (_, l) => N_LAYERS - 1 - l));
  assert.equal(v.rows[N_LAYERS - 1]!.refusal, 0.5, 'layer 0 at the bottom');
  assert.equal(v.rows[N_LAYERS - 1]!.baselineRefusal, 0.9);
  assert.deepEqual(v.rows[0]!.top.map((t) => t.text), ['I', 'Sure']);
  assert.equal(lensView(s, 0)!.position, 0, 'a token the lens read');
  assert.equal(lensView(s, 3)!.position, LAST, 'a token it did not read: its last position');
  const chosen = reduce(s, { type: 'ui/selectToken', token: 0 });
  assert.equal(lensView(chosen, 0)!.rows[0]!.top[0]!.text, 'a');
});

test('the layer profile gets the refusal probability per layer on [0, 1], with the baseline when it read the lens', () => {
  const p = lensProfileSeries(state(true), LAST)!;
  assert.deepEqual(p.domain, [0, 1]);
  assert.equal(p.current.length, N_LAYERS);
  assert.equal(p.current[0], 0.5);
  assert.ok(p.current.every((x, l) => l === 0 || x < p.current[l - 1]!), 'falls with depth');
  assert.equal(p.baseline![0], 0.9);
  assert.match(p.axis, new RegExp(`#${LAST}`));
  assert.equal(lensProfileSeries(state(false), LAST)!.baseline, undefined, 'no baseline curve when the baseline has no lens');
});

test('a run without the lens shows neither', () => {
  const s = reduce(initialState(), showRunMessage());
  assert.equal(lensView(s, LAST), undefined);
  assert.equal(lensProfileSeries(s, LAST), undefined);
});
