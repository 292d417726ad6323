// Every command the documentation shows runs, as written, on the built-in model (issue 13
// item 6): the fenced sh blocks of README.md, docs/ and examples/ and the Kubernetes recipe's
// command, through a shell, with the real CLI (`refusal-lens` on PATH is bin/refusal-lens.js).
// Placeholders become the built-in model (`path/to/model`, `MODEL`) or every command
// (`<command>`); `npm ci` (an install) and the commands that run the whole test or fault suite
// are listed below with the reason, and the list must match the docs exactly. Needs `npm run build`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { commands } from '../../src/cli/commands/index';
import { documentedCommands, type DocCommand } from './docs-commands';

const ROOT = join(__dirname, '..', '..');
const NOT_RUN: Record<string, string> = {
  'npm ci && npm test': 'runs every test suite, this one included',
  'npm run faults': 'the fault campaign (minutes); test/faults has its own tests',
  'npm run faults -- --kills 100 --fuzz 500 --seed 7': 'the fault campaign (minutes)',
};

/** Commands the docs say fail on the built-in model, with the message they must give. */
const EXPECTED_FAILURE: Record<string, RegExp> = {
  // README: "On the built-in model none does and it exits 1 with the table" (model card, Arditi et al.)
  'refusal-lens select   builtin --out axes/refusal-selected.safetensors --report select.md': /no candidate passed the filters/,
};

/** A working folder that looks like the repository to the commands: bin, test fixtures and media
 *  linked, examples copied (commands write axes into it), small prompt files of their own. */
function workdir(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'rl-docs-'));
  for (const d of ['bin', 'media', 'dist', 'node_modules', 'package.json']) symlinkSync(join(ROOT, d), join(dir, d));
  // test/ linked entry by entry, but the checkpoint fixtures copied: a checkpoint is built inside its
  // own folder when that is writable (`.refusal-lens/`), and a command run as written must not
  // write into the repository's fixtures (it broke checkpoint-convert's copy of qwen3-sharded).
  mkdirSync(join(dir, 'test', 'fixtures'), { recursive: true });
  for (const d of readdirSync(join(ROOT, 'test'))) if (d !== 'fixtures') symlinkSync(join(ROOT, 'test', d), join(dir, 'test', d));
  for (const d of readdirSync(join(ROOT, 'test', 'fixtures'))) {
    if (d === 'checkpoints') cpSync(join(ROOT, 'test', 'fixtures', d), join(dir, 'test', 'fixtures', d), { recursive: true });
    else symlinkSync(join(ROOT, 'test', 'fixtures', d), join(dir, 'test', 'fixtures', d));
  }
  cpSync(join(ROOT, 'examples'), join(dir, 'examples'), { recursive: true });
  const rows = readFileSync(join(ROOT, 'media/models/organism/eval/harmful_default.jsonl'), 'utf8').trim().split('\n').slice(0, 6)
    .map((l) => JSON.parse(l) as { id: string; system?: string; prompt: string });
  writeFileSync(join(dir, 'prompts.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const q = (s: string): string => `"${s.replace(/"/g, '""')}"`;
  writeFileSync(join(dir, 'prompts.csv'), 'id,system,prompt\n' + rows.map((r) => [r.id, r.system ?? '', r.prompt].map(q).join(',')).join('\n') + '\n');
  const shims = join(dir, '.shims');
  mkdirSync(shims);
  writeFileSync(join(shims, 'refusal-lens'), `#!/bin/sh\nexec node ${JSON.stringify(join(ROOT, 'bin/refusal-lens.js'))} "$@"\n`);
  chmodSync(join(shims, 'refusal-lens'), 0o755);
  return { dir, env: { ...process.env, PATH: `${shims}:${process.env.PATH}`, NO_COLOR: '1' } };
}

function expand(c: DocCommand): string[] {
  const t = c.text.replace(/path\/to\/model/g, 'builtin').replace(/\bMODEL\b/g, 'builtin');
  if (t.includes('<command>')) return commands.map((k) => t.replace('<command>', k.name));
  const main = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts['main-job'] as string;
  // `npm ci` installs (this checkout is installed); main-job = build (done) + the CLI command.
  if (t === 'npm ci && npm run main-job') return [main.replace(/^npm run build && /, '')];
  return [t];
}

function run(cmd: string, dir: string, env: NodeJS.ProcessEnv, where: string): string {
  const r = spawnSync('sh', ['-c', cmd], { cwd: dir, env, encoding: 'utf8', timeout: 300_000 });
  const fails = EXPECTED_FAILURE[cmd];
  if (fails) {
    assert.equal(r.status, 1, `${where}: \`${cmd}\` is documented to exit 1 on the built-in model, got ${r.status}\n${r.stderr}`);
    assert.match(r.stdout + r.stderr, fails, where);
    return r.stdout;
  }
  assert.equal(r.status, 0, `${where}: \`${cmd}\` exited ${r.status}${r.signal ? ` (${r.signal})` : ''}\n${r.stderr}\n${r.stdout.slice(-2000)}`);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+\)?\n/, `${where}: no stack trace`);
  return r.stdout;
}

test('every documented command runs as written on the built-in model', { timeout: 900_000 }, () => {
  assert.ok(existsSync(join(ROOT, 'dist/cli.js')), 'run `npm run build` first');
  const docs = documentedCommands(ROOT);
  const skipped = docs.filter((c) => c.text in NOT_RUN).map((c) => c.text);
  assert.deepEqual([...new Set(skipped)].sort(), Object.keys(NOT_RUN).sort(), 'the not-run list matches the docs');
  const todo = docs.filter((c) => !(c.text in NOT_RUN));
  assert.ok(todo.length >= 20, `documented commands found: ${todo.length}`);
  const { dir, env } = workdir();
  let ran = 0;
  for (const c of todo) {
    for (const cmd of expand(c)) {
      // A pod or array task gets its own working folder only in the Kubernetes recipe (its merge follows).
      const cwd = c.envRuns && c.text.includes('JOB_COMPLETION_INDEX') ? join(dir, 'k8s') : dir;
      if (cwd !== dir && !existsSync(cwd)) { mkdirSync(cwd); cpSync(join(dir, 'prompts.csv'), join(cwd, 'prompts.csv')); }
      for (const extra of c.envRuns ?? [{}]) run(cmd, cwd, { ...env, ...extra }, c.where);
      if (cwd !== dir) {
        const merge = docs.find((d) => d.text.startsWith('refusal-lens merge results.jsonl'));
        assert.ok(merge, 'the recipes are followed by a merge');
        run(merge.text, cwd, env, merge.where);
        assert.equal(readFileSync(join(cwd, 'results.jsonl'), 'utf8'), readFileSync(join(dir, 'results.jsonl'), 'utf8'), 'Slurm and Kubernetes give the same file');
      }
      ran++;
    }
  }
  for (const f of ['axes/persona.safetensors', 'axes/refusal.safetensors', 'select.md', 'cos.svg', 'prompts.results.jsonl',
    'receipt/receipt.json', 'results.jsonl', 'qwen3-onnx/onnx/model.onnx', 'refusal-lens-report.html',
    'examples/conditions/axes/persona.safetensors', 'examples/conditions/axes/refusal.safetensors']) {
    assert.ok(existsSync(join(dir, f)), `${f} was written`);
  }
  assert.ok(ran >= 20, `ran ${ran}`);
});
