// The bad-input corpus against the real CLI (needs `npm run build`): mutated model folders,
// direction files, prompt files, datasets, condition files and options. Each case must end
// within its time bound, exit as expected with a message naming the input, print no stack
// trace, and leave every file it did not create byte-identical. See test/faults/README.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { EXPECTED_TO_FAIL_BEFORE_MERGE, FAST_TARGETS, fixedCases, fuzzCases, passed, report, runCorpus } from './corpus/index';

test('bad-input corpus: no hangs, no crashes, nothing lost, every error names its input', { timeout: 180_000 }, async () => {
  assert.ok(existsSync(path.join(__dirname, '../../dist/cli.js')), 'run npm run build first');
  const cases = [...fixedCases(), ...fuzzCases(1, 8, FAST_TARGETS)];
  for (const id of EXPECTED_TO_FAIL_BEFORE_MERGE.keys()) assert.ok(cases.some((c) => c.id === id), `EXPECTED_TO_FAIL_BEFORE_MERGE names no case ${id}`);
  const run = await runCorpus(cases, { concurrency: 2, timeoutMs: 20_000 });
  console.log(report(run));
  assert.deepEqual(run.builtinLost, [], 'the built-in model folder changed');
  const failures = run.results.filter((r) => !passed(r) && !EXPECTED_TO_FAIL_BEFORE_MERGE.has(r.id));
  assert.deepEqual(failures.map((r) => `${r.id}: ${r.verdict}: ${r.why}${r.lost.length ? `; lost ${r.lost.join(', ')}` : ''}`), []);
});
