// JSON-RPC between the extension host and the engine worker (a child process, Node IPC).
// One module both ends import, so a renamed field breaks the build, not a session.
// Each message is a typed constant; its JSDoc names its direction. The descriptors are plain
// objects (no runtime import): both ends wrap them with vscode-jsonrpc through the helpers below (the worker's request
// handlers through src/worker/errors.ts `handle`, so every failure carries an ErrorCodes code).
// Cancelling a request uses the protocol's own `$/cancelRequest`, which the worker turns into
// the engine's AbortSignal.

import type { CancellationToken, Disposable, MessageConnection } from 'vscode-jsonrpc';
import type { AnnotatePosition } from './annotate';
import type { AxisSummary, DecodingOptions, Intervention, Label, ModelSummary, PromptInput, TokenEvent, TokenInfo, TraceResult } from './types';
import type { LogitLensOptions } from './readouts';

/** A request type: method name plus phantom parameter and result types. */
export interface RpcRequest<P, R> {
  readonly method: string;
  /** never set: carries the types only */
  readonly _types?: [P, R];
}
/** A notification type: method name plus phantom parameter type. */
export interface RpcNotification<P> {
  readonly method: string;
  readonly _types?: [P];
}
function request<P, R>(method: string): RpcRequest<P, R> {
  return { method };
}
function notification<P>(method: string): RpcNotification<P> {
  return { method };
}

/** Bumped when a message changes shape; the host refuses a worker of another version. */
export const PROTOCOL_VERSION = 1;

// ───────────────────────────── host → worker requests ─────────────────────────────

export interface HelloResult {
  protocolVersion: number;
  pid: number;
  node: string;
}
/** host → worker: first message; answers the worker's protocol version (no engine loaded yet). */
export const Hello = request<void, HelloResult>('refusalLens/hello');

export interface LoadModelParams {
  /** Absolute folder holding config.json, tokenizer.json and onnx/*.onnx or a safetensors checkpoint. */
  folder: string;
  dtype?: string;
  /** auto (default), cpu, webgpu, cuda, dml, coreml: DEVICES of ./device */
  device?: string;
  threads?: number;
  /** Where rewritten graphs are cached when the model folder is read-only, and where a checkpoint's graph is built. */
  cacheDir?: string;
}
/**
 * host → worker: load (or reuse the cached) model; loading another model frees the previous one.
 * Cancellable: a checkpoint folder's graph build stops and leaves no cache entry. While a
 * checkpoint's graph is built (not when it comes from the cache), streams `ModelBuildProgress`.
 */
export const LoadModel = request<LoadModelParams, ModelSummary>('refusalLens/loadModel');

export interface ModelBuildProgressParams {
  /** the `LoadModelParams.folder` being loaded */
  folder: string;
  /** e.g. "building the checkpoint graph (MiB converted)" */
  phase: string;
  done: number;
  total: number;
  /** Estimated milliseconds left, once something ran. */
  etaMs?: number;
}
/** worker → host: progress of building a safetensors checkpoint's graph during `LoadModel`. */
export const ModelBuildProgress = notification<ModelBuildProgressParams>('refusalLens/modelBuildProgress');

export interface AxisFile {
  /** Absolute path of a `.safetensors` direction file. */
  path: string;
  /** Name to register it under (default: the name stored in the file). */
  name?: string;
}
export interface LoadAxesParams {
  files: AxisFile[];
  /**
   * Norm-matched random controls to add after the files, each made from a loaded axis with a
   * seed and named by `randomControlName` (the CLI's `--random-control`, for the inspector).
   */
  randomControls?: { axis: string; seed: number }[];
  /** Replace the loaded axes (default) or add to them. */
  replace?: boolean;
}
/** host → worker: read direction files, check them against the loaded model; answers every loaded axis. */
export const LoadAxes = request<LoadAxesParams, AxisSummary[]>('refusalLens/loadAxes');

export interface EncodeParams {
  prompt: PromptInput;
}
/** host → worker: tokenize a prompt with the loaded model's tokenizer and chat template. */
export const Encode = request<EncodeParams, { ids: number[]; tokens: TokenInfo[] }>('refusalLens/encode');

export interface TraceParams {
  /** Chosen by the host; echoed in every `TraceToken` notification of this run. */
  runId: string;
  prompt: PromptInput;
  /** Names of loaded axes to read out (default: all loaded axes). */
  axes?: string[];
  interventions: Intervention[];
  decoding: DecodingOptions;
  /**
   * The reference set for model-relative numbers (norm coefficients, percentile cap bounds) and
   * the norm warning: builtin:NAME or a file path (default DEFAULT_REFERENCE_SET, protocol/reference.ts).
   */
  reference?: string;
  /** Also read the logit lens (result.readouts.logitLens); absent = off. */
  logitLens?: LogitLensOptions;
}
/** host → worker: run one prompt; streams `TraceToken` notifications, answers the full result. Cancellable. */
export const Trace = request<TraceParams, TraceResult>('refusalLens/trace');

// ─────────── experiments (issue 4): annotate a dataset, run an ablation condition file ───────────

/** Where a dataset row's projection was read: the list is src/protocol/annotate.ts. */
export type { AnnotatePosition } from './annotate';

export interface AnnotateParams {
  /** Chosen by the host; echoed in every `ExperimentProgress` and `AnnotateRow` of this run. */
  runId: string;
  /** Absolute path of the dataset: JSONL, CSV or Parquet. */
  dataset: string;
  /** Absolute path of the results JSONL; rows already in it are skipped (resume). */
  out: string;
  /** Names of loaded axes to project on (default: all loaded axes). */
  axes?: string[];
  /** 0-based layers to report (default: all). */
  layers?: number[];
  /** Default DEFAULT_ANNOTATE_POSITIONS (last_prompt, response_mean). */
  positions?: AnnotatePosition[];
  interventions?: Intervention[];
  decoding: DecodingOptions;
  /** Prompts per batch (default DEFAULT_ANNOTATE_BATCH, 32); keep it fixed across resumes. */
  batchSize?: number;
  /** Discard an existing results file instead of resuming. */
  restart?: boolean;
  /** Run the dataset's error rows again (a plain resume keeps them). */
  retryErrors?: boolean;
  /** Columns (fields) holding the prompt, system prompt and id, when not the usual names (CSV, Parquet, JSONL). */
  fields?: { promptField?: string; systemField?: string; idField?: string };
}

/** One finished dataset row, as written to the results file (the response text left out). */
export interface AnnotatedRow {
  id: string;
  /** 1-based line in the dataset when it ran (lines move: key by id). */
  line: number;
  label: Label;
  refusalScore: number;
  /** projections[axis][layer][position]. */
  projections: Record<string, Record<string, Partial<Record<AnnotatePosition, number>>>>;
}

/** A dataset row the model could not run, as written to the results file in its place. */
export interface AnnotatedErrorRow {
  id: string;
  line: number;
  /** Why, e.g. the prompt is longer than the model's context. */
  error: string;
}

export interface AnnotateResult {
  out: string;
  /** Readable dataset rows. */
  total: number;
  /** Rows already in the results file, skipped. */
  resumed: number;
  /** Rows run now. */
  ran: number;
  /** Unreadable dataset lines (skipped), 1-based. */
  skipped: { line: number; field: string; message: string }[];
  /** Rows the model could not run in this run; written as error rows (a resume keeps them; `retryErrors` runs them again). */
  failed: { id: string; line: number; message: string }[];
  /** Error rows for the dataset's rows in the file after the run (this run's and earlier ones). */
  errors: number;
  /** Error rows of earlier runs run again (`retryErrors`). */
  retried: number;
  /** A half-written last line left by a killed run, cut off before resuming. */
  truncated?: { line: number; bytes: number };
  /** Rows in the results file whose id the dataset no longer has (kept). */
  foreign: number;
  counts: Record<Label, number>;
}
/**
 * host → worker: annotate a dataset with the loaded model and axes. Streams `ExperimentProgress`
 * and one `AnnotateRow` per row once it is on disk. Cancellable: `$/cancelRequest` aborts the
 * engine; rows already written stay, and the same request again resumes. An existing results
 * file made with other settings fails with `ErrorCodes.ResultsMismatch` (send `restart` to
 * start over); one that cannot be used at all (not a results file of ours, a line that is not a
 * row, or another run writing it) fails with `ErrorCodes.ResultsRefused` and
 * `data: { problem: 'foreign' | 'corrupt' | 'locked' }`, and nothing is changed.
 */
export const Annotate = request<AnnotateParams, AnnotateResult>('refusalLens/annotate');

/** A located problem in a condition file (1-based line and column, dotted field path). */
export interface ConditionIssue {
  file: string;
  line: number;
  column: number;
  field: string;
  message: string;
}

export interface CheckConditionsParams {
  /** Absolute path of a condition file (.yaml, .yml or .json). */
  file: string;
}
export interface CheckConditionsResult {
  /** Empty when the file is well-formed (layers are checked against a model only when it runs). */
  issues: ConditionIssue[];
  conditions: number;
  sweeps: number;
  /**
   * The files a run would load besides the model (absolute): its direction files and prompt
   * sets. The host asks before loading them from an untrusted workspace. Absent on issues.
   */
  files?: { kind: 'direction file' | 'prompt set'; path: string }[];
}
/** host → worker: check a condition file's schema and references without a model. */
export const CheckConditions = request<CheckConditionsParams, CheckConditionsResult>('refusalLens/checkConditions');

export interface AblateParams {
  /** Echoed in `ExperimentProgress`. */
  runId: string;
  /** Absolute path of the condition file. */
  file: string;
  /** Absolute folder for receipt.json/.md/.tex/.csv, rates.svg, sweep-*.svg, responses.jsonl. */
  outDir: string;
  /** Overrides the file's batchSize. */
  batchSize?: number;
}
export interface AblateResult {
  outDir: string;
  /** Absolute paths of the files written. */
  files: string[];
  /** The receipt (refusal-lens.receipt/1) as written to receipt.json. */
  receipt: unknown;
}
/**
 * host → worker: run a condition file's matrix on the loaded model and write the receipt.
 * Streams `ExperimentProgress`; cancellable. A condition-file problem (schema, references, or
 * layers against the model) fails with `ErrorCodes.ConditionFile` and
 * `data: { issues: ConditionIssue[] }`.
 */
export const Ablate = request<AblateParams, AblateResult>('refusalLens/ablate');

/** JSON-RPC error codes of the worker: the table lives in ./errors (what each means, the host's actions). */
export { ErrorCodes } from './errors';

/** host → worker: free the model and exit 0 after answering. */
export const Shutdown = request<void, void>('refusalLens/shutdown');

// ───────────────────────────── worker → host notifications ─────────────────────────────

export interface TraceTokenParams {
  runId: string;
  event: TokenEvent;
}
/** worker → host: tokens of a running trace (prompt tokens in one batch after prefill, then one per step). */
export const TraceToken = notification<TraceTokenParams>('refusalLens/traceToken');

export interface ExperimentProgressParams {
  runId: string;
  /** "annotate", "ablate", … */
  phase: string;
  done: number;
  total: number;
  /** Estimated milliseconds left, once something ran. */
  etaMs?: number;
}
/** worker → host: progress of a running `annotate` or `ablate`. */
export const ExperimentProgress = notification<ExperimentProgressParams>('refusalLens/experimentProgress');

export interface AnnotateRowParams {
  runId: string;
  row: AnnotatedRow | AnnotatedErrorRow;
}
/** worker → host: a row of a running `annotate`, sent after it is written to the results file. */
export const AnnotateRow = notification<AnnotateRowParams>('refusalLens/annotateRow');

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export interface LogParams {
  level: LogLevel;
  message: string;
}
/** worker → host: a line for the host's log channel. */
export const Log = notification<LogParams>('refusalLens/log');

export interface FatalParams {
  /** 'uncaughtException' | 'unhandledRejection' | 'disconnect' … */
  origin: string;
  message: string;
  stack?: string;
}
/** worker → host: the worker hit an error it cannot survive; it exits non-zero right after. */
export const Fatal = notification<FatalParams>('refusalLens/fatal');

// ───────────────────────────── typed helpers over vscode-jsonrpc ─────────────────────────────

export function sendRequest<P, R>(conn: MessageConnection, type: RpcRequest<P, R>, params: P, token?: CancellationToken): Promise<R> {
  // Single-object params travel by name, the JSON-RPC convention for one parameter object.
  return params === undefined
    ? token
      ? conn.sendRequest<R>(type.method, token)
      : conn.sendRequest<R>(type.method)
    : token
      ? conn.sendRequest<R>(type.method, params, token)
      : conn.sendRequest<R>(type.method, params);
}

export function sendNotification<P>(conn: MessageConnection, type: RpcNotification<P>, params: P): Promise<void> {
  return conn.sendNotification(type.method, params);
}

export function onNotification<P>(conn: MessageConnection, type: RpcNotification<P>, handler: (params: P) => void): Disposable {
  return conn.onNotification(type.method, (params: unknown) => handler(params as P));
}
