// The annotate results file was read whole with readFileSync: one over V8's string limit (~512 MiB)
// died with "Cannot create a string longer than …" after allocating it all. It is now read through
// io/read.ts under LIMITS.resultsFileBytes and refused by size, naming the file, before any read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, ftruncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { openExisting, readResultsText, ResultsFileError } from '../../src/engine/experiments/results-file';
import { LIMITS } from '../../src/protocol/limits';
import { tempDir } from './annotate-helpers';

test('a results file over LIMITS.resultsFileBytes is refused by size with a clear message; one under it reads', () => {
  const dir = tempDir('resultsize');
  const big = path.join(dir, 'big.jsonl');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, LIMITS.resultsFileBytes + 1); // sparse: no disk used
  closeSync(fd);
  assert.throws(() => openExisting(big), (e: unknown) => {
    assert.ok(e instanceof ResultsFileError, String(e));
    assert.match(e.message, new RegExp(`big\\.jsonl: ${LIMITS.resultsFileBytes + 1} bytes is over the 500 MiB limit for a results file; nothing was changed`));
    return true;
  });
  assert.ok(LIMITS.resultsFileBytes <= require('node:buffer').constants.MAX_STRING_LENGTH, 'the limit must fit a V8 string');
  const small = path.join(dir, 'small.jsonl');
  writeFileSync(small, '{"id":"a","label":"refusal"}\n');
  assert.equal(readResultsText(small), '{"id":"a","label":"refusal"}\n');
});
