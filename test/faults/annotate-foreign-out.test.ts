// Defect 2 (issue 10): `annotate --out notes.txt` cut notes.txt's last line before noticing it was
// not a results file. Now a file is written only when it is absent, empty or ours (its
// run.json sidecar or its first line says so); anything else is refused, unchanged, with a
// message saying why, from the CLI, the engine (so the worker and the extension) and --restart.
// The extension's results-file setting is also a restricted setting in untrusted workspaces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { assertOwnResultsFile, ResultsFileError } from '../../src/engine/experiments/results-file';
import { resultsFileRefusal } from '../../src/extension/experiments/results';
import { cli, FAST, noStack, ROOT, tempDir, writeRows } from './annotate-helpers';

const NOT_OURS = /is not a Refusal Lens results file .*nothing was changed/;

test('--out on a file that is not a results file changes nothing, with or without --restart', async () => {
  const dir = tempDir('foreign');
  const data = writeRows(dir, 2);
  const notes = path.join(dir, 'notes.txt');
  writeFileSync(notes, 'keep\nlast');
  for (const extra of [[], ['--restart']]) {
    const r = await cli(['annotate', 'builtin', data, '--out', notes, ...FAST, ...extra]);
    assert.equal(r.code, 1, r.err);
    assert.ok(noStack(r), r.err);
    assert.match(r.err, NOT_OURS);
    assert.match(r.err, /notes\.txt/);
    assert.equal(readFileSync(notes, 'utf8'), 'keep\nlast', `notes.txt changed (${extra.join(' ')})`);
  }
  assert.deepEqual(readdirSync(dir).sort(), ['notes.txt', 'rows.jsonl'], 'no sidecar, lock or temp file left beside it');

  // A JSON file whose first line is not a results row: the same.
  const other = path.join(dir, 'other.jsonl');
  writeFileSync(other, '{"id":"x","prompt":"not a result"}\n{"half');
  const r = await cli(['annotate', 'builtin', data, '--out', other, ...FAST]);
  assert.equal(r.code, 1);
  assert.match(r.err, NOT_OURS);
  assert.equal(readFileSync(other, 'utf8'), '{"id":"x","prompt":"not a result"}\n{"half');

  // A sidecar path that holds someone else's file is refused too (annotate would rewrite it).
  const fresh = path.join(dir, 'fresh.jsonl');
  writeFileSync(`${fresh}.run.json`, '{"mine": true}\n');
  const s = await cli(['annotate', 'builtin', data, '--out', fresh, ...FAST]);
  assert.equal(s.code, 1);
  assert.match(s.err, /fresh\.jsonl\.run\.json beside it is not a Refusal Lens run file/);
  assert.equal(readFileSync(`${fresh}.run.json`, 'utf8'), '{"mine": true}\n');
  assert.ok(!existsSync(fresh));
});

test('our own files are still written: absent, empty, and resumed via the sidecar or the first line', async () => {
  const dir = tempDir('own');
  const data = writeRows(dir, 2);
  const out = path.join(dir, 'r.jsonl');
  writeFileSync(out, '');
  const a = await cli(['annotate', 'builtin', data, '--out', out, ...FAST]);
  assert.equal(a.code, 0, a.err);
  const text = readFileSync(out, 'utf8');
  assert.equal(text.split('\n').length - 1, 2);
  assert.doesNotThrow(() => assertOwnResultsFile(out));
  // --restart on our file starts over and ends the same.
  const b = await cli(['annotate', 'builtin', data, '--out', out, ...FAST, '--restart']);
  assert.equal(b.code, 0, b.err);
  assert.equal(readFileSync(out, 'utf8'), text);
  // Without the sidecar, the first line still says it is ours (the settings check then asks for --restart).
  const copy = path.join(dir, 'copy.jsonl');
  writeFileSync(copy, text);
  assert.doesNotThrow(() => assertOwnResultsFile(copy));
  const c = await cli(['annotate', 'builtin', data, '--out', copy, ...FAST]);
  assert.equal(c.code, 1);
  assert.match(c.err, /no readable .*copy\.jsonl\.run\.json.*--restart/);
  assert.equal(readFileSync(copy, 'utf8'), text);
});

test('the engine check, for the worker and the extension: refused with ResultsFileError("foreign"); links and folders too', () => {
  const dir = tempDir('engine');
  const notes = path.join(dir, 'notes.txt');
  writeFileSync(notes, 'keep\nlast');
  assert.throws(() => assertOwnResultsFile(notes), (e: unknown) => e instanceof ResultsFileError && e.problem === 'foreign' && NOT_OURS.test(e.message));
  assert.match(resultsFileRefusal(notes, true)!, /refusalLens\.annotate\.resultsFile/);
  assert.equal(resultsFileRefusal(path.join(dir, 'new.results.jsonl'), true), undefined);
  const link = path.join(dir, 'link.jsonl');
  symlinkSync(notes, link);
  assert.throws(() => assertOwnResultsFile(link), /symbolic link/);
  assert.throws(() => assertOwnResultsFile(dir), /not a regular file/);
  assert.equal(readFileSync(notes, 'utf8'), 'keep\nlast');
});

test('refusalLens.annotate.resultsFile is restricted in untrusted workspaces', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
    contributes: { configuration: { properties: Record<string, unknown> } };
  };
  assert.ok(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('refusalLens.annotate.resultsFile'));
  assert.ok(pkg.contributes.configuration.properties['refusalLens.annotate.resultsFile']);
});
