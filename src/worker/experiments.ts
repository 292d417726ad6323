// The worker's experiment requests (issue 4): `annotate` a JSONL dataset and `ablate` a
// condition file with the loaded model, streaming progress (and rows) as notifications, and
// `checkConditions` without a model. Errors the host must tell apart travel as JSON-RPC
// ResponseErrors with a code from rpc.ts (and, for condition files, the located issues).
import { interventionAxes } from '../protocol/interventions';
import { ANNOTATE_POSITIONS, DEFAULT_ANNOTATE_POSITIONS, isAnnotatePosition } from '../protocol/annotate';
import * as path from 'node:path';
import { ResponseError, type CancellationToken, type MessageConnection } from 'vscode-jsonrpc';
import {
  Ablate,
  Annotate,
  AnnotateRow,
  CheckConditions,
  ErrorCodes,
  ExperimentProgress,
  onRequest,
  sendNotification,
  type AblateParams,
  type AblateResult,
  type AnnotateParams,
  type AnnotateResult,
  type CheckConditionsResult,
  type ConditionIssue,
} from '../protocol/rpc';
import type { Logger } from './log';

type Experiments = typeof import('../engine/experiments/index.js');
type ResultsFile = typeof import('../engine/experiments/results-file.js');
type LensModel = Parameters<Experiments['annotate']>[0];
type Direction = Parameters<Experiments['annotate']>[3]['axes'][number];

/** What the experiment handlers need from the WorkerService. */
export interface ExperimentHost {
  conn: MessageConnection;
  log: Logger;
  /** Runs `work` after every earlier engine call; cancellation aborts the signal. */
  serial<R>(token: CancellationToken, work: (signal: AbortSignal) => Promise<R>): Promise<R>;
  /** The loaded model, or throws "no model loaded". */
  model(): LensModel;
  /** Loaded axes by name. */
  axes(): Map<string, Direction>;
}


let experiments: Promise<[Experiments, ResultsFile]> | undefined;
function load(): Promise<[Experiments, ResultsFile]> {
  experiments ??= Promise.all([import('../engine/experiments/index.js'), import('../engine/experiments/results-file.js')]);
  return experiments;
}

function bad(message: string): ResponseError<void> {
  return new ResponseError(ErrorCodes.BadRequest, message);
}

function absolute(value: unknown, what: string): string {
  if (typeof value !== 'string' || !path.isAbsolute(value)) throw bad(`${what} must be an absolute path, got ${JSON.stringify(value)}`);
  return value;
}

function issuesOf(e: unknown): ConditionIssue[] | undefined {
  const issues = (e as { issues?: unknown } | null)?.issues;
  if (!(e instanceof Error) || e.name !== 'ConditionFileError' || !Array.isArray(issues)) return undefined;
  return issues.map((i: ConditionIssue) => ({ file: i.file, line: i.line, column: i.column, field: i.field, message: i.message }));
}

function conditionError(issues: ConditionIssue[]): ResponseError<{ issues: ConditionIssue[] }> {
  const first = issues[0];
  const where = first ? ` First: ${path.basename(first.file)}:${first.line}${first.field ? ` ${first.field}` : ''}: ${first.message}` : '';
  return new ResponseError(ErrorCodes.ConditionFile, `the condition file has ${issues.length} problem${issues.length === 1 ? '' : 's'}.${where}`, { issues });
}

export function registerExperiments(host: ExperimentHost): void {
  const { conn } = host;
  const progress = (runId: string) => (p: { phase: string; done: number; total: number; etaMs?: number }) =>
    void sendNotification(conn, ExperimentProgress, { runId, phase: p.phase, done: p.done, total: p.total, ...(p.etaMs !== undefined ? { etaMs: p.etaMs } : {}) });

  onRequest(conn, Annotate, (p, token) => host.serial(token, (signal) => annotate(host, p, signal, progress(p?.runId))));
  onRequest(conn, Ablate, (p, token) => host.serial(token, (signal) => ablate(host, p, signal, progress(p?.runId))));
  onRequest(conn, CheckConditions, async (p): Promise<CheckConditionsResult> => {
    const file = absolute(p?.file, 'checkConditions: file');
    const [E] = await load();
    try {
      const plan = E.loadConditionFile(file);
      const files: NonNullable<CheckConditionsResult['files']> = [
        ...plan.axes.flatMap((a) => (a.kind === 'file' ? [{ kind: 'direction file' as const, path: a.file }] : [])),
        ...plan.sets.flatMap((s) => (s.source.kind === 'file' ? [{ kind: 'prompt set' as const, path: s.source.file }] : [])),
      ];
      return { issues: [], conditions: plan.conditions.length, sweeps: plan.sweeps.length, files };
    } catch (e) {
      const issues = issuesOf(e);
      if (issues) return { issues, conditions: 0, sweeps: 0 };
      throw e;
    }
  });
}

async function annotate(host: ExperimentHost, p: AnnotateParams, signal: AbortSignal, onProgress: (x: { phase: string; done: number; total: number; etaMs?: number }) => void): Promise<AnnotateResult> {
  if (typeof p?.runId !== 'string') throw bad('annotate: runId must be a string');
  const dataset = absolute(p.dataset, 'annotate: dataset');
  const out = absolute(p.out, 'annotate: out');
  if (path.resolve(out) === path.resolve(dataset)) throw bad('annotate: the results file must not be the dataset itself');
  if (!p.decoding || typeof p.decoding.maxNewTokens !== 'number') throw bad('annotate: decoding.maxNewTokens is required');
  const positions = p.positions ?? [...DEFAULT_ANNOTATE_POSITIONS];
  for (const x of positions) if (!isAnnotatePosition(x)) throw bad(`annotate: position '${x}' is not one of ${ANNOTATE_POSITIONS.join(', ')}`);
  const model = host.model();
  const loaded = host.axes();
  const names = p.axes ?? [...loaded.keys()];
  const axes = names.map((n) => {
    const a = loaded.get(n);
    if (!a) throw bad(`annotate: unknown axis "${n}"; loaded: ${[...loaded.keys()].join(', ') || '(none)'}`);
    return a;
  });
  for (const iv of p.interventions ?? []) {
    for (const n of interventionAxes(iv)) if (!names.includes(n)) throw bad(`annotate: intervention uses axis "${n}", which is not among the annotated axes`);
  }
  const [E, R] = await load();
  const t0 = Date.now();
  let s: Awaited<ReturnType<Experiments['annotate']>>;
  try {
    s = await E.annotate(model, dataset, out, {
      axes,
      ...(p.layers ? { layers: p.layers } : {}),
      positions,
      interventions: p.interventions ?? [],
      decoding: p.decoding,
      ...(p.batchSize ? { batchSize: p.batchSize } : {}),
      restart: p.restart === true,
      retryErrors: p.retryErrors === true,
      signal,
      onProgress,
      onRow: (row) =>
        void sendNotification(host.conn, AnnotateRow, {
          runId: p.runId,
          row: E.isAnnotationError(row)
            ? { id: row.id, line: row.line, error: row.error }
            : { id: row.id, line: row.line, label: row.label, refusalScore: row.refusalScore, projections: row.projections },
        }),
    });
  } catch (e) {
    if (e instanceof R.ResultsFileError) {
      if (e.problem === 'mismatch') throw new ResponseError(ErrorCodes.ResultsMismatch, e.message);
      throw new ResponseError(ErrorCodes.ResultsRefused, e.message, { problem: e.problem });
    }
    throw e;
  }
  host.log.info(`annotate ${path.basename(dataset)}: ${s.ran} run, ${s.resumed} resumed, ${s.failed.length} failed, ${s.errors} error rows (${Date.now() - t0} ms)`);
  return {
    out: s.out,
    total: s.total,
    resumed: s.resumed,
    ran: s.ran,
    skipped: s.diagnostics.filter((d) => d.severity === 'error').map((d) => ({ line: d.line, field: d.field, message: d.message })),
    failed: s.failed,
    errors: s.errors,
    retried: s.retried,
    ...(s.truncated ? { truncated: s.truncated } : {}),
    foreign: s.foreign,
    counts: s.counts,
  };
}

async function ablate(host: ExperimentHost, p: AblateParams, signal: AbortSignal, onProgress: (x: { phase: string; done: number; total: number; etaMs?: number }) => void): Promise<AblateResult> {
  const file = absolute(p?.file, 'ablate: file');
  const outDir = absolute(p.outDir, 'ablate: outDir');
  if (p.batchSize !== undefined && !(Number.isInteger(p.batchSize) && p.batchSize > 0)) throw bad(`ablate: batchSize must be a positive integer, got ${p.batchSize}`);
  const model = host.model();
  const [E] = await load();
  let run: Awaited<ReturnType<Experiments['ablateToFolder']>>;
  try {
    const plan = E.loadConditionFile(file);
    // Same engine path as the CLI: output folder checked first, finished batches kept in outDir.
    run = await E.ablateToFolder(model, plan, outDir, { ...(p.batchSize ? { batchSize: p.batchSize } : {}), onProgress, onNotice: (m) => host.log.info(`ablate ${path.basename(file)}: ${m}`), signal });
  } catch (e) {
    const issues = issuesOf(e);
    if (issues) throw conditionError(issues);
    throw e;
  }
  const files = run.files;
  host.log.info(`ablate ${path.basename(file)}: receipt ${run.receipt.hash.slice(0, 12)} in ${outDir}`);
  return { outDir, files, receipt: run.receipt };
}
