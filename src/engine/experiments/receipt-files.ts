// The receipt's files in its output folder: which names they have, a check before a run that the
// folder can be written and holds nothing ablate did not write, and writing them all atomically
// (all or none: a full disk leaves the previous receipt, if any, intact).
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Intervention } from '../../protocol/types';
import { ensureWritableDir, removeStaleTemps, writeFilesAtomic, type WriteHooks } from '../io/atomic';
import { lineChart, ratesChart } from './charts';
import type { ConditionPlan } from './conditions';
import { receiptJson, type Receipt, type SweepResult } from './receipt';
import { readReceiptFile } from './receipt-check';
import { receiptCsv, receiptLatex, receiptMarkdown } from './receipt-render';
import type { AblationRun } from './ablate';

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'sweep';
}

const sweepFile = (name: string, i: number) => `sweep-${i + 1}-${slug(name)}.svg`;

/** The files a receipt of these sweeps consists of, receipt.json first. */
export function receiptFileNames(sweeps: readonly { name: string }[]): string[] {
  return ['receipt.json', 'receipt.md', 'receipt.tex', 'receipt.csv', 'rates.svg', ...sweeps.map((s, i) => sweepFile(s.name, i)), 'responses.jsonl'];
}

/**
 * Before a run: the folder exists (or is created) and is writable, and any receipt file names
 * already in it belong to an earlier receipt (a valid receipt.json beside them), so replacing
 * them destroys nothing ablate did not write; temp files a killed run left are removed. Throws an Error saying which folder or file.
 */
export function prepareReceiptFolder(dir: string, plan: Pick<ConditionPlan, 'sweeps'>): void {
  ensureWritableDir(dir, 'the output folder');
  // A run SIGKILLed while writing the receipt leaves hidden `.receipt.json.<pid>.<hex>.tmp` files.
  removeStaleTemps(dir, receiptFileNames(plan.sweeps));
  const present = receiptFileNames(plan.sweeps).filter((f) => existsSync(path.join(dir, f)));
  if (!present.length) return;
  const json = path.join(dir, 'receipt.json');
  let why: string | undefined;
  if (!existsSync(json)) why = 'there is no receipt.json beside them';
  else {
    try {
      readReceiptFile(json);
    } catch (e) {
      why = (e as Error).message;
    }
  }
  if (why) {
    throw new Error(`the output folder ${dir} holds ${present.join(', ')}, which ablate would replace but may not have written (${why}); move them, or choose another output folder`);
  }
}

const sameIvs = (a: Intervention[], b: Intervention[]) => JSON.stringify(a) === JSON.stringify(b);

/** The sweep's refusal rate against the window, beside the baseline and the fixed-only condition when the file has them. */
export function sweepChart(r: Receipt, s: SweepResult): string {
  const fixed = s.points[0]?.interventions.slice(0, -1) ?? [];
  const refs = [];
  const base = r.conditions.find((c) => c.set === s.set && c.interventions.length === 0);
  if (base) refs.push({ name: base.name, y: base.rates.refusal.rate });
  const fixedOnly = fixed.length ? r.conditions.find((c) => c.set === s.set && sameIvs(c.interventions, fixed)) : undefined;
  if (fixedOnly) refs.push({ name: fixedOnly.name, y: fixedOnly.rates.refusal.rate });
  return lineChart({
    title: `${s.name}: refusal rate by layer window`,
    xLabel: `first layer of the ${s.size}-layer window`,
    yLabel: 'refusal rate',
    yMin: 0,
    yMax: 1,
    yFormat: (y) => `${Math.round(100 * y)}%`,
    series: [{ name: 'refusal (95% CI)', points: s.points.map((p) => ({ x: p.window[0], y: p.rates.refusal.rate, lo: p.rates.refusal.lo, hi: p.rates.refusal.hi })) }],
    refs,
  });
}

/** Writes the receipt's files into `dir`, all or none; returns their paths. */
export function writeReceiptFiles(dir: string, run: Pick<AblationRun, 'receipt' | 'responses'>, hooks: WriteHooks = {}): string[] {
  ensureWritableDir(dir, 'the output folder');
  const r = run.receipt;
  const names = receiptFileNames(r.sweeps);
  const texts = [
    receiptJson(r),
    receiptMarkdown(r),
    receiptLatex(r),
    receiptCsv(r),
    ratesChart(r.conditions, r.title),
    ...r.sweeps.map((s) => sweepChart(r, s)),
    run.responses.map((x) => JSON.stringify(x)).join('\n') + (run.responses.length ? '\n' : ''),
  ];
  const entries = names.map((name, i) => ({ file: path.join(dir, name), data: texts[i] }));
  writeFilesAtomic(entries, hooks);
  return entries.map((e) => e.file);
}
