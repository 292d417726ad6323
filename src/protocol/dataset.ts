// Messages between the extension host and the dataset view (a webview on an annotate results
// file, optionally compared with a second one). Both sides import this file; the host runs
// `isDatasetViewMessage` on everything the page sends (the page is untrusted input).
// No runtime dependencies: this file is bundled into the webview.

/** A label of a results row, or `error` for a row the model could not run. */
export type RowLabel = 'refusal' | 'bypass' | 'degenerate' | 'error';
export const ROW_LABELS: readonly RowLabel[] = ['refusal', 'bypass', 'degenerate', 'error'];

/** A source-dataset value as the view shows it (objects and arrays arrive as JSON text). */
export type FieldValue = string | number | boolean | null;

/** One results row joined with its dataset row (by id). */
export interface DatasetViewRow {
  id: string;
  /** 1-based line (JSONL) or record number (CSV, Parquet) in the dataset when it ran. */
  line: number;
  label: RowLabel;
  /** Refusal score; absent on an error row. */
  score?: number;
  response?: string;
  /** The label's reason (e.g. `phrase`, `repetitive`), or the error of an error row. */
  reason?: string;
  /** From the dataset, when it is readable: the system and the last user message. */
  system?: string;
  prompt?: string;
  /** projections[axis][layer][position], as in the results file. */
  proj: Record<string, Record<string, Record<string, number>>>;
  /** The dataset row's other fields (category, kind, persona, …). */
  fields: Record<string, FieldValue>;
}

/** The rows of one results file and what the page needs to lay them out. */
export interface DatasetSide {
  /** Workspace-relative results file, for titles. */
  results: string;
  rows: DatasetViewRow[];
}

/** host → page: the data to show (replaces what the page had; its view settings stay). */
export const DatasetData = 'datasetData' as const;
export interface DatasetDataMessage {
  type: typeof DatasetData;
  /** Workspace-relative dataset file, when known. */
  dataset?: string;
  /** Whether a row can be inspected (its dataset is a JSONL file the inspector opens). */
  inspectable: boolean;
  a: DatasetSide;
  /** Compare mode: the second results file (after), joined to `a` (before) by row id. */
  b?: DatasetSide;
  /** Axis names, layers and positions found in the rows, in order. */
  axes: string[];
  layers: string[];
  positions: string[];
  /** Source-dataset fields found in the rows, in first-seen order. */
  fields: string[];
  /** Lines of the results file(s) that could not be read, and other notes for the header. */
  notes: string[];
}

/** page → host: the page is listening (send the data). */
export const DatasetReady = 'datasetReady' as const;
/** page → host: inspect this row of `a` in the inspector. */
export const DatasetInspect = 'datasetInspect' as const;
/** page → host: write these rows (of `a`; with `b` in compare mode) to a file the user picks. */
export const DatasetExportRows = 'datasetExportRows' as const;
/** page → host: save a chart (SVG text or a PNG data URL) to a file the user picks. */
export const DatasetExportChart = 'datasetExportChart' as const;

export type DatasetViewMessage =
  | { type: typeof DatasetReady }
  | { type: typeof DatasetInspect; id: string }
  | { type: typeof DatasetExportRows; format: 'jsonl' | 'csv'; ids: string[] }
  | { type: typeof DatasetExportChart; format: 'svg' | 'png'; data: string; suggestedName: string };

const MAX_ID = 4096;
const MAX_ROWS = 2_000_000;
const MAX_CHART = 64 * 1024 * 1024;
const PNG_PREFIX = 'data:image/png;base64,';

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
function onlyKeys(x: Record<string, unknown>, keys: readonly string[]): boolean {
  return Object.keys(x).every((k) => keys.includes(k));
}
const isId = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= MAX_ID;
const isFileName = (x: unknown): boolean => typeof x === 'string' && x.length > 0 && x.length <= 255 && !/[\\/\0]/.test(x) && x !== '.' && x !== '..';

/** True when `x` is a well-formed page → host message of the dataset view. */
export function isDatasetViewMessage(x: unknown): x is DatasetViewMessage {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case DatasetReady:
      return onlyKeys(x, ['type']);
    case DatasetInspect:
      return onlyKeys(x, ['type', 'id']) && isId(x.id);
    case DatasetExportRows:
      return onlyKeys(x, ['type', 'format', 'ids']) && (x.format === 'jsonl' || x.format === 'csv') && Array.isArray(x.ids) && x.ids.length <= MAX_ROWS && x.ids.every(isId);
    case DatasetExportChart:
      if (!onlyKeys(x, ['type', 'format', 'data', 'suggestedName']) || !isFileName(x.suggestedName) || typeof x.data !== 'string' || x.data.length > MAX_CHART) return false;
      if (x.format === 'svg') return /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(x.data);
      if (x.format === 'png') return x.data.startsWith(PNG_PREFIX) && /^[A-Za-z0-9+/]+=*$/.test(x.data.slice(PNG_PREFIX.length));
      return false;
    default:
      return false;
  }
}

/** Label colours that read on light and dark themes (the summary page, the dataset view, its exports). */
export const LABEL_COLOURS: Record<RowLabel, string> = { refusal: '#d9534f', bypass: '#3c9d5d', degenerate: '#9a8c3a', error: '#888888' };
