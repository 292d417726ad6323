// Corpus cases whose defects other helpers are fixing on their own branches (issue 10). Each is
// run (unless it is a hazard to the shared machine: see FaultCase.hazard) and reported, but not
// asserted, so this branch stays green. The lead empties this set after merging those branches;
// the corpus test then asserts them all (and says which ones already pass).
const D1 = 'defect 1: a failed annotate row must become an error row';
const D2 = 'defect 2: annotate --out must check the file is its own before touching it';
const D3 = 'defect 3: derived ids must be unique against every id in the file';
const D5 = 'defect 5: ablate checks its output folder before it runs';
const D6 = 'defect 6: every size, count and file read has a bound, checked before work starts';
const D7 = 'defect 7: no wrong results with exit 0 (warnings printed, empty and absurd values rejected)';
const D10 = 'defect 10: too-deep nesting must say which file and that it is too deep';

export const EXPECTED_TO_FAIL_BEFORE_MERGE = new Map<string, string>([
  ['direction/dev-zero', D6],
  ['direction/fifo', D6],
  ['direction/trace-fifo', D6],
  ['conditions/dev-zero-axis', D6],
  ['options/threads-huge', D6],
  ['options/select-positions-huge', D6],
  ['options/geometry-samples-huge', D6],
  ['dataset/huge-line', D1],
  ['dataset/overlong-row', D1],
  ['dataset/out-foreign', D2],
  ['dataset/out-directory', D2],
  ['dataset/duplicate-ids', D3],
  ['conditions/out-blocked', D5],
  ['direction/trace-other-model', D7],
  ['prompt/unknown-field', D7],
  ['prompt/unknown-field-strict', D7],
  ['options/n-empty', D7],
  ['options/steer-nonfinite-result', D7],
  ['options/steer-empty-coefficient', D7],
  ['options/steer-trailing-at', D7],
  ['prompt/deep-nesting', D10],
  ['conditions/deep-nesting', D10],
  // Not in issue 10's list; found by this corpus and left to the lead to assign: the YAML
  // library's alias-bomb error reaches the user without the condition file's name.
  ['conditions/alias-bomb', 'unowned: the alias-bomb message does not name the condition file'],
]);
