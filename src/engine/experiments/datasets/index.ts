// Reading a dataset file of any supported format, bounded by LIMITS.datasetBytes. The sync
// reader serves JSONL and CSV (prompt sets read where no await is possible); Parquet needs the
// async one (hyparquet decodes asynchronously).
import { FileReadError, readBoundedFile } from '../../io/read';
import { LIMITS } from '../../../protocol/limits';
import type { FieldMap } from '../../prompts/index';
import { datasetFormat, DatasetFormatError, parseDatasetText, type ParsedDataset } from './read';
import { parseParquetDataset } from './parquet';

export { DatasetFormatError, datasetFormat, isParquetBytes, parseCsvDataset, type DatasetFormat, type ParsedDataset } from './read';
export { parquetColumns, parseParquetDataset } from './parquet';
export { datasetColumns, type DatasetColumns } from './columns';

export interface LoadedDataset extends ParsedDataset {
  bytes: Buffer;
}

function readBytes(file: string, label: string, what: string): Buffer {
  try {
    return readBoundedFile(file, { what, maxBytes: LIMITS.datasetBytes });
  } catch (e) {
    // Named a file error (with the file), so the worker answers with its file-error code.
    const code = e instanceof FileReadError ? e.code : (e as NodeJS.ErrnoException).code;
    throw Object.assign(new Error(`${label}: cannot read ${what}: ${e instanceof FileReadError ? e.detail : (e as Error).message}`), { name: 'FileReadError', file, ...(code ? { code } : {}) });
  }
}

export async function readDataset(file: string, label: string, fields: FieldMap = {}, what = 'dataset'): Promise<LoadedDataset> {
  const bytes = readBytes(file, label, what);
  if (datasetFormat(file, bytes) === 'parquet') return { ...(await parseParquetDataset(bytes, label, fields)), bytes };
  return { ...parseDatasetText(bytes.toString('utf8'), file, label, fields), bytes };
}

export function readDatasetSync(file: string, label: string, fields: FieldMap = {}, what = 'dataset'): LoadedDataset {
  const bytes = readBytes(file, label, what);
  if (datasetFormat(file, bytes) === 'parquet') throw new DatasetFormatError(`${label}: a Parquet file is read asynchronously; this caller takes JSONL or CSV`);
  return { ...parseDatasetText(bytes.toString('utf8'), file, label, fields), bytes };
}
