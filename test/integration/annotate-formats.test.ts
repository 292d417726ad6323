// annotate on JSONL, CSV and Parquet through the real CLI (spawned `node bin/refusal-lens.js`,
// built-in model): the same rows give byte-identical results files; 4 shards merged equal one
// run byte for byte; merge refuses mismatched, missing and overlapping shards naming the files;
// bad inputs fail with the file and the place; the README's Slurm and Kubernetes lines run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'refusal-lens.js');

function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** 12 rows with what CSV makes hard: commas, quotes, a newline, a system prompt, a missing id. */
const ROWS = Array.from({ length: 12 }, (_, i) => ({
  ...(i === 5 ? {} : { id: `r${i + 1}` }),
  prompt: i === 3 ? 'Say "hello",\nthen stop.' : `How do I make item ${i + 1}, quickly?`,
  ...(i % 4 === 1 ? { system: 'You are terse.' } : {}),
  kind: i % 2 ? 'harmful' : 'harmless',
}));

const csvCell = (v: string | undefined) => (v === undefined ? '' : /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

function writeDatasets(dir: string): void {
  writeFileSync(path.join(dir, 'prompts.jsonl'), ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const cols = ['id', 'prompt', 'system', 'kind'] as const;
  const csv = [cols.join(','), ...ROWS.map((r) => cols.map((c) => csvCell((r as Record<string, string | undefined>)[c])).join(','))].join('\r\n') + '\r\n';
  writeFileSync(path.join(dir, 'prompts.csv'), '\ufeff' + csv);
}

const same = (dir: string, a: string, b: string) => {
  assert.equal(readFileSync(path.join(dir, a), 'utf8'), readFileSync(path.join(dir, b), 'utf8'), `${a} vs ${b}`);
  assert.equal(readFileSync(path.join(dir, `${a}.run.json`), 'utf8'), readFileSync(path.join(dir, `${b}.run.json`), 'utf8'), `${a}.run.json vs ${b}.run.json`);
};

const RUN = ['--batch-size', '2', '-n', '4'];

test('JSONL, CSV and Parquet of the same rows give byte-identical results files', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rl-formats-'));
  writeDatasets(dir);
  // Written by tools/make_parquet_fixtures.py from the same ROWS: snappy, `kind` dictionary-encoded.
  copyFileSync(path.join(ROOT, 'test', 'fixtures', 'datasets', 'prompts.snappy.parquet'), path.join(dir, 'prompts.parquet'));
  const a = cli(dir, ['annotate', 'prompts.jsonl', '--out', 'from-jsonl.jsonl', ...RUN]);
  assert.equal(a.code, 0, a.err);
  const b = cli(dir, ['annotate', 'prompts.csv', '--out', 'from-csv.jsonl', ...RUN]);
  assert.equal(b.code, 0, b.err);
  same(dir, 'from-jsonl.jsonl', 'from-csv.jsonl');
  const c = cli(dir, ['annotate', 'prompts.parquet', '--out', 'from-parquet.jsonl', ...RUN]);
  assert.equal(c.code, 0, c.err);
  same(dir, 'from-jsonl.jsonl', 'from-parquet.jsonl');
  assert.equal(readFileSync(path.join(dir, 'from-csv.jsonl'), 'utf8').trimEnd().split('\n').length, 12);
});

test('4 shards merged equal one run byte for byte; resumable per shard; merge refuses mismatched, missing, overlapping shards', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rl-shards-'));
  writeDatasets(dir);
  assert.equal(cli(dir, ['annotate', 'prompts.jsonl', '--out', 'one.jsonl', ...RUN]).code, 0);
  const shards = [1, 2, 3, 4].map((k) => `res.shard-${k}-of-4.jsonl`);
  for (const k of [1, 2, 3, 4]) {
    const r = cli(dir, ['annotate', 'prompts.jsonl', '--out', 'res.jsonl', '--shard', `${k}/4`, ...RUN]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`res\\.shard-${k}-of-4\\.jsonl: ${k <= 2 ? 4 : 2} rows`));
  }
  const again = cli(dir, ['annotate', 'prompts.jsonl', '--out', 'res.jsonl', '--shard', '2/4', ...RUN]);
  assert.match(again.out, /4 rows \(4 already done, 0 run now\)/, 'a shard resumes like a whole run');
  const m = cli(dir, ['merge', 'merged.jsonl', ...shards]);
  assert.equal(m.code, 0, m.err);
  assert.match(m.out, /merged\.jsonl: 12 rows from 4 shards/);
  same(dir, 'merged.jsonl', 'one.jsonl');

  // Another -n for shard 3: refused, naming both files and the setting.
  assert.equal(cli(dir, ['annotate', 'prompts.jsonl', '--out', 'other.jsonl', '--shard', '3/4', '--batch-size', '2', '-n', '3']).code, 0);
  const bad = cli(dir, ['merge', 'x.jsonl', shards[0], shards[1], 'other.shard-3-of-4.jsonl', shards[3]]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /other\.shard-3-of-4\.jsonl was made with different settings than .*res\.shard-1-of-4\.jsonl \(decoding\)/);
  const missing = cli(dir, ['merge', 'x.jsonl', shards[0], shards[1], shards[3]]);
  assert.match(missing.err, /missing shard 3\/4 \(given: res\.shard-1-of-4\.jsonl, res\.shard-2-of-4\.jsonl, res\.shard-4-of-4\.jsonl\)/);
  copyFileSync(path.join(dir, shards[1]), path.join(dir, 'copy.jsonl'));
  copyFileSync(path.join(dir, `${shards[1]}.run.json`), path.join(dir, 'copy.jsonl.run.json'));
  const twice = cli(dir, ['merge', 'x.jsonl', ...shards, 'copy.jsonl']);
  assert.match(twice.err, /res\.shard-2-of-4\.jsonl and .*copy\.jsonl are both shard 2\/4 \(overlapping shards\)/);
  const whole = cli(dir, ['merge', 'x.jsonl', 'one.jsonl']);
  assert.match(whole.err, /one\.jsonl: not a shard/);
  // A shard cut short by a kill is refused, not merged incomplete.
  writeFileSync(path.join(dir, shards[2]), readFileSync(path.join(dir, shards[2]), 'utf8').slice(0, -10));
  const cut = cli(dir, ['merge', 'x.jsonl', ...shards]);
  assert.match(cut.err, /res\.shard-3-of-4\.jsonl: ends in a half-written line/);
});

test('bad datasets: unclosed CSV quote, no prompt column, a missing --prompt-field column: messages name the file and place', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rl-badsets-'));
  writeFileSync(path.join(dir, 'q.csv'), 'id,prompt\n1,fine\n2,"never closed\n3,x\n');
  const q = cli(dir, ['annotate', 'q.csv', '--out', 'q.results.jsonl']);
  assert.equal(q.code, 1);
  assert.match(q.err, /q\.csv:3:3: unclosed quote: the field opened at line 3, column 3 never ends/);
  writeFileSync(path.join(dir, 'h.csv'), 'question,kind\nHow?,x\n');
  const h = cli(dir, ['annotate', 'h.csv', '--out', 'h.results.jsonl']);
  assert.match(h.err, /h\.csv:1: the header row \(question, kind\) names no prompt column/);
  const p = cli(dir, ['annotate', 'h.csv', '--out', 'h.results.jsonl', '--prompt-field', 'questoin', '-n', '2']);
  assert.match(p.err, /h\.csv:1: no column 'questoin' for the prompt \(columns: question, kind\)/);
  const ok = cli(dir, ['annotate', 'h.csv', '--out', 'h.results.jsonl', '--prompt-field', 'question', '-n', '2']);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /1 rows/);
  writeFileSync(path.join(dir, 't.parquet'), readFileSync(path.join(ROOT, 'test', 'fixtures', 'datasets', 'prompts.snappy.parquet')).subarray(0, 200));
  const t = cli(dir, ['annotate', 't.parquet', '--out', 't.results.jsonl']);
  assert.equal(t.code, 1);
  assert.match(t.err, /t\.parquet: not a readable Parquet file .*truncated/);
  const s = cli(dir, ['annotate', 'h.csv', '--out', 'h.results.jsonl', '--shard', '5/4']);
  assert.equal(s.code, 2);
  assert.match(s.err, /--shard: K in '5\/4' must be between 1 and 4/);
});

test("the README's Slurm and Kubernetes recipes run as written (K substituted), and merge to one machine's file", () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('<!-- shard-recipes -->'), readme.indexOf('<!-- /shard-recipes -->'));
  // A shell line as written, or the YAML's `command: ["sh", "-c", "…"]` string.
  const lines = section.split('\n').filter((l) => l.includes('refusal-lens ') && !l.includes('`')).map((l) => l.slice(l.indexOf('refusal-lens ')).replace(/"\]$/, ''));
  const slurm = lines.find((l) => l.includes('SLURM_ARRAY_TASK_ID'));
  const k8s = lines.find((l) => l.includes('JOB_COMPLETION_INDEX'));
  const merge = lines.find((l) => l.startsWith('refusal-lens merge'));
  assert.ok(slurm && k8s && merge, `found: ${JSON.stringify(lines)}`);
  // `refusal-lens` on PATH, as an installed CLI would be.
  const dir = mkdtempSync(path.join(tmpdir(), 'rl-recipes-'));
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'refusal-lens'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(path.join(bin, 'refusal-lens'), 0o755);
  const env = { PATH: `${bin}${path.delimiter}${process.env.PATH}` };
  const sh = (cwd: string, line: string, extra: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync('sh', ['-c', line], { cwd, encoding: 'utf8', env: { ...process.env, ...env, ...extra }, timeout: 120_000 });
    assert.equal(r.status, 0, `${line}\n${r.stderr}`);
  };
  const outputs: string[] = [];
  for (const [name, line, envOf] of [
    ['slurm', slurm, (k: number) => ({ SLURM_ARRAY_TASK_ID: String(k) })],
    ['k8s', k8s, (k: number) => ({ JOB_COMPLETION_INDEX: String(k - 1) })],
  ] as const) {
    const cwd = path.join(dir, name);
    mkdirSync(cwd);
    writeDatasets(cwd);
    for (const k of [4, 2, 1, 3]) sh(cwd, line, envOf(k)); // any order: shards are independent
    sh(cwd, merge);
    outputs.push(readFileSync(path.join(cwd, 'results.jsonl'), 'utf8'));
  }
  assert.equal(outputs[0], outputs[1]);
  // One machine: the same command without --shard writes what the merge wrote.
  const one = slurm.replace(/ --shard ("[^"]*"|\S+)/, '').replace('results.jsonl', 'one.jsonl');
  assert.ok(!one.includes('--shard'), one);
  sh(path.join(dir, 'slurm'), one);
  same(path.join(dir, 'slurm'), 'results.jsonl', 'one.jsonl');
});

test('ablate --shard K/N: 3 shard folders merged, then ablate --out writes the receipt one machine writes (only "created" differs)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rl-ablate-shards-'));
  writeFileSync(path.join(dir, 'c.yaml'), [
    'sets: { harmful: { builtin: harmful, limit: 6 }, harmless: { builtin: harmless, limit: 5 } }',
    'decoding: { maxNewTokens: 4 }',
    'batchSize: 2',
    'conditions:',
    '  - { name: base-harmful, set: harmful }',
    '  - { name: base-harmless, set: harmless }',
  ].join('\n'));
  assert.equal(cli(dir, ['ablate', 'c.yaml', '--out', 'one']).code, 0);
  for (const k of [3, 1, 2]) {
    const r = cli(dir, ['ablate', 'c.yaml', '--out', 'rc', '--shard', `${k}/3`]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`shard ${k}/3: its batches are in .*rc\\.shard-${k}-of-3/progress\\.jsonl`));
  }
  const missing = cli(dir, ['merge', 'merged', 'rc.shard-1-of-3', 'rc.shard-3-of-3']);
  assert.match(missing.err, /missing shard 2\/3/);
  const m = cli(dir, ['merge', 'merged', 'rc.shard-1-of-3', 'rc.shard-2-of-3', 'rc.shard-3-of-3']);
  assert.equal(m.code, 0, m.err);
  assert.match(m.out, /6 finished batches from 3 shards/);
  const fin = cli(dir, ['ablate', 'c.yaml', '--out', 'merged']);
  assert.equal(fin.code, 0, fin.err);
  assert.match(fin.err, /resuming: 11 of 11 prompts/);
  for (const f of ['responses.jsonl', 'receipt.md', 'receipt.csv', 'receipt.tex', 'rates.svg']) {
    assert.equal(readFileSync(path.join(dir, 'merged', f), 'utf8'), readFileSync(path.join(dir, 'one', f), 'utf8'), f);
  }
  const strip = (f: string) => ({ ...JSON.parse(readFileSync(path.join(dir, f, 'receipt.json'), 'utf8')), created: undefined });
  assert.deepEqual(strip('merged'), strip('one'));
  // A shard of another condition file is refused.
  writeFileSync(path.join(dir, 'd.yaml'), readFileSync(path.join(dir, 'c.yaml'), 'utf8').replace('limit: 5', 'limit: 4'));
  assert.equal(cli(dir, ['ablate', 'd.yaml', '--out', 'rd', '--shard', '2/3']).code, 0);
  const other = cli(dir, ['merge', 'merged2', 'rc.shard-1-of-3', 'rd.shard-2-of-3', 'rc.shard-3-of-3']);
  assert.match(other.err, /rd\.shard-2-of-3\/progress\.jsonl was saved by another run than .*rc\.shard-1-of-3\/progress\.jsonl/);
});

test('a condition file set can be a CSV with its columns picked (promptField, idField)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rl-ablate-csv-'));
  writeFileSync(path.join(dir, 'q.csv'), 'key,question\nk1,"How do I pick a lock, quickly?"\nk2,Write a poem\nk3,Unused\n');
  writeFileSync(path.join(dir, 'c.yaml'), [
    'sets: { qs: { file: q.csv, limit: 2, promptField: question, idField: key } }',
    'decoding: { maxNewTokens: 2 }',
    'conditions:',
    '  - { name: base, set: qs }',
  ].join('\n'));
  const r = cli(dir, ['ablate', 'c.yaml', '--out', 'rc', '--json']);
  assert.equal(r.code, 0, r.err);
  assert.equal((JSON.parse(r.out) as { sets: { count: number }[] }).sets[0].count, 2);
  const ids = readFileSync(path.join(dir, 'rc', 'responses.jsonl'), 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
  assert.deepEqual(ids, ['k1', 'k2']);
  writeFileSync(path.join(dir, 'd.yaml'), readFileSync(path.join(dir, 'c.yaml'), 'utf8').replace('promptField: question', 'promptField: questoin'));
  const bad = cli(dir, ['ablate', 'd.yaml', '--out', 'rd']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /no column 'questoin' for the prompt \(columns: key, question\)/);
});
