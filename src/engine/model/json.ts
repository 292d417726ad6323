// Reading JSON files of a model folder with errors that say which file and which line.

import { statSync } from 'node:fs';
import { FileReadError, readBoundedText } from '../io/read.js';
import { LIMITS } from '../../protocol/limits.js';
import { jsonTooDeepAt, lineColumn, tooDeepMessage } from '../../protocol/nesting';

export function fileExists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Something is at `path` (a FIFO or device too: reading it then says what it is). */
export function pathExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

export function readText(path: string, what: string): string {
  try {
    return readBoundedText(path, { what, maxBytes: LIMITS.modelJsonBytes });
  } catch (e) {
    if (e instanceof FileReadError && e.code === 'ENOENT') throw new Error(`${what}: file not found: ${path}`);
    throw new Error(`${what}: ${e instanceof FileReadError ? `${path}: ${e.detail}` : `cannot read ${path}: ${(e as Error).message}`}`);
  }
}

/** Parse JSON; a syntax error names the file, line and column. */
export function parseJson(text: string, path: string): unknown {
  // What reads these (the tokenizers library among them) recurses per level: bound it first.
  const deep = jsonTooDeepAt(text);
  if (deep !== undefined) {
    const { line, column } = lineColumn(text, deep);
    throw new Error(`${path}:${line}:${column}: ${tooDeepMessage()}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const { line, column } = errorPosition(msg, text);
    const where = line ? `${path}:${line}:${column}` : path;
    throw new Error(`${where}: invalid JSON: ${msg.replace(/\s*\(line \d+ column \d+\)/, '')}`);
  }
}

export function readJson(path: string, what: string): unknown {
  return parseJson(readText(path, what), path);
}

export function readJsonObject(path: string, what: string): Record<string, unknown> {
  const v = readJson(path, what);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new Error(`${path}: expected a JSON object at the top level`);
  }
  return v as Record<string, unknown>;
}

// V8 reports "... at position N" (Node 20) or "(line L column C)" (newer); derive both.
function errorPosition(msg: string, text: string): { line?: number; column?: number } {
  const lc = /line (\d+) column (\d+)/.exec(msg);
  if (lc) return { line: Number(lc[1]), column: Number(lc[2]) };
  const p = /position (\d+)/.exec(msg);
  let pos: number;
  if (p) pos = Number(p[1]);
  else if (/Unexpected end of JSON input/.test(msg)) pos = text.length;
  else return {};
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: pos - lineStart + 1 };
}
