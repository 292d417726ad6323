// `npm run bench`, checkpoint section (issue 16): the 12-layer bench model saved as a bf16
// Hugging Face checkpoint (tools/bench/checkpoint_from_export.py), opened the way a researcher opens
// theirs. Measures: the first open (graph build, then hook + session) in a child process of its
// own, for its own peak RSS; decode and prefill of the built graph, standard and fused forms,
// against the Optimum-style export of the same weights, interleaved with the bandwidth kernel;
// annotation throughput of both forms (the standard form left-pads a batch, GQA groups it by
// length); worker RSS against the built weights; llama.cpp (node-llama-cpp, on GGUF files of the
// same weights) side by side. --smoke: the llama-gqa fixture checkpoint against its ONNX export.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCheckpoint, DEFAULT_GRAPH_FORM, planCheckpoint, type GraphForm } from '../src/engine/checkpoint/index';
import { loadModel, type Direction, type LensModel } from '../src/engine/index';
import { WorkerClient } from '../src/extension/workerClient';
import { Hello, LoadModel, Shutdown, Trace } from '../src/protocol/rpc';
import type { Intervention } from '../src/protocol/types';
import { interleave, pairedRatios, summarize, type Summary } from './stats';
import { SYSTEM_PYTHON } from './torch';

export interface CheckpointDeps {
  root: string;
  cache: string;
  /** the Optimum-style export whose torch/state_dict.pt the checkpoint is written from */
  exportFolder: string;
  smoke: boolean;
  rounds: number;
  threads: number[];
  bwBin: string;
  log: (s: string) => void;
  bandwidth: (bin: string, threads: number, mib: number, reps: number) => { copy_median: number; read_median: number };
  makeAxes: (folder: string, model: LensModel) => Promise<{ dirs: Direction[] }>;
  interventionsFor: (layers: number) => { list: Intervention[] };
  randomPrompts: (count: number, len: number, lo: number, hi: number, seed: number) => number[][];
  /** weights a decode step streams, in bytes (fp32) */
  streamedBytes: (folder: string) => number;
}

const PROMPT_LEN = 64;
const FORMS: GraphForm[] = ['standard', 'fused'];
/** where node-llama-cpp is looked for: $NODE_LLAMA_CPP_DIR (a folder holding node_modules/node-llama-cpp, or the package itself), else the repo's node_modules */
function llamaCppModule(root: string): { dir?: string; why?: string } {
  const env = process.env['NODE_LLAMA_CPP_DIR'];
  const cands = env ? [path.join(env, 'node_modules', 'node-llama-cpp'), env] : [path.join(root, 'node_modules', 'node-llama-cpp')];
  const dir = cands.find((c) => existsSync(path.join(c, 'package.json')) && path.basename(c) === 'node-llama-cpp');
  return dir ? { dir } : { why: `node-llama-cpp not found (${env ? `NODE_LLAMA_CPP_DIR=${env}` : 'not in node_modules; set NODE_LLAMA_CPP_DIR'})` };
}

function vmKib(pid: number | 'self', key: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Child-process entry (`--checkpoint-build-child JSON`): a cold build into a fresh cache, then the first open. */
export async function checkpointBuildChild(arg: string): Promise<void> {
  const a = JSON.parse(arg) as { folder: string; form: GraphForm };
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'rl-bench-build-'));
  try {
    const t0 = performance.now();
    await buildCheckpoint(a.folder, { cacheDir, form: a.form });
    const buildMs = performance.now() - t0;
    const buildPeakRss = vmKib('self', 'VmHWM');
    const t1 = performance.now();
    const m = await loadModel(a.folder, { cacheDir, graphForm: a.form, threads: 1 });
    const openMs = performance.now() - t1;
    await m.dispose();
    process.stdout.write(JSON.stringify({ buildMs, buildPeakRss, openMs, openPeakRss: vmKib('self', 'VmHWM') }) + '\n');
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

function ensureCheckpoint(d: CheckpointDeps): { ckpt: string; gguf?: string } {
  if (d.smoke) return { ckpt: path.join(d.root, 'test', 'fixtures', 'checkpoints', 'llama-gqa') };
  const ckpt = path.join(d.cache, 'llama12-d768-bf16');
  if (!existsSync(path.join(ckpt, 'model.safetensors'))) {
    d.log(`writing the bf16 checkpoint ${ckpt} (once)`);
    const r = spawnSync(SYSTEM_PYTHON, [path.join(d.root, 'tools', 'bench', 'make_checkpoint.py'), d.exportFolder, ckpt], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('tools/bench/checkpoint_from_export.py failed');
  }
  const gguf = path.join(d.cache, 'gguf-llama12-d768');
  if (!['f32', 'q8_0', 'q4_0'].every((k) => existsSync(path.join(gguf, `model-${k}.gguf`)))) {
    d.log(`writing GGUF files into ${gguf} (once)`);
    const r = spawnSync(SYSTEM_PYTHON, [path.join(d.root, 'tools', 'bench', 'make_gguf.py'), ckpt, gguf], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('tools/bench/make_gguf.py failed');
  }
  return { ckpt, gguf };
}

/** fp32 bytes of the tensors the built graph holds */
async function builtWeightBytes(ckpt: string): Promise<number> {
  const p = await planCheckpoint(ckpt);
  return p.tensors.reduce((a, t) => a + (t.dtype === 'F32' ? t.length : 2 * t.length), 0);
}

/** Whether loadModel can build a checkpoint at this dtype yet (another helper adds q8/q4). */
async function dtypeAvailable(ckpt: string, dtype: string, cacheDir: string): Promise<string | undefined> {
  try {
    const m = await loadModel(ckpt, { dtype, threads: 1, cacheDir });
    await m.dispose();
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

export async function sectionCheckpoint(d: CheckpointDeps): Promise<Record<string, unknown>> {
  const { ckpt, gguf } = ensureCheckpoint(d);
  const out: Record<string, unknown> = { checkpoint: path.relative(d.root, ckpt), export: path.relative(d.root, d.exportFolder), defaultForm: DEFAULT_GRAPH_FORM };
  const builtBytes = await builtWeightBytes(ckpt);
  out['builtWeightBytes'] = builtBytes;
  out['storedDtypes'] = (await planCheckpoint(ckpt)).storedDtypes.join('/');

  // First open, per form, each in a child of its own (its VmHWM is the build's alone).
  const first: Record<string, unknown> = {};
  for (const form of FORMS) {
    const self = process.argv[1]!;
    const r = spawnSync(process.execPath, [...process.execArgv, self, '--checkpoint-build-child', JSON.stringify({ folder: ckpt, form })], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) throw new Error(`checkpoint build child (${form}) failed: ${r.stderr.slice(-2000)}`);
    first[form] = JSON.parse(line);
    d.log(`checkpoint first open (${form}): ${line}`);
  }
  out['firstOpen'] = first;

  const perThreads: unknown[] = [];
  for (const threads of d.threads) {
    const exp = await loadModel(d.exportFolder, { threads });
    const models: Record<GraphForm, LensModel> = {
      // Builds go to the bench's cache, not into the checkpoint folder (with --smoke that is the
      // repository's own fixture, which other tests copy).
      standard: await loadModel(ckpt, { threads, graphForm: 'standard', cacheDir: path.join(d.cache, 'ckpt') }),
      fused: await loadModel(ckpt, { threads, graphForm: 'fused', cacheDir: path.join(d.cache, 'ckpt') }),
    };
    const axes = await d.makeAxes(ckpt, models.standard);
    const L = models.standard.summary.layers;
    const V = models.standard.summary.vocabSize;
    const hooked = { interventions: d.interventionsFor(L).list, axes: axes.dirs };
    const lo = V > 1000 ? 256 : 0;
    const [p1] = d.randomPrompts(1, PROMPT_LEN, lo, V - 3, 7) as [number[]];
    const newTokens = d.smoke ? 4 : 32;
    const gen = (m: LensModel) => async () => {
      const r = await m.generateIds([p1], { maxNewTokens: newTokens, stopAtEos: false }, hooked);
      return { decodeMs: r.decodeMs / r.decodeSteps, prefillMs: r.prefillMs, tokens: r.rows[0]!.generated.join(',') };
    };
    const bw = async () => {
      const b = d.bandwidth(d.bwBin, threads, d.smoke ? 64 : 512, d.smoke ? 2 : 3);
      return Math.max(b.copy_median, b.read_median);
    };
    type G = { decodeMs: number; prefillMs: number; tokens: string };
    // llama.cpp F32 in the same rounds (a child per round: its warm-up run, then one measured run)
    const lc = d.smoke || !gguf ? { why: 'smoke run (no GGUF files)' } : llamaCppModule(d.root);
    const variants: (() => Promise<G | number>)[] = [gen(models.standard), gen(models.fused), gen(exp), bw];
    if (lc.dir) {
      const modDir = lc.dir;
      variants.push(async () => {
        const j = llamaCppChild(d, modDir, path.join(gguf!, 'model-f32.gguf'), threads, p1, newTokens, 2);
        if (!j.ok || !j.runs) throw new Error(`llama.cpp (node-llama-cpp) failed on model-f32.gguf: ${j.error}`);
        const r = j.runs[1]!;
        return { decodeMs: r.decodeMs / r.steps, prefillMs: r.prefillMs, tokens: r.tokens.slice(1).join(',') };
      });
    }
    const [s, f, e, w, l] = (await interleave<G | number>(variants, d.rounds, 1)) as [G[], G[], G[], number[], G[] | undefined];
    const streamed = d.streamedBytes(d.exportFolder);
    const dec = (g: G[]) => g.map((x) => x.decodeMs);
    const pre = (g: G[]) => g.map((x) => x.prefillMs);
    const frac = (g: G[]) => summarize(g.map((x, i) => 1000 / x.decodeMs / (w[i]! / streamed)));
    const row: Record<string, unknown> = {
      threads,
      decodeMsPerToken: { standard: summarize(dec(s)), fused: summarize(dec(f)), export: summarize(dec(e)) },
      prefillMs: { standard: summarize(pre(s)), fused: summarize(pre(f)), export: summarize(pre(e)) },
      decodeVsExport: { standard: summarize(pairedRatios(dec(s), dec(e))), fused: summarize(pairedRatios(dec(f), dec(e))) },
      prefillVsExport: { standard: summarize(pairedRatios(pre(s), pre(e))), fused: summarize(pairedRatios(pre(f), pre(e))) },
      fusedVsStandard: { decode: summarize(pairedRatios(dec(f), dec(s))), prefill: summarize(pairedRatios(pre(f), pre(s))) },
      decodeFractionOfBound: { standard: frac(s), fused: frac(f), export: frac(e) },
      bandwidthBytesPerS: summarize(w),
      greedyAgree: { fusedEqualsStandard: s[0]!.tokens === f[0]!.tokens, standardEqualsExport: s[0]!.tokens === e[0]!.tokens },
    };
    if (l) {
      // llama.cpp yields the token sampled from the prefill first; the engine's `generated` too
      row['llamaCppF32Interleaved'] = {
        decodeMsPerToken: summarize(dec(l)),
        prefillMs: summarize(pre(l)),
        standardVsLlamaCpp: { decode: summarize(pairedRatios(dec(s), dec(l))), prefill: summarize(pairedRatios(pre(s), pre(l))) },
        fusedVsLlamaCpp: { decode: summarize(pairedRatios(dec(f), dec(l))), prefill: summarize(pairedRatios(pre(f), pre(l))) },
      };
      // the rounds above are hooked with interventions; the same weights without any must give llama.cpp's greedy tokens
      const plain = await models.standard.generateIds([p1], { maxNewTokens: newTokens, stopAtEos: false });
      const j = llamaCppChild(d, lc.dir!, path.join(gguf!, 'model-f32.gguf'), threads, p1, newTokens, 1);
      (row['llamaCppF32Interleaved'] as Record<string, unknown>)['greedyEqualsUnhooked'] = j.runs?.[0]?.tokens.join(',') === plain.rows[0]!.generated.join(',');
    } else row['llamaCppF32Interleaved'] = { skipped: lc.why };

    // Annotation: a batch of prompts of mixed lengths (24–64 tokens), 8 new tokens each, readouts
    // of the 3 axes, no interventions; prompts/s through traceBatch (batches of 32).
    const nAnn = d.smoke ? 8 : 32;
    const rnd = d.randomPrompts(nAnn, 1, 0, 41, 11).map(([k]) => 24 + k!);
    const annPrompts = rnd.map((len, i) => d.randomPrompts(1, len, lo, V - 3, 100 + i)[0]!);
    const annotate = (m: LensModel) => async () => {
      const t = performance.now();
      for (let i = 0; i < annPrompts.length; i += 32) {
        await m.traceBatch(annPrompts.slice(i, i + 32).map((ids) => ({ prompt: { kind: 'tokens' as const, tokenIds: ids }, axes: axes.dirs, interventions: [], decoding: { maxNewTokens: 8, stopAtEos: false } })));
      }
      return annPrompts.length / ((performance.now() - t) / 1000);
    };
    const [as, af] = (await interleave([annotate(models.standard), annotate(models.fused)], d.smoke ? 1 : Math.max(2, Math.floor(d.rounds / 2)), 1)) as [number[], number[]];
    row['annotatePromptsPerS'] = { standard: summarize(as), fused: summarize(af), fusedVsStandard: summarize(pairedRatios(af, as)), prompts: nAnn, batch: 32, newTokens: 8 };

    // q8 / q4 checkpoints (another helper's dtypes): measured when loadModel builds them.
    const quant: Record<string, unknown> = {};
    for (const dtype of ['q8', 'q4']) {
      const why = await dtypeAvailable(ckpt, dtype, path.join(d.cache, 'ckpt-dtype-probe'));
      if (why) {
        quant[dtype] = { notMeasured: `dtype not available (${why})` };
        continue;
      }
      const m = await loadModel(ckpt, { threads, dtype, cacheDir: path.join(d.cache, 'ckpt') });
      const [q, s2] = (await interleave<G | number>([gen(m), gen(models.standard)], d.rounds, 1)) as [G[], G[]];
      quant[dtype] = { decodeMsPerToken: summarize(dec(q)), speedupVsFp32: summarize(pairedRatios(dec(s2), dec(q))), prefillMs: summarize(pre(q)) };
      await m.dispose();
    }
    row['quantized'] = quant;
    row['refusalLensDecodeMs'] = { f32: summarize(dec(s)) };
    perThreads.push(row);
    d.log(`checkpoint: ${threads} thread(s) done`);
    for (const m of [exp, models.standard, models.fused]) await m.dispose();

    // llama.cpp on the same weights, batch 1, after the in-process runs (its own process).
    row['llamaCpp'] = llamaCppRuns(d, gguf, threads, p1, newTokens);
  }
  out['perThreads'] = perThreads;
  out['worker'] = await workerRss(d, ckpt, builtBytes);
  return out;
}

interface PeerResult {
  ok: boolean;
  error?: string;
  runs?: { prefillMs: number; decodeMs: number; steps: number; tokens: number[] }[];
  loadMs?: number;
  rssPeakBytes?: number;
}

/** One child process of tools/bench/llamacpp_peer.mjs: `rounds` greedy runs on one GGUF file. */
function llamaCppChild(d: CheckpointDeps, module: string, model: string, threads: number, prompt: number[], newTokens: number, rounds: number): PeerResult {
  const arg = { module, model, threads, prompt, newTokens, rounds };
  const r = spawnSync(process.execPath, [path.join(d.root, 'tools', 'bench', 'llamacpp_peer.mjs'), JSON.stringify(arg)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as PeerResult;
  } catch {
    return { ok: false, error: `no result (exit ${r.status}): ${(r.stderr ?? '').slice(-1500)}` };
  }
}

function llamaCppRuns(d: CheckpointDeps, gguf: string | undefined, threads: number, prompt: number[], newTokens: number): Record<string, unknown> {
  if (d.smoke || !gguf) return { skipped: 'smoke run (no GGUF files)' };
  const mod = llamaCppModule(d.root);
  if (!mod.dir) {
    d.log(`llama.cpp skipped: ${mod.why}`);
    return { skipped: mod.why };
  }
  const res: Record<string, unknown> = { module: mod.dir };
  for (const kind of ['f32', 'q8_0', 'q4_0']) {
    const j = llamaCppChild(d, mod.dir, path.join(gguf, `model-${kind}.gguf`), threads, prompt, newTokens, Math.max(3, d.rounds));
    if (!j.ok || !j.runs) {
      res[kind] = { error: j.error };
      d.log(`llama.cpp ${kind}: ${j.error}`);
      continue;
    }
    const runs = j.runs.slice(1); // the first run warms up
    res[kind] = {
      decodeMsPerToken: summarize(runs.map((x) => x.decodeMs / x.steps)),
      prefillMs: summarize(runs.map((x) => x.prefillMs)),
      loadMs: j.loadMs,
      rssPeakBytes: j.rssPeakBytes,
      tokens: j.runs[0]!.tokens,
    };
  }
  return res;
}

/** Worker RSS with the checkpoint loaded (graph from the cache) and a 64-token trace run, against the built weights. */
async function workerRss(d: CheckpointDeps, ckpt: string, builtBytes: number): Promise<Record<string, unknown>> {
  const workerPath = path.join(d.root, 'dist', 'worker.js');
  if (!existsSync(workerPath)) return { skipped: `${workerPath} is missing: run npm run build` };
  const client = new WorkerClient({ workerPath, log: () => undefined });
  try {
    await client.request(Hello, undefined);
    const pid = client.pid!;
    await client.request(LoadModel, { folder: ckpt, cacheDir: path.join(d.cache, 'ckpt') });
    const ids = d.randomPrompts(1, PROMPT_LEN, 0, 250, 3)[0]!;
    for (let i = 0; i < 3; i++) {
      await client.request(Trace, { runId: `ckpt-${i}`, prompt: { kind: 'tokens', tokenIds: ids }, interventions: [], decoding: { maxNewTokens: 8 } });
    }
    const peak = vmKib(pid, 'VmHWM');
    const rss = vmKib(pid, 'VmRSS');
    await client.request(Shutdown, undefined).catch(() => undefined);
    return { builtWeightBytes: builtBytes, workerPeakRss: peak, workerRss: rss, budget: 1.3 * builtBytes + 150 * 2 ** 20, ratioToWeights: peak / builtBytes };
  } finally {
    await client.stop().catch(() => undefined);
  }
}

// ───────────────────────────── report ─────────────────────────────

const f2 = (s: Summary | undefined, k = 1, dgt = 2) => (s ? `${(s.median * k).toFixed(dgt)} (${(s.min * k).toFixed(dgt)}–${(s.max * k).toFixed(dgt)})` : 'n/a');
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

export function reportCheckpoint(c: Record<string, any> | undefined): string[] {
  if (!c) return [];
  const L: string[] = ['', '## Checkpoint folders (issue 16)', ''];
  L.push(`\`${c.checkpoint}\` (${c.storedDtypes ?? 'bf16'} safetensors) built into an fp32 graph; compared with the Optimum-style export \`${c.export}\`. Default graph form: **${c.defaultForm}**.`);
  L.push('', '| first open (cold cache, own process) | build | build peak RSS | + hook and session | peak RSS after open |', '|---|---|---|---|---|');
  for (const [form, r] of Object.entries<any>(c.firstOpen ?? {})) {
    L.push(`| ${form} form | ${(r.buildMs / 1000).toFixed(2)} s | ${mib(r.buildPeakRss)} | ${(r.openMs / 1000).toFixed(2)} s | ${mib(r.openPeakRss)} |`);
  }
  for (const t of c.perThreads ?? []) {
    L.push('', `### ${t.threads} thread(s), batch 1, hooked (steer every layer, project out, 3 readouts)`, '');
    L.push('| | standard form | fused form | export |', '|---|---|---|---|');
    L.push(`| decode ms/token | ${f2(t.decodeMsPerToken.standard)} | ${f2(t.decodeMsPerToken.fused)} | ${f2(t.decodeMsPerToken.export)} |`);
    L.push(`| decode ÷ export | ${f2(t.decodeVsExport.standard, 1, 3)} | ${f2(t.decodeVsExport.fused, 1, 3)} | 1 |`);
    L.push(`| decode, fraction of the bandwidth bound | ${f2(t.decodeFractionOfBound.standard, 100, 0)}% | ${f2(t.decodeFractionOfBound.fused, 100, 0)}% | ${f2(t.decodeFractionOfBound.export, 100, 0)}% |`);
    L.push(`| prefill ms (${PROMPT_LEN} tokens) | ${f2(t.prefillMs.standard)} | ${f2(t.prefillMs.fused)} | ${f2(t.prefillMs.export)} |`);
    L.push(`| prefill ÷ export | ${f2(t.prefillVsExport.standard, 1, 3)} | ${f2(t.prefillVsExport.fused, 1, 3)} | 1 |`);
    const a = t.annotatePromptsPerS;
    L.push(`| annotation prompts/s (${a.prompts} prompts of 24–64 tokens, batches of ${a.batch}, ${a.newTokens} new tokens) | ${f2(a.standard)} | ${f2(a.fused)} (÷ standard ${f2(a.fusedVsStandard, 1, 3)}) | |`);
    L.push('', `Greedy tokens: fused = standard ${t.greedyAgree.fusedEqualsStandard}; standard = export ${t.greedyAgree.standardEqualsExport} (the export holds the unrounded fp32 weights).`);
    const li = t.llamaCppF32Interleaved;
    if (li && !li.skipped) {
      L.push('', `llama.cpp F32 in the same rounds: decode ${f2(li.decodeMsPerToken)} ms/token, prefill ${f2(li.prefillMs)} ms; Refusal Lens ÷ llama.cpp (paired per round): standard form decode ${f2(li.standardVsLlamaCpp.decode, 1, 2)}×, prefill ${f2(li.standardVsLlamaCpp.prefill, 1, 2)}×; fused form decode ${f2(li.fusedVsLlamaCpp.decode, 1, 2)}×, prefill ${f2(li.fusedVsLlamaCpp.prefill, 1, 2)}×. Greedy tokens of the same weights without interventions equal llama.cpp's: ${li.greedyEqualsUnhooked}.`);
    }
    const lc = t.llamaCpp ?? {};
    L.push('', '| llama.cpp (node-llama-cpp), batch 1, after the rounds above | decode ms/token | prefill ms | Refusal Lens ÷ llama.cpp, decode (medians) |', '|---|---|---|---|');
    const rl: Record<string, Summary | undefined> = { f32: t.decodeMsPerToken.standard, q8_0: t.quantized?.q8?.decodeMsPerToken, q4_0: t.quantized?.q4?.decodeMsPerToken };
    for (const k of ['f32', 'q8_0', 'q4_0']) {
      const r = lc[k];
      if (lc.skipped) {
        L.push(`| ${k} | not measured: ${lc.skipped} | | |`);
        continue;
      }
      if (!r || r.error) {
        L.push(`| ${k} | error: ${String(r?.error ?? 'none').split('\n')[0]} | | |`);
        continue;
      }
      const mine = rl[k];
      const q = k === 'f32' ? undefined : t.quantized?.[k === 'q8_0' ? 'q8' : 'q4'];
      const ratio = mine ? (mine.median / r.decodeMsPerToken.median).toFixed(2) + '×' : `not measured: ${q?.notMeasured ?? 'dtype not available'}`;
      L.push(`| ${k} | ${f2(r.decodeMsPerToken)} | ${f2(r.prefillMs)} | ${ratio} |`);
    }
  }
  const w = c.worker;
  if (w && !w.skipped) {
    L.push('', `Worker RSS with the checkpoint loaded and traced: peak ${mib(w.workerPeakRss)} for ${mib(w.builtWeightBytes)} of built fp32 weights (${(w.ratioToWeights).toFixed(2)}×; target ≤ 1.3× + 150 MiB = ${mib(w.budget)}: ${w.workerPeakRss <= w.budget ? 'met' : 'missed'}).`);
  }
  return L;
}
