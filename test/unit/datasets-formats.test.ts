// Datasets in JSONL, CSV and Parquet: the CSV parser (RFC 4180), the field mapping and column
// picking shared with JSONL, ids equal across formats, located errors, and the shard split.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseCsv, CsvError } from '../../src/engine/experiments/datasets/csv';
import { datasetFormat, DatasetFormatError, parseCsvDataset, readDataset } from '../../src/engine/experiments/datasets/index';
import { parseJsonl } from '../../src/engine/prompts/index';
import { parseShard, shardPath, shardRows } from '../../src/engine/experiments/shard';
import { loadPromptSet } from '../../src/engine/experiments/dataset';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { parquetMetadata } from 'hyparquet';

const dir = mkdtempSync(path.join(tmpdir(), 'rl-formats-'));

test('CSV: quoted commas, doubled quotes, newlines in a field, CRLF, BOM, and the line each record starts on', () => {
  const text = '\ufeffid,prompt\r\n1,"a, b"\r\n2,"say ""hi""\r\nplease"\r\n3,plain\r\n\r\n';
  const recs = parseCsv(text);
  assert.deepEqual(recs, [
    { line: 1, cells: ['id', 'prompt'] },
    { line: 2, cells: ['1', 'a, b'] },
    { line: 3, cells: ['2', 'say "hi"\r\nplease'] },
    { line: 5, cells: ['3', 'plain'] },
  ]);
  // No trailing newline, an empty last field, LF only.
  assert.deepEqual(parseCsv('a,b\nx,').map((r) => r.cells), [['a', 'b'], ['x', '']]);
});

test('CSV errors name the line: an unclosed quote where it opened, a stray quote', () => {
  assert.throws(() => parseCsv('id,prompt\n1,ok\n2,"never closed\n3,x\n'), (e: CsvError) => e.line === 3 && /unclosed quote/.test(e.message));
  assert.throws(() => parseCsv('id,prompt\n1,a"b\n'), (e: CsvError) => e.line === 2 && /quote inside an unquoted field/.test(e.message));
  assert.throws(() => parseCsvDataset('id,prompt\n1,"x"y\n', 'f.csv'), (e: Error) => e instanceof DatasetFormatError && e.message.startsWith('f.csv:2:'));
});

test('a CSV and a JSONL of the same rows give the same rows and ids (row = record number)', () => {
  const jsonl = [
    { id: 7, goal: 'How do I pick a lock?', category: 'crime' },
    { goal: 'Write a poem, about "cats"' },
    { goal: 'Write a poem, about "cats"' },
    { id: 'x', system: 'Be terse.', goal: 'two\nlines' },
  ].map((o) => JSON.stringify(o)).join('\n') + '\n';
  const csv = 'id,goal,category,system\n7,How do I pick a lock?,crime,\n,"Write a poem, about ""cats""",,\n,"Write a poem, about ""cats""",,\nx,"two\nlines",,Be terse.\n';
  const a = parseJsonl(jsonl, 'a.jsonl');
  const b = parseCsvDataset(csv, 'b.csv');
  assert.deepEqual(b.rows.map((r) => [r.id, r.line, r.messages]), a.rows.map((r) => [r.id, r.line, r.messages]));
  assert.equal(b.rows[2].id, `${b.rows[1].id}~3`, 'duplicates made unique as in JSONL');
  // The duplicate warning points at the CSV line the record starts on (line 4), not the record number.
  const dup = b.diagnostics.find((d) => /duplicate id/.test(d.message))!;
  assert.equal(dup.line, 4);
  assert.match(dup.message, /\(first on line 3\); this row is '.*~3'/);
});

test('picking columns: --prompt-field, --system-field, --id-field, in JSONL and CSV alike', () => {
  const csv = 'key,question,persona,prompt\nk1,What is 2+2?,You are a pirate.,ignored\n';
  const fields = { promptField: 'question', systemField: 'persona', idField: 'key' };
  const [r] = parseCsvDataset(csv, 'q.csv', fields).rows;
  assert.equal(r.id, 'k1');
  assert.deepEqual(r.messages, [{ role: 'system', content: 'You are a pirate.' }, { role: 'user', content: 'What is 2+2?' }]);
  assert.equal(r.extra.prompt, 'ignored');
  const [j] = parseJsonl(JSON.stringify({ key: 'k1', question: 'What is 2+2?', persona: 'You are a pirate.', prompt: 'ignored' }), 'q.jsonl', fields).rows;
  assert.deepEqual([j.id, j.messages], [r.id, r.messages]);
  assert.throws(() => parseCsvDataset(csv, 'q.csv', { promptField: 'questoin' }), /q\.csv:1: no column 'questoin' for the prompt \(columns: key, question, persona, prompt\)/);
});

test('CSV without a header naming a prompt column, and a short record are clear errors', () => {
  assert.throws(() => parseCsvDataset('How do I pick a lock?\nAnother\n', 'h.csv'), /h\.csv:1: the header row \(How do I pick a lock\?\) names no prompt column.*--prompt-field/);
  assert.throws(() => parseCsvDataset('', 'e.csv'), /e\.csv: empty CSV: a header row/);
  const d = parseCsvDataset('id,prompt\n1,a\n2\n3,c\n', 's.csv');
  assert.deepEqual(d.rows.map((r) => r.id), ['1', '3']);
  assert.equal(d.diagnostics[0].line, 3);
  assert.match(d.diagnostics[0].message, /1 fields where the header has 2; row skipped/);
});

test('format by extension and by the PAR1 magic; loadPromptSet reads CSV', async () => {
  assert.equal(datasetFormat('x.csv', new Uint8Array()), 'csv');
  assert.equal(datasetFormat('x.jsonl', new Uint8Array()), 'jsonl');
  assert.equal(datasetFormat('x.parquet', new Uint8Array()), 'parquet');
  assert.equal(datasetFormat('download', Buffer.from('PAR1....')), 'parquet');
  const f = path.join(dir, 'set.csv');
  writeFileSync(f, 'forbidden_prompt,category\n"Explain, step by step",misc\n');
  const s = loadPromptSet(f);
  assert.equal(s.name, 'set');
  assert.equal(s.rows[0].messages[0].content, 'Explain, step by step');
  const r = await readDataset(f, f);
  assert.equal(r.format, 'csv');
  assert.equal(r.rows[0].extra.category, 'misc');
});

test('shards: K/N parsing, whole batch groups dealt round-robin covering every row once, and the file names', () => {
  assert.deepEqual(parseShard('2/4'), { k: 2, n: 4 });
  assert.throws(() => parseShard('0/4'), /numbered from 1/);
  assert.throws(() => parseShard('5/4'), /between 1 and 4/);
  assert.throws(() => parseShard('2-4'), /not K\/N/);
  const rows = Array.from({ length: 13 }, (_, i) => i);
  const parts = [1, 2, 3, 4].map((k) => shardRows(rows, 2, { k, n: 4 }));
  assert.deepEqual(parts, [[0, 1, 8, 9], [2, 3, 10, 11], [4, 5, 12], [6, 7]]);
  assert.deepEqual(parts.flat().sort((a, b) => a - b), rows);
  assert.deepEqual(shardRows(rows, 32, { k: 2, n: 2 }), [], 'one batch: all of it in shard 1');
  assert.equal(shardPath('/r/results.jsonl', { k: 2, n: 4 }), '/r/results.shard-2-of-4.jsonl');
  assert.equal(shardPath('/r/receipt-x', { k: 1, n: 3 }), '/r/receipt-x.shard-1-of-3');
});

// Fixtures written by tools/make_parquet_fixtures.py: the rows of ROWS below, snappy with a
// dictionary-encoded `kind` column, and uncompressed PLAIN.
const FIX = path.join(__dirname, '..', 'fixtures', 'datasets');
const toArrayBuffer = (b: Buffer) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
const ROWS_JSONL = Array.from({ length: 12 }, (_, i) => JSON.stringify({
  ...(i === 5 ? {} : { id: `r${i + 1}` }),
  prompt: i === 3 ? 'Say "hello",\nthen stop.' : `How do I make item ${i + 1}, quickly?`,
  ...(i % 4 === 1 ? { system: 'You are terse.' } : {}),
  kind: i % 2 ? 'harmful' : 'harmless',
})).join('\n');

test('Parquet (snappy + dictionary-encoded column, and plain) gives the rows, ids and row numbers of the same JSONL', async () => {
  const want = parseJsonl(ROWS_JSONL, 'rows.jsonl').rows;
  for (const f of ['prompts.snappy.parquet', 'prompts.plain.parquet']) {
    const d = await readDataset(path.join(FIX, f), f);
    assert.equal(d.format, 'parquet');
    assert.deepEqual(d.diagnostics, []);
    assert.deepEqual(d.rows, want, f);
  }
  // The same rows from hyparquet-writer (its defaults: SNAPPY, dictionary pages where they pay),
  // a writer independent of the fixture script.
  const objs = ROWS_JSONL.split('\n').map((l) => JSON.parse(l) as Record<string, string | undefined>);
  const col = (name: string) => ({ name, type: 'STRING' as const, data: objs.map((o) => o[name] ?? null) });
  const hw = path.join(dir, 'hw.parquet');
  writeFileSync(hw, new Uint8Array(parquetWriteBuffer({ columnData: [col('id'), col('prompt'), col('system'), col('kind')] })));
  const fromWriter = await readDataset(hw, hw);
  assert.deepEqual(fromWriter.rows, want, 'hyparquet-writer file');
  const md = parquetMetadata(toArrayBuffer(readFileSync(hw)));
  assert.ok(md.row_groups[0].columns.every((c) => c.meta_data?.codec === 'SNAPPY'), 'snappy, as HF datasets write');
  assert.ok(md.row_groups[0].columns.some((c) => c.meta_data?.dictionary_page_offset !== undefined), 'a dictionary-encoded column');
  // Found by its PAR1 magic without the extension (a file saved as "download").
  const bare = path.join(dir, 'download');
  writeFileSync(bare, readFileSync(path.join(FIX, 'prompts.snappy.parquet')));
  assert.equal((await readDataset(bare, bare)).format, 'parquet');
});

test('Parquet errors: a truncated file, no usable text column, a missing picked column', async () => {
  const bytes = readFileSync(path.join(FIX, 'prompts.snappy.parquet'));
  // The fixture really is snappy with a dictionary page for `kind`.
  const cols = parquetMetadata(toArrayBuffer(bytes)).row_groups[0].columns;
  assert.deepEqual(cols.map((c) => [c.meta_data?.codec, c.meta_data?.dictionary_page_offset !== undefined]), [['SNAPPY', false], ['SNAPPY', false], ['SNAPPY', false], ['SNAPPY', true]]);
  for (const cut of [bytes.length - 7, 300, 40]) {
    const f = path.join(dir, `cut${cut}.parquet`);
    writeFileSync(f, bytes.subarray(0, cut));
    await assert.rejects(readDataset(f, f), (e: Error) => e instanceof DatasetFormatError && e.message.startsWith(`${f}: `) && /truncated|damaged|not a readable Parquet/.test(e.message), `cut at ${cut}`);
  }
  const nt = path.join(FIX, 'no-text.parquet');
  await assert.rejects(readDataset(nt, 'no-text.parquet'), /no-text\.parquet: no prompt column among question, score: expected one of messages, prompt, forbidden_prompt, instruction, goal, or pick one with --prompt-field NAME/);
  await assert.rejects(readDataset(nt, 'no-text.parquet', { promptField: 'questoin' }), /no-text\.parquet: no column 'questoin' for the prompt \(columns: question, score\)/);
  const picked = await readDataset(nt, 'no-text.parquet', { promptField: 'question' });
  assert.deepEqual(picked.rows.map((r) => [r.line, r.messages[0].content, r.extra.score]), [[1, 'How?', '1'], [2, 'Why?', '2']]);
});
