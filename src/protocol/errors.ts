// The worker's error codes, one table both ends import: the worker answers every failed
// request with a JSON-RPC ResponseError carrying one of these codes (never vscode-jsonrpc's
// -32603 "Request … failed with message:" wrapping), and the host turns a code into what the
// user sees and the actions that fix the cause. No runtime dependencies.

/** JSON-RPC error codes of the worker (the server error range, -32000 to -32099, and LSP's cancel). */
export const ErrorCodes = {
  /** A request arrived before a model was loaded (or after loading one failed). */
  NoModel: -32001,
  /** The request's params are malformed (a relative path, an unknown axis, a bad position). */
  BadRequest: -32002,
  /** A condition file has problems; `data: { issues: ConditionIssue[] }`. */
  ConditionFile: -32003,
  /** The results file was written with other settings; send `restart` to start over. */
  ResultsMismatch: -32004,
  /** The results file cannot be used; `data: { problem: 'foreign' | 'corrupt' | 'locked' }`. */
  ResultsRefused: -32005,
  /** The model folder cannot be loaded (no config.json, no graph, bad dtype…); `data: { folder }`. */
  ModelFolder: -32006,
  /** A direction file cannot be read or does not fit the model; `data: { file }`. */
  AxisFile: -32007,
  /** A file the request names cannot be read or written (dataset, prompt set, output folder); `data: { file? }`. */
  FileError: -32008,
  /** The engine failed while running (the message says where); nothing about the request itself. */
  EngineFailed: -32009,
  /** The request was cancelled (`$/cancelRequest`). */
  Cancelled: -32800,
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
export type ErrorCodeName = keyof typeof ErrorCodes;

/** What the host offers next to an error: each one fixes a cause (or shows where to look). */
export const ERROR_ACTIONS = ['openSettings', 'selectModel', 'useBuiltinModel', 'selectAxes', 'restartEngine', 'showLog'] as const;
export type ErrorAction = (typeof ERROR_ACTIONS)[number];

export const ERROR_ACTION_LABELS: Record<ErrorAction, string> = {
  openSettings: 'Open Settings',
  selectModel: 'Select Model…',
  useBuiltinModel: 'Use the Built-in Model',
  selectAxes: 'Select Axes…',
  restartEngine: 'Restart Engine',
  showLog: 'Show Log',
};

/** Actions per code, most useful first. Every code has an entry (checked by the type). */
export const ACTIONS_BY_CODE: Record<ErrorCodeName, readonly ErrorAction[]> = {
  NoModel: ['selectModel', 'useBuiltinModel', 'showLog'],
  BadRequest: ['showLog'],
  ConditionFile: [],
  ResultsMismatch: [],
  ResultsRefused: ['openSettings'],
  ModelFolder: ['openSettings', 'selectModel', 'useBuiltinModel'],
  AxisFile: ['selectAxes', 'openSettings'],
  FileError: ['showLog'],
  EngineFailed: ['showLog', 'restartEngine'],
  Cancelled: [],
};

/** The name of a worker code, or undefined for anything else (vscode-jsonrpc's own codes). */
export function errorCodeName(code: unknown): ErrorCodeName | undefined {
  for (const [name, value] of Object.entries(ErrorCodes)) if (value === code) return name as ErrorCodeName;
  return undefined;
}

/** vscode-jsonrpc's wrapping of a plain Error thrown by a handler; stripped if one ever gets through. */
const RPC_PREFIX = /^(?:Request [\w/$.-]+ failed with message: |Request [\w/$.-]+ failed unexpectedly without providing any details\.?\s*)/;

/** The message without JSON-RPC wording. */
export function plainMessage(message: string): string {
  let m = message;
  while (RPC_PREFIX.test(m)) m = m.replace(RPC_PREFIX, '');
  return m.trim() || message;
}

/** The setting a code's message is most likely about, for Open Settings. */
export const SETTING_BY_CODE: Partial<Record<ErrorCodeName, string>> = {
  ModelFolder: 'refusalLens.model',
  NoModel: 'refusalLens.model',
  AxisFile: 'refusalLens.axes.files',
  ResultsRefused: 'refusalLens.annotate.resultsFile',
};

/** What the user is shown for a failed request: one message, the actions that fix its cause. */
export interface UserError {
  message: string;
  /** More text under the message (e.g. the engine's last output). */
  detail?: string;
  /** The worker code's name, when the error carries one. */
  code?: ErrorCodeName;
  actions: ErrorAction[];
  /** For Open Settings: the setting (or settings prefix) to show. */
  setting?: string;
}

/**
 * The one mapping from an error (a ResponseError from the worker, the client's own errors, or
 * any Error) to the text and actions the host shows. `context` names what failed, e.g.
 * "annotating data.jsonl"; the message never carries JSON-RPC wording.
 */
export function describeError(err: unknown, context?: string): UserError {
  const raw = err instanceof Error ? err.message : typeof err === 'string' ? err : String(err);
  const text = plainMessage(raw);
  const code = errorCodeName((err as { code?: unknown } | null)?.code);
  const name = err instanceof Error ? err.name : '';
  let actions: ErrorAction[];
  if (code) actions = [...ACTIONS_BY_CODE[code]];
  else if (name === 'WorkerDiedError') actions = ['restartEngine', 'showLog'];
  else actions = ['showLog'];
  const message = context ? `${context} failed: ${text}` : text;
  const out: UserError = { message, actions };
  if (code) out.code = code;
  const setting = code ? SETTING_BY_CODE[code] : undefined;
  if (setting && actions.includes('openSettings')) out.setting = setting;
  return out;
}
