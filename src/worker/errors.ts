// Every failed request leaves the worker as a ResponseError with a code of
// src/protocol/errors.ts: handlers throw `rpcError(...)` where they know the cause, and
// `handle` classifies whatever else escapes (an engine error, a file error) so that
// vscode-jsonrpc never wraps a plain Error into -32603 "Request … failed with message:".
import { ResponseError, type CancellationToken, type Disposable, type MessageConnection } from 'vscode-jsonrpc';
import { ErrorCodes, type ErrorCodeName } from '../protocol/errors';
import { tooDeepMessage, valueTooDeep } from '../protocol/nesting';
import type { RpcRequest } from '../protocol/rpc';

export function rpcError<D = undefined>(code: ErrorCodeName, message: string, data?: D): ResponseError<D> {
  return data === undefined ? new ResponseError<D>(ErrorCodes[code], message) : new ResponseError<D>(ErrorCodes[code], message, data);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// Engine error classes by name (the engine is imported lazily, so not by instanceof); esbuild may
// suffix a class name with a digit when two collide.
const FILE_ERRORS = /^(?:FileReadError|FileWriteError|DatasetFormatError|CsvError|LockHeldError)\d*$/;
const AXIS_ERRORS = /^(?:DirectionFileError|SafetensorsError|VectorFormatError)\d*$/;
const SYSTEM_FILE_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EEXIST', 'ENOSPC', 'EROFS', 'EMFILE', 'ENAMETOOLONG']);

function className(err: Error): string {
  return err.constructor?.name && err.constructor.name !== 'Error' ? err.constructor.name : err.name;
}

/** The ResponseError a request answers with when `err` escaped its handler; `fallback` for unknown errors. */
export function toResponseError(err: unknown, fallback: ErrorCodeName = 'EngineFailed'): ResponseError<unknown> {
  if (err instanceof ResponseError) return err;
  if (!(err instanceof Error)) return rpcError(fallback, String(err));
  const name = className(err);
  if (name === 'AbortError' || /^AbortError\d*$/.test(name)) return rpcError('Cancelled', err.message || 'cancelled');
  const file = (err as { file?: unknown; path?: unknown }).file ?? (err as { path?: unknown }).path;
  const data = typeof file === 'string' ? { file } : undefined;
  if (AXIS_ERRORS.test(name)) return rpcError('AxisFile', err.message, data);
  const sys = (err as { code?: unknown }).code;
  if (FILE_ERRORS.test(name) || (typeof sys === 'string' && SYSTEM_FILE_CODES.has(sys))) return rpcError('FileError', err.message, data);
  return rpcError(fallback, err.message, data);
}

/** `onRequest` whose failures always carry a code of the table. */
export function handle<P, R>(
  conn: MessageConnection,
  type: RpcRequest<P, R>,
  handler: (params: P, token: CancellationToken) => Promise<R> | R,
  fallback: ErrorCodeName = 'EngineFailed',
): Disposable {
  // vscode-jsonrpc passes the params (when the request has any) and then the token, always last.
  return conn.onRequest<unknown, unknown>(type.method, async (...args: unknown[]): Promise<unknown> => {
    const token = args[args.length - 1] as CancellationToken;
    const params = args.length > 1 ? args[0] : undefined;
    // Handlers echo, log and pass on params (JSON.stringify recurses): measure them first.
    if (valueTooDeep(params)) throw rpcError('BadRequest', `${type.method}: the request's params are ${tooDeepMessage()}`);
    try {
      return await handler(params as P, token);
    } catch (err) {
      throw toResponseError(err, fallback);
    }
  });
}
