// Shared by the bounds/results/readonly fault tests: the real CLI as a child process with a
// time bound (a hang is a failure, not a stuck suite), and small file makers.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
// RL_FAULTS_CLI points the tests at another build (e.g. the main checkout's, to see them fail before a fix).
export const CLI = process.env.RL_FAULTS_CLI ?? path.join(ROOT, 'bin', 'refusal-lens.js');
export const BUILTIN = path.join(ROOT, 'media', 'models', 'organism');

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
  ms: number;
  timedOut: boolean;
}

/** Runs `node bin/refusal-lens.js …args` in the temp folder (a stray output never lands in the repo); killed (timedOut) after `timeoutMs`. */
export function runCli(args: string[], opts: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv; command?: string[] } = {}): Promise<CliRun> {
  const t0 = Date.now();
  const argv = [...(opts.command ?? [process.execPath, CLI]), ...args];
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd ?? os.tmpdir(), env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, ms: Date.now() - t0, timedOut });
    });
  });
}

/** No uncaught stack trace in what the CLI printed. */
export function noStack(r: CliRun): boolean {
  return !/^\s+at .+:\d+:\d+\)?$/m.test(r.err + r.out);
}

/** A copy of the built-in model's source files (no cached hooked graphs) in `dir`. */
export function copyBuiltin(dir: string): string {
  mkdirSync(dir, { recursive: true });
  cpSync(BUILTIN, dir, { recursive: true, filter: (src) => !/\.hooked-/.test(path.basename(src)) });
  return dir;
}
