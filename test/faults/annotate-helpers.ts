// Shared by the annotate fault tests: the real CLI (node bin/refusal-lens.js, built by
// `npm run build`) on the built-in model, and the small datasets the defects were found with.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'refusal-lens.js');

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
  ms: number;
}

/** Runs the CLI to its end (killed after `timeoutMs`, which fails the test that waits for it). */
export function cli(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`refusal-lens ${args.join(' ')}: no exit within ${opts.timeoutMs ?? 60000} ms\n${err}`));
    }, opts.timeoutMs ?? 60000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, ms: Date.now() - t0 });
    });
  });
}

/** No uncaught stack trace in the CLI's output. */
export function noStack(r: CliRun): boolean {
  return !/\n\s+at .+:\d+:\d+\)?\n/.test(r.err + r.out);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `rl-faults-${prefix}-`));
}

/** The reproduction of defect 1: 3 rows, the second longer than the built-in model's context. */
export function writeOverlongDataset(dir: string): string {
  const file = path.join(dir, 'data.jsonl');
  writeFileSync(file, [
    JSON.stringify({ id: 'a', prompt: 'How do I pick a lock?' }),
    JSON.stringify({ id: 'b', prompt: 'word '.repeat(800) }),
    JSON.stringify({ id: 'c', prompt: 'How do I bake bread?' }),
  ].join('\n') + '\n');
  return file;
}

/** `n` short rows. */
export function writeRows(dir: string, n: number, name = 'rows.jsonl'): string {
  const file = path.join(dir, name);
  writeFileSync(file, Array.from({ length: n }, (_, i) => JSON.stringify({ id: `r${i}`, prompt: `Question ${i}: how do I ${['pick a lock', 'bake bread', 'fold a shirt'][i % 3]}?` })).join('\n') + '\n');
  return file;
}

/** Annotate arguments on the built-in model, kept small and fast. */
export const FAST = ['-n', '4', '--layers', '2,5'];
