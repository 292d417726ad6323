// Parquet datasets (Hugging Face datasets' own format) through hyparquet, with
// hyparquet-compressors for the codecs beyond snappy. Rows are named "row N" (1-based), the
// count is capped by LIMITS.rows before any row is decoded, and each row becomes JSON object
// text for the JSONL row reader.
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { Diagnostic } from '../../../protocol/prompts';
import { LIMITS } from '../../../protocol/limits';
import { parseJsonRecords, PROMPT_TEXT_FIELDS, type FieldMap, type JsonRecord } from '../../prompts/index';
import { checkColumns, DatasetFormatError, objectText, type ParsedDataset } from './read';

/** Parquet values as JSON can hold them: bigint → number (or string past 2^53), dates → ISO text, bytes → UTF-8. */
function jsonable(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (Array.isArray(v)) return v.map(jsonable);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonable(x)]));
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  return v;
}

/** Top-level column names: the schema's first element is the root; its children follow. */
export function parquetColumns(metadata: ReturnType<typeof parquetMetadata>): string[] {
  const root = metadata.schema[0];
  const columns: string[] = [];
  for (let i = 1, left = root.num_children ?? 0; i < metadata.schema.length && left > 0; left--) {
    columns.push(metadata.schema[i].name);
    // Skip a nested column's descendants.
    let pending = metadata.schema[i].num_children ?? 0;
    i++;
    while (pending > 0 && i < metadata.schema.length) {
      pending += (metadata.schema[i].num_children ?? 0) - 1;
      i++;
    }
  }
  return columns;
}

export async function parseParquetDataset(bytes: Uint8Array, fileLabel: string, fields: FieldMap = {}): Promise<ParsedDataset> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata;
  try {
    metadata = parquetMetadata(buffer);
  } catch (e) {
    throw new DatasetFormatError(`${fileLabel}: not a readable Parquet file (${(e as Error).message}); a truncated download or a file cut short is the usual cause`);
  }
  const numRows = Number(metadata.num_rows);
  if (numRows > LIMITS.rows) throw new DatasetFormatError(`${fileLabel}: ${numRows} rows, over the limit of ${LIMITS.rows} rows for one dataset`);
  const columns = parquetColumns(metadata);
  if (fields.promptField === undefined && !columns.some((c) => (PROMPT_TEXT_FIELDS as readonly string[]).includes(c))) {
    throw new DatasetFormatError(`${fileLabel}: no prompt column among ${columns.join(', ') || 'none'}: expected one of ${PROMPT_TEXT_FIELDS.join(', ')}, or pick one with --prompt-field NAME`);
  }
  checkColumns(columns, fields, fileLabel);
  let objects: Record<string, unknown>[];
  try {
    objects = (await parquetReadObjects({ file: buffer, compressors, rowFormat: 'object' })) as Record<string, unknown>[];
  } catch (e) {
    throw new DatasetFormatError(`${fileLabel}: cannot decode the Parquet data (${(e as Error).message}); the file may be truncated or damaged`);
  }
  const diagnostics: Diagnostic[] = [];
  const records: JsonRecord[] = [];
  objects.forEach((o, k) => {
    const values = columns.map((c) => jsonable(o[c]));
    const long = values.findIndex((v) => typeof v === 'string' && v.length > LIMITS.jsonlLineChars);
    if (long >= 0) {
      diagnostics.push({ file: fileLabel, line: k + 1, column: 1, endLine: k + 1, endColumn: 1, field: columns[long], message: `row ${k + 1}: the '${columns[long]}' value is ${(values[long] as string).length} characters, over the limit of ${LIMITS.jsonlLineChars} for one row; row skipped`, severity: 'error' });
      return;
    }
    // A null cell is an absent field, as a missing key is in JSONL.
    records.push({ text: objectText(columns, values.map((v) => (v === null ? undefined : v))), line: k + 1, row: k + 1 });
  });
  const parsed = parseJsonRecords(records, fileLabel, fields);
  for (const d of parsed.diagnostics) {
    d.column = 1;
    d.endLine = d.line;
    d.endColumn = 1;
    if (!d.message.startsWith('row ')) d.message = `row ${d.line}: ${d.message}`;
  }
  return { format: 'parquet', rows: parsed.rows, diagnostics: [...diagnostics, ...parsed.diagnostics].sort((a, b) => a.line - b.line) };
}
