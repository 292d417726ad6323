// Datasets as people have them: JSONL, CSV (header row) and Parquet, chosen by extension or, for
// Parquet, by its "PAR1" magic. CSV and Parquet records become JSON object text and go through
// the JSONL row reader (parseJsonRecords), so the field mapping (forbidden_prompt, goal,
// instruction, messages, …, or the column picked with FieldMap), ids and duplicate handling are
// the same in every format. DatasetRow.line is the JSONL line, or the 1-based data record number
// for CSV and Parquet (the header is not a record): a JSONL and a CSV of the same rows give the
// same results file. Diagnostics of a CSV name the line the record starts on.
import * as path from 'node:path';
import type { DatasetRow, Diagnostic } from '../../../protocol/prompts';
import { LIMITS } from '../../../protocol/limits';
import { parseJsonl, parseJsonRecords, type FieldMap, type JsonRecord } from '../../prompts/index';
import { CsvError, parseCsv } from './csv';

export type DatasetFormat = 'jsonl' | 'csv' | 'parquet';

export interface ParsedDataset {
  format: DatasetFormat;
  rows: DatasetRow[];
  diagnostics: Diagnostic[];
}

/** A dataset whose whole file cannot be read as its format (e.g. an unclosed CSV quote, a truncated Parquet file). */
export class DatasetFormatError extends Error {}

export function isParquetBytes(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x41 && bytes[2] === 0x52 && bytes[3] === 0x31;
}

export function datasetFormat(file: string, bytes: Uint8Array): DatasetFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.parquet' || ext === '.pq' || isParquetBytes(bytes)) return 'parquet';
  if (ext === '.csv') return 'csv';
  return 'jsonl';
}

/** The columns FieldMap names must exist in a table's header. */
function checkColumns(columns: readonly string[], fields: FieldMap, where: string): void {
  for (const [opt, name] of [['prompt', fields.promptField], ['system', fields.systemField], ['id', fields.idField]] as const) {
    if (name !== undefined && !columns.includes(name)) {
      throw new DatasetFormatError(`${where}: no column '${name}' for the ${opt} (columns: ${columns.join(', ') || 'none'})`);
    }
  }
}

/** A cell that holds a JSON array (a `messages` column written by a CSV export) is read as one. */
function cellValue(column: string, cell: string): unknown {
  if (column === 'messages' && cell.trimStart().startsWith('[')) {
    try {
      return JSON.parse(cell);
    } catch {
      return cell;
    }
  }
  return cell;
}

/** Builds a JSON object text without a prototype trap ("__proto__" stays a key). */
function objectText(columns: readonly string[], values: readonly unknown[]): string {
  const parts: string[] = [];
  columns.forEach((c, i) => {
    if (values[i] !== undefined) parts.push(`${JSON.stringify(c)}:${JSON.stringify(values[i])}`);
  });
  return `{${parts.join(',')}}`;
}

export function parseCsvDataset(text: string, fileLabel: string, fields: FieldMap = {}): ParsedDataset {
  let records;
  try {
    records = parseCsv(text);
  } catch (e) {
    if (e instanceof CsvError) throw new DatasetFormatError(`${fileLabel}:${e.line}:${e.column}: ${e.message}`);
    throw e;
  }
  if (!records.length) throw new DatasetFormatError(`${fileLabel}: empty CSV: a header row naming the columns is required`);
  const [header, ...data] = records;
  const columns = header.cells.map((c) => c.trim());
  const known = ['messages', 'prompt', 'forbidden_prompt', 'instruction', 'goal'];
  if (fields.promptField === undefined && !columns.some((c) => known.includes(c))) {
    throw new DatasetFormatError(
      `${fileLabel}:1: the header row (${columns.join(', ')}) names no prompt column: expected one of ${known.join(', ')}, or pick one with --prompt-field NAME (a header row is required)`,
    );
  }
  checkColumns(columns, fields, `${fileLabel}:1`);
  const diagnostics: Diagnostic[] = [];
  const jsonRecords: JsonRecord[] = [];
  data.forEach((r, k) => {
    const long = r.cells.findIndex((c) => c.length > LIMITS.jsonlLineChars);
    const bad =
      r.cells.length !== columns.length
        ? `${r.cells.length} fields where the header has ${columns.length}; row skipped`
        : long >= 0
          ? `the '${columns[long]}' cell is ${r.cells[long].length} characters, over the limit of ${LIMITS.jsonlLineChars} for one row; row skipped`
          : undefined;
    if (bad) {
      diagnostics.push({ file: fileLabel, line: r.line, column: 1, endLine: r.line, endColumn: 1, field: '', message: bad, severity: 'error' });
      return;
    }
    // An empty cell is an absent field (CSV has no null), as a missing key is in JSONL.
    jsonRecords.push({ text: objectText(columns, r.cells.map((c, i) => (c === '' ? undefined : cellValue(columns[i], c)))), line: r.line, row: k + 1 });
  });
  const parsed = parseJsonRecords(jsonRecords, fileLabel, fields);
  // Columns inside the JSON text mean nothing to a CSV reader: point at the record's line.
  for (const d of parsed.diagnostics) {
    d.column = 1;
    d.endLine = d.line;
    d.endColumn = 1;
  }
  return { format: 'csv', rows: parsed.rows, diagnostics: [...diagnostics, ...parsed.diagnostics].sort((a, b) => a.line - b.line) };
}

/** JSONL or CSV from text (Parquet is binary: see readDatasetBytes). */
export function parseDatasetText(text: string, file: string, fileLabel: string, fields: FieldMap = {}): ParsedDataset {
  if (datasetFormat(file, new Uint8Array(0)) === 'csv') return parseCsvDataset(text, fileLabel, fields);
  return { format: 'jsonl', ...parseJsonl(text, fileLabel, fields) };
}

export { objectText, checkColumns };
