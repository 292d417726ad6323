// Annotate Dataset: progress with ETA, cancel (finished rows are kept), resume, start over on
// other settings, Retry Errors, and the closing notification. The worker runs the engine.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { datasetColumns, type DatasetColumns } from '../../engine/experiments/datasets/index';
import { FileReadError, readBoundedFile } from '../../engine/io/read';
import { PROMPT_TEXT_FIELDS, type FieldMap } from '../../engine/prompts/index';
import { parseLayerSpec } from '../../engine/prompts/layers';
import { LIMITS } from '../../protocol/limits';
import { Annotate, AnnotateRow, ErrorCodes, ExperimentProgress, type AnnotatePosition, type AnnotateResult } from '../../protocol/rpc';
import { readSettings } from '../config';
import { ANNOTATE_POSITIONS, DEFAULT_ANNOTATE_POSITIONS, isAnnotatePosition } from '../../protocol/annotate';
import { CancelledError, WorkerDiedError } from '../workerClient';
import { describeError } from '../../protocol/errors';
import { notifyError, showError } from '../errors';
import { cancelledText, rowsKept } from './kept';
import { codeOf, errorText, isDatasetPath, pickFile, savedOrAsk, type ExperimentContext } from './context';
import { DATASET_EXTENSIONS } from './datasetData';
import { isResultsFile, progressMessage, resultsFileRefusal } from './results';


export interface AnnotateOptions {
  restart?: boolean;
  retryErrors?: boolean;
}

/**
 * The columns to read the prompt from: {} when the readers guess it (JSONL, or a table with a
 * `prompt`, `goal`, … column), else the one the user picks (remembered per dataset).
 * Undefined: the user cancelled, or the file is unreadable (said so).
 */
async function promptColumn(ctx: ExperimentContext, dataset: string): Promise<FieldMap | undefined> {
  const name = path.basename(dataset);
  const remembered = ctx.fieldsFor(dataset);
  let cols: DatasetColumns;
  try {
    cols = datasetColumns(dataset, readBoundedFile(dataset, { what: 'dataset', maxBytes: LIMITS.datasetBytes }));
  } catch (e) {
    void vscode.window.showErrorMessage(`Refusal Lens: cannot read ${name}: ${e instanceof FileReadError ? e.detail : errorText(e)}`);
    return undefined;
  }
  if (cols.format === 'jsonl') return remembered;
  if (remembered.promptField && cols.columns.includes(remembered.promptField)) return remembered;
  if (!cols.needsColumn) return {};
  if (!cols.columns.length) {
    void vscode.window.showErrorMessage(`Refusal Lens: ${name} has no columns (a CSV needs a header row).`);
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(cols.columns, {
    title: `Annotate ${name}: which column holds the prompt?`,
    placeHolder: `No column is named ${PROMPT_TEXT_FIELDS.join(', ')}: pick the user message column`,
  });
  if (!pick) return undefined;
  const fields = { promptField: pick };
  await ctx.rememberFields(dataset, fields);
  return fields;
}

export async function annotateDataset(
  ctx: ExperimentContext,
  showSummary: (uri: vscode.Uri) => void,
  arg?: unknown,
  opts: AnnotateOptions = {},
): Promise<AnnotateResult | undefined> {
  const uri = await pickFile(arg, isDatasetPath, 'Annotate Dataset: a prompt dataset (JSONL, CSV or Parquet)', { Datasets: [...DATASET_EXTENSIONS] });
  if (!uri) return undefined;
  const dataset = uri.fsPath;
  const name = path.basename(dataset);
  if (isResultsFile(dataset)) {
    void vscode.window.showInformationMessage(`Refusal Lens: ${name} is a results file; run Annotate Dataset on its dataset.`);
    return undefined;
  }
  if (ctx.running.has(dataset)) {
    void vscode.window.showInformationMessage(`Refusal Lens: ${name} is being annotated already.`);
    return undefined;
  }
  if (!(await savedOrAsk(uri))) return undefined;
  const fields = await promptColumn(ctx, dataset);
  if (!fields) return undefined;
  const problems: string[] = [];
  const settings = readSettings(problems);
  for (const p of problems) ctx.log.warn(`settings: ${p}`);
  const positions = (settings.annotatePositions.length ? settings.annotatePositions : [...DEFAULT_ANNOTATE_POSITIONS]) as AnnotatePosition[];
  const badPos = positions.filter((p) => !isAnnotatePosition(p));
  if (badPos.length) {
    notifyError({ message: `refusalLens.annotate.positions: ${badPos.join(', ')} is not one of ${ANNOTATE_POSITIONS.join(', ')}.`, actions: ['openSettings'], setting: 'refusalLens.annotate.positions' });
    return undefined;
  }
  const out = ctx.store.resultsPath(dataset);
  if (path.resolve(out) === path.resolve(dataset)) {
    notifyError({ message: 'refusalLens.annotate.resultsFile names the dataset itself.', actions: ['openSettings'], setting: 'refusalLens.annotate.resultsFile' });
    return undefined;
  }
  // The worker checks these again under the lock; here they fail before a model loads.
  const refused = resultsFileRefusal(out, settings.annotateResultsFile !== '');
  if (refused) {
    const fromSetting = settings.annotateResultsFile !== '';
    notifyError({ message: refused, actions: fromSetting ? ['openSettings'] : [], ...(fromSetting ? { setting: 'refusalLens.annotate.resultsFile' } : {}) });
    return undefined;
  }
  const { controller, log, store } = ctx;
  ctx.running.add(dataset);
  const runId = ctx.nextRunId('annotate');
  const offRow = controller.client.onNotification(AnnotateRow, (p) => p.runId === runId && store.addLive(out, p.row));
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Refusal Lens: annotating ${name}`, cancellable: true },
      async (progress, token) => {
        progress.report({ message: 'starting engine' });
        const target = await controller.target(settings, undefined);
        const { model, axes } = await controller.session.prepare(target, token, (message) => progress.report({ message }));
        let layers: number[];
        try {
          layers = parseLayerSpec(settings.annotateLayers, model.layers);
        } catch (e) {
          throw new Error(`refusalLens.annotate.layers: ${errorText(e)}`);
        }
        if (!axes.length) log.warn(`annotate ${name}: no axes loaded; rows carry labels and refusal scores only`);
        let shown = 0;
        const offProgress = controller.client.onNotification(ExperimentProgress, (p) => {
          if (p.runId !== runId) return;
          const pct = p.total ? (100 * p.done) / p.total : 0;
          progress.report({ message: progressMessage(p), increment: Math.max(0, pct - shown) });
          shown = Math.max(shown, pct);
        });
        try {
          return await controller.client.request(
            Annotate,
            {
              runId, dataset, out, layers, positions,
              axes: axes.map((a) => a.name),
              decoding: { maxNewTokens: settings.maxNewTokens },
              batchSize: settings.annotateBatchSize,
              ...(opts.restart ? { restart: true } : {}),
              ...(opts.retryErrors ? { retryErrors: true } : {}),
              ...(Object.keys(fields).length ? { fields } : {}),
            },
            token,
          );
        } finally {
          offProgress();
        }
      },
    );
    reportAnnotation(ctx, showSummary, uri, result);
    return result;
  } catch (err) {
    if (err instanceof CancelledError) {
      // Counted from the file once the worker let go of it: the last progress report can be a batch behind.
      const kept = await rowsKept(dataset, out);
      void vscode.window.showInformationMessage(`Refusal Lens: ${cancelledText(name, out, kept)}`);
      return undefined;
    }
    if (err instanceof WorkerDiedError) return undefined; // its own notification says so (extension.ts)
    if (codeOf(err) === ErrorCodes.ResultsMismatch && /restart/.test(errorText(err)) && !opts.restart) {
      const a = await vscode.window.showWarningMessage(
        `Refusal Lens: ${errorText(err).replace(/; write to another file.*$/, '')}. Start over? This discards the rows in ${path.basename(out)}.`,
        { modal: true },
        'Start Over',
      );
      ctx.running.delete(dataset);
      return a === 'Start Over' ? annotateDataset(ctx, showSummary, uri, { restart: true }) : undefined;
    }
    if (codeOf(err) === ErrorCodes.ResultsRefused) {
      const fromSetting = settings.annotateResultsFile !== '';
      const e = describeError(err, `annotating ${name}`);
      if (fromSetting) e.message += ' (the results file named by refusalLens.annotate.resultsFile)';
      else e.actions = e.actions.filter((a) => a !== 'openSettings');
      notifyError(e, log);
      return undefined;
    }
    showError(err, `annotating ${name}`, log);
    return undefined;
  } finally {
    offRow();
    ctx.running.delete(dataset);
    store.endLive(out);
  }
}

function reportAnnotation(ctx: ExperimentContext, showSummary: (uri: vscode.Uri) => void, uri: vscode.Uri, r: AnnotateResult): void {
  const name = path.basename(uri.fsPath);
  for (const s of r.skipped) ctx.log.warn(`${name}:${s.line}: skipped: ${s.field ? `${s.field}: ` : ''}${s.message}`);
  for (const f of r.failed) ctx.log.warn(`${name}:${f.line} (id ${f.id}): error row: ${f.message}`);
  if (r.truncated) ctx.log.info(`${path.basename(r.out)}: cut off a half-written line left by an interrupted run (line ${r.truncated.line}); that row ran again`);
  const n = r.counts.refusal + r.counts.bypass + r.counts.degenerate;
  const extra = [
    r.resumed ? `${r.resumed} resumed` : '',
    r.skipped.length ? `${r.skipped.length} unreadable line${r.skipped.length === 1 ? '' : 's'} skipped` : '',
    r.errors ? `${r.errors} error row${r.errors === 1 ? '' : 's'}: the model could not run ${r.errors === 1 ? 'it' : 'them'}${r.failed.length ? ' (see log)' : ''}` : '',
  ].filter(Boolean);
  const text = `Refusal Lens: ${name}: ${n} rows: refusal ${r.counts.refusal}, bypass ${r.counts.bypass}, degenerate ${r.counts.degenerate}${extra.length ? ` (${extra.join(', ')})` : ''}.`;
  const show = r.errors ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  // Error rows stay on a resume (their causes rarely go away by themselves); this runs them again.
  void show(text, 'Open Dataset View', 'Show Summary', 'Open Results', ...(r.errors ? ['Retry Errors'] : [])).then((a) => {
    if (a === 'Retry Errors') void annotateDataset(ctx, showSummary, uri, { retryErrors: true });
    if (a === 'Open Dataset View') void vscode.commands.executeCommand('refusalLens.openDatasetView', uri);
    if (a === 'Show Summary') showSummary(uri);
    if (a === 'Open Results') void vscode.window.showTextDocument(vscode.Uri.file(r.out), { preview: true, viewColumn: vscode.ViewColumn.Beside });
  });
}
