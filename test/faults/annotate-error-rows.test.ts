// Defect 1 (issue 10): a row the model cannot run (longer than its context, or a 10 MB line) used
// to write a literal `undefined` line and leave a file no later run would open. Now it becomes an
// error row {id, line, error}, the run goes on, the summary counts it, a resume keeps it (it is
// not retried forever), --retry-errors runs it again, and every reader treats it as an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { summariseAnnotations } from '../../src/engine/experiments/annotate';
import { readResults } from '../../src/engine/experiments/annotate-summary';
import { LIMITS } from '../../src/protocol/limits';
import { inlineCell, inlineText, parseResults, resultsByLine, rowDetails } from '../../src/extension/experiments/results';
import { summaryBody } from '../../src/extension/experiments/render';
import { cli, FAST, noStack, tempDir, writeOverlongDataset } from './annotate-helpers';

test('an over-long row becomes an error row; the file resumes, twice, byte for byte', async () => {
  const dir = tempDir('errrow');
  const data = writeOverlongDataset(dir);
  const out = path.join(dir, 'r.jsonl');
  const first = await cli(['annotate', 'builtin', data, '--out', out, ...FAST, '--json']);
  assert.equal(first.code, 1, 'error rows leave the results incomplete: exit 1');
  assert.ok(noStack(first), first.err);
  const text = readFileSync(out, 'utf8');
  const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.map((l) => l.id), ['a', 'b', 'c'], text);
  assert.equal(lines[1].line, 2);
  assert.match(String(lines[1].error), /prompt tokens .* exceeds the model's context/);
  assert.deepEqual(Object.keys(lines[1]).sort(), ['error', 'id', 'line']);
  for (const i of [0, 2]) assert.equal(typeof lines[i].label, 'string');
  const s1 = JSON.parse(first.out) as { errors: number; failed: { id: string; line: number }[]; ran: number; counts: Record<string, number> };
  assert.equal(s1.errors, 1);
  assert.deepEqual(s1.failed.map((f) => [f.id, f.line]), [['b', 2]]);
  assert.equal(s1.counts.refusal + s1.counts.bypass + s1.counts.degenerate, 2);
  assert.match(first.err, /error row: data\.jsonl:2 \(id b\)/);

  // A plain resume: nothing to run (the error row is kept, not retried), the file unchanged.
  const second = await cli(['annotate', 'builtin', data, '--out', out, ...FAST]);
  assert.equal(second.code, 1, second.err);
  assert.match(second.out, /3 rows \(3 already done, 0 run now, 1 error\)/);
  assert.match(second.out, /errors 1/);
  assert.match(second.err, /1 error row\(s\) from an earlier run kept; --retry-errors/);
  assert.equal(readFileSync(out, 'utf8'), text);

  // --retry-errors runs it again: same failure, same bytes, the other rows untouched.
  const third = await cli(['annotate', 'builtin', data, '--out', out, ...FAST, '--retry-errors', '--json']);
  assert.equal(third.code, 1, third.err);
  const s3 = JSON.parse(third.out) as { ran: number; retried: number; resumed: number; errors: number };
  assert.deepEqual([s3.ran, s3.retried, s3.resumed, s3.errors], [1, 1, 2, 1]);
  assert.equal(readFileSync(out, 'utf8'), text);

  // Readers: the engine's summary, the editor's results, inline text and summary page.
  const { rows, errors } = readResults(out);
  assert.deepEqual([rows.length, errors.length], [2, 1]);
  const sum = summariseAnnotations([...rows, ...errors]);
  assert.equal(sum.errors, 1);
  assert.equal(sum.counts.refusal + sum.counts.bypass + sum.counts.degenerate, 2);
  const parsed = parseResults(text);
  assert.equal(parsed.bad, 0, 'the editor reads an error row as a row, not as a bad line');
  const b = parsed.rows.get('b')!;
  assert.equal(inlineCell(b), undefined);
  assert.match(inlineText(b), /^error · prompt: /);
  assert.match(rowDetails(b), /error, id b/);
  assert.deepEqual(resultsByLine(readFileSync(data, 'utf8'), parsed.rows).map((r) => r.id), ['a', 'b', 'c']);
  const page = summaryBody({ dataset: 'data.jsonl', results: 'r.jsonl', counts: sum.counts, errors: sum.errors, projections: sum.projections, bad: 0, running: false });
  assert.match(page, /<tr data-label="error"><td>error<\/td><td>1<\/td>/);
});

test('a line over the prompt size limit is an error row at once, without tokenizing it', async () => {
  const dir = tempDir('bigline');
  const data = path.join(dir, 'big.jsonl');
  writeFileSync(data, [JSON.stringify({ id: 'a', prompt: 'hi' }), JSON.stringify({ id: 'big', prompt: 'word '.repeat(Math.ceil(LIMITS.promptChars / 5) + 1) }), JSON.stringify({ id: 'c', prompt: 'hello' })].join('\n') + '\n');
  const out = path.join(dir, 'r.jsonl');
  const r = await cli(['annotate', 'builtin', data, '--out', out, ...FAST], { timeoutMs: 30000 });
  assert.equal(r.code, 1, r.err);
  assert.ok(noStack(r), r.err);
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { id: string; error?: string });
  assert.deepEqual(lines.map((l) => l.id), ['a', 'big', 'c']);
  // The length check's reason, not the tokenizer's context error: the line was never tokenized
  // (that alone takes ~10 s for it on the built-in model).
  assert.match(lines[1].error!, new RegExp(`characters is over the limit of ${LIMITS.promptChars}`));
});
