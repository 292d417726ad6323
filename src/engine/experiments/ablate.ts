// Runs a condition file's matrix (conditions and layer-window sweeps) on prompt sets and builds
// the refusal receipt; ablateToFolder also checks the output folder before any generation, keeps
// finished batches there as they complete (a rerun resumes) and writes the receipt's files.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { interventionAxes } from '../../protocol/interventions';
import type { Intervention, Label } from '../../protocol/types';
import { randomControl, type Direction } from '../directions/index';
import { loadDirection, type LensModel } from '../index';
import { DEFAULT_MARGINS } from '../labels/index';
import { checkContext } from '../generate/validate';
import { ensureWritableDir, type WriteHooks } from '../io/atomic';
import { acquireLock } from '../io/lock';
import { TOOL_VERSION } from '../version';
import { ProgressLog, PROGRESS_FILE, PROGRESS_SCHEMA } from './ablate-progress';
import { ConditionFileError, resolveIntervention, sweepWindows, type ConditionPlan, type ConditionSpec, type LocatedIssue } from './conditions';
import { describeDiagnostics, readPromptSet, rowPrompt, systemPromptOf, withSystem, type PromptSet } from './dataset';
import { chunks, ProgressTracker, throwIfAborted, type ProgressFn } from './progress';
import { canonicalJson, RECEIPT_SCHEMA, receiptHash, summarise, type ConditionResult, type Receipt, type ReceiptAxis, type SweepResult } from './receipt';
import { prepareReceiptFolder, writeReceiptFiles } from './receipt-files';
import { shardOfGroup, type Shard } from './shard';

export { sweepChart, writeReceiptFiles } from './receipt-files';

export interface AblateOptions {
  /** Overrides the file's batchSize. */
  batchSize?: number;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  /**
   * The receipt's folder. Given, it is checked (creatable, writable, nothing foreign in it)
   * before any generation, and every finished batch is kept in its progress.jsonl, so a rerun
   * of the same plan on the same model resumes and gives the same receipt.
   */
  outDir?: string;
  /** Test hook: how bytes reach the disk (to simulate a full disk). */
  hooks?: WriteHooks;
  /** Things the user should know that are not errors (e.g. "resumed 40 of 120 prompts"). */
  onNotice?: (message: string) => void;
  /**
   * Run only this shard's batches (every job's batches counted in run order, batch u going to
   * shard (u mod N) + 1) into outDir's progress file; see ablateShardToFolder.
   */
  shard?: Shard;
}

export interface ResponseRow {
  condition: string;
  /** For sweep points: the moving intervention's layers. */
  window?: number[];
  id: string;
  label: Label;
  refusalScore: number;
  response: string;
}

export interface AblationRun {
  receipt: Receipt;
  responses: ResponseRow[];
  /** Prompts taken from the output folder's progress file instead of run again. */
  resumed: number;
}

/** Prompts that cannot run at all (longer than the model's context): named by set file and line, before any work. */
export class PromptTooLongError extends Error {
  constructor(readonly problems: string[]) {
    const shown = problems.slice(0, 10);
    super(
      `${problems.length} prompt${problems.length === 1 ? ' does' : 's do'} not fit the model's context${problems.some((p) => p.includes(': cannot be encoded: ')) ? ' or cannot be encoded' : ''}; nothing was run:\n` +
        shown.map((p) => `  ${p}`).join('\n') +
        (problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : '') +
        '\nShorten or remove these rows (or give the set a smaller `limit`), or lower decoding.maxNewTokens.',
    );
    this.name = 'PromptTooLongError';
  }
}

interface Job {
  /** Stable within a plan: the progress file's key for this job. */
  key: string;
  spec: ConditionSpec;
  interventions: Intervention[];
  window?: number[];
}

async function loadAxes(model: LensModel, plan: ConditionPlan, problems: LocatedIssue[]): Promise<{ axes: Map<string, Direction>; records: ReceiptAxis[] }> {
  const axes = new Map<string, Direction>();
  const records: ReceiptAxis[] = [];
  for (const a of plan.axes) {
    if (a.kind !== 'file') continue;
    try {
      const d = await loadDirection(a.file, model);
      axes.set(a.name, { ...d, name: a.name });
      records.push({ name: a.name, kind: 'file', file: a.display, sha256: d.sha256!, method: d.meta.method, positions: d.meta.positions });
    } catch (e) {
      problems.push(plan.locate(['axes', a.name], (e as Error).message));
    }
  }
  for (const a of plan.axes) {
    if (a.kind !== 'random') continue;
    const like = axes.get(a.randomLike);
    if (!like) continue; // its own load error is already reported
    const r = randomControl(like, a.seed, a.name);
    axes.set(a.name, r);
    const sha256 = createHash('sha256').update(new Uint8Array(r.vectors.buffer, r.vectors.byteOffset, r.vectors.byteLength)).digest('hex');
    records.push({ name: a.name, kind: 'random', randomLike: a.randomLike, seed: a.seed, sha256 });
  }
  return { axes, records };
}

function axesOf(ivs: Intervention[], axes: Map<string, Direction>): Direction[] {
  const names = new Set(ivs.flatMap((iv) => interventionAxes(iv)));
  return [...names].sort().map((n) => axes.get(n)!);
}

/**
 * Every (set, system prompt) the jobs run must fit the model's context with the decoding's new
 * tokens. Checked by tokenizing before any generation: an over-long row would otherwise stop the
 * run midway. We stop (rather than record error rows) because a receipt's rates are claims about
 * the whole set: silently dropping rows would change the sample the numbers describe.
 */
function checkPromptLengths(model: LensModel, plan: ConditionPlan, sets: Map<string, PromptSet>, jobs: Job[]): void {
  const maxPositions = model.loaded.config.maxPositions;
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const job of jobs) {
    const key = `${job.spec.set}\u0000${job.spec.system ?? '\u0001'}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const set = sets.get(job.spec.set)!;
    for (const r of rowsOf(set, job)) {
      const where = `${set.display}:${r.line}: set '${job.spec.set}'${job.spec.system !== undefined ? ` with the system prompt of '${job.spec.name}'` : ''}, id ${JSON.stringify(r.id)}`;
      let n: number;
      try {
        n = model.loaded.tokenizer.encodePrompt(rowPrompt(r)).length;
      } catch (e) {
        problems.push(`${where}: cannot be encoded: ${(e as Error).message}`);
        continue;
      }
      try {
        checkContext(n, plan.decoding.maxNewTokens, maxPositions, where);
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
  }
  if (problems.length) throw new PromptTooLongError(problems);
}

function rowsOf(set: PromptSet, job: Job) {
  return job.spec.system !== undefined ? set.rows.map((r) => ({ ...r, messages: withSystem(r.messages, job.spec.system!) })) : set.rows;
}

/** What a batch's outputs depend on: a progress file saved under another key is not resumed. */
function runKey(model: LensModel, plan: ConditionPlan, sets: Map<string, PromptSet>, records: ReceiptAxis[], batchSize: number): string {
  const m = model.summary;
  return createHash('sha256')
    .update(canonicalJson({
      schema: PROGRESS_SCHEMA, toolVersion: TOOL_VERSION, conditionFile: plan.sha256,
      model: { name: m.name, graphHash: m.graphHash, tokenizerHash: m.tokenizerHash, dtype: m.dtype },
      sets: [...sets.entries()].map(([name, s]) => ({ name, sha256: s.sha256, ids: s.rows.map((r) => r.id) })),
      axes: records.map((a) => ({ name: a.name, sha256: a.sha256 })),
      decoding: plan.decoding, batchSize,
    }))
    .digest('hex');
}

/** Validates everything against the model first (so a typo fails in seconds, not after an hour), then runs. */
export async function runAblation(model: LensModel, plan: ConditionPlan, o: AblateOptions = {}): Promise<AblationRun> {
  const L = model.summary.layers;
  const problems: LocatedIssue[] = [];
  const sets = new Map<string, PromptSet>();
  for (const s of plan.sets) {
    try {
      const spec = s.source.kind === 'builtin' ? `builtin:${s.source.builtin}` : s.source.file;
      const set = await readPromptSet(spec, { ...(s.limit !== undefined ? { limit: s.limit } : {}), ...(s.system !== undefined ? { system: s.system } : {}), ...(s.fields ? { fields: s.fields } : {}) });
      if (!set.rows.length) problems.push(plan.locate(['sets', s.name], `${s.source.display} has no readable rows${describeDiagnostics(set).map((x) => `; ${x}`).join('')}`));
      sets.set(s.name, { ...set, display: s.source.display });
    } catch (e) {
      problems.push(plan.locate(['sets', s.name], (e as Error).message));
    }
  }
  const { axes, records } = await loadAxes(model, plan, problems);
  const resolve = (spec: ConditionSpec) => spec.interventions.map((iv) => resolveIntervention(plan, iv, L, problems)).filter((x): x is Intervention => !!x);
  const jobs: Job[] = plan.conditions.map((spec, i) => ({ key: `c${i}:${spec.name}`, spec, interventions: resolve(spec) }));
  const sweepJobs = plan.sweeps.map((sw, si) => {
    const fixed = resolve(sw);
    const w = sw.window;
    if (w.intervention.sourceLayer !== undefined && w.intervention.sourceLayer >= L) problems.push(plan.locate([...w.path, 'intervention', 'sourceLayer'], `layer ${w.intervention.sourceLayer} is outside 0..${L - 1}`));
    const windows = sweepWindows(w, L);
    if (!windows.length) problems.push(plan.locate(w.path, `no window of ${w.size} layers fits between layer ${w.from} and ${Math.min(w.to ?? L - 1, L - 1)}`));
    return {
      sw,
      windows,
      jobs: windows.map((layers): Job => ({ key: `s${si}:${sw.name}@${layers.join(',')}`, spec: sw, window: layers, interventions: [...fixed, { ...w.intervention, layers } as Intervention] })),
    };
  });
  if (problems.length) throw new ConditionFileError(problems);

  const batchSize = o.batchSize ?? plan.batchSize;
  const all = [...jobs, ...sweepJobs.flatMap((s) => s.jobs)];
  checkPromptLengths(model, plan, sets, all);
  let log: ProgressLog | undefined;
  if (o.outDir !== undefined) {
    prepareReceiptFolder(o.outDir, plan);
    const meta = { conditionFile: path.basename(plan.file), model: model.summary.name, ...(o.shard ? { shard: o.shard } : {}) };
    log = ProgressLog.open(o.outDir, runKey(model, plan, sets, records, batchSize), meta, o.hooks, o.onNotice);
  }
  try {
    let unit = 0;
    const mine = () => !o.shard || shardOfGroup(unit++, o.shard.n) === o.shard.k;
    const total = o.shard
      ? all.reduce((n, j) => n + chunks(rowsOf(sets.get(j.spec.set)!, j), batchSize).filter(() => mine()).reduce((m, b) => m + b.length, 0), 0)
      : all.reduce((n, j) => n + sets.get(j.spec.set)!.rows.length, 0);
    unit = 0;
    const saved = log?.savedRows ?? 0;
    if (saved) o.onNotice?.(`resuming: ${saved} of ${total} prompts were finished by an earlier run (${path.join(o.outDir!, PROGRESS_FILE)})`);
    const progress = new ProgressTracker('ablate', total, o.onProgress, saved);
    let done = 0;
    let resumed = 0;
    const responses: ResponseRow[] = [];
    const run = async (job: Job): Promise<ConditionResult> => {
      const set = sets.get(job.spec.set)!;
      const rows = rowsOf(set, job);
      const jobAxes = axesOf(job.interventions, axes);
      const labels: Label[] = [];
      const scores: number[] = [];
      let bi = 0;
      for (const batch of chunks(rows, batchSize)) {
        const b = bi++;
        if (!mine()) continue;
        let out = log?.get(job.key, b, batch.map((r) => r.id));
        if (out) resumed += out.length;
        else {
          throwIfAborted(o.signal, 'ablate');
          let traces;
          try {
            traces = await model.traceBatch(
              batch.map((r) => ({ prompt: rowPrompt(r), axes: jobAxes, interventions: job.interventions, decoding: plan.decoding })),
              o.signal ? { signal: o.signal } : {},
            );
          } catch (e) {
            if ((e as Error).name === 'AbortError') throw e;
            const lines = batch.map((r) => r.line);
            throw new Error(`${set.display}:${lines[0]}${lines.length > 1 ? `-${lines[lines.length - 1]}` : ''} (set '${job.spec.set}', ${job.window ? `sweep '${job.spec.name}' at L${job.window.join(',')}` : `condition '${job.spec.name}'`}): ${(e as Error).message}`);
          }
          out = traces.map((t, i) => ({ id: batch[i].id, label: t.label.label, refusalScore: t.label.refusalScore, response: t.response }));
          log?.append(job.key, b, out);
        }
        for (const x of out) {
          labels.push(x.label);
          scores.push(x.refusalScore);
          responses.push({ condition: job.spec.name, ...(job.window ? { window: job.window } : {}), id: x.id, label: x.label, refusalScore: x.refusalScore, response: x.response });
        }
        progress.report((done += batch.length));
      }
      return {
        name: job.spec.name,
        set: job.spec.set,
        ...summarise(labels, scores),
        systemPrompts: [...new Set(rows.map(systemPromptOf))],
        interventions: job.interventions,
      };
    };
    const conditions: ConditionResult[] = [];
    for (const j of jobs) conditions.push(await run(j));
    const sweeps: SweepResult[] = [];
    for (const s of sweepJobs) {
      const points = [];
      for (const j of s.jobs) points.push({ ...(await run(j)), window: j.window! });
      sweeps.push({ name: s.sw.name, set: s.sw.set, moving: { ...s.sw.window.intervention }, size: s.sw.window.size, stride: s.sw.window.stride, points });
    }

    const m = model.summary;
    const content: Omit<Receipt, 'hash' | 'created'> = {
      schema: RECEIPT_SCHEMA,
      title: plan.name ?? path.basename(plan.file),
      ...(plan.description !== undefined ? { description: plan.description } : {}),
      toolVersion: TOOL_VERSION,
      conditionFile: { file: path.basename(plan.file), sha256: plan.sha256 },
      model: { name: m.name, modelType: m.modelType, layers: m.layers, dModel: m.dModel, dtype: m.dtype, graphHash: m.graphHash, tokenizerHash: m.tokenizerHash, ...(m.device ? { device: m.device.device } : {}) },
      sets: plan.sets.map((s) => {
        const set = sets.get(s.name)!;
        return {
          name: s.name, source: s.source.display, sha256: set.sha256, count: set.rows.length, skipped: describeDiagnostics(set),
          ...(s.limit !== undefined ? { limit: s.limit } : {}), ...(s.system !== undefined ? { system: s.system } : {}),
        };
      }),
      axes: records,
      decoding: plan.decoding,
      batchSize,
      degenerateCheck: { reference: round3(await model.likelihoodReference()), margins: { ...DEFAULT_MARGINS } },
      conditions,
      sweeps,
    };
    return { receipt: { ...content, hash: receiptHash(content), created: new Date().toISOString() }, responses, resumed };
  } finally {
    log?.close();
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Runs `fn` holding the output folder's lock (`<outDir>/progress.jsonl.lock`, the lock annotate
 * takes on its results file): two runs into one folder would interleave batches in one progress
 * file and race on the receipt. A live holder makes this throw LockHeldError naming it, before
 * anything is written; the lock goes on every exit path (a SIGKILLed holder's is taken over).
 */
async function withFolderLock<T>(outDir: string, fn: () => Promise<T>): Promise<T> {
  ensureWritableDir(outDir, 'the output folder');
  const lock = acquireLock(path.join(outDir, PROGRESS_FILE), 'ablate');
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/**
 * The whole ablation as the CLI and the worker run it: checks, generation with finished batches
 * kept in `outDir` (a rerun resumes), then the receipt's files written atomically. The progress
 * file is removed only once the receipt is on disk (responses.jsonl then holds every row).
 */
export async function ablateToFolder(model: LensModel, plan: ConditionPlan, outDir: string, o: Omit<AblateOptions, 'outDir'> = {}): Promise<AblationRun & { files: string[] }> {
  return withFolderLock(outDir, async () => {
    const run = await runAblation(model, plan, { ...o, outDir });
    const files = writeReceiptFiles(outDir, run, o.hooks);
    ProgressLog.removeFrom(outDir);
    return { ...run, files };
  });
}

/**
 * One shard of an ablation (`ablate --shard K/N`): its batches are generated and kept in
 * `outDir`/progress.jsonl, and no receipt is written (its rates need every batch). `merge`
 * joins the shards' progress files into one folder, where `ablate --out` that folder resumes
 * every batch, generates nothing, and writes the receipt one machine would have written.
 */
export async function ablateShardToFolder(model: LensModel, plan: ConditionPlan, outDir: string, shard: Shard, o: Omit<AblateOptions, 'outDir' | 'shard'> = {}): Promise<{ resumed: number }> {
  return withFolderLock(outDir, async () => ({ resumed: (await runAblation(model, plan, { ...o, outDir, shard })).resumed }));
}
