// JSONL prompt sets: one JSON object per line, in the field names common datasets use
// (AdvBench "goal", StrongREJECT "forbidden_prompt", Alpaca "instruction" + "input", plain
// "prompt", or a chat "messages" list). A bad line becomes a diagnostic and the rest still load.
import { getNodeValue, parseTree, type Node, type ParseError } from 'jsonc-parser';
import { jsonTooDeepAt, tooDeepMessage } from '../../protocol/nesting';
import type { DatasetRow, Diagnostic } from '../../protocol/prompts';
import type { ChatMessage } from '../../protocol/types';
import { Checker, Locator } from './check';
import { readMessages, withSystem } from './messages';
import { sha256Text } from './sha256';
import { LIMITS } from '../../protocol/limits';

/** Where the prompt is taken from, first present wins; the others stay in `extra`. */
export const PROMPT_TEXT_FIELDS = ['messages', 'prompt', 'forbidden_prompt', 'instruction', 'goal'] as const;

/**
 * The id a row without one gets: the first 12 hex digits of sha256 over its normalised content
 * (each message as role + content in NFC with CRLF → LF and outer whitespace trimmed, then the
 * prefill), so the same prompt has the same id in every file and on every machine.
 */
export function contentId(messages: readonly ChatMessage[], prefill?: string): string {
  const norm = (s: string): string => s.normalize('NFC').replace(/\r\n?/g, '\n').trim();
  const canonical = JSON.stringify([messages.map((m) => [m.role, norm(m.content)]), prefill === undefined ? null : norm(prefill)]);
  return sha256Text(canonical).slice(0, 12);
}

/** Which fields hold the prompt, the system prompt and the id (defaults: the first of PROMPT_TEXT_FIELDS present, `system`, `id`). */
export interface FieldMap {
  promptField?: string;
  systemField?: string;
  idField?: string;
}

/** One record as JSON object text: `line` locates its diagnostics, `row` becomes DatasetRow.line. */
export interface JsonRecord {
  text: string;
  line: number;
  row: number;
}

/**
 * Rows in file order, each with its 1-based line. Blank lines are skipped. Ids are `id` (a
 * string or integer) when present, else contentId(). A repeated id gets "~LINE" appended (then
 * ".2", ".3", … while that is taken), unique against every id in the file, with a warning naming
 * the first line; the same file always gives the same ids, so results resume.
 */
export function parseJsonl(text: string, fileLabel: string, fields: FieldMap = {}): { rows: DatasetRow[]; diagnostics: Diagnostic[] } {
  const records: JsonRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (i === 0 && line.charCodeAt(0) === 0xfeff) line = ' ' + line.slice(1);
    if (line.trim() === '') continue;
    records.push({ text: line, line: i + 1, row: i + 1 });
  }
  return parseJsonRecords(records, fileLabel, fields);
}

/**
 * The JSONL row reader over records from any format (CSV and Parquet records arrive as JSON
 * object text), so every format maps fields, derives ids and makes duplicates unique alike.
 */
export function parseJsonRecords(records: Iterable<JsonRecord>, fileLabel: string, fields: FieldMap = {}): { rows: DatasetRow[]; diagnostics: Diagnostic[] } {
  const rows: DatasetRow[] = [];
  const diagnostics: Diagnostic[] = [];
  const repeats: { row: DatasetRow; c: Checker; length: number }[] = [];
  const firstLineOfId = new Map<string, number>();
  for (const rec of records) {
    const line = rec.text;
    const c = new Checker(fileLabel, new Locator(line, rec.line));
    if (line.length > LIMITS.jsonlLineChars) {
      // Parsing it would cost memory in proportion; no prompt this long fits a context window.
      c.report(0, 1, [], `line is ${line.length} characters, over the limit of ${LIMITS.jsonlLineChars} for one JSONL row; row skipped`);
      diagnostics.push(...c.diagnostics);
      continue;
    }
    const row = readRow(c, line, rec.row, fields);
    if (row) {
      if (firstLineOfId.has(row.id)) repeats.push({ row, c, length: line.length });
      else firstLineOfId.set(row.id, rec.line); // where a reader finds it: the CSV line, not the record number
      rows.push(row);
    }
    diagnostics.push(...c.diagnostics);
  }
  // Second pass, once every id in the file is known: a derived id never takes one a row has.
  const taken = new Set(firstLineOfId.keys());
  for (const { row, c, length } of repeats) {
    let unique = `${row.id}~${row.line}`;
    for (let k = 2; taken.has(unique); k++) unique = `${row.id}~${row.line}.${k}`;
    taken.add(unique);
    c.report(0, length, [fields.idField ?? 'id'], `duplicate id '${row.id}' (first on line ${firstLineOfId.get(row.id)}); this row is '${unique}'`, 'warning');
    const added = c.diagnostics.at(-1)!;
    const at = diagnostics.findIndex((d) => d.line > added.line);
    if (at < 0) diagnostics.push(added);
    else diagnostics.splice(at, 0, added);
    row.id = unique;
  }
  return { rows, diagnostics };
}

function readRow(c: Checker, line: string, lineNo: number, map: FieldMap): DatasetRow | undefined {
  const deep = jsonTooDeepAt(line); // before parseTree, which recurses per level
  if (deep !== undefined) {
    c.report(deep, 1, [], tooDeepMessage());
    return undefined;
  }
  const errors: ParseError[] = [];
  const root = parseTree(line, errors, { disallowComments: true, allowTrailingComma: false });
  if (errors.length) {
    c.syntax(errors.slice(0, 1)); // the first error per line; the rest usually follow from it
    return undefined;
  }
  if (!root || root.type !== 'object') {
    if (root) c.wrongType(root, [], 'a JSON object per line');
    return undefined;
  }
  const fields = new Map<string, Node>();
  for (const prop of root.children ?? []) {
    const [k, v] = prop.children ?? [];
    if (k && v) fields.set(String(k.value), v);
  }
  const source = map.promptField ?? PROMPT_TEXT_FIELDS.find((k) => fields.has(k));
  if (!source || !fields.has(source)) {
    c.at(root, [], map.promptField ? `no prompt: the field '${map.promptField}' is missing` : `no prompt: expected one of ${PROMPT_TEXT_FIELDS.join(', ')}`);
    return undefined;
  }
  const systemField = map.systemField ?? 'system';
  const idField = map.idField ?? 'id';
  const used = new Set<string>([source, systemField, 'prefill', idField]);
  let messages: ChatMessage[] | undefined;
  if (source === 'messages' || fields.get(source)!.type === 'array') {
    messages = readMessages(c, fields.get(source)!, [source]);
  } else {
    let content = c.string(fields.get(source)!, [source]);
    // Alpaca: the instruction's optional context lives in "input".
    const input = fields.get('input');
    if (source === 'instruction' && input) {
      used.add('input');
      const extra = c.string(input, ['input']);
      if (extra === undefined) content = undefined;
      else if (content !== undefined && extra.trim() !== '') content = `${content}\n\n${extra}`;
    }
    if (content !== undefined && content.trim() === '') c.at(fields.get(source)!, [source], `empty prompt: "${source}" is empty`);
    else if (content !== undefined) messages = [{ role: 'user', content }];
  }
  const systemNode = fields.get(systemField);
  const system = systemNode && c.string(systemNode, [systemField]);
  if (messages && (!systemNode || system !== undefined)) messages = withSystem(c, messages, system, systemNode, [systemField]);
  const prefillNode = fields.get('prefill');
  const prefill = prefillNode && c.string(prefillNode, ['prefill']);
  if (!messages || c.hasErrors) return undefined;

  let id: string | undefined;
  const idNode = fields.get(idField);
  if (idNode?.type === 'string' && (idNode.value as string).trim() !== '') id = idNode.value as string;
  else if (idNode?.type === 'number' && Number.isSafeInteger(idNode.value)) id = String(idNode.value);
  else if (idNode) c.at(idNode, [idField], 'id must be a non-empty string or an integer; using the content hash', 'warning');
  const row: DatasetRow = { id: id ?? contentId(messages, prefill), line: lineNo, messages, extra: {} };
  if (prefill !== undefined) row.prefill = prefill;
  // Every other field, in file order (a repeated key keeps its last value, as JSON.parse does).
  // defineProperty so a "__proto__" key is data, not a prototype change.
  for (const [k, v] of fields) {
    if (!used.has(k)) Object.defineProperty(row.extra, k, { value: getNodeValue(v), enumerable: true, writable: true, configurable: true });
  }
  return row;
}
