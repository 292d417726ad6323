// The kill/resume campaign: random SIGKILLs of the real CLI during `annotate` and `ablate`, each
// followed by a resume (the same command again), the final output compared with an
// uninterrupted run: annotate's results file byte for byte, ablate's receipt files modulo
// timestamps. Used by kill-resume.test.ts (small N) and `npm run faults` (large N).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CLI, runCli } from './corpus/run';
import { datasetRows, PERSONA_AXIS, rng } from './corpus/inputs';

export interface CampaignResult {
  name: string;
  kills: number;
  resumes: number;
  /** Chains of kills that ended in a completed resume and were compared with the reference. */
  compared: number;
  /** What went wrong: outputs that differ, a killed run that left a torn file, a resume that failed. */
  problems: string[];
  ms: number;
}

export interface CampaignOptions {
  kills: number;
  seed: number;
  workDir: string;
  log?: (line: string) => void;
}

const RUN_TIMEOUT_MS = 120_000;

interface Target {
  name: string;
  /** Arguments writing to `out` (a file for annotate, a folder for ablate). */
  args: (out: string) => string[];
  /** The comparable content of a finished output. */
  read: (out: string) => Map<string, string>;
  /** What a SIGKILL may leave: a problem when it left something no run should. */
  afterKill: (out: string, reference: Map<string, string>) => string | undefined;
  /** How far a run has got, for killing it part-way (rows written); undefined when it cannot tell. */
  progress?: (out: string) => number;
}

/** Spawns the CLI, kills it with SIGKILL when `when` says so; resolves whether it was killed. */
function runAndKill(args: string[], cwd: string, when: (elapsedMs: number) => boolean): Promise<{ killed: boolean; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    let killed = false;
    const poll = setInterval(() => {
      if (!killed && when(Date.now() - t0)) {
        killed = true;
        child.kill('SIGKILL');
      }
    }, 5);
    const hard = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(hard);
      resolve({ killed: killed && signal === 'SIGKILL', code, stderr });
    });
  });
}

async function campaign(t: Target, cwd: string, opts: CampaignOptions): Promise<CampaignResult> {
  const t0 = Date.now();
  const r = rng(opts.seed);
  const log = opts.log ?? (() => {});
  const res: CampaignResult = { name: t.name, kills: 0, resumes: 0, compared: 0, problems: [], ms: 0 };
  const refOut = path.join(cwd, `${t.name}-reference`);
  const started = Date.now();
  const ref = await runCli(t.args(refOut), cwd, RUN_TIMEOUT_MS);
  const refMs = Date.now() - started;
  if (ref.code !== 0) throw new Error(`${t.name}: the uninterrupted run failed (exit ${ref.code}): ${ref.stderr.slice(0, 400)}`);
  const reference = t.read(refOut);
  const refProgress = t.progress?.(refOut) ?? 0;
  let chain = 0;
  let attempts = 0;
  while (res.kills < opts.kills && attempts++ < opts.kills * 4) {
    const out = path.join(cwd, `${t.name}-chain-${chain++}`);
    const chainKills = Math.min(opts.kills - res.kills, 1 + Math.floor(r() * 3));
    for (let k = 0; k < chainKills; k++) {
      // Kill either once a random number of rows is on disk (plus a little), or at a random
      // moment of a run's length (start-up, model load, a write: wherever it lands).
      const byRows = t.progress && refProgress > 1 && r() < 0.7;
      const rows = Math.floor(r() * refProgress);
      const jitter = Math.floor(r() * 120);
      const at = Math.floor(r() * refMs * 0.8);
      let reachedAt: number | undefined;
      const run = await runAndKill(t.args(out), cwd, (ms) => {
        if (!byRows) return ms >= at;
        if (reachedAt === undefined && t.progress!(out) >= rows) reachedAt = ms;
        return reachedAt !== undefined && ms >= reachedAt + jitter;
      });
      if (k > 0) res.resumes++;
      if (!run.killed) {
        if (run.code !== 0) res.problems.push(`${t.name}: a resume failed (exit ${run.code}): ${run.stderr.trim().split('\n').pop()}`);
        break; // it finished first: compare below
      }
      res.kills++;
      const torn = t.afterKill(out, reference);
      log(`${t.name}: SIGKILL ${res.kills} ${byRows ? `after ${rows} rows + ${jitter} ms` : `at ${at} ms`}${torn ? `: ${torn}` : ''}`);
      if (torn) res.problems.push(`${t.name}: after SIGKILL ${res.kills}: ${torn}`);
    }
    const fin = await runCli(t.args(out), cwd, RUN_TIMEOUT_MS);
    res.resumes++;
    if (fin.code !== 0) {
      res.problems.push(`${t.name}: the final resume failed (exit ${fin.code}): ${fin.stderr.trim().split('\n').pop()}`);
      continue;
    }
    res.compared++;
    const got = t.read(out);
    for (const f of new Set([...reference.keys(), ...got.keys()])) {
      if (reference.get(f) !== got.get(f)) res.problems.push(`${t.name}: chain ${chain - 1}: ${f} ${got.has(f) ? (reference.has(f) ? 'differs from' : 'is not in') : 'is missing from'} the uninterrupted run's output`);
    }
    rmSync(out, { recursive: true, force: true });
    rmSync(`${out}.run.json`, { force: true });
  }
  res.ms = Date.now() - t0;
  return res;
}

const lineCount = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').length - 1 : 0);

/** annotate: 12 rows, 2 per batch; the results file must be byte-identical, and a killed run leaves a prefix of it. */
export function annotateCampaign(opts: CampaignOptions): Promise<CampaignResult> {
  const cwd = path.join(opts.workDir, 'annotate');
  mkdirSync(cwd, { recursive: true });
  writeFileSync(path.join(cwd, 'data.jsonl'), datasetRows(12).join('\n') + '\n');
  return campaign({
    name: 'annotate',
    args: (out) => ['annotate', 'builtin', 'data.jsonl', '--out', out, '-n', '4', '--batch-size', '2', '--layers', '1,4'],
    read: (out) => new Map([['results.jsonl', readFileSync(out, 'latin1')]]),
    afterKill: (out, reference) => {
      if (!existsSync(out)) return undefined;
      const got = readFileSync(out, 'latin1');
      const want = [...reference.values()][0];
      // Whole rows, in order, as the uninterrupted run wrote them (a torn last line is cut off by the resume).
      const whole = got.slice(0, got.lastIndexOf('\n') + 1);
      return want.startsWith(whole) ? undefined : `the killed run's rows are not a prefix of the uninterrupted run's`;
    },
    progress: lineCount,
  }, cwd, opts);
}

/** ISO timestamps and durations vary between runs; everything else in a receipt must not. */
export function withoutTimes(text: string): string {
  return text
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/("?(duration|elapsed|seconds|ms)\w*"?\s*[:=]\s*)[\d.]+/gi, '$1<n>');
}

/** ablate: 2 conditions × 4 prompts; the receipt files must match modulo timestamps, and a kill leaves no torn receipt. */
export function ablateCampaign(opts: CampaignOptions): Promise<CampaignResult> {
  const cwd = path.join(opts.workDir, 'ablate');
  mkdirSync(cwd, { recursive: true });
  writeFileSync(path.join(cwd, 'persona.safetensors'), readFileSync(PERSONA_AXIS));
  writeFileSync(path.join(cwd, 'c.yaml'), [
    'name: kill-resume',
    'sets: { harmful: { builtin: harmful, limit: 4 } }',
    'axes: { persona: persona.safetensors }',
    'decoding: { maxNewTokens: 3 }',
    'batchSize: 2',
    'conditions:',
    '  - { name: baseline, set: harmful }',
    '  - { name: steer, set: harmful, interventions: [{ kind: steer, axis: persona, coefficient: 2, layers: all }] }',
    '',
  ].join('\n'));
  const files = (out: string) => (existsSync(out) ? readdirSync(out).filter((f) => statSync(path.join(out, f)).isFile()) : []);
  return campaign({
    name: 'ablate',
    args: (out) => ['ablate', 'builtin', 'c.yaml', '--out', out],
    read: (out) => new Map(files(out).filter((f) => f.startsWith('receipt') || f.endsWith('.svg') || f === 'responses.jsonl').map((f) => [f, withoutTimes(readFileSync(path.join(out, f), 'utf8'))])),
    afterKill: (out) => {
      const json = path.join(out, 'receipt.json');
      if (!existsSync(json)) return undefined;
      try {
        JSON.parse(readFileSync(json, 'utf8'));
      } catch {
        return 'receipt.json is torn (not JSON)';
      }
      const empty = files(out).filter((f) => statSync(path.join(out, f)).size === 0);
      return empty.length ? `empty receipt files: ${empty.join(', ')}` : undefined;
    },
  }, cwd, opts);
}

export function formatCampaign(r: CampaignResult): string {
  return `${r.name} kill/resume: ${r.kills} SIGKILLs, ${r.resumes} resumes, ${r.compared} outputs compared, ${r.problems.length} problems (data lost: ${r.problems.length ? 'yes' : 'none'}); ${(r.ms / 1000).toFixed(1)} s`;
}
