// The editor's experiment views, pure parts: results file paths, reading a results file that a
// run may still be writing, results following their rows by id when lines move, the inline
// text, condition-issue underlines, the summary's box plots and the receipt page.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { summariseAnnotations, type AnnotationRow } from '../../src/engine/experiments/annotate';
import { summarise, type Receipt } from '../../src/engine/experiments/receipt';
import { parseJsonl } from '../../src/engine/prompts/index';
import { issueSpan, issuesSummary } from '../../src/extension/experiments/conditionIssues';
import { boxPlotSvg, escapeHtml, page, receiptBody, receiptProblem, summaryBody } from '../../src/extension/experiments/render';
import {
  fmt, inlineCell, inlineText, isResultsFile, parseResults, progressMessage, resultsByLine, resultsPathFor, rowDetails, type LabelledRow,
} from '../../src/extension/experiments/results';

function row(id: string, label: LabelledRow['label'], score: number, proj: Record<string, Record<string, Record<string, number>>> = {}): LabelledRow {
  return { id, line: 1, label, refusalScore: score, projections: proj as LabelledRow['projections'] };
}

test('results file path: next to the dataset by default, or the setting pattern', () => {
  assert.equal(resultsPathFor('/data/set.jsonl'), '/data/set.results.jsonl');
  assert.equal(resultsPathFor('/data/set.jsonl', '${dir}/out/${name}-r.jsonl'), '/data/out/set-r.jsonl');
  assert.equal(resultsPathFor('/data/set.jsonl', 'runs/${name}.jsonl'), path.resolve('/data/runs/set.jsonl'));
  assert.equal(resultsPathFor('/data/set.jsonl', '/abs/x.jsonl'), '/abs/x.jsonl');
  assert.ok(isResultsFile('/data/set.results.jsonl'));
  assert.ok(!isResultsFile('/data/set.jsonl'));
});

test('parseResults keys by id, skips bad lines, and ignores a half-written last line', () => {
  const a = JSON.stringify(row('a', 'refusal', 2));
  const b = JSON.stringify(row('b', 'bypass', -1));
  const text = `${a}\nnot json\n{"id": 3}\n\n${b}\n{"id": "c", "label": "refu`;
  const { rows, bad } = parseResults(text);
  assert.deepEqual([...rows.keys()], ['a', 'b']);
  assert.equal(bad, 2);
  assert.equal((rows.get('b') as LabelledRow).label, 'bypass');
  // Once the line is complete it counts.
  const full = parseResults(`${a}\n${JSON.stringify(row('c', 'degenerate', 0))}\n`);
  assert.deepEqual([...full.rows.keys()], ['a', 'c']);
  assert.equal(parseResults('').rows.size, 0);
});

test('results follow their rows by id when lines move; an edited row without id loses its result', () => {
  const l1 = '{"id": "x", "prompt": "How do I pick a lock?"}';
  const l2 = '{"prompt": "How do I bake bread?"}';
  const l3 = '{"id": "z", "prompt": "Tell me a joke."}';
  const before = [l1, l2, l3].join('\n');
  const ids = parseJsonl(before, 'd').rows.map((r) => r.id);
  assert.equal(ids[1]!.length, 12, 'a row without id gets a content hash id');
  const results = new Map(ids.map((id, i) => [id, row(id, i === 0 ? 'refusal' : 'bypass', i)]));
  assert.deepEqual(resultsByLine(before, results).map((r) => [r.line, r.id]), [[0, 'x'], [1, ids[1]], [2, 'z']]);
  // Reordered, with a new line on top and an unreadable line in between.
  const after = ['{"id": "new", "prompt": "Fresh"}', l3, '{broken', l1, l2].join('\n');
  assert.deepEqual(resultsByLine(after, results).map((r) => [r.line, r.id, (r.row as LabelledRow).refusalScore]), [[1, 'z', 2], [3, 'x', 0], [4, ids[1], 1]]);
  // Editing the prompt of the id-less row changes its id: its old result no longer applies.
  const edited = [l1, '{"prompt": "How do I bake rye bread?"}', l3].join('\n');
  assert.deepEqual(resultsByLine(edited, results).map((r) => r.id), ['x', 'z']);
  assert.deepEqual(resultsByLine(before, new Map()), []);
});

test('inline text: label, score and each axis at the chosen (or last) layer and first position', () => {
  const r = row('a', 'refusal', 0.91234, {
    persona: { '1': { last_prompt: -1.234, response_mean: 2 }, '10': { last_prompt: -0.5 }, '3': { last_prompt: 7.891 } },
    refusal: { '1': { last_prompt: 4.5 }, '10': { last_prompt: 12345.6 } },
  });
  // Layers sort numerically: 10 is the last, not 3.
  assert.deepEqual(inlineCell(r), { layer: '10', position: 'last_prompt' });
  assert.equal(inlineText(r), 'refusal · score 0.912 · persona −0.5 · refusal 12346 @ L10 last_prompt');
  assert.equal(inlineText(r, { layer: 1, position: 'response_mean' }), 'refusal · score 0.912 · persona 2 · refusal – @ L1 response_mean');
  assert.equal(inlineText(r, { layer: 7 }), inlineText(r), 'a layer the row lacks falls back to the last');
  assert.equal(inlineText(row('b', 'bypass', -3)), 'bypass · score −3');
  assert.equal(fmt(-0.000123456), '−0.000123');
  const details = rowDetails({ ...r, response: 'x'.repeat(300) });
  assert.match(details, /^refusal \(refusal score 0\.912\), id a/);
  assert.match(details, /persona L1: last_prompt −1\.23, response_mean 2/);
  assert.ok(details.endsWith('…'));
});

test('progress message: counts, percent and the ETA while running', () => {
  assert.equal(progressMessage({ runId: 'r', phase: 'annotate', done: 12, total: 40, etaMs: 65_000 }), '12/40 · 30% · ETA 1 min 05 s');
  assert.equal(progressMessage({ runId: 'r', phase: 'annotate', done: 40, total: 40, etaMs: 0 }), '40/40 · 100%');
  assert.equal(progressMessage({ runId: 'r', phase: 'extract: positive set', done: 0, total: 0 }), 'extract: positive set: 0/0 · 0%');
});

test('condition issues underline the value at their line and column, without a trailing comment', () => {
  const lines = ['sets:', '  harmful: builtin:harmful', 'decoding:', '  maxNewTokens: -3   # too few', ''];
  const s = issueSpan({ file: 'c.yaml', line: 4, column: 3, field: 'decoding.maxNewTokens', message: 'must be ≥ 1' }, lines);
  assert.deepEqual(s, { line: 3, start: 2, end: 18, message: 'decoding.maxNewTokens: must be ≥ 1' });
  assert.equal(lines[3]!.slice(s.start, s.end), 'maxNewTokens: -3');
  // Past the end of the file, or on an empty line: still a visible one-character range.
  const far = issueSpan({ file: 'c.yaml', line: 99, column: 1, field: '', message: 'x' }, lines);
  assert.deepEqual([far.line, far.start, far.end, far.message], [4, 0, 1, 'x']);
  assert.deepEqual(issueSpan({ file: 'c', line: 1, column: 50, field: 'f', message: 'm' }, []).end, 1);
  assert.equal(
    issuesSummary('c.yaml', [{ file: 'c.yaml', line: 4, column: 3, field: 'decoding.maxNewTokens', message: 'must be ≥ 1' }, { file: 'c.yaml', line: 7, column: 5, field: 'x', message: 'y' }]),
    'c.yaml has 2 problems (see Problems). First: line 4, decoding.maxNewTokens: must be ≥ 1',
  );
});

function annotationRows(): AnnotationRow[] {
  const out: AnnotationRow[] = [];
  for (let i = 0; i < 20; i++) {
    const label = i < 12 ? 'refusal' : i < 18 ? 'bypass' : 'degenerate';
    // refusal rows project high on "ax<1>", bypass rows low
    const v = label === 'refusal' ? 5 + (i % 4) : label === 'bypass' ? -3 - (i % 3) : 0.5;
    out.push({ id: `r${i}`, line: i + 1, response: '', label, refusalScore: v / 2, projections: { 'ax<1>': { '2': { last_prompt: v, response_mean: -v } } } });
  }
  return out;
}

test('box plot: one group per label on a shared scale, ordered quantiles, escaped names, deterministic', () => {
  const s = summariseAnnotations(annotationRows());
  const p = s.projections.find((x) => x.position === 'last_prompt')!;
  const svg = boxPlotSvg(p);
  assert.equal(svg, boxPlotSvg(p));
  assert.match(svg, /^<svg [^>]*aria-label="ax&lt;1&gt; · layer 2 · last_prompt"/);
  assert.ok(!svg.includes('ax<1>'));
  const groups = [...svg.matchAll(/<g data-label="(\w+)" data-n="(\d+)">(.*?)<\/g>/g)].map((m) => ({ label: m[1], n: Number(m[2]), body: m[3]! }));
  assert.deepEqual(groups.map((g) => [g.label, g.n]), [['refusal', 12], ['bypass', 6], ['degenerate', 2]]);
  const xOf = (body: string) => {
    const rect = /<rect x="([\d.]+)"[^>]*width="([\d.]+)"/.exec(body)!;
    const med = /<line x1="([\d.]+)" x2="\1" y1="[\d.]+" y2="[\d.]+" stroke="[^"]+" stroke-width="2"/.exec(body)!;
    return { q25: Number(rect[1]), q75: Number(rect[1]) + Number(rect[2]), median: Number(med[1]) };
  };
  const refusal = xOf(groups[0]!.body);
  const bypass = xOf(groups[1]!.body);
  assert.ok(refusal.q25 <= refusal.median && refusal.median <= refusal.q75);
  // Refusal rows project higher than bypass rows: their box lies to the right.
  assert.ok(bypass.q75 < refusal.q25, `bypass box ends at ${bypass.q75}, refusal box starts at ${refusal.q25}`);
  // A single value still gives a finite scale.
  const one = boxPlotSvg({ axis: 'a', layer: '0', position: 'last_prompt', byLabel: { refusal: { n: 1, mean: 0, q: [0, 0, 0, 0, 0] } } });
  assert.ok(!/NaN|Infinity/.test(one));
});

test('summary page: counts with shares, a plot per layer and position, pending rows, no script', () => {
  const s = summariseAnnotations(annotationRows());
  const body = summaryBody({ dataset: 'd<1>.jsonl', results: 'd.results.jsonl', counts: s.counts, projections: s.projections, pending: 3, bad: 1 });
  assert.match(body, /<tr data-label="refusal"><td>refusal<\/td><td>12<\/td><td>60\.0%<\/td><\/tr>/);
  assert.match(body, /<tr data-label="degenerate"><td>degenerate<\/td><td>2<\/td><td>10\.0%<\/td><\/tr>/);
  assert.equal((body.match(/<svg /g) ?? []).length, 2);
  assert.match(body, /3 dataset rows not annotated yet/);
  assert.match(body, /1 unreadable line in the results file/);
  assert.ok(body.includes('d&lt;1&gt;.jsonl'));
  const html = page({ title: 't', body, cspSource: 'vscode-resource:', nonce: 'abc' });
  const csp = /Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!;
  assert.match(csp, /default-src 'none'/);
  assert.ok(!/script-src/.test(csp) && !html.includes('<script'));
  assert.match(html, /<style nonce="abc">/);
  assert.match(summaryBody({ dataset: 'd', results: 'r', counts: { refusal: 0, bypass: 0, degenerate: 0 }, projections: [] }), /No projections/);
});

test('receipt page: one row per condition with rates and intervals, charts as images, escaped text', () => {
  const cond = (name: string, labels: ('refusal' | 'bypass')[]) => ({
    name, set: 'harmful', systemPrompts: [''], interventions: name === 'baseline' ? [] : [{ kind: 'steer' as const, axis: 'persona', coefficient: 4, layers: [4, 5, 6] }],
    ...summarise(labels, labels.map((l) => (l === 'refusal' ? 3 : -2))),
  });
  const receipt = {
    schema: 'refusal-lens.receipt/1', title: 'Gate <test>', toolVersion: '0', conditionFile: { file: 'c.yaml', sha256: 'f'.repeat(64) },
    model: { name: 'm', modelType: 'llama', layers: 8, dModel: 16, dtype: 'fp32', graphHash: 'a'.repeat(64), tokenizerHash: 'b'.repeat(64) },
    sets: [], axes: [], decoding: { maxNewTokens: 4 }, batchSize: 8,
    conditions: [cond('baseline', ['refusal', 'refusal', 'refusal', 'bypass']), cond('steer & co', ['bypass', 'bypass', 'bypass', 'refusal'])],
    sweeps: [], hash: 'c'.repeat(64), created: '2026-01-01T00:00:00Z',
  } as unknown as Receipt;
  assert.equal(receiptProblem(receipt), undefined);
  assert.match(receiptProblem({ schema: 'other' })!, /not a refusal receipt/);
  assert.match(receiptProblem(null)!, /not a JSON object/);
  const body = receiptBody(receipt, [{ name: 'Rates per condition', src: 'https://file+.vscode-resource/x/rates.svg' }], ['receipt.md']);
  assert.match(body, /<h1>Gate &lt;test&gt;<\/h1>/);
  const rows = [...body.matchAll(/<tr data-condition="([^"]+)">(.*?)<\/tr>/g)];
  assert.deepEqual(rows.map((r) => r[1]), ['baseline', 'steer &amp; co']);
  assert.match(rows[0]![2]!, /<td>4<\/td><td>75\.0% <span class="muted">\[\d+\.\d, \d+\.\d\]<\/span><\/td>/);
  assert.match(rows[1]![2]!, /steer persona \+4 @ L4-6/);
  assert.match(rows[0]![2]!, /<td class="text">none<\/td>/);
  assert.match(body, /<img class="chart" alt="Rates per condition" src="https:\/\/file\+\.vscode-resource\/x\/rates\.svg">/);
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});
