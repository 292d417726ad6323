// The host runs isWebviewToHostMessage on everything the webview posts: good messages pass,
// and each way a message can be wrong is refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIMITS, isWebviewToHostMessage } from '../../src/protocol/webview';

const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

const good: unknown[] = [
  { type: 'ready' },
  { type: 'rerun' },
  { type: 'clearInterventions' },
  { type: 'addSteer', axis: 'persona', coefficient: -1.5, layers: [2, 3, 4] },
  { type: 'addSteer', axis: 'refusal', coefficient: 8, layers: [0], positions: 'generated' },
  { type: 'addProjectOut', axes: ['refusal'], layers: [0, 1, 2] },
  { type: 'addProjectOut', axes: ['refusal', 'persona'], layers: [5], positions: 'prompt' },
  { type: 'removeIntervention', index: 0 },
  { type: 'removeIntervention', index: 3 },
  { type: 'export', format: 'svg', data: '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>', suggestedName: 'trace.svg' },
  { type: 'export', format: 'svg', data: '<svg width="1"></svg>' },
  { type: 'export', format: 'png', data: PNG, suggestedName: 'trace.png' },
  { type: 'export', format: 'json', data: '{"schema":"refusal-lens.trace/1"}' },
  { type: 'errorAction', action: 'openSettings' },
  { type: 'errorAction', action: 'useBuiltinModel' },
];

test('accepts every well-formed webview → host message', () => {
  for (const m of good) assert.equal(isWebviewToHostMessage(m), true, JSON.stringify(m).slice(0, 120));
});

const bad: [string, unknown][] = [
  ['null', null],
  ['a string', 'ready'],
  ['an array', [{ type: 'ready' }]],
  ['no type', { axis: 'x' }],
  ['unknown type', { type: 'deleteEverything' }],
  ['host → webview type', { type: 'showRun' }],
  ['extra field on ready', { type: 'ready', extra: 1 }],
  ['steer: axis missing', { type: 'addSteer', coefficient: 1, layers: [1] }],
  ['steer: empty axis', { type: 'addSteer', axis: '', coefficient: 1, layers: [1] }],
  ['steer: axis too long', { type: 'addSteer', axis: 'x'.repeat(LIMITS.maxNameLength + 1), coefficient: 1, layers: [1] }],
  ['steer: axis not a string', { type: 'addSteer', axis: 7, coefficient: 1, layers: [1] }],
  ['steer: NaN coefficient', { type: 'addSteer', axis: 'a', coefficient: Number.NaN, layers: [1] }],
  ['steer: Infinity coefficient', { type: 'addSteer', axis: 'a', coefficient: Infinity, layers: [1] }],
  ['steer: coefficient as string', { type: 'addSteer', axis: 'a', coefficient: '2', layers: [1] }],
  ['steer: huge coefficient', { type: 'addSteer', axis: 'a', coefficient: 1e9, layers: [1] }],
  ['steer: fractional layer', { type: 'addSteer', axis: 'a', coefficient: 1, layers: [1.5] }],
  ['steer: negative layer', { type: 'addSteer', axis: 'a', coefficient: 1, layers: [-1] }],
  ['steer: duplicate layers', { type: 'addSteer', axis: 'a', coefficient: 1, layers: [2, 2] }],
  ['steer: no layers', { type: 'addSteer', axis: 'a', coefficient: 1, layers: [] }],
  ['steer: layers not an array', { type: 'addSteer', axis: 'a', coefficient: 1, layers: 3 }],
  ['steer: layer as string', { type: 'addSteer', axis: 'a', coefficient: 1, layers: ['3'] }],
  ['steer: unknown positions', { type: 'addSteer', axis: 'a', coefficient: 1, layers: [1], positions: 'some' }],
  ['steer: extra field', { type: 'addSteer', axis: 'a', coefficient: 1, layers: [1], sourceLayer: 2 }],
  ['project out: axes a string', { type: 'addProjectOut', axes: 'refusal', layers: [1] }],
  ['project out: no axes', { type: 'addProjectOut', axes: [], layers: [1] }],
  ['project out: duplicate axes', { type: 'addProjectOut', axes: ['a', 'a'], layers: [1] }],
  ['project out: axis not a string', { type: 'addProjectOut', axes: [1], layers: [1] }],
  ['project out: too many layers', { type: 'addProjectOut', axes: ['a'], layers: Array.from({ length: LIMITS.maxLayers + 1 }, (_, i) => i) }],
  ['remove: negative index', { type: 'removeIntervention', index: -1 }],
  ['remove: fractional index', { type: 'removeIntervention', index: 0.5 }],
  ['remove: index as string', { type: 'removeIntervention', index: '0' }],
  ['remove: no index', { type: 'removeIntervention' }],
  ['export: unknown format', { type: 'export', format: 'pdf', data: 'x' }],
  ['export: empty data', { type: 'export', format: 'json', data: '' }],
  ['export: data not a string', { type: 'export', format: 'json', data: { a: 1 } }],
  ['export: png not a data URL', { type: 'export', format: 'png', data: 'iVBORw0KGgo=' }],
  ['export: png with junk base64', { type: 'export', format: 'png', data: 'data:image/png;base64,<script>' }],
  ['export: svg that is not SVG', { type: 'export', format: 'svg', data: '<html><body></body></html>' }],
  ['export: path in file name', { type: 'export', format: 'json', data: '{}', suggestedName: '../../etc/passwd' }],
  ['export: backslash in file name', { type: 'export', format: 'json', data: '{}', suggestedName: 'a\\b.json' }],
  ['export: too large', { type: 'export', format: 'json', data: 'x'.repeat(LIMITS.maxExportLength + 1) }],
  ['selectToken: no longer a message (the page keeps the token)', { type: 'selectToken', token: 3 }],
  ['errorAction: unknown action', { type: 'errorAction', action: 'rm -rf' }],
  ['errorAction: not a string', { type: 'errorAction', action: 1 }],
  ['errorAction: extra field', { type: 'errorAction', action: 'showLog', setting: 'x' }],
];

for (const [why, m] of bad) {
  test(`refuses ${why}`, () => assert.equal(isWebviewToHostMessage(m), false));
}
