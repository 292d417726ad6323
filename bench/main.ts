// `npm run bench`: Refusal Lens against its own unhooked graph, against PyTorch with forward
// hooks, and against the machine's limits, in one run. Every figure is a median over repeated,
// interleaved rounds with min–max; every comparison is a per-round ratio of runs made side by
// side in this process run. Writes BENCHMARKS.md and bench-results.json (see --help).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { builtinModelFolder, shippedAxisFiles } from '../src/engine/builtin';
import { gaussian, loadDirection, loadModel, mulberry32, saveDirection, type Direction, type LensModel } from '../src/engine/index';
import { createSession, floatTensor, release, run } from '../src/engine/runtime';
import { TOOL_VERSION } from '../src/engine/version';
import { WorkerClient } from '../src/extension/workerClient';
import { Encode, Hello, LoadAxes, LoadModel, Shutdown, Trace, type TraceParams } from '../src/protocol/rpc';
import type { Intervention, PromptInput } from '../src/protocol/types';
import { fmt, interleave, pairedRatios, percentile, summarize, type Summary } from './stats';
import { SYSTEM_PYTHON, TorchServer } from './torch';
import { deviceMain } from './device';
import { checkpointBuildChild, reportCheckpoint, sectionCheckpoint } from './checkpoint';

const ROOT = path.resolve(__dirname, '..');
const CACHE = path.join(ROOT, '.cache', 'bench');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'models', 'llama-gqa');
const BENCH_MODEL = path.join(CACHE, 'llama12-d768');

// ───────────────────────────── options ─────────────────────────────

interface Options {
  smoke: boolean;
  rounds: number;
  threads: number[];
  torch: boolean;
  latencyReps: number;
  datasetPrompts: number;
  datasetRounds: number;
  md: string | undefined;
  json: string;
}

function parseArgs(argv: string[]): Options {
  const has = (f: string) => argv.includes(f);
  const val = (f: string) => {
    const i = argv.indexOf(f);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (has('--help')) {
    process.stdout.write(
      [
        'npm run bench [-- OPTIONS]',
        '  --smoke           seconds: fixture model only, 2 rounds, no PyTorch, writes .cache/bench/smoke-results.json',
        '  --rounds N        interleaved rounds per comparison (default 6)',
        '  --threads 1,2     ONNX Runtime intra-op threads = torch threads (default 1,2)',
        '  --no-torch        skip the PyTorch comparison',
        '  --json FILE       results file (default bench-results.json)',
        '  --md FILE         report file (default BENCHMARKS.md)',
        '  --checkpoint-only only the checkpoint section (results: .cache/bench/checkpoint-results.json, report on stdout)',
        '  --no-checkpoint   skip the checkpoint section (bf16 checkpoint build, standard vs fused form, llama.cpp peer via NODE_LLAMA_CPP_DIR)',
        '  --render FILE     only re-render the report from a results file (e.g. after editing bench/analysis.md)',
        '  --device D[,D]    only the device section (bench/device.ts): CPU vs webgpu/cuda/dml/coreml, prefill and decode',
        '                    tok/s at batch 1 and 8 [--models llama12,llama1b,tiny] [--rounds N] [--prompt N] [--new N] [--no-record]',
        '',
      ].join('\n'),
    );
    process.exit(0);
  }
  const smoke = has('--smoke');
  return {
    smoke,
    rounds: Number(val('--rounds') ?? (smoke ? 2 : 6)),
    threads: (val('--threads') ?? (smoke ? '1' : '1,2')).split(',').map(Number),
    torch: !smoke && !has('--no-torch'),
    latencyReps: smoke ? 3 : 40,
    datasetPrompts: smoke ? 16 : 256,
    datasetRounds: smoke ? 1 : 3,
    md: smoke ? undefined : path.resolve(val('--md') ?? path.join(ROOT, 'BENCHMARKS.md')),
    json: path.resolve(val('--json') ?? (smoke ? path.join(CACHE, 'smoke-results.json') : path.join(ROOT, 'bench-results.json'))),
  };
}

// ───────────────────────────── small helpers ─────────────────────────────

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

/** Graph + external data bytes of the fp32 graph: the weight bytes a session must hold. */
function weightBytes(folder: string): number {
  const dir = path.join(folder, 'onnx');
  return readdirSync(dir)
    .filter((f) => f === 'model.onnx' || f.startsWith('model.onnx_data'))
    .reduce((s, f) => s + statSync(path.join(dir, f)).size, 0);
}

interface Shape {
  layers: number;
  d: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  vocab: number;
  tied: boolean;
}

function shapeOf(folder: string): Shape {
  const c = JSON.parse(readFileSync(path.join(folder, 'config.json'), 'utf8'));
  const heads = c.num_attention_heads;
  return {
    layers: c.num_hidden_layers,
    d: c.hidden_size,
    heads,
    kvHeads: c.num_key_value_heads ?? heads,
    headDim: c.head_dim ?? c.hidden_size / heads,
    ffn: c.intermediate_size,
    vocab: c.vocab_size,
    tied: !!c.tie_word_embeddings,
  };
}

/** Weights a decode step must stream from memory: every matrix but the embedding table (a row gather). */
function streamedParams(s: Shape): number {
  const attn = s.d * s.heads * s.headDim * 2 + s.d * s.kvHeads * s.headDim * 2;
  const mlp = 3 * s.d * s.ffn;
  return s.layers * (attn + mlp + 2 * s.d) + s.d + s.d * s.vocab;
}

/** FLOPs of one prefill of T tokens (batch 1): 2·params·T for the matrices + 4·L·H·dh·T² for attention. */
function prefillFlops(s: Shape, T: number): number {
  const attn = s.d * s.heads * s.headDim * 2 + s.d * s.kvHeads * s.headDim * 2;
  const matmul = s.layers * (attn + 3 * s.d * s.ffn) + s.d * s.vocab;
  return 2 * matmul * T + 4 * s.layers * s.heads * s.headDim * T * T;
}

function loadSnapshot(): { loadavg: number[]; top: string[] } {
  let top: string[] = [];
  try {
    top = execFileSync('ps', ['-eo', 'pcpu,rss,comm', '--sort=-pcpu'], { encoding: 'utf8' })
      .split('\n')
      .slice(1, 7)
      .map((l) => l.trim())
      .filter(Boolean);
  } catch {
    // no ps
  }
  return { loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100), top };
}

function kib(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

// ───────────────────────────── set-up: models, axes, prompts ─────────────────────────────

function ensureBenchModel(): void {
  if (existsSync(path.join(BENCH_MODEL, 'onnx', 'model.onnx')) && existsSync(path.join(BENCH_MODEL, 'torch', 'state_dict.pt'))) return;
  log(`generating the 12-layer d=768 benchmark model into ${BENCH_MODEL} (once)`);
  const r = spawnSync(SYSTEM_PYTHON, [path.join(ROOT, 'tools', 'bench', 'make_model.py'), BENCH_MODEL], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('tools/bench/make_model.py failed (needs Debian python3-torch and python3-onnx)');
}

function ensureMatmulGraph(): string {
  const p = path.join(CACHE, 'matmul.onnx');
  if (existsSync(p)) return p;
  const r = spawnSync(SYSTEM_PYTHON, [path.join(ROOT, 'tools', 'bench', 'make_matmul.py'), p], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('tools/bench/make_matmul.py failed');
  return p;
}

function ensureBandwidthBinary(): string {
  const bin = path.join(CACHE, 'bandwidth');
  const src = path.join(ROOT, 'tools', 'bench', 'bandwidth.c');
  if (existsSync(bin) && statSync(bin).mtimeMs > statSync(src).mtimeMs) return bin;
  execFileSync('gcc', ['-O3', '-march=native', '-ffast-math', '-fopenmp', src, '-o', bin]);
  return bin;
}

interface Bw {
  threads: number;
  copy_median: number;
  read_median: number;
  copy_best: number;
  read_best: number;
}

function bandwidth(bin: string, threads: number, mib: number, reps: number): Bw {
  return JSON.parse(execFileSync(bin, [String(threads), String(mib), String(reps)], { encoding: 'utf8' })) as Bw;
}

/** The built-in model organism when it is built, else the fixture the tests use. */
function builtinModel(): { folder: string; which: string } {
  const org = builtinModelFolder();
  if (existsSync(path.join(org, 'config.json')) && existsSync(path.join(org, 'onnx', 'model.onnx'))) {
    return { folder: org, which: 'media/models/organism (built-in model organism)' };
  }
  return { folder: FIXTURE, which: 'test/fixtures/models/llama-gqa (fixture: the organism is not built in this checkout)' };
}

const AXIS_NAMES = ['persona', 'refusal', 'control'];

/** Three seeded axes (files the worker can load, objects, and raw [3, L, d] float32 for PyTorch). */
async function makeAxes(folder: string, model: LensModel): Promise<{ files: string[]; dirs: Direction[]; raw: string }> {
  const { layers, dModel, graphHash } = model.summary;
  const dir = path.join(CACHE, 'axes', path.basename(folder));
  mkdirSync(dir, { recursive: true });
  const shipped = shippedAxisFiles(folder);
  const files: string[] = [];
  const normal = gaussian(20260101);
  const all = new Float32Array(3 * layers * dModel);
  for (let a = 0; a < 3; a++) {
    const vectors = all.subarray(a * layers * dModel, (a + 1) * layers * dModel);
    for (let l = 0; l < layers; l++) {
      let n = 0;
      for (let i = 0; i < dModel; i++) n += (vectors[l * dModel + i] = normal()) ** 2;
      for (let i = 0; i < dModel; i++) vectors[l * dModel + i]! /= Math.sqrt(n); // unit per layer
    }
    const name = AXIS_NAMES[a]!;
    const file = path.join(dir, `${name}.safetensors`);
    await saveDirection(file, {
      name,
      vectors: Float32Array.from(vectors),
      nLayers: layers,
      dModel,
      meta: {
        name,
        modelName: path.basename(folder),
        modelGraphHash: graphHash,
        hook: 'resid_post',
        layerBase: 0,
        method: 'bench_random',
        positions: 'last',
        nPos: 0,
        nNeg: 0,
        created: '2026-01-01T00:00:00Z',
        toolVersion: TOOL_VERSION,
      },
    } as Direction);
    files.push(file);
  }
  // The organism's shipped persona/refusal axes replace the random ones where they exist.
  for (const f of shipped.slice(0, 2)) files[shipped.indexOf(f)] = f;
  const dirs: Direction[] = [];
  for (const f of files) dirs.push(await loadDirection(f, model));
  dirs.forEach((d, i) => {
    d.name = AXIS_NAMES[i]!;
    all.set(d.vectors, i * layers * dModel);
  });
  const raw = path.join(dir, 'axes.f32');
  writeFileSync(raw, Buffer.from(all.buffer, all.byteOffset, all.byteLength));
  return { files, dirs, raw };
}

/** steer persona ×4 at every layer, project out refusal in the middle third, read out all 3 axes. */
function interventionsFor(layers: number): { list: Intervention[]; window: number[] } {
  const lo = Math.floor(layers / 3);
  const hi = Math.max(lo + 1, Math.floor((2 * layers) / 3));
  const window = Array.from({ length: hi - lo }, (_, i) => lo + i);
  return {
    window,
    list: [
      { kind: 'steer', axis: 'persona', coefficient: 4, layers: Array.from({ length: layers }, (_, l) => l) },
      { kind: 'project_out', axes: ['refusal'], layers: window },
    ],
  };
}

function randomPrompts(count: number, len: number, lo: number, hi: number, seed: number): number[][] {
  const rand = mulberry32(seed);
  return Array.from({ length: count }, () => Array.from({ length: len }, () => lo + Math.floor(rand() * (hi - lo))));
}

// ───────────────────────────── measurements ─────────────────────────────

const PROMPT_LEN = 64;
const NEW_TOKENS = 32;

interface Ratio {
  a: Summary;
  b: Summary;
  ratio: Summary;
}

const ratioOf = (a: number[], b: number[]): Ratio => ({ a: summarize(a), b: summarize(b), ratio: summarize(pairedRatios(a, b)) });

async function sectionModel(
  label: string,
  folder: string,
  threads: number,
  o: Options,
  extra: { bwBin?: string; mmPath?: string; torch?: TorchServer; axesRaw?: (raw: string) => void } = {},
): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const model = await loadModel(folder, { threads });
  await model.loaded.unhooked();
  const shape = shapeOf(folder);
  const axes = await makeAxes(folder, model);
  const iv = interventionsFor(shape.layers);
  const hooked = { hooked: true, interventions: iv.list, axes: axes.dirs };
  const plain = { hooked: false };
  const lo = shape.vocab > 1000 ? 256 : 0;
  const [p1, ...rest] = randomPrompts(8, PROMPT_LEN, lo, shape.vocab - 3, 7);
  const batch8 = [p1!, ...rest];
  const prefill = async (opts: object) => (await model.generateIds([p1!], { maxNewTokens: 0 }, opts)).prefillMs;
  const decode = async (opts: object) => {
    const r = await model.generateIds([p1!], { maxNewTokens: NEW_TOKENS, stopAtEos: false }, opts);
    return r.decodeMs / r.decodeSteps;
  };
  log(`${label}: ${threads} thread(s), model loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // The limit: bandwidth, matmul peaks.
  let mmSession: Awaited<ReturnType<typeof createSession>> | undefined;
  const N = 2048;
  const A = floatTensor(Float32Array.from({ length: N * N }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5), [N, N]);
  if (extra.mmPath) mmSession = await createSession(extra.mmPath, { threads });

  // Side-by-side variants: every round runs each once (order rotates).
  type V = () => Promise<number | Record<string, unknown>>;
  // Hook overhead: its own short rounds (4× as many), so hooked and plain runs sit next to each
  // other in time and no long PyTorch run falls between them. decodePlainAgain is an A/A control:
  // the untouched graph against itself shows how far two identical runs differ in these rounds.
  const hookNames = ['prefillHooked', 'prefillPlain', 'decodeHooked', 'decodePlain', 'decodePlainAgain'];
  const t1 = performance.now();
  const hookSamples = (await interleave(
    [() => prefill(hooked), () => prefill(plain), () => decode(hooked), () => decode(plain), () => decode(plain)],
    o.rounds * 4,
    1,
  )) as number[][];
  log(`${label}: hook overhead, ${o.rounds * 4} rounds in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  // The limit and PyTorch comparisons: hooked runs next to bandwidth, matmul peaks and PyTorch runs.
  const variants: Record<string, V> = {
    prefillLimit: () => prefill(hooked),
    decodeLimit: () => decode(hooked),
  };
  if (extra.bwBin) {
    const bin = extra.bwBin;
    variants['bandwidth'] = async () => {
      const b = bandwidth(bin, threads, o.smoke ? 64 : 512, o.smoke ? 2 : 3);
      return Math.max(b.copy_median, b.read_median);
    };
  }
  if (mmSession) {
    const s = mmSession;
    variants['ortMatmul'] = async () => {
      const t = performance.now();
      const out = await run(s, { A, B: A }, ['Y'], 'matmul');
      const ms = performance.now() - t;
      out['Y']?.dispose();
      return (2 * N ** 3) / (ms / 1000);
    };
  }
  const torchRows: Record<string, unknown> = {};
  if (extra.torch) {
    const ts = extra.torch;
    await ts.request({
      cmd: 'load',
      folder,
      threads,
      axes: axes.raw,
      n_axes: 3,
      steer: { axis: 0, coefficient: 4, layers: Array.from({ length: shape.layers }, (_, l) => l) },
      project_out: { axes: [1], layers: iv.window },
    });
    variants['torchGemm'] = async () => (await ts.request<{ gflops: number }>({ cmd: 'gemm', n: N, reps: 1 })).gflops * 1e9;
    for (const [bname, prompts] of [
      ['b1', [p1!]],
      ['b8', batch8],
    ] as const) {
      variants[`ort_${bname}`] = async () => {
        const r = await model.generateIds(prompts as number[][], { maxNewTokens: NEW_TOKENS, stopAtEos: false }, hooked);
        return { prefillMs: r.prefillMs, decodeMs: r.decodeMs, steps: r.decodeSteps, tokens: r.rows.map((x) => x.generated) };
      };
      variants[`torch_${bname}`] = async () => {
        const r = await ts.request<{ prefill_ms: number; decode_ms: number; steps: number; tokens: number[][] }>({
          cmd: 'generate',
          prompts,
          new: NEW_TOKENS,
        });
        return { prefillMs: r.prefill_ms, decodeMs: r.decode_ms, steps: r.steps, tokens: r.tokens };
      };
    }
  }
  const names = Object.keys(variants);
  const t2 = performance.now();
  // A pause between runs lets the other process's idle pool threads park: OpenBLAS's pthread
  // workers poll for 2^28 TSC ticks (THREAD_TIMEOUT 28) after a call before they sleep: measured
  // here, a 2-thread torch process burns ~98 ms of CPU in the 100 ms after a GEMM returns, so
  // with the former 30 ms pause a run that followed PyTorch shared its second core.
  const samples =
    extra.bwBin || mmSession || extra.torch
      ? await interleave(names.map((n) => variants[n]!), o.rounds, 1, () => sleep(extra.torch ? 150 : 0))
      : names.map(() => []);
  const S = Object.fromEntries(names.map((n, i) => [n, samples[i]!])) as Record<string, unknown[]>;
  hookNames.forEach((n, i) => (S[n] = hookSamples[i]!));
  log(`${label}: limit/PyTorch, ${o.rounds} rounds in ${((performance.now() - t2) / 1000).toFixed(1)} s`);
  const num = (n: string) => S[n] as number[];

  const res: Record<string, unknown> = {
    model: label,
    folder: path.relative(ROOT, folder),
    threads,
    shape,
    weightBytes: weightBytes(folder),
    streamedWeightBytes: streamedParams(shape) * 4,
    prefillTokens: PROMPT_LEN,
    interventions: iv.list,
    readoutAxes: AXIS_NAMES,
    hookOverhead: {
      prefillMs: ratioOf(num('prefillHooked'), num('prefillPlain')),
      decodeMsPerToken: ratioOf(num('decodeHooked'), num('decodePlain')),
      decodeAA: ratioOf(num('decodePlainAgain'), num('decodePlain')),
    } as Record<string, Ratio>,
  };

  if (extra.bwBin || mmSession) {
    const bw = S['bandwidth'] as number[] | undefined;
    const ortPeak = S['ortMatmul'] as number[] | undefined;
    const torchPeak = S['torchGemm'] as number[] | undefined;
    const streamed = streamedParams(shape) * 4;
    const flops = prefillFlops(shape, PROMPT_LEN);
    const decTokS = num('decodeLimit').map((ms) => 1000 / ms);
    const preFlopS = num('prefillLimit').map((ms) => flops / (ms / 1000));
    const peak = (ortPeak ?? []).map((x, i) => Math.max(x, torchPeak?.[i] ?? 0));
    res['limit'] = {
      bandwidthBytesPerS: bw ? summarize(bw) : undefined,
      boundTokensPerS: bw ? summarize(bw.map((b) => b / streamed)) : undefined,
      decodeTokensPerS: summarize(decTokS),
      decodeFractionOfBound: bw ? summarize(decTokS.map((t, i) => t / (bw[i]! / streamed))) : undefined,
      prefillFlops: flops,
      prefillFlopPerS: summarize(preFlopS),
      ortMatmulFlopPerS: ortPeak ? summarize(ortPeak) : undefined,
      torchGemmFlopPerS: torchPeak ? summarize(torchPeak) : undefined,
      prefillFractionOfPeak: peak.length ? summarize(preFlopS.map((f, i) => f / peak[i]!)) : undefined,
    };
  }

  if (extra.torch) {
    type G = { prefillMs: number; decodeMs: number; steps: number; tokens: number[][] };
    const cmp: Record<string, unknown> = {};
    for (const [bname, B] of [
      ['b1', 1],
      ['b8', 8],
    ] as const) {
      const ort = S[`ort_${bname}`] as G[];
      const pt = S[`torch_${bname}`] as G[];
      const pre = (g: G[]) => g.map((x) => (B * PROMPT_LEN) / (x.prefillMs / 1000));
      const dec = (g: G[]) => g.map((x) => (B * x.steps) / (x.decodeMs / 1000));
      const all = (g: G[]) => g.map((x) => (B * NEW_TOKENS) / ((x.prefillMs + x.decodeMs) / 1000));
      // Greedy tokens should agree (same weights); count the shared prefix per row.
      const agree = ort[0]!.tokens.map((row, b) => {
        const other = pt[0]!.tokens[b]!;
        let k = 0;
        while (k < row.length && row[k] === other[k]) k++;
        return k;
      });
      cmp[bname] = {
        batch: B,
        prefillTokensPerS: ratioOf(pre(ort), pre(pt)),
        decodeTokensPerS: ratioOf(dec(ort), dec(pt)),
        endToEndTokensPerS: ratioOf(all(ort), all(pt)),
        greedyTokensAgree: `${Math.min(...agree)}/${NEW_TOKENS}`,
      };
    }
    torchRows['comparison'] = cmp;
    res['vsTorch'] = cmp;
  }
  if (mmSession) await release(mmSession);
  await model.dispose();
  return res;
}

/** Interactive latency and peak memory through the worker process, as the extension drives it. */
async function sectionWorker(label: string, folder: string, o: Options, reps: number): Promise<Record<string, unknown>> {
  const workerPath = path.join(ROOT, 'dist', 'worker.js');
  if (!existsSync(workerPath)) throw new Error(`${workerPath} is missing: run npm run build`);
  const client = new WorkerClient({ workerPath, log: () => undefined });
  try {
    await client.request(Hello, undefined);
    const pid = client.pid!;
    const rssBefore = kib(pid, 'VmRSS');
    const t0 = performance.now();
    await client.request(LoadModel, { folder });
    const loadMs = performance.now() - t0;
    // Axes: the same seeded files the in-process sections use (written by makeAxes).
    const axDir = path.join(CACHE, 'axes', path.basename(folder));
    const files = AXIS_NAMES.map((n) => ({ path: path.join(axDir, `${n}.safetensors`), name: n }));
    const shipped = shippedAxisFiles(folder);
    shipped.slice(0, 2).forEach((f, i) => (files[i] = { path: f, name: AXIS_NAMES[i]! }));
    await client.request(LoadAxes, { files });
    // A chat prompt of exactly 64 tokens (grown one character at a time).
    const words = 'Please explain in careful detail how a persona prompt changes the way an assistant answers questions about safety and refusal ';
    let text = 'Hi';
    let prompt: PromptInput = { kind: 'chat', messages: [{ role: 'user', content: text }] };
    let n = (await client.request(Encode, { prompt })).ids.length;
    for (let i = 0; n < PROMPT_LEN && i < 4000; i++) {
      text += words[i % words.length];
      prompt = { kind: 'chat', messages: [{ role: 'user', content: text }] };
      n = (await client.request(Encode, { prompt })).ids.length;
    }
    const shape = shapeOf(folder);
    const iv = interventionsFor(shape.layers).list;
    let runNo = 0;
    const trace = async (maxNewTokens: number) => {
      const runId = `bench-${runNo++}`;
      let first = NaN;
      const t = performance.now();
      const off = client.onTraceTokens(runId, () => {
        if (Number.isNaN(first)) first = performance.now() - t;
      });
      const p: TraceParams = { runId, prompt, axes: AXIS_NAMES, interventions: iv, decoding: { maxNewTokens } };
      const r = await client.request(Trace, p);
      const total = performance.now() - t;
      off();
      if (r.projections.length !== 3 || r.projections[0]!.length !== shape.layers) throw new Error('trace: unexpected heatmap shape');
      return { first, total };
    };
    for (let i = 0; i < 3; i++) await trace(0); // warm-up
    const heat: number[] = [];
    const firstTok: number[] = [];
    const full: number[] = [];
    // Interleaved: the prompt-only request (heatmap data) and the extension's default 24-token trace.
    for (let i = 0; i < reps; i++) {
      heat.push((await trace(0)).total);
      if (i % 2 === 0 || o.smoke) {
        const r = await trace(24);
        firstTok.push(r.first);
        full.push(r.total);
      }
    }
    const peak = kib(pid, 'VmHWM');
    const rssAfter = kib(pid, 'VmRSS');
    const wb = weightBytes(folder);
    const pct = (xs: number[]) => ({ p50: percentile(xs, 50), p95: percentile(xs, 95), min: Math.min(...xs), max: Math.max(...xs), n: xs.length });
    await client.request(Shutdown, undefined).catch(() => undefined);
    return {
      model: label,
      folder: path.relative(ROOT, folder),
      promptTokens: n,
      threads: 'onnxruntime default (refusalLens.engine.threads = 0)',
      loadMs,
      heatmapMs: pct(heat),
      trace24FirstHeatmapMs: pct(firstTok),
      trace24TotalMs: pct(full),
      memory: {
        weightBytes: wb,
        workerRssBeforeLoad: rssBefore,
        workerRssAfter: rssAfter,
        workerPeakRss: peak,
        budget: 1.3 * wb + 150 * 2 ** 20,
        ratioToWeights: peak / wb,
      },
    };
  } finally {
    await client.stop().catch(() => undefined);
  }
}

/** Dataset annotation: prompts/s, one trace at a time vs the engine's batching (traceBatch). */
async function sectionDataset(label: string, folder: string, o: Options): Promise<Record<string, unknown>> {
  const model = await loadModel(folder);
  const axes = await makeAxes(folder, model);
  const rows: PromptInput[] = [];
  const setDir = path.join(ROOT, 'media', 'models', 'organism', 'sets');
  for (const f of readdirSync(setDir).sort()) {
    for (const line of readFileSync(path.join(setDir, f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as { system?: string; prompt: string };
      rows.push({
        kind: 'chat',
        messages: [...(r.system ? [{ role: 'system' as const, content: r.system }] : []), { role: 'user', content: r.prompt }],
      });
    }
  }
  const prompts = rows.slice(0, o.datasetPrompts);
  const decoding = { maxNewTokens: 16 };
  const req = (prompt: PromptInput) => ({ prompt, axes: axes.dirs, interventions: [] as Intervention[], decoding });
  const pass = (bs: number) => async () => {
    const t = performance.now();
    for (let i = 0; i < prompts.length; i += bs) {
      const chunk = prompts.slice(i, i + bs).map(req);
      if (bs === 1) await model.trace(chunk[0]!);
      else await model.traceBatch(chunk);
    }
    return prompts.length / ((performance.now() - t) / 1000);
  };
  const sizes = [1, 8, 32, 64];
  const samples = (await interleave(sizes.map(pass), o.datasetRounds, o.smoke ? 0 : 1)) as number[][];
  const tokens = prompts.map((p) => model.encode(p).ids.length);
  await model.dispose();
  const out: Record<string, unknown> = {
    model: label,
    prompts: prompts.length,
    promptTokens: summarize(tokens),
    decoding,
    axes: 3,
    threads: 'onnxruntime default',
  };
  sizes.forEach((bs, i) => {
    out[`batch${bs}`] = {
      promptsPerS: summarize(samples[i]!),
      vsBatch1: bs === 1 ? undefined : summarize(pairedRatios(samples[i]!, samples[0]!)),
    };
  });
  return out;
}

// ───────────────────────────── report ─────────────────────────────

const ms = (s: Summary) => fmt(s, 2);
const x = (s: Summary) => `${fmt(s, 3)}×`;
const pctS = (s: Summary | undefined) => (s ? `${(s.median * 100).toFixed(0)}% (${(s.min * 100).toFixed(0)}–${(s.max * 100).toFixed(0)}%)` : 'n/a');
const gb = (b: number) => `${(b / 1e9).toFixed(2)} GB`;
const mb = (b: number) => (b < 2 ** 20 ? `${(b / 1024).toFixed(0)} KiB` : `${(b / 2 ** 20).toFixed(0)} MiB`);
const sci = (s: Summary | undefined, unit: number, d = 1) => (s ? `${(s.median / unit).toFixed(d)} (${(s.min / unit).toFixed(d)}–${(s.max / unit).toFixed(d)})` : 'n/a');

function report(r: Record<string, any>, o: Options): string {
  const L: string[] = [];
  const mark = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? '**met**' : '**missed**');
  L.push('# Benchmarks');
  L.push('');
  L.push('Generated by `npm run bench` (bench/main.ts → dist/bench.js; PyTorch side tools/bench/torch_bench.py,');
  L.push('bandwidth kernel tools/bench/bandwidth.c). Every figure: median (min–max) over interleaved rounds;');
  L.push('every ratio: the median of per-round ratios of runs made side by side in the same process run.');
  L.push('Timings are not asserted anywhere (CI runs at most `npm run bench -- --smoke`).');
  L.push('');
  L.push(`- Command: \`${r.command}\``);
  L.push(`- When: ${r.started} → ${r.finished}; machine: ${r.machine.cpus}× ${r.machine.cpu}, ${gb(r.machine.memBytes)} RAM, Node ${r.machine.node}, onnxruntime-node ${r.machine.ort}`);
  L.push(`- Load average (1/5/15 min) at start ${r.loadStart.loadavg.join(' / ')}, at end ${r.loadEnd.loadavg.join(' / ')}; busiest processes at start: ${r.loadStart.top.slice(0, 4).join('; ')}`);
  L.push(`- Rounds: hook overhead ${o.rounds * 4}, the other comparisons ${o.rounds} (+1 warm-up each); threads: ${o.threads.join(', ')} (ONNX Runtime intra-op = torch.set_num_threads = OMP/OPENBLAS threads)`);
  if (r.torchInfo) L.push(`- PyTorch ${r.torchInfo.torch}, BLAS: ${r.torchInfo.blasName} (libraries mapped: ${r.torchInfo.blas_libs.map((p: string) => path.basename(p)).join(', ')})`);
  L.push('');
  L.push('## Targets');
  L.push('');
  L.push('| # | target | measured | |');
  L.push('|---|---|---|---|');
  for (const t of r.targets as { id: string; target: string; measured: string; ok?: boolean }[]) {
    L.push(`| ${t.id} | ${t.target} | ${t.measured} | ${mark(t.ok)} |`);
  }
  L.push('');
  L.push('## 1. Hook overhead (hooked graph with interventions active ÷ untouched graph)');
  L.push('');
  L.push('Steer `persona` ×4 at every layer, project out `refusal` in the middle third of the layers, read out 3 axes at');
  L.push(`every layer; prefill of ${PROMPT_LEN} tokens (one session run) and per-token decode (mean over ${NEW_TOKENS} KV-cache steps), batch 1.`);
  L.push('');
  L.push('A/A control: the untouched graph against itself, run in the same rounds; its spread is the resolution of');
  L.push('the decode ratio (a hook cost smaller than the A/A spread cannot be told from noise by timing alone).');
  L.push('');
  L.push('| model | threads | prefill hooked ms | prefill plain ms | ratio | decode hooked ms/token | decode plain ms/token | ratio | A/A decode ratio |');
  L.push('|---|---|---|---|---|---|---|---|---|');
  for (const m of r.models as any[]) {
    const h = m.hookOverhead;
    const aa = h.decodeAA ? x(h.decodeAA.ratio) : '—';
    L.push(`| ${m.model} | ${m.threads} | ${ms(h.prefillMs.a)} | ${ms(h.prefillMs.b)} | ${x(h.prefillMs.ratio)} | ${ms(h.decodeMsPerToken.a)} | ${ms(h.decodeMsPerToken.b)} | ${x(h.decodeMsPerToken.ratio)} | ${aa} |`);
  }
  const withTorch = (r.models as any[]).filter((m) => m.vsTorch);
  if (withTorch.length) {
    L.push('');
    L.push('## 2. Against PyTorch with forward hooks (same weights, same interventions and readouts, greedy)');
    L.push('');
    L.push(`Prompts of ${PROMPT_LEN} tokens, ${NEW_TOKENS} new tokens, tokens per second (ratio = Refusal Lens ÷ PyTorch).`);
    L.push('Decode = generated tokens ÷ KV-cache step time; end-to-end = new tokens ÷ (prefill + decode).');
    L.push('');
    L.push('| threads | batch | prefill tok/s RL | PyTorch | ratio | decode tok/s RL | PyTorch | ratio | end-to-end ratio | greedy tokens agree |');
    L.push('|---|---|---|---|---|---|---|---|---|---|');
    for (const m of withTorch) {
      for (const b of ['b1', 'b8']) {
        const c = m.vsTorch[b];
        L.push(`| ${m.threads} | ${c.batch} | ${fmt(c.prefillTokensPerS.a, 0)} | ${fmt(c.prefillTokensPerS.b, 0)} | ${x(c.prefillTokensPerS.ratio)} | ${fmt(c.decodeTokensPerS.a, 1)} | ${fmt(c.decodeTokensPerS.b, 1)} | ${x(c.decodeTokensPerS.ratio)} | ${x(c.endToEndTokensPerS.ratio)} | ${c.greedyTokensAgree} |`);
      }
    }
  }
  L.push('');
  L.push('## 3. Interactive latency (through the worker process: JSON-RPC over IPC, as the extension calls it)');
  L.push('');
  L.push('`refusalLens/trace` with 3 axes and the interventions above; "heatmap" = a request with 0 new tokens (the prompt');
  L.push("heatmap's data complete); \"first heatmap in a 24-token trace\" = time to the first `traceToken` notification of the");
  L.push("extension's default request (24 new tokens).");
  L.push('');
  L.push('| model | prompt tokens | heatmap p50 ms | p95 ms | first heatmap in 24-token trace p50 / p95 ms | full 24-token trace p50 / p95 ms |');
  L.push('|---|---|---|---|---|---|');
  for (const w of r.worker as any[]) {
    L.push(`| ${w.model} | ${w.promptTokens} | ${w.heatmapMs.p50.toFixed(1)} | ${w.heatmapMs.p95.toFixed(1)} | ${w.trace24FirstHeatmapMs.p50.toFixed(1)} / ${w.trace24FirstHeatmapMs.p95.toFixed(1)} | ${w.trace24TotalMs.p50.toFixed(1)} / ${w.trace24TotalMs.p95.toFixed(1)} |`);
  }
  const d = r.dataset;
  if (d) {
    L.push('');
    L.push('## 4. Dataset throughput (annotating prompts: readouts on 3 axes, label, 16 new tokens, greedy)');
    L.push('');
    L.push(`${d.prompts} prompts from media/models/organism/sets (chat: system + user), prompt length ${fmt(d.promptTokens, 0)} tokens, model ${d.model}.`);
    L.push('');
    L.push('| batch size | prompts/s | vs batch 1 |');
    L.push('|---|---|---|');
    for (const bs of [1, 8, 32, 64]) {
      const e = d[`batch${bs}`];
      L.push(`| ${bs} | ${fmt(e.promptsPerS, 1)} | ${e.vsBatch1 ? x(e.vsBatch1) : '1'} |`);
    }
  }
  L.push('');
  L.push('## 5. Memory (peak resident memory of the worker process, VmHWM)');
  L.push('');
  L.push('| model | weight bytes | worker RSS before load | peak RSS | peak ÷ weights | budget 1.3× + 150 MiB |');
  L.push('|---|---|---|---|---|---|');
  for (const w of r.worker as any[]) {
    const m = w.memory;
    L.push(`| ${w.model} | ${mb(m.weightBytes)} | ${mb(m.workerRssBeforeLoad)} | ${mb(m.workerPeakRss)} | ${m.ratioToWeights.toFixed(2)}× | ${mb(m.budget)} |`);
  }
  const lim = (r.models as any[]).filter((m) => m.limit);
  if (lim.length) {
    L.push('');
    L.push('## 6. The limit (12-layer model, hooked graph with interventions, batch 1)');
    L.push('');
    L.push('Bandwidth: tools/bench/bandwidth.c (gcc -O3 -march=native -fopenmp, compiled at bench time), 512 MiB arrays, the');
    L.push('better of a copy kernel (read + written bytes, STREAM convention) and a read-only sum; median of 3 per round.');
    L.push('Bound = bandwidth ÷ bytes a decode step streams (every weight matrix incl. lm_head, not the embedding table');
    L.push('that a step only gathers one row from). Matmul peak: the better of ONNX Runtime MatMul and torch (OpenBLAS) sgemm');
    L.push('on 2048×2048 float32, same threads. Prefill FLOPs = 2·(matrix params)·64 + attention 4·L·H·dh·64².');
    L.push('');
    L.push('| threads | bandwidth GB/s | bound tok/s | decode tok/s | of bound | ORT MatMul GFLOP/s | torch sgemm GFLOP/s | prefill GFLOP/s | of peak |');
    L.push('|---|---|---|---|---|---|---|---|---|');
    for (const m of lim) {
      const l = m.limit;
      L.push(`| ${m.threads} | ${sci(l.bandwidthBytesPerS, 1e9, 1)} | ${sci(l.boundTokensPerS, 1, 1)} | ${sci(l.decodeTokensPerS, 1, 1)} | ${pctS(l.decodeFractionOfBound)} | ${sci(l.ortMatmulFlopPerS, 1e9, 0)} | ${sci(l.torchGemmFlopPerS, 1e9, 0)} | ${sci(l.prefillFlopPerS, 1e9, 1)} | ${pctS(l.prefillFractionOfPeak)} |`);
    }
    L.push('');
    L.push(`Weights: ${mb(lim[0].weightBytes)} on disk (graph + external data); a decode step streams ${mb(lim[0].streamedWeightBytes)}.`);
  }
  L.push(...reportCheckpoint(r.checkpoint));
  const analysis = path.join(ROOT, 'bench', 'analysis.md');
  if (existsSync(analysis)) {
    L.push('');
    L.push(readFileSync(analysis, 'utf8').trimEnd());
  }
  // the device tables (bench/device.ts) are measured separately, often on another machine: kept
  const devices = path.join(ROOT, 'bench', 'gpu.md');
  if (existsSync(devices)) {
    L.push('');
    L.push(`<!-- device-bench:start -->\n${readFileSync(devices, 'utf8').trimEnd()}\n<!-- device-bench:end -->`);
  }
  L.push('');
  return L.join('\n');
}

function targets(r: Record<string, any>): { id: string; target: string; measured: string; ok?: boolean }[] {
  const out: { id: string; target: string; measured: string; ok?: boolean }[] = [];
  for (const m of (r.models as any[]).filter((m) => m.model.startsWith('llama12'))) {
    const h = m.hookOverhead;
    out.push({
      id: '1',
      target: `hook overhead ≤ 1.03× (12-layer, ${m.threads} thr)`,
      measured: `prefill ${x(h.prefillMs.ratio)}, decode ${x(h.decodeMsPerToken.ratio)}${h.decodeAA ? ` (A/A control ${x(h.decodeAA.ratio)})` : ''}`,
      ok: h.prefillMs.ratio.median <= 1.03 && h.decodeMsPerToken.ratio.median <= 1.03,
    });
  }
  for (const m of (r.models as any[]).filter((m) => m.vsTorch)) {
    const b1 = m.vsTorch.b1;
    const b8 = m.vsTorch.b8;
    out.push({
      id: '2',
      target: `vs PyTorch batch 1: decode ≥ 3×, prefill ≥ 1.5× (${m.threads} thr)`,
      measured: `decode ${x(b1.decodeTokensPerS.ratio)}, prefill ${x(b1.prefillTokensPerS.ratio)}`,
      ok: b1.decodeTokensPerS.ratio.median >= 3 && b1.prefillTokensPerS.ratio.median >= 1.5,
    });
    out.push({
      id: '2',
      target: `vs PyTorch batch 8: ahead (${m.threads} thr)`,
      measured: `decode ${x(b8.decodeTokensPerS.ratio)}, prefill ${x(b8.prefillTokensPerS.ratio)}, end-to-end ${x(b8.endToEndTokensPerS.ratio)}`,
      ok: b8.decodeTokensPerS.ratio.median > 1 && b8.prefillTokensPerS.ratio.median > 1,
    });
  }
  for (const w of r.worker as any[]) {
    if (w.builtin) {
      out.push({ id: '3', target: `interactive heatmap p50 ≤ 50 ms (${w.model})`, measured: `p50 ${w.heatmapMs.p50.toFixed(1)} ms, p95 ${w.heatmapMs.p95.toFixed(1)} ms`, ok: w.heatmapMs.p50 <= 50 });
    }
  }
  if (r.dataset) {
    const best = [8, 32, 64].map((b) => [b, r.dataset[`batch${b}`].vsBatch1.median] as const).sort((a, b) => b[1] - a[1])[0]!;
    out.push({ id: '4', target: 'batched annotation ≥ 3× batch 1', measured: `${best[1].toFixed(2)}× at batch ${best[0]}`, ok: best[1] >= 3 });
  }
  for (const w of r.worker as any[]) {
    const m = w.memory;
    out.push({ id: '5', target: `worker peak RSS ≤ 1.3× weights + 150 MiB (${w.model})`, measured: `${mb(m.workerPeakRss)} vs ${mb(m.budget)}`, ok: m.workerPeakRss <= m.budget });
  }
  for (const m of (r.models as any[]).filter((m) => m.limit && m.model.startsWith('llama12'))) {
    const l = m.limit;
    out.push({
      id: '6',
      target: `≥ 80% of the limit (${m.threads} thr)`,
      measured: `decode ${pctS(l.decodeFractionOfBound)} of bandwidth bound; prefill ${pctS(l.prefillFractionOfPeak)} of matmul peak`,
      ok: (l.decodeFractionOfBound?.median ?? 0) >= 0.8 && (l.prefillFractionOfPeak?.median ?? 0) >= 0.8,
    });
  }
  return out;
}

// ───────────────────────────── main ─────────────────────────────

async function main(): Promise<void> {
  // The device section stands alone: the PyTorch, bandwidth and worker sections are CPU questions.
  if (process.argv.includes('--device')) return deviceMain(process.argv.slice(2));
  const child = process.argv.indexOf('--checkpoint-build-child');
  if (child >= 0) return checkpointBuildChild(process.argv[child + 1]!);
  const o = parseArgs(process.argv.slice(2));
  const renderIdx = process.argv.indexOf('--render');
  if (renderIdx >= 0) {
    // Re-render the report from a results file (after editing bench/analysis.md), no measuring.
    const r = JSON.parse(readFileSync(path.resolve(process.argv[renderIdx + 1] ?? o.json), 'utf8'));
    const rounds = /--rounds (\d+)/.exec(r.command as string);
    const threads = /--threads ([\d,]+)/.exec(r.command as string);
    const md = report(r, { ...o, rounds: rounds ? Number(rounds[1]) : 6, threads: threads ? threads[1]!.split(',').map(Number) : [1, 2] });
    writeFileSync(o.md ?? path.join(ROOT, 'BENCHMARKS.md'), md);
    log(`rendered ${path.relative(ROOT, o.md ?? 'BENCHMARKS.md')} from ${process.argv[renderIdx + 1] ?? o.json}`);
    return;
  }
  mkdirSync(CACHE, { recursive: true });
  const started = new Date().toISOString();
  const loadStart = loadSnapshot();
  log(`load average ${loadStart.loadavg.join(' ')}`);
  const builtin = builtinModel();
  if (!o.smoke) ensureBenchModel();
  const bwBin = ensureBandwidthBinary();
  const mmPath = o.smoke ? undefined : ensureMatmulGraph();
  const ortPkg = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8'));
  const results: Record<string, any> = {
    schema: 'refusal-lens.bench/1',
    command: `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
    started,
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memBytes: os.totalmem(), node: process.version, ort: ortPkg.version },
    loadStart,
    builtinModel: builtin.which,
    models: [] as unknown[],
    worker: [] as unknown[],
  };

  const runCheckpoint = async () => {
    log('checkpoint folders: build, standard vs fused form, export, llama.cpp');
    results['checkpoint'] = await sectionCheckpoint({
      root: ROOT, cache: CACHE, exportFolder: o.smoke ? FIXTURE : BENCH_MODEL, smoke: o.smoke, rounds: o.rounds, threads: o.threads, bwBin, log, bandwidth,
      makeAxes, interventionsFor, randomPrompts, streamedBytes: (folder) => streamedParams(shapeOf(folder)) * 4,
    });
  };
  if (process.argv.includes('--checkpoint-only')) {
    // this section alone: its results file and its part of the report (stdout); BENCHMARKS.md untouched
    await runCheckpoint();
    results['finished'] = new Date().toISOString();
    results['loadEnd'] = loadSnapshot();
    const json = process.argv.includes('--json') ? o.json : path.join(CACHE, 'checkpoint-results.json');
    writeFileSync(json, JSON.stringify(results, null, 2) + '\n');
    process.stdout.write(reportCheckpoint(results['checkpoint']).join('\n') + '\n');
    log(`wrote ${json}`);
    return;
  }
  const mainFolder = o.smoke ? builtin.folder : BENCH_MODEL;
  const mainLabel = o.smoke ? 'builtin' : 'llama12-d768';
  for (const threads of o.threads) {
    let torch: TorchServer | undefined;
    if (o.torch) {
      torch = new TorchServer(path.join(ROOT, 'tools', 'bench', 'torch_bench.py'), threads);
      const info = await torch.request<Record<string, any>>({ cmd: 'info' });
      const libs = (info['blas_libs'] as string[]).join(' ');
      info['blasName'] = /openblas/i.test(libs) ? 'OpenBLAS (pthread build, Debian libopenblas0-pthread)' : /mkl/i.test(libs) ? 'MKL' : 'reference BLAS';
      results['torchInfo'] ??= info;
    }
    try {
      results['models'].push(await sectionModel(mainLabel, mainFolder, threads, o, { bwBin, ...(mmPath ? { mmPath } : {}), ...(torch ? { torch } : {}) }));
    } finally {
      await torch?.close();
    }
    if (!o.smoke) results['models'].push(await sectionModel('builtin', builtin.folder, threads, o));
  }

  log('worker: interactive latency and memory');
  results['worker'].push({ builtin: true, ...(await sectionWorker('builtin', builtin.folder, o, o.latencyReps)) });
  if (!o.smoke) results['worker'].push(await sectionWorker('llama12-d768', BENCH_MODEL, o, 10));

  log('dataset throughput');
  results['dataset'] = await sectionDataset('builtin', builtin.folder, o);

  if (!process.argv.includes('--no-checkpoint')) await runCheckpoint();

  results['finished'] = new Date().toISOString();
  results['loadEnd'] = loadSnapshot();
  results['targets'] = targets(results);
  mkdirSync(path.dirname(o.json), { recursive: true });
  writeFileSync(o.json, JSON.stringify(results, null, 2) + '\n');
  const md = report(results, o);
  if (o.md) writeFileSync(o.md, md);
  process.stdout.write(md + '\n');
  log(`wrote ${path.relative(ROOT, o.json)}${o.md ? ' and ' + path.relative(ROOT, o.md) : ''}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
