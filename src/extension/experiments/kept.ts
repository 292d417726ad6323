// What a cancelled annotation left in its results file, counted from the file. The host's
// cancel returns at once while the worker finishes (or drops) the batch it was running, so the
// last progress report can be a batch behind the file: the count waits until no run holds the
// file's lock, then reads it. Pure Node (no `vscode`): unit-tested.
import { readFileSync } from 'node:fs';
import { readResultsText } from '../../engine/experiments/results-file';
import { lockHolder } from '../../engine/io/lock';
import { parseJsonl } from '../../engine/prompts/index';
import { parseResults } from './results';

/** Resolves when no run holds `file`'s lock, or after `waitMs` (false then). */
export async function lockReleased(file: string, waitMs: number, pollMs = 100): Promise<boolean> {
  const until = Date.now() + waitMs;
  while (lockHolder(file)) {
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return true;
}

/**
 * Rows of `dataset` that `out` holds (results and error rows), and the dataset's row count; waits
 * up to `waitMs` for a run still writing `out`. Undefined when either file cannot be read.
 */
export async function rowsKept(dataset: string, out: string, waitMs = 15_000): Promise<{ kept: number; total: number; settled: boolean } | undefined> {
  const settled = await lockReleased(out, waitMs);
  try {
    const ids = parseJsonl(readFileSync(dataset, 'utf8'), dataset).rows.map((r) => r.id);
    const { rows } = parseResults(readResultsText(out));
    return { kept: ids.filter((id) => rows.has(id)).length, total: ids.length, settled };
  } catch {
    return undefined;
  }
}

/** The notification after a cancel: the count the file holds, never the last progress report. */
export function cancelledText(name: string, out: string, k: Awaited<ReturnType<typeof rowsKept>>): string {
  const file = out.split(/[\\/]/).pop() ?? out;
  const kept = k ? `${k.kept} of ${k.total} rows are in ${file}${k.settled ? '' : ' so far (the engine is still finishing a batch)'}` : 'finished rows are kept';
  return `annotating ${name} cancelled; ${kept}. Run Annotate Dataset again to resume.`;
}
