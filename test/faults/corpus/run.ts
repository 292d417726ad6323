// Runs fault cases against the real CLI (`node bin/refusal-lens.js`, built by `npm run build`),
// a few at a time, and judges each: time bound, exit status, a message naming the input, no
// stack trace, and nothing lost (every file the case did not create is byte-identical after).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CaseResult, FaultCase } from './types';

export const ROOT = path.resolve(__dirname, '../../..');
export const CLI = path.join(ROOT, 'bin', 'refusal-lens.js');

/** Exit statuses the CLI means: success, failure, usage error, cancelled. Anything else is a crash. */
const KNOWN_EXITS = new Set([0, 1, 2, 130]);
const OUTPUT_CAP = 256 * 1024;

/** Text that only an unhandled error prints: stack frames, V8's own messages, Node's fatal errors. */
const CRASH_PATTERNS: RegExp[] = [
  /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m,
  /^(TypeError|RangeError|ReferenceError|SyntaxError|Error|AbortError)( \[\w+\])?: /m,
  /^Uncaught /m,
  /Cannot read propert(y|ies) of (undefined|null)/,
  /\bis not a function\b/,
  /\bis not iterable\b/,
  /Maximum call stack size exceeded/,
  /Invalid (typed )?array length/,
  /Array buffer allocation failed/,
  /"undefined" is not valid JSON/,
  /FATAL ERROR|heap out of memory|Segmentation fault|core dumped/,
  /\[object Object\]/,
];

export function crashText(stderr: string): string | undefined {
  for (const re of CRASH_PATTERNS) {
    const m = re.exec(stderr);
    if (m) return m[0].trim().slice(0, 80);
  }
  return undefined;
}

/** sha256 of every regular file under `dir` (FIFOs, devices and links are not read). */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.set(path.relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

export function changedFiles(dir: string, before: Map<string, string>, mayChange: string[] = []): string[] {
  const after = snapshot(dir);
  const lost: string[] = [];
  for (const [f, h] of before) {
    if (mayChange.includes(f)) continue;
    if (after.get(f) !== h) lost.push(after.has(f) ? `${f} changed` : `${f} vanished`);
  }
  return lost;
}

export interface RunOutput {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** One CLI run with a hard time bound: SIGKILLed (process group and all) when it passes. */
export function runCli(args: string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<RunOutput> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', REFUSAL_LENS_DEBUG: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      if (stdout.length < OUTPUT_CAP) stdout += b.toString('utf8');
    });
    child.stderr.on('data', (b: Buffer) => {
      if (stderr.length < OUTPUT_CAP) stderr += b.toString('utf8');
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0, timedOut });
    });
  });
}

export function judge(c: FaultCase, r: RunOutput, lost: string[], left?: string): CaseResult {
  const base = { id: c.id, category: c.category, lost, code: r.code, signal: r.signal, ms: r.ms, stderr: r.stderr };
  const names = c.names ?? [];
  const named = !names.length || (c.allNames ? names.every((n) => r.stderr.includes(n)) : names.some((n) => r.stderr.includes(n)));
  const nameList = c.allNames ? `all of ${names.join(', ')}` : names.join(' | ');
  if (r.timedOut) return { ...base, verdict: 'hang', why: `still running after ${r.ms} ms` };
  const crash = crashText(r.stderr);
  if (crash) return { ...base, verdict: 'crash', why: `stderr has '${crash}'` };
  if (r.code === null || !KNOWN_EXITS.has(r.code)) return { ...base, verdict: 'crash', why: `exit ${r.code ?? 'signal ' + r.signal}` };
  if (left) return { ...base, verdict: 'unclear', why: left };
  const ok = r.code === 0;
  switch (c.expect) {
    case 'ok':
      return ok ? { ...base, verdict: 'ok', why: 'accepted' } : { ...base, verdict: 'unclear', why: `valid input rejected (exit ${r.code})` };
    case 'ok-warn':
      if (!ok) return { ...base, verdict: 'unclear', why: `valid input rejected (exit ${r.code})` };
      return named ? { ...base, verdict: 'ok', why: 'accepted with a warning naming the input' } : { ...base, verdict: 'unclear', why: `exit 0 but no warning naming ${nameList}` };
    case 'error':
      if (ok) return { ...base, verdict: 'unclear', why: 'bad input accepted (exit 0)' };
      return named ? { ...base, verdict: 'clear', why: `exit ${r.code}, names the input` } : { ...base, verdict: 'unclear', why: `exit ${r.code} but stderr names none of ${nameList}` };
    case 'reported':
      return named ? { ...base, verdict: ok ? 'ok' : 'clear', why: `exit ${r.code}, names the input` } : { ...base, verdict: 'unclear', why: `exit ${r.code} but stderr names none of ${nameList}` };
    case 'any':
      if (ok) return { ...base, verdict: 'ok', why: 'accepted' };
      return named ? { ...base, verdict: 'clear', why: `exit ${r.code}, names the input` } : { ...base, verdict: 'unclear', why: `exit ${r.code} but stderr names none of ${nameList}` };
  }
}

/** Sets up, runs and judges one case in its own folder under `workRoot`. */
export async function runCase(c: FaultCase, workRoot: string, defaultTimeoutMs: number): Promise<CaseResult> {
  const dir = path.join(workRoot, c.id.replace(/[^\w.-]+/g, '_'));
  mkdirSync(dir, { recursive: true });
  c.setup?.(dir);
  const before = snapshot(dir);
  const r = await runCli(c.args, dir, c.timeoutMs ?? defaultTimeoutMs);
  return judge(c, r, changedFiles(dir, before, c.mayChange), c.check?.(dir, r.stderr));
}

/** Runs `items` through `fn`, `limit` at a time, keeping the input order in the result. */
export async function pool<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
