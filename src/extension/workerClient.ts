// The host's side of the engine worker: forks dist/worker.js, talks JSON-RPC over IPC, and
// turns a dead worker into a rejected request with a cause the user can act on. It does not
// import `vscode`, so tests drive it in plain Node against the real worker bundle.
//
// Invariants: every request settles. It never waits on a process that is gone (every pending
// request rejects on exit), nor on one that never says hello (a start timeout), nor on one
// that is suspended (SIGSTOP: found by polling its state while requests wait, then ended);
// after a death the next request starts a fresh worker; cancelling a request rejects it at
// once here, even while the worker is still starting, and sends `$/cancelRequest` so the
// engine aborts too. kill() and stop() reach a worker that is still starting. Requests that
// legitimately run long (model loads, annotate, ablate) have no timeout of their own.
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import {
  CancellationTokenSource,
  IPCMessageReader,
  IPCMessageWriter,
  createMessageConnection,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import {
  Fatal,
  Hello,
  Log,
  PROTOCOL_VERSION,
  Shutdown,
  TraceToken,
  onNotification,
  sendRequest,
  type FatalParams,
  type HelloResult,
  type LogLevel,
  type RpcNotification,
  type RpcRequest,
  type TraceTokenParams,
} from '../protocol/rpc';
import { tooDeepMessage, valueTooDeep } from '../protocol/nesting';

/** What a caller cancels with: vscode's CancellationToken has this shape. */
export interface CancelToken {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export interface WorkerClientOptions {
  /** Absolute path of the worker bundle (dist/worker.js). */
  workerPath: string;
  /** Interpreter: the host's own executable, run as Node through ELECTRON_RUN_AS_NODE. */
  execPath?: string;
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  log: (level: LogLevel, message: string) => void;
  /** Called once per unexpected exit, with the text shown to the user. */
  onDeath?: (death: WorkerDeath) => void;
  /** How many stderr lines to keep for the death message. */
  stderrLines?: number;
  /** A worker that has not answered `hello` by then is killed and the start fails (default 20 s). */
  helloTimeoutMs?: number;
  /** A worker stopped by a signal (SIGSTOP) this long while requests wait is ended (default 5 s). */
  suspendedMs?: number;
}

const HELLO_TIMEOUT_MS = 20_000;
const SUSPENDED_MS = 5_000;
const POLL_MS = 500;

export interface WorkerDeath {
  code: number | null;
  signal: NodeJS.Signals | null;
  fatal?: FatalParams;
  stderrTail: string[];
  /** One sentence naming the cause, then the last stderr lines. */
  message: string;
}

export class WorkerDiedError extends Error {
  constructor(readonly death: WorkerDeath) {
    super(death.message);
    this.name = 'WorkerDiedError';
  }
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

interface Running {
  child: ChildProcess;
  conn: MessageConnection;
  /** Rejects when the process exits; every request races against it. */
  died: Promise<never>;
  stderr: string[];
  fatal?: FatalParams;
  stopping: boolean;
  /** Why the client ended it, when it did (replaces "killed by hand" in the death message). */
  endedBecause?: string;
  /** Requests waiting on it; while any do, its state is polled for a suspension. */
  waiting: number;
  poll?: NodeJS.Timeout;
  /** Bumped on each start so that per-worker state held elsewhere can be invalidated. */
  generation: number;
}

export class WorkerClient {
  private running: Running | undefined;
  private starting: Promise<Running> | undefined;
  /** The process being started (forked, no hello yet), so kill() and stop() can reach it. */
  private launching: Running | undefined;
  private generation = 0;
  private readonly traceListeners = new Map<string, (p: TraceTokenParams) => void>();
  private readonly listeners = new Map<string, Set<(p: unknown) => void>>();

  constructor(private readonly opts: WorkerClientOptions) {}

  /** Process id of the live worker, if any. */
  get pid(): number | undefined {
    return this.running?.child.pid;
  }

  /** Changes whenever a new worker process starts: state loaded into the old one is gone. */
  get currentGeneration(): number {
    return this.running?.generation ?? -1;
  }

  /** Routes streamed tokens of run `runId` to `listener` until the returned function is called. */
  onTraceTokens(runId: string, listener: (p: TraceTokenParams) => void): () => void {
    this.traceListeners.set(runId, listener);
    return () => this.traceListeners.delete(runId);
  }

  /**
   * Calls `listener` with every notification of `type` (from any worker generation) until the
   * returned function is called. For notifications without a handler of their own here.
   */
  onNotification<P>(type: RpcNotification<P>, listener: (p: P) => void): () => void {
    let set = this.listeners.get(type.method);
    if (!set) this.listeners.set(type.method, (set = new Set()));
    const l = listener as (p: unknown) => void;
    set.add(l);
    return () => void set.delete(l);
  }

  async request<P, R>(type: RpcRequest<P, R>, params: P, token?: CancelToken): Promise<R> {
    if (token?.isCancellationRequested) throw new CancelledError();
    // Sending serialises with JSON.stringify, which recurses: say what is wrong instead of "call stack".
    if (valueTooDeep(params)) throw new Error(`${type.method}: the request's params are ${tooDeepMessage()}`);
    const source = new CancellationTokenSource();
    let cancelled: (() => void) | undefined;
    const onCancel = new Promise<never>((_, reject) => {
      cancelled = () => {
        source.cancel();
        reject(new CancelledError());
      };
    });
    onCancel.catch(() => undefined); // observed through the races below
    const sub = token?.onCancellationRequested(() => cancelled?.());
    let w: Running | undefined;
    try {
      // Cancelling while the worker starts rejects now; the start goes on for the next request.
      w = await Promise.race([this.ensureStarted(), onCancel]);
      this.watch(w, +1);
      return await Promise.race([sendRequest(w.conn, type, params, source.token), w.died, onCancel]);
    } catch (err) {
      // The IPC channel can close before the process's exit is seen: when the request failed
      // because the worker is going away, report the death (with its cause) instead.
      if (w && !(err instanceof CancelledError) && !(err instanceof WorkerDiedError) && !w.child.connected) {
        const timeout = new Promise<void>((resolve) => setTimeout(resolve, 2000).unref());
        await Promise.race([w.died, timeout]).catch((death: unknown) => {
          throw death;
        });
      }
      throw err;
    } finally {
      if (w) this.watch(w, -1);
      sub?.dispose();
      source.dispose();
    }
  }

  /**
   * Counts the requests waiting on `w`; while there are any, polls whether the process is
   * stopped by a signal (SIGSTOP) and ends it after `suspendedMs`, so they reject.
   */
  private watch(w: Running, delta: number): void {
    w.waiting += delta;
    if (w.waiting <= 0 || w.poll) {
      if (w.waiting <= 0 && w.poll) {
        clearInterval(w.poll);
        w.poll = undefined;
      }
      return;
    }
    const limit = this.opts.suspendedMs ?? SUSPENDED_MS;
    let since: number | undefined;
    w.poll = setInterval(() => {
      const pid = w.child.pid;
      if (pid === undefined || w.child.exitCode !== null || w.child.signalCode !== null) return;
      void processSuspended(pid).then((stopped) => {
        if (!stopped) return void (since = undefined);
        since ??= Date.now();
        if (Date.now() - since < limit || w.endedBecause) return;
        this.end(w, `it was suspended (stopped by a signal such as SIGSTOP) for ${(limit / 1000).toFixed(1)} s while requests waited, so Refusal Lens ended it`);
      });
    }, Math.min(POLL_MS, limit));
    w.poll.unref();
  }

  /** SIGKILLs `w` with `why` as the cause its death message gives. */
  private end(w: Running, why: string): void {
    w.endedBecause ??= why;
    if (this.running === w) this.running = undefined;
    w.child.kill('SIGKILL');
  }

  /**
   * Starts the worker if it is not running (the next request would do the same). Cancelling
   * `token` rejects at once with CancelledError; the start itself goes on.
   */
  async ensureStarted(token?: CancelToken): Promise<Running> {
    if (this.running) return this.running;
    if (!this.starting) {
      // Cleared only if still ours: kill() may have dropped it and a new start begun since.
      const starting: Promise<Running> = this.start().finally(() => {
        if (this.starting === starting) this.starting = undefined;
      });
      this.starting = starting;
    }
    if (!token) return this.starting;
    if (token.isCancellationRequested) throw new CancelledError();
    let sub: { dispose(): void } | undefined;
    const cancelled = new Promise<never>((_, reject) => (sub = token.onCancellationRequested(() => reject(new CancelledError()))));
    try {
      return await Promise.race([this.starting, cancelled]);
    } finally {
      sub?.dispose();
    }
  }

  private async start(): Promise<Running> {
    const generation = ++this.generation;
    this.opts.log('info', `starting worker ${this.opts.workerPath}`);
    const child = fork(this.opts.workerPath, [], {
      execPath: this.opts.execPath ?? process.execPath,
      execArgv: this.opts.execArgv ?? [],
      // In VS Code the host's executable is Electron: this makes it a plain Node process.
      env: { ...(this.opts.env ?? process.env), ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const keep = this.opts.stderrLines ?? 20;
    const stderr: string[] = [];
    let partial = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        stderr.push(line);
        if (stderr.length > keep) stderr.shift();
        this.opts.log('warn', `worker stderr: ${line}`);
      }
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim()) this.opts.log('info', `worker stdout: ${line}`);
    });

    const conn = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    let w: Running | undefined;
    const died = new Promise<never>((_, reject) => {
      const onGone = (code: number | null, signal: NodeJS.Signals | null) => {
        if (partial.trim()) stderr.push(partial.trim());
        const death = describeDeath(code, signal, w?.fatal, stderr, w?.endedBecause);
        if (this.running === w) this.running = undefined;
        if (this.launching === w) this.launching = undefined;
        if (w?.poll) clearInterval(w.poll);
        // Reject first: disposing the connection also rejects pending requests, with a vaguer error.
        reject(new WorkerDiedError(death));
        conn.dispose();
        if (w?.stopping) {
          // Asked for (stop, Restart Engine): not a death to report.
          this.opts.log('info', code === 0 ? 'worker stopped' : `worker ended (${death.message})`);
        } else {
          this.opts.log('error', death.message);
          this.opts.onDeath?.(death);
        }
      };
      child.once('exit', onGone);
      // A failed spawn emits 'error' and maybe no 'exit'.
      child.once('error', (err) => {
        stderr.push(String(err.message));
        if (child.exitCode === null && child.signalCode === null) onGone(null, null);
      });
    });
    died.catch(() => undefined); // observed through races; never an unhandled rejection
    const run: Running = (w = { child, conn, died, stderr, stopping: false, waiting: 0, generation });
    this.launching = run;

    onNotification(conn, Log, (p) => this.opts.log(p.level, `worker: ${p.message}`));
    onNotification(conn, Fatal, (p) => {
      run.fatal = p;
    });
    onNotification(conn, TraceToken, (p) => this.traceListeners.get(p.runId)?.(p));
    // Every other notification (experiment progress and rows) goes to onNotification's listeners.
    conn.onNotification((method: string, params: unknown) => {
      for (const l of this.listeners.get(method) ?? []) l(params);
    });
    conn.onError(([err]) => this.opts.log('error', `worker connection: ${err.message}`));
    conn.listen();

    const limit = this.opts.helloTimeoutMs ?? HELLO_TIMEOUT_MS;
    const timer = setTimeout(() => this.end(run, `it did not answer within ${(limit / 1000).toFixed(1)} s of starting, so Refusal Lens ended it`), limit);
    let hello: HelloResult;
    try {
      hello = await Promise.race([sendRequest(conn, Hello, undefined), died]);
    } finally {
      clearTimeout(timer);
    }
    if (this.launching === run) this.launching = undefined;
    if (run.stopping) throw new WorkerDiedError(describeDeath(null, null, undefined, [], 'it was stopped while starting'));
    if (hello.protocolVersion !== PROTOCOL_VERSION) {
      child.kill();
      throw new Error(`worker speaks protocol ${hello.protocolVersion}, this extension ${PROTOCOL_VERSION}: reinstall the extension`);
    }
    this.opts.log('info', `worker ${hello.pid} ready (node ${hello.node})`);
    this.running = run;
    return run;
  }

  /**
   * Asks the worker to exit, kills it if it does not within `graceMs`. Resolves when it is gone.
   * A worker still starting is stopped too (its start fails).
   */
  async stop(graceMs = 2000): Promise<void> {
    const ws = [this.running, this.launching].filter((x): x is Running => !!x);
    this.running = this.launching = undefined;
    if (ws.length) this.starting = undefined;
    await Promise.all(ws.map(async (w) => {
      w.stopping = true;
      const gone = w.died.catch(() => undefined);
      void sendRequest(w.conn, Shutdown, undefined).catch(() => undefined);
      const timer = setTimeout(() => w.child.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    }));
  }

  /** Kills the worker now, started or still starting (Restart Engine); pending requests reject with the death. */
  async kill(): Promise<void> {
    const ws = [this.running, this.launching].filter((x): x is Running => !!x);
    this.running = this.launching = undefined;
    if (ws.length) this.starting = undefined; // the next ensureStarted starts afresh, not the dying start
    await Promise.all(ws.map(async (w) => {
      w.stopping = true;
      this.end(w, 'Restart Engine ended it');
      await w.died.catch(() => undefined);
    }));
  }
}

/**
 * Whether process `pid` is stopped by a signal (SIGSTOP, SIGTSTP: state T); false where that
 * cannot be told. A native debugger's stop (state t) is left alone: someone is looking at it.
 */
async function processSuspended(pid: number): Promise<boolean> {
  try {
    if (process.platform === 'linux') {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state === 'T';
    }
    if (process.platform === 'darwin' || process.platform.endsWith('bsd')) {
      const out = await new Promise<string>((resolve) => execFile('ps', ['-o', 'stat=', '-p', String(pid)], (e, stdout) => resolve(e ? '' : stdout)));
      return out.trim().startsWith('T'); // ps shows no separate state for a debugger's stop here
    }
  } catch {
    // gone, or no /proc: not suspended as far as we can tell
  }
  return false;
}

export function describeDeath(code: number | null, signal: NodeJS.Signals | null, fatal: FatalParams | undefined, stderr: string[], endedBecause?: string): WorkerDeath {
  let cause: string;
  if (endedBecause) cause = endedBecause;
  else if (fatal) cause = `it hit an error it could not recover from (${fatal.origin}): ${fatal.message}`;
  else if (stderr.some((l) => /heap out of memory|Allocation failed|std::bad_alloc/i.test(l))) cause = 'it ran out of memory';
  else if (signal === 'SIGKILL') cause = 'it was killed (SIGKILL: out of memory, or killed by hand)';
  else if (signal) cause = `it was stopped by signal ${signal}`;
  else if (code !== null) cause = `it exited with code ${code}`;
  else cause = 'it could not be started';
  const tail = stderr.slice(-5);
  const message = `The Refusal Lens engine stopped: ${cause}.` + (tail.length ? ` Last output: ${tail.join(' | ')}` : '');
  const death: WorkerDeath = { code, signal, stderrTail: [...stderr], message };
  if (fatal) death.fatal = fatal;
  return death;
}
