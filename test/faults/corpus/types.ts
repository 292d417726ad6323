// The shape of one bad-input case and of what running it gave; shared by the generators,
// the runner and the reports (the in-suite test and `npm run faults`).

export type Category = 'model' | 'direction' | 'prompt' | 'dataset' | 'conditions' | 'options' | 'fuzz';

/**
 * What a careful user would expect of the CLI for this input:
 * - error:   a non-zero exit whose stderr names the input (one of `names`);
 * - ok:      a zero exit (the input is valid);
 * - ok-warn: a zero exit whose stderr names the input (a warning, e.g. an unknown field);
 * - reported: either exit, but stderr names the input (e.g. skipped lines, a row that failed);
 * - any:     either a zero exit or a clear error (random mutations may stay valid).
 */
export type Expectation = 'error' | 'ok' | 'ok-warn' | 'reported' | 'any';

export interface FaultCase {
  /** Stable, unique id: the key of EXPECTED_TO_FAIL_BEFORE_MERGE and of the report lines. */
  id: string;
  category: Category;
  /** CLI arguments after `node bin/refusal-lens.js`; relative paths resolve in the case's folder (its cwd). */
  args: string[];
  expect: Expectation;
  /** For error / ok-warn / any: stderr must contain one of these (a file name, a folder name, an option name). */
  names?: string[];
  /** Every one of `names` must appear, not just one (e.g. each bad line of a dataset). */
  allNames?: boolean;
  /** Whether the run gets as far as loading a model (~0.5-1 s each): the in-suite corpus keeps these few. */
  needsModel: boolean;
  /** Only in `npm run faults` (a model-loading case the in-suite run can do without, to stay fast). */
  extended?: boolean;
  /** Writes the case's inputs into its own folder (the CLI's cwd) before the run. */
  setup?: (dir: string) => void;
  /** Files (relative to the case folder) the run may legitimately change, e.g. a results file it resumes. */
  mayChange?: string[];
  /** A check of what the run left behind (e.g. a results file) or printed; returns the problem, if any. */
  check?: (dir: string, stderr: string) => string | undefined;
  /**
   * Set when running the case unfixed would hurt the shared machine (unbounded memory, a
   * million threads): it is not run while it is in EXPECTED_TO_FAIL_BEFORE_MERGE.
   */
  hazard?: string;
  timeoutMs?: number;
}

export type Verdict =
  | 'ok' // valid input, accepted (exit 0, and for ok-warn the warning named the input)
  | 'clear' // rejected with a non-zero exit and a message naming the input
  | 'unclear' // the wrong exit, a message that does not name the input, or a bad file left behind
  | 'hang' // still running at the time bound
  | 'crash'; // a stack trace, a raw internal error, a signal or an unexpected exit status

export interface CaseResult {
  id: string;
  category: Category;
  verdict: Verdict;
  /** Files the case did not create (and may not change) that differ or vanished after the run. */
  lost: string[];
  code: number | null;
  signal: string | null;
  ms: number;
  stderr: string;
  /** Why the verdict is what it is, one line. */
  why: string;
}
