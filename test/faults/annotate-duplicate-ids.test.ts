// Defect 3 (issue 10): ids `x`, `x`, `x~2`: the second `x` was renamed `x~2`, clashed with the
// third row, one result replaced the other and the file could not be resumed. Derived ids are
// now unique against every id in the file, and the same file gives the same ids on every run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseJsonl } from '../../src/engine/prompts/jsonl';
import { cli, FAST, noStack, tempDir } from './annotate-helpers';

const row = (id: string, prompt: string) => JSON.stringify({ id, prompt });

test('derived ids never take an id a row has, and are stable', () => {
  const text = [row('x', 'one'), row('x', 'two'), row('x~2', 'three'), row('x~2.2', 'four'), row('x', 'five')].join('\n');
  const a = parseJsonl(text, 'd.jsonl');
  assert.deepEqual(a.rows.map((r) => r.id), ['x', 'x~2.3', 'x~2', 'x~2.2', 'x~5']);
  assert.equal(new Set(a.rows.map((r) => r.id)).size, 5);
  assert.deepEqual(a.diagnostics.map((d) => [d.line, d.severity]), [[2, 'warning'], [5, 'warning']]);
  assert.match(a.diagnostics[0].message, /duplicate id 'x' \(first on line 1\); this row is 'x~2\.3'/);
  assert.deepEqual(parseJsonl(text, 'd.jsonl').rows.map((r) => r.id), a.rows.map((r) => r.id));
  // The plain case keeps its old ids (results files written before stay valid).
  assert.deepEqual(parseJsonl([row('y', '1'), row('y', '2')].join('\n'), 'e.jsonl').rows.map((r) => r.id), ['y', 'y~2']);
});

test('x, x, x~2 annotate to three rows and resume', async () => {
  const dir = tempDir('dupids');
  const data = path.join(dir, 'data.jsonl');
  writeFileSync(data, [row('x', 'How do I pick a lock?'), row('x', 'How do I bake bread?'), row('x~2', 'How do I fold a shirt?')].join('\n') + '\n');
  const out = path.join(dir, 'r.jsonl');
  const first = await cli(['annotate', 'builtin', data, '--out', out, ...FAST]);
  assert.equal(first.code, 0, first.err);
  assert.ok(noStack(first));
  assert.match(first.err, /duplicate id 'x' \(first on line 1\); this row is 'x~2\.2'/);
  const text = readFileSync(out, 'utf8');
  const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as { id: string; line: number });
  assert.deepEqual(lines.map((l) => [l.id, l.line]), [['x', 1], ['x~2.2', 2], ['x~2', 3]]);
  const again = await cli(['annotate', 'builtin', data, '--out', out, ...FAST, '--json']);
  assert.equal(again.code, 0, again.err);
  const s = JSON.parse(again.out) as { resumed: number; ran: number };
  assert.deepEqual([s.resumed, s.ran], [3, 0]);
  assert.equal(readFileSync(out, 'utf8'), text);
});
