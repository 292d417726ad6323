// Issue 10, defect 10 (part): a malformed receipt.json (bad JSON, another schema, a missing or
// mistyped field) gets one clear message naming the file and the field; whatever the one shape
// check accepts, the receipt view and the Markdown/LaTeX/CSV renderers can render without throwing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { receiptBody, receiptProblem } from '../../src/extension/experiments/render';
import { receiptHash, receiptJson, summarise, type Receipt } from '../../src/engine/experiments/receipt';
import { receiptCsv, receiptLatex, receiptMarkdown } from '../../src/engine/experiments/receipt-render';
import { readReceiptFile } from '../../src/engine/experiments/receipt-check';

const dir = mkdtempSync(path.join(tmpdir(), 'rl-receipt-check-'));

function validReceipt(): Receipt {
  const c = (name: string) => ({
    name, set: 'harmful', systemPrompts: [''],
    interventions: [{ kind: 'steer' as const, axis: 'persona', coefficient: 4, layers: [1, 2], sourceLayer: 1 }, { kind: 'project_out' as const, axes: ['persona'], layers: [3] }],
    ...summarise(['refusal', 'bypass'], [0.5, -1]),
  });
  const content = {
    schema: 'refusal-lens.receipt/1' as const, title: 'T', description: 'd', toolVersion: '0', conditionFile: { file: 'c.yaml', sha256: 'a'.repeat(64) },
    model: { name: 'm', modelType: 'llama', layers: 4, dModel: 8, dtype: 'fp32', graphHash: 'g'.repeat(64), tokenizerHash: 't' },
    sets: [{ name: 'harmful', source: 'builtin:harmful', sha256: 'b'.repeat(64), count: 2, skipped: ['x.jsonl:3:1: bad'], limit: 2 }],
    axes: [
      { name: 'persona', kind: 'file' as const, file: 'p.safetensors', sha256: 'c'.repeat(64), method: 'diff_of_means', positions: 'last_prompt' },
      { name: 'rnd', kind: 'random' as const, randomLike: 'persona', seed: 1, sha256: 'd'.repeat(64) },
    ],
    decoding: { maxNewTokens: 8 }, batchSize: 2, conditions: [c('baseline')],
    sweeps: [{ name: 'w', set: 'harmful', moving: { kind: 'project_out', axes: ['persona'] }, size: 1, stride: 1, points: [{ ...c('w'), window: [1] }] }],
  };
  return { ...content, hash: receiptHash(content), created: '2026-01-01T00:00:00Z' };
}

/** Every path into a JSON value (objects and arrays included). */
function paths(v: unknown, p: (string | number)[] = []): (string | number)[][] {
  const out = [p];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...p, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...p, k]));
  return out;
}

function mutate(v: unknown, p: (string | number)[], value: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(v)) as Record<string | number, unknown>;
  let node = copy;
  for (const k of p.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  const last = p[p.length - 1]!;
  if (value === DELETE) delete node[last];
  else node[last] = value;
  return copy;
}
const DELETE = Symbol('delete');

test('whatever the shape check accepts renders without throwing; what it rejects it names', () => {
  const base = JSON.parse(receiptJson(validReceipt())) as unknown;
  assert.equal(receiptProblem(base), undefined);
  const all = paths(base).filter((p) => p.length > 0);
  let rejected = 0;
  let accepted = 0;
  for (const p of all) {
    for (const value of [DELETE, null, 'text', -1, 1.5, [], {}, [{}], true]) {
      const x = mutate(base, p, value);
      const problem = receiptProblem(x);
      if (problem) {
        rejected++;
        assert.ok(problem.length < 300, problem);
        continue;
      }
      accepted++;
      const r = x as Receipt;
      for (const [name, render] of [['view', () => receiptBody(r, [], [])], ['md', () => receiptMarkdown(r)], ['tex', () => receiptLatex(r)], ['csv', () => receiptCsv(r)]] as const) {
        assert.doesNotThrow(render, `${name} threw on ${p.join('.')} = ${String(typeof value === 'symbol' ? 'deleted' : JSON.stringify(value))}`);
      }
    }
  }
  assert.ok(rejected > 100 && accepted > 10, `${rejected} rejected, ${accepted} accepted`);
});

test('receipt.json problems name the file and the field', () => {
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const bad = write('bad.json', '{"schema": "refusal-lens.receipt/1", ');
  assert.throws(() => readReceiptFile(bad), (e: Error) => e.message.startsWith(`${bad}: not valid JSON`));
  const other = write('other.json', '{"schema": "something/1"}');
  assert.throws(() => readReceiptFile(other), new RegExp(`^Error: ${other.replace(/[.\\]/g, '\\$&')}: not a refusal receipt`));
  const r = JSON.parse(receiptJson(validReceipt()));
  delete r.conditions[0].rates.bypass;
  const missing = write('missing.json', JSON.stringify(r));
  assert.throws(() => readReceiptFile(missing), (e: Error) => e.message === `${missing}: conditions[0].rates.bypass: missing`);
  r.conditions[0].rates.bypass = { count: 1, rate: '50%', lo: 0, hi: 1 };
  const typed = write('typed.json', JSON.stringify(r));
  assert.throws(() => readReceiptFile(typed), (e: Error) => e.message === `${typed}: conditions[0].rates.bypass.rate: expected a number, got the string "50%"`);
  assert.throws(() => readReceiptFile(path.join(dir, 'absent.json')), /absent\.json: cannot read/);
  assert.throws(() => readReceiptFile(dir), /not a regular file/);
  assert.equal(readReceiptFile(write('good.json', receiptJson(validReceipt()))).title, 'T');
});
