// Bad datasets (`annotate builtin DATA --out R`, with the built-in model) and bad options across
// the commands. Most option errors come before the model loads; the few that need it are marked.
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FaultCase } from './types';
import { datasetRows, extended, PERSONA_AXIS, REFUSAL_AXIS, VALID_CONDITIONS, write } from './inputs';

/** Every line of the results file parses as a JSON object with an id, and the ids are unique. */
function resultsProblem(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const ids = new Set<string>();
  for (const [i, line] of text.split('\n').filter(Boolean).entries()) {
    let row: { id?: unknown };
    try {
      row = JSON.parse(line) as { id?: unknown };
    } catch {
      return `${path.basename(file)} line ${i + 1} is not JSON: ${line.slice(0, 40)}`;
    }
    if (typeof row?.id !== 'string') return `${path.basename(file)} line ${i + 1} has no id`;
    if (ids.has(row.id)) return `${path.basename(file)} has id '${row.id}' twice`;
    ids.add(row.id);
  }
  return undefined;
}

export function datasetCases(): FaultCase[] {
  const good = datasetRows(3);
  const d = (tag: string, lines: string[] | string | null, expect: FaultCase['expect'], extra: Partial<FaultCase> = {}): FaultCase => ({
    id: `dataset/${tag}`,
    category: 'dataset',
    args: ['annotate', 'builtin', `ds-${tag}.jsonl`, '--out', 'r.jsonl', '-n', '2', '--batch-size', '2'],
    expect,
    names: [`ds-${tag}.jsonl`],
    needsModel: true,
    setup: lines === null ? undefined : (dir) => write(dir, `ds-${tag}.jsonl`, Array.isArray(lines) ? lines.join('\n') + '\n' : lines),
    check: (dir: string) => resultsProblem(path.join(dir, 'r.jsonl')),
    ...extra,
  });
  return [
    extended(d('empty', '', 'any')),
    d('all-bad', ['{not json', '[1, 2]', '"a string"'], 'reported'),
    // One good row among bad ones: the good row runs, every bad line is reported with its number.
    d('mixed', [good[0], '{"id": "a"}', '[1]', 'null', '{"id": "b", "prompt": 5}', '{"id": "c", "prompt": "x", "messages": "y"}'], 'ok-warn', {
      names: ['ds-mixed.jsonl:2', 'ds-mixed.jsonl:3', 'ds-mixed.jsonl:4', 'ds-mixed.jsonl:5'],
      allNames: true,
    }),
    extended(d('unknown-fields', [JSON.stringify({ ...JSON.parse(good[0]), colour: 'blue' })], 'any')),
    // A row longer than the context must become an error row, and the run go on.
    d('overlong-row', [good[0], JSON.stringify({ id: 'long', prompt: 'word '.repeat(800) }), good[1]], 'reported', { names: ['ds-overlong-row.jsonl:2', 'long'] }),
    d('huge-line', [good[0], JSON.stringify({ id: 'huge', prompt: 'x'.repeat(10_000_000) })], 'reported', { names: ['ds-huge-line.jsonl:2', 'huge'], hazard: 'tokenizes a 10 MB prompt (costs the whole time bound)' }),
    d('duplicate-ids', ['x', 'x', 'x~2'].map((id, i) => JSON.stringify({ ...JSON.parse(good[i]), id })), 'any'),
    extended(d('missing', null, 'error')),
    extended({ ...d('directory', null, 'error'), setup: (dir) => mkdirSync(path.join(dir, 'ds-directory.jsonl')) }),
    // --out names a file that is not a results file: it must stay as it was.
    {
      ...d('out-foreign', [good[0]], 'error'),
      args: ['annotate', 'builtin', 'ds-out-foreign.jsonl', '--out', 'notes.txt', '-n', '2'],
      names: ['notes.txt'],
      setup: (dir) => {
        write(dir, 'ds-out-foreign.jsonl', good[0] + '\n');
        write(dir, 'notes.txt', 'keep\nlast');
      },
    },
    { ...d('out-directory', [good[0]], 'error'), args: ['annotate', 'builtin', 'ds-out-directory.jsonl', '--out', 'outdir', '-n', '2'], names: ['outdir'], setup: (dir) => (write(dir, 'ds-out-directory.jsonl', good[0] + '\n'), mkdirSync(path.join(dir, 'outdir'))) },
    { ...d('out-is-dataset', [good[0]], 'error'), args: ['annotate', 'builtin', 'ds-out-is-dataset.jsonl', '--out', 'ds-out-is-dataset.jsonl'], names: ['--out'], needsModel: false },
  ];
}

export function optionCases(): FaultCase[] {
  const o = (tag: string, args: string[], names: string[], needsModel = false, extra: Partial<FaultCase> = {}): FaultCase => ({
    id: `options/${tag}`, category: 'options', args, expect: 'error', names, needsModel, ...extra,
  });
  const trace = (...a: string[]) => ['trace', '--text', 'hi', ...a];
  const N = ['--max-new-tokens', '-n'];
  const axes = (dir: string) => (write(dir, 'persona.safetensors', readFileSync(PERSONA_AXIS)), write(dir, 'refusal.safetensors', readFileSync(REFUSAL_AXIS)));
  return [
    o('unknown-command', ['frobnicate'], ['frobnicate']),
    o('unknown-flag', trace('--bogus'), ['--bogus']),
    o('missing-value', trace('-n'), N),
    o('n-not-number', trace('-n', 'abc'), N),
    // Zero new tokens is a prompt-only readout: valid for trace.
    extended(o('n-zero', trace('-n', '0'), N, true, { expect: 'any' })),
    extended(o('n-negative', trace('-n', '-1'), N, true)),
    extended(o('n-fraction', trace('-n', '1.5'), N, true)),
    o('n-empty', trace('-n', ''), N),
    extended(o('n-huge', trace('-n', '1e9'), [...N, 'context'], true)),
    o('n-infinite', trace('-n', '1e400'), N),
    o('threads-negative', trace('-n', '1', '--threads', '-1'), ['--threads', 'threads'], true),
    extended(o('threads-fraction', trace('-n', '1', '--threads', '1.5'), ['--threads', 'threads'], true)),
    o('threads-huge', trace('-n', '1', '--threads', '1000000'), ['--threads'], true, { hazard: 'starts a million onnxruntime threads (load ~475)' }),
    o('temperature-negative', trace('-n', '1', '--temperature', '-1'), ['--temperature', 'temperature'], true),
    o('temperature-nan', trace('-n', '1', '--temperature', 'NaN'), ['--temperature']),
    extended(o('seed-negative', trace('-n', '1', '--seed', '-1'), ['--seed'], true, { expect: 'any' })),
    o('dtype-bogus', trace('-n', '1', '--dtype', 'bogus'), ['bogus', '--dtype']),
    o('steer-nonfinite-result', trace('-n', '1', '--steer', 'persona:1e308:all'), ['--steer', 'persona:1e308:all', '1e308'], true),
    o('steer-empty-coefficient', trace('-n', '1', '--steer', 'persona::all'), ['--steer', 'persona::all'], true),
    o('steer-trailing-at', trace('-n', '1', '--steer', 'persona:1:all@'), ['--steer', 'persona:1:all@'], true),
    o('steer-unknown-axis', trace('-n', '1', '--steer', 'nope:1:all'), ['nope'], true),
    extended(o('steer-layer-range', trace('-n', '1', '--steer', 'persona:1:0-99'), ['--steer', '0-99', '99'], true)),
    extended(o('steer-nan', trace('-n', '1', '--steer', 'persona:nan:all'), ['--steer', 'nan'], true)),
    extended(o('project-out-empty', trace('-n', '1', '--project-out', ''), ['--project-out'], true)),
    o('token-ids-bad', ['trace', '--token-ids', '1,2,abc', '-n', '1'], ['--token-ids', 'abc'], true),
    extended(o('token-ids-out-of-vocab', ['trace', '--token-ids', '1,99999999', '-n', '1'], ['--token-ids', '99999999'], true)),
    o('text-and-prompt', ['trace', '--text', 'hi', '--prompt', 'x.rlprompt'], ['--text', '--prompt', 'x.rlprompt']),
    o('geometry-samples-zero', ['geometry', 'persona.safetensors', 'refusal.safetensors', '--samples', '0'], ['--samples'], false, { setup: axes }),
    o('geometry-samples-negative', ['geometry', 'persona.safetensors', 'refusal.safetensors', '--samples', '-5'], ['--samples'], false, { setup: axes }),
    o('geometry-samples-huge', ['geometry', 'persona.safetensors', 'refusal.safetensors', '--samples', '1e9'], ['--samples'], false, { setup: axes, hazard: 'computes 1e9 random directions (never ends)' }),
    o('geometry-format', ['geometry', 'persona.safetensors', 'refusal.safetensors', '--format', 'docx'], ['--format'], false, { setup: axes }),
    o('geometry-seed-negative', ['geometry', 'persona.safetensors', 'refusal.safetensors', '--seed', '-1'], ['--seed'], false, { setup: axes }),
    o('select-positions-huge', ['select', 'builtin', '--limit', '2', '--positions', '1e9'], ['--positions'], true, { hazard: 'allocates for 1e9 positions (grew to 12 GB)' }),
    o('select-fraction', ['select', 'builtin', '--max-layer-fraction', '2'], ['--max-layer-fraction']),
    extended(o('select-limit-zero', ['select', 'builtin', '--limit', '0'], ['--limit'], true)),
    o('annotate-batch-zero', ['annotate', 'builtin', 'd.jsonl', '--out', 'r.jsonl', '--batch-size', '0'], ['--batch-size'], true, { setup: (d) => write(d, 'd.jsonl', datasetRows(1)[0] + '\n') }),
    extended(o('annotate-layers', ['annotate', 'builtin', 'd.jsonl', '--out', 'r.jsonl', '--layers', '7-99'], ['--layers'], true, { setup: (d) => write(d, 'd.jsonl', datasetRows(1)[0] + '\n') })),
    o('annotate-positions', ['annotate', 'builtin', 'd.jsonl', '--out', 'r.jsonl', '--positions', 'everywhere'], ['--positions']),
    o('annotate-positions-empty', ['annotate', 'builtin', 'd.jsonl', '--out', 'r.jsonl', '--positions', ''], ['--positions']),
    extended(o('extract-method', ['extract', 'builtin', '--builtin', 'persona', '--method', 'magic'], ['--method', 'magic'], true)),
    extended(o('extract-builtin', ['extract', 'builtin', '--builtin', 'nope'], ['nope', '--builtin'], true)),
    o('demo-coefficient-nan', ['demo', '--coefficient', 'NaN'], ['--coefficient']),
    o('ablate-batch-zero', ['ablate', 'c.yaml', '--batch-size', '0', '--check'], ['--batch-size'], false, {
      expect: 'any',
      setup: (d) => (axes(d), write(d, 'c.yaml', VALID_CONDITIONS)),
    }),
  ];
}
