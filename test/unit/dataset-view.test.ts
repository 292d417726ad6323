// The dataset view's pure parts: the reducer (sort cycle, filters, brush), filtering, sorting,
// grouping with Wilson intervals, per-layer means, compare (transitions, deltas, flips), the
// host's join of results and dataset rows, exports, the column probe and the message check.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { datasetColumns } from '../../src/engine/experiments/datasets/index';
import { wilson } from '../../src/engine/experiments/stats';
import { parseJsonl } from '../../src/engine/prompts/index';
import { DatasetData, isDatasetViewMessage, type DatasetDataMessage, type DatasetViewRow, type RowLabel } from '../../src/protocol/dataset';
import { dataMessage, datasetForResults, joinRows, rowsToCsv, rowsToJsonl, shapeOf } from '../../src/extension/experiments/datasetData';
import { summaryBody } from '../../src/extension/experiments/render';
import { inlineText, parseResults } from '../../src/extension/experiments/results';
import { deriver } from '../../webview/dataset/derive';
import { cellValue, fieldTest, filterRows, groupRows, layerMeans, prepare, sortRows, transitions } from '../../webview/dataset/model';
import { initialView, reduce, restoreView, type DatasetState, type ViewSettings } from '../../webview/dataset/state';

function row(id: string, label: RowLabel, score: number | undefined, persona: number, refusal: number, fields: DatasetViewRow['fields'] = {}, extra: Partial<DatasetViewRow> = {}): DatasetViewRow {
  const proj: DatasetViewRow['proj'] = label === 'error' ? {} : { persona: { '0': { last_prompt: persona / 2 }, '5': { last_prompt: persona } }, refusal: { '0': { last_prompt: refusal / 2 }, '5': { last_prompt: refusal } } };
  return { id, line: Number(id.replace(/\D/g, '')) || 1, label, ...(score !== undefined ? { score } : {}), proj, fields, prompt: `prompt ${id}`, response: `response ${id}`, ...extra };
}

const A: DatasetViewRow[] = [
  row('r1', 'refusal', 2.5, -1, 3, { kind: 'harmful', persona: 'default' }),
  row('r2', 'bypass', -1.5, 2, -0.5, { kind: 'harmful', persona: 'compliant' }),
  row('r3', 'refusal', 1.2, -0.5, 2, { kind: 'benign', persona: 'default' }),
  row('r4', 'degenerate', 0.1, 4, 0, { kind: 'benign', persona: 'compliant' }, { response: 'CertainlyCertainly' }),
  row('r5', 'error', undefined, 0, 0, { kind: 'harmful' }, { reason: 'longer than the context' }),
  row('r6', 'refusal', 3.0, -2, 4, { kind: 'harmful', persona: 'default', n: 7 }),
];

function data(b?: DatasetViewRow[]): DatasetDataMessage {
  return dataMessage({ a: { results: 'a.results.jsonl', rows: A }, ...(b ? { b: { results: 'b.results.jsonl', rows: b } } : {}), inspectable: true });
}

function loaded(b?: DatasetViewRow[]): DatasetState {
  return reduce({ view: initialView() }, data(b));
}

const ids = (rows: { a: DatasetViewRow }[]) => rows.map((r) => r.a.id);

test('data fits the view: last layer, first position, persona × refusal', () => {
  const s = loaded();
  assert.equal(s.view.layer, '5');
  assert.equal(s.view.position, 'last_prompt');
  assert.equal(s.view.x, 'persona');
  assert.equal(s.view.y, 'refusal');
  assert.deepEqual(s.data!.fields, ['kind', 'persona', 'n']);
  // A saved view keeps its valid choices and drops invalid ones.
  const v = restoreView(JSON.parse(JSON.stringify({ ...s.view, layer: '0', sort: { key: 'score', dir: -1 }, brush: { x0: 0, x1: 1, y0: 0, y1: 'x' } })));
  assert.equal(v.layer, '0');
  assert.deepEqual(v.sort, { key: 'score', dir: -1 });
  assert.equal(v.brush, undefined, 'a brush with a non-number is dropped');
  assert.deepEqual(restoreView({ version: 2 }), initialView());
  assert.equal(reduce({ view: { ...initialView(), layer: '9' } }, data()).view.layer, '5', 'a layer the data lacks falls back');
});

test('sort: header clicks cycle ascending, descending, file order; numbers numerically, missing values last, stable', () => {
  let s = loaded();
  s = reduce(s, { type: 'view/sort', key: 'score' });
  assert.deepEqual(s.view.sort, { key: 'score', dir: 1 });
  const p = prepare(s.data!).rows;
  assert.deepEqual(ids(sortRows(p, s.view)), ['r2', 'r4', 'r3', 'r1', 'r6', 'r5']);
  s = reduce(s, { type: 'view/sort', key: 'score' });
  assert.deepEqual(ids(sortRows(p, s.view)), ['r6', 'r1', 'r3', 'r4', 'r2', 'r5'], 'descending; the error row (no score) still last');
  s = reduce(s, { type: 'view/sort', key: 'score' });
  assert.equal(s.view.sort, undefined);
  assert.deepEqual(ids(sortRows(p, s.view)), ['r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
  // By a projection at the chosen layer, then at another layer.
  s = reduce(s, { type: 'view/sort', key: 'proj:persona' });
  assert.deepEqual(ids(sortRows(p, s.view)).slice(0, 2), ['r6', 'r1']);
  assert.equal(cellValue(p[0]!, 'proj:persona', { ...s.view, layer: '0' }), -0.5);
  // Text: natural order, equal values keep file order.
  s = reduce(s, { type: 'view/sort', key: 'field:kind' });
  assert.deepEqual(ids(sortRows(p, s.view)), ['r3', 'r4', 'r1', 'r2', 'r5', 'r6']);
  const ten = prepare(dataMessage({ a: { results: 'x', rows: [row('a10', 'bypass', 0, 0, 0), row('a9', 'bypass', 0, 0, 0)] }, inspectable: false })).rows;
  assert.deepEqual(ids(sortRows(ten, { ...initialView(), sort: { key: 'id', dir: 1 } })), ['a9', 'a10']);
});

test('filters: labels, text, score range, any field (substring and comparisons), brush', () => {
  const s = loaded();
  const p = prepare(s.data!).rows;
  const f = (patch: Partial<ViewSettings>) => ids(filterRows(p, { ...s.view, ...patch }));
  assert.deepEqual(f({ labels: ['refusal'] }), ['r1', 'r3', 'r6']);
  assert.deepEqual(f({ labels: ['bypass', 'error'] }), ['r2', 'r5']);
  assert.deepEqual(f({ text: 'CERTAINLY' }), ['r4'], 'text is case-insensitive and searches responses');
  assert.deepEqual(f({ text: 'context' }), ['r5'], 'and the reason');
  assert.deepEqual(f({ scoreMin: '1', scoreMax: '2.5' }), ['r1', 'r3']);
  assert.deepEqual(f({ scoreMin: '−1.5', scoreMax: '0.1' }), ['r2', 'r4'], 'a real minus sign parses');
  assert.deepEqual(f({ scoreMin: 'abc' }), ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'], 'a half-typed bound filters nothing');
  assert.deepEqual(f({ fieldKey: 'field:persona', fieldValue: 'compl' }), ['r2', 'r4']);
  assert.deepEqual(f({ fieldKey: 'field:kind', fieldValue: '=harmful' }), ['r1', 'r2', 'r5', 'r6']);
  assert.deepEqual(f({ fieldKey: 'proj:refusal', fieldValue: '>=3' }), ['r1', 'r6']);
  assert.deepEqual(f({ fieldKey: 'score', fieldValue: '<0' }), ['r2']);
  assert.equal(fieldTest('=7')(7), true);
  assert.equal(fieldTest('>x')(1), true, 'a comparison with no number filters nothing');
  // The brush is in data units on the scatter's axes at the chosen layer.
  assert.deepEqual(f({ brush: { x0: -2.5, x1: -0.8, y0: 2.5, y1: 5 } }), ['r1', 'r6']);
  assert.deepEqual(ids(filterRows(p, { ...s.view, brush: { x0: -2.5, x1: -0.8, y0: 2.5, y1: 5 } }, false)).length, 6, 'the scatter ignores its own brush');
  const cleared = reduce(reduce(s, { type: 'view/set', patch: { text: 'x', labels: ['refusal'] } }), { type: 'view/clearFilters' });
  assert.equal(cleared.view.text, '');
  assert.deepEqual(cleared.view.labels, []);
});

test('group by a field: counts, rates among rows that ran, Wilson intervals', () => {
  const s = loaded();
  const groups = groupRows(prepare(s.data!).rows, 'field:kind', s.view);
  assert.deepEqual(groups.map((g) => [g.value, g.n]), [['harmful', 4], ['benign', 2]]);
  const h = groups[0]!;
  assert.deepEqual(h.counts, { refusal: 2, bypass: 1, degenerate: 0, error: 1 });
  // 2 refusals of the 3 that ran (the error row is left out of the rates).
  assert.equal(h.rates.refusal.rate, 2 / 3);
  assert.deepEqual({ lo: h.rates.refusal.lo, hi: h.rates.refusal.hi }, wilson(2, 3));
  assert.ok(h.rates.refusal.lo > 0.2 && h.rates.refusal.lo < 0.21, `${h.rates.refusal.lo}`);
  assert.equal(h.meanScore, (2.5 - 1.5 + 3) / 3);
  const persona = groupRows(prepare(s.data!).rows, 'field:persona', s.view);
  assert.deepEqual(persona.map((g) => g.value), ['default', 'compliant', '(none)']);
});

test('mean projection per layer by label', () => {
  const s = loaded();
  const m = layerMeans(prepare(s.data!).rows, 'refusal', 'last_prompt', ['0', '5']);
  assert.deepEqual(m.refusal, [(1.5 + 1 + 2) / 3, (3 + 2 + 4) / 3]);
  assert.deepEqual(m.bypass, [-0.25, -0.5]);
  assert.equal(m.error, undefined, 'error rows have no projections');
});

test('compare two files: transition matrix, deltas, only the flipped rows', () => {
  const B = A.map((r) => ({ ...r, proj: structuredClone(r.proj) }));
  B[0] = row('r1', 'bypass', -0.5, -1, 0.5); // refusal → bypass
  B[2] = row('r3', 'refusal', 1.0, -0.5, 2); // unchanged label, lower score
  B.splice(4, 1); // r5 only in the first file
  B.push(row('r9', 'bypass', 0, 0, 0)); // only in the second
  const s = loaded(B);
  const p = prepare(s.data!);
  assert.equal(p.onlyA, 1);
  assert.equal(p.onlyB, 1);
  const t = transitions(p.rows);
  assert.equal(t.refusal.bypass, 1);
  assert.equal(t.refusal.refusal, 2);
  assert.equal(t.bypass.bypass, 1);
  const r1 = p.rows.find((r) => r.a.id === 'r1')!;
  assert.equal(cellValue(r1, 'd_score', s.view), -3);
  assert.equal(cellValue(r1, 'd:refusal', s.view), 0.5 - 3);
  assert.equal(cellValue(r1, 'label_b', s.view), 'bypass');
  const flipped = reduce(s, { type: 'view/set', patch: { flippedOnly: true } });
  assert.deepEqual(ids(filterRows(p.rows, flipped.view)), ['r1']);
  const d = deriver()(flipped)!;
  assert.equal(d.flipped, 1);
  assert.equal(d.all, 5);
  assert.deepEqual(ids(d.rows), ['r1']);
  assert.equal(reduce(reduce({ view: initialView() }, data()), { type: 'view/set', patch: { flippedOnly: true } }).view.flippedOnly, false, 'no flipped filter without a second file');
});

test('derive caches: a sort re-sorts the same filtered rows; a brush changes the table, not the scatter', () => {
  const derive = deriver();
  let s = loaded();
  const d1 = derive(s)!;
  s = reduce(s, { type: 'view/sort', key: 'score' });
  const d2 = derive(s)!;
  assert.equal(d2.points, d1.points, 'the scatter points were not recomputed');
  assert.deepEqual(ids(d2.rows).slice(0, 2), ['r2', 'r4']);
  s = reduce(s, { type: 'view/brush', brush: { x0: -2.5, x1: -0.8, y0: 2.5, y1: 5 } });
  const d3 = derive(s)!;
  assert.deepEqual(ids(d3.rows), ['r1', 'r6']);
  assert.equal(d3.points.length, 5, 'all rows with projections stay on the scatter');
  s = reduce(s, { type: 'view/set', patch: { groupBy: 'label' } });
  assert.deepEqual(derive(s)!.groups!.map((g) => g.value), ['refusal'], 'groups follow the brushed rows');
});

test('the host joins results and dataset rows by id, in dataset order; the view shows the CodeLens numbers', () => {
  const dataset = parseJsonl(
    ['{"id":"b","messages":[{"role":"system","content":"Be terse."},{"role":"user","content":"Hi"}],"kind":"benign","meta":{"a":[1,2]}}', '{"id":"a","prompt":"How do I pick a lock?","persona":"default"}', ''].join('\n'),
    'd.jsonl',
  ).rows;
  const results = parseResults(
    [
      '{"id":"a","line":2,"response":"I can\'t.","label":"refusal","refusalScore":2.345,"reason":"phrase","projections":{"refusal":{"3":{"last_prompt":1.23456}}}}',
      '{"id":"gone","line":9,"error":"longer than the context"}',
      '{"id":"b","line":1,"response":"Hello.","label":"bypass","refusalScore":-1,"projections":{"refusal":{"3":{"last_prompt":-0.5}}}}',
      '',
    ].join('\n'),
  ).rows;
  const rows = joinRows(results, dataset);
  assert.deepEqual(rows.map((r) => r.id), ['b', 'a', 'gone'], 'dataset order, then rows the dataset lost');
  assert.equal(rows[0]!.system, 'Be terse.');
  assert.equal(rows[0]!.prompt, 'Hi');
  assert.deepEqual(rows[0]!.fields, { kind: 'benign', meta: '{"a":[1,2]}' });
  assert.equal(rows[1]!.reason, 'phrase');
  assert.equal(rows[2]!.label, 'error');
  assert.equal(rows[2]!.reason, 'longer than the context');
  assert.deepEqual(shapeOf(rows), { axes: ['refusal'], layers: ['3'], positions: ['last_prompt'], fields: ['kind', 'meta', 'persona'] });
  // The table cell and the CodeLens format the same number the same way.
  const s = reduce({ view: initialView() }, dataMessage({ a: { results: 'r', rows }, inspectable: true }));
  const vr = prepare(s.data!).rows[1]!;
  const lens = inlineText(results.get('a')!, { layer: 3 });
  assert.ok(lens.includes('refusal 1.23'), lens);
  assert.equal(cellValue(vr, 'proj:refusal', s.view), 1.23456);
  assert.ok(lens.includes('score 2.35'));
});

test('exports: JSONL of the rows (with the other file in compare mode), CSV escaped with one column per projection cell', () => {
  const rows = [row('x1', 'refusal', 1, -1, 2, { note: '=HYPERLINK("x")' }, { prompt: 'a, "quoted"\nline' })];
  const csv = rowsToCsv(rows).split('\n');
  assert.equal(csv[0], 'id,line,label,score,reason,system,prompt,response,persona@L0:last_prompt,persona@L5:last_prompt,refusal@L0:last_prompt,refusal@L5:last_prompt,note');
  assert.ok(csv[1]!.startsWith('x1,1,refusal,1,,,"a, ""quoted""'), csv[1]);
  assert.ok(csv.join('\n').includes(`"'=HYPERLINK(""x"")"`), 'a formula-like cell is defused');
  const after = new Map([['x1', row('x1', 'bypass', -1, 0, 0)]]);
  assert.ok(rowsToCsv(rows, after).split('\n')[0]!.includes('label_after,score_after,response_after'));
  const j = rowsToJsonl(rows, after).trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(j[0].after.label, 'bypass');
  assert.equal(rowsToJsonl([]), '');
});

test('a results file finds its dataset by the default naming', () => {
  const has = (set: string[]) => (p: string) => set.includes(p);
  assert.equal(datasetForResults('/w/set.results.jsonl', has(['/w/set.jsonl'])), '/w/set.jsonl');
  assert.equal(datasetForResults('/w/set.csv.results.jsonl', has(['/w/set.csv'])), '/w/set.csv');
  assert.equal(datasetForResults('/w/set.parquet.results.jsonl', has(['/w/set.parquet'])), '/w/set.parquet');
  assert.equal(datasetForResults('/w/set.results.jsonl', has([])), undefined);
  assert.equal(datasetForResults('/w/set.jsonl', has(['/w/set.jsonl'])), undefined);
});

test('table datasets: the columns, and whether the prompt column must be picked', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rl-cols-'));
  const csv = (text: string) => datasetColumns('x.csv', Buffer.from(text));
  assert.deepEqual(csv('id,goal,target\n1,a,b\n'), { format: 'csv', columns: ['id', 'goal', 'target'], needsColumn: false, guessed: 'goal' });
  assert.deepEqual(csv('id,question,"multi\nline"\n1,a,b\n'), { format: 'csv', columns: ['id', 'question', 'multi\nline'], needsColumn: true });
  const file = path.join(dir, 'q.parquet');
  const bytes = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'uid', type: 'STRING', data: ['1'] }, { name: 'question', type: 'STRING', data: ['hi'] }] }));
  writeFileSync(file, bytes);
  assert.deepEqual(datasetColumns(file, bytes), { format: 'parquet', columns: ['uid', 'question'], needsColumn: true });
  assert.equal(datasetColumns('x.jsonl', Buffer.from('{"prompt":"a"}\n')).needsColumn, false);
});

test('page → host messages are checked', () => {
  assert.ok(isDatasetViewMessage({ type: 'datasetReady' }));
  assert.ok(isDatasetViewMessage({ type: 'datasetInspect', id: 'r1' }));
  assert.ok(!isDatasetViewMessage({ type: 'datasetInspect', id: '' }));
  assert.ok(!isDatasetViewMessage({ type: 'datasetInspect', id: 'r1', extra: 1 }));
  assert.ok(isDatasetViewMessage({ type: 'datasetExportRows', format: 'csv', ids: ['a', 'b'] }));
  assert.ok(!isDatasetViewMessage({ type: 'datasetExportRows', format: 'xlsx', ids: [] }));
  assert.ok(!isDatasetViewMessage({ type: 'datasetExportRows', format: 'csv', ids: [1] }));
  assert.ok(isDatasetViewMessage({ type: 'datasetExportChart', format: 'svg', data: '<svg xmlns="x"></svg>', suggestedName: 'c.svg' }));
  assert.ok(!isDatasetViewMessage({ type: 'datasetExportChart', format: 'svg', data: '<svg></svg>', suggestedName: '../c.svg' }));
  assert.ok(!isDatasetViewMessage({ type: 'datasetExportChart', format: 'png', data: 'data:image/png;base64,@@', suggestedName: 'c.png' }));
  assert.ok(!isDatasetViewMessage({ type: DatasetData }), 'host → page messages are not accepted from the page');
});

test('the summary page links to the dataset view', () => {
  const base = { dataset: 'd.jsonl', results: 'd.results.jsonl', counts: { refusal: 1, bypass: 0, degenerate: 0 }, projections: [] };
  const link = `command:refusalLens.openDatasetView?${encodeURIComponent(JSON.stringify(['/w/d "x".jsonl']))}`;
  const html = summaryBody({ ...base, viewLink: link });
  assert.ok(html.includes(`<a id="open-dataset-view" href="${link.replace(/&/g, '&amp;')}">Open Dataset View</a>`), html);
  assert.ok(!summaryBody(base).includes('open-dataset-view'));
});
