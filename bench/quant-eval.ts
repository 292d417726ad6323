// q8 / q4 against fp32 on a checkpoint of the built-in organism (tools/organism/to_checkpoint.py):
// over every prompt of media/models/organism/eval/*.jsonl, greedy 48 tokens with the shipped axes,
// compare each dtype's labels (refusal / bypass / degenerate), prompt-token readouts and first
// next-token distributions with the fp32 build's. Measured once for BENCHMARKS.md:
//   /usr/bin/python3 tools/organism/to_checkpoint.py /tmp/organism-ckpt
//   node --import tsx bench/quant-eval.ts /tmp/organism-ckpt [CACHE_DIR]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDirection, loadModel, type LensModel } from '../src/engine/index';
import type { PromptInput, TraceResult } from '../src/protocol/types';
import type { QuantScope } from '../src/protocol/dtypes';

const EVAL = join(__dirname, '..', 'media', 'models', 'organism', 'eval');
const BATCH = 16;

interface Row { prompt: PromptInput; set: string }
function prompts(): Row[] {
  const rows: Row[] = [];
  for (const f of readdirSync(EVAL).filter((x) => x.endsWith('.jsonl')).sort()) {
    for (const line of readFileSync(join(EVAL, f), 'utf8').split('\n').filter(Boolean)) {
      const j = JSON.parse(line) as { system?: string; prompt: string };
      const messages = [...(j.system ? [{ role: 'system' as const, content: j.system }] : []), { role: 'user' as const, content: j.prompt }];
      rows.push({ prompt: { kind: 'chat', messages }, set: f.replace('.jsonl', '') });
    }
  }
  return rows;
}

interface Out { labels: string[]; readouts: number[][][][]; probs: Float64Array[]; seconds: number }
async function run(m: LensModel, rows: Row[]): Promise<Out> {
  const axes = await Promise.all(['refusal', 'persona'].map((a) => loadDirection(join(m.summary.folder, 'axes', `${a}.safetensors`))));
  const out: Out = { labels: [], readouts: [], probs: [], seconds: 0 };
  const t0 = Date.now();
  for (let i = 0; i < rows.length; i += BATCH) {
    const chunk = rows.slice(i, i + BATCH);
    const res: TraceResult[] = await m.traceBatch(chunk.map((r) => ({ prompt: r.prompt, axes, interventions: [], decoding: { maxNewTokens: 48 } })));
    for (const r of res) {
      out.labels.push(r.label.label);
      const n = r.tokens.filter((t) => !t.generated).length;
      out.readouts.push(r.projections.map((a) => a.map((l) => l.slice(0, n))));
    }
    const g = await m.generateIds(chunk.map((r) => m.encode(r.prompt).ids), { maxNewTokens: 0 });
    for (const row of g.rows) {
      const l = row.firstLogits;
      const mx = Math.max(...l);
      const e = Float64Array.from(l, (x) => Math.exp(x - mx));
      const s = e.reduce((a, b) => a + b, 0);
      out.probs.push(e.map((x) => x / s));
    }
  }
  out.seconds = (Date.now() - t0) / 1000;
  return out;
}

async function main(): Promise<void> {
  const [folder, cacheDir] = process.argv.slice(2);
  if (!folder) throw new Error('usage: quant-eval.ts CHECKPOINT [CACHE_DIR]');
  const rows = prompts();
  // RL_ACCURACY_LEVEL=0: MatMulNBits with float32 activations (default 4: int8 activations)
  const acc = process.env.RL_ACCURACY_LEVEL === '0' ? { accuracyLevel: 0 as const } : {};
  const open = (dtype: string, quantize?: QuantScope) => loadModel(folder, { dtype, threads: 1, ...acc, ...(quantize ? { quantize } : {}), ...(cacheDir ? { cacheDir } : {}) });
  const ref = await open('fp32');
  const base = await run(ref, rows);
  await ref.dispose();
  const counts = (o: Out) => ['refusal', 'bypass', 'degenerate'].map((k) => `${k} ${o.labels.filter((x) => x === k).length}`).join(', ');
  console.log(`fp32: ${rows.length} prompts, ${counts(base)} (${base.seconds.toFixed(0)} s)`);
  for (const [dtype, q] of [['q8', 'layers'], ['q8', 'layers+head'], ['q8', 'all'], ['q4', 'layers'], ['q4', 'layers+head'], ['q4', 'all']] as const) {
    const m = await open(dtype, q);
    const o = await run(m, rows);
    await m.dispose();
    const same = o.labels.filter((x, i) => x === base.labels[i]).length;
    // readout error per prompt: max |Δ| over axes, layers and prompt tokens ÷ max |fp32 readout|
    const rel = o.readouts.map((p, i) => {
      let e = 0;
      let s = 0;
      p.forEach((a, ai) => a.forEach((l, li) => l.forEach((x, t) => {
        const y = base.readouts[i]![ai]![li]![t]!;
        e = Math.max(e, Math.abs(x - y));
        s = Math.max(s, Math.abs(y));
      })));
      return e / s;
    }).sort((a, b) => a - b);
    const kl = o.probs.map((q2, i) => base.probs[i]!.reduce((a, p, j) => a + (p > 0 ? p * Math.log(p / Math.max(q2[j]!, 1e-300)) : 0), 0));
    const top1 = o.probs.filter((q2, i) => argmax(q2) === argmax(base.probs[i]!)).length;
    console.log(
      `${dtype} ${q.padEnd(11)} labels unchanged ${same}/${rows.length} (${((100 * same) / rows.length).toFixed(1)}%); ${counts(o)}; ` +
        `readout rel. error median ${rel[rel.length >> 1]!.toExponential(1)}, p95 ${rel[Math.floor(0.95 * rel.length)]!.toExponential(1)}, max ${rel[rel.length - 1]!.toExponential(1)}; ` +
        `KL(fp32‖${dtype}) mean ${mean(kl).toExponential(1)}, max ${Math.max(...kl).toExponential(1)} nats; top-1 same ${top1}/${rows.length}`,
    );
  }
}
function argmax(a: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[b]!) b = i;
  return b;
}
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
