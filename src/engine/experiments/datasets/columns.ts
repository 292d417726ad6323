// A table dataset's columns, read without decoding its rows: what the editor offers when the
// prompt column cannot be guessed (no column named like PROMPT_TEXT_FIELDS).
import { parquetMetadata } from 'hyparquet';
import { PROMPT_TEXT_FIELDS } from '../../prompts/index';
import { parseCsv } from './csv';
import { parquetColumns } from './parquet';
import { datasetFormat, type DatasetFormat } from './read';

export interface DatasetColumns {
  format: DatasetFormat;
  /** Header columns (CSV) or top-level columns (Parquet); empty for JSONL (each row has its own keys). */
  columns: string[];
  /** The prompt column the readers take without being told, if any. */
  guessed?: string;
  /** A table with no such column: the prompt column must be picked (JSONL rows are read per row: never). */
  needsColumn: boolean;
}

/** The columns of a dataset's bytes; throws on a file that is not readable as its format. */
export function datasetColumns(file: string, bytes: Uint8Array): DatasetColumns {
  const format = datasetFormat(file, bytes);
  let columns: string[] = [];
  if (format === 'parquet') {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    columns = parquetColumns(parquetMetadata(buffer));
  } else if (format === 'csv') {
    // The header only: parse a prefix cut at a line end (the whole file when that fails or the header is longer).
    const all = () => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1 << 16)).toString('utf8');
    const cut = text.lastIndexOf('\n');
    let first;
    try {
      first = cut > 0 ? parseCsv(text.slice(0, cut + 1))[0] : undefined;
    } catch {
      first = undefined;
    }
    first ??= parseCsv(all())[0];
    columns = (first?.cells ?? []).map((c) => c.trim());
  } else {
    return { format, columns: [], needsColumn: false };
  }
  const guessed = PROMPT_TEXT_FIELDS.find((f) => columns.includes(f));
  return { format, columns, needsColumn: guessed === undefined, ...(guessed ? { guessed } : {}) };
}
