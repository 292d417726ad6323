// `npm run bench -- --device webgpu[,cuda]` and bench/gpu.sh: prefill and decode tokens/s at
// batch 1 and 8, the CPU against each device, on the hooked graph with two readout axes (what
// a trace runs), plus on webgpu the KV cache in device memory against the KV cache copied back
// each step. Models are random-weight Llama checkpoints written here and built into graphs by
// the engine's own checkpoint builder (src/engine/checkpoint), so a bare machine needs nothing
// but Node and onnxruntime-node. A software adapter (SwiftShader) is labelled as such: it
// measures nothing about GPUs.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel, mulberry32, probeEnvironment, type Direction, type LensModel } from '../src/engine/index';
import { describeDevice } from '../src/protocol/device';
import { fmt, summarize, type Summary } from './stats';

const ROOT = path.resolve(__dirname, '..');
const log = (s: string) => process.stderr.write(`[bench:device] ${s}\n`);

export interface Shape {
  label: string;
  layers: number;
  dModel: number;
  heads: number;
  kvHeads: number;
  ffn: number;
  vocab: number;
}

/** The 12-layer bench model's shape (tools/bench/make_model.py) and a TinyLlama-1.1B-shaped one. */
export const SHAPES: Record<string, Shape> = {
  llama12: { label: 'llama12-d768 (12 layers, d 768, 124M params)', layers: 12, dModel: 768, heads: 12, kvHeads: 4, ffn: 2048, vocab: 32000 },
  llama1b: { label: 'llama-1.1b (22 layers, d 2048, TinyLlama shape)', layers: 22, dModel: 2048, heads: 32, kvHeads: 4, ffn: 5632, vocab: 32000 },
  tiny: { label: 'tiny (4 layers, d 128, organism-sized)', layers: 4, dModel: 128, heads: 4, kvHeads: 2, ffn: 352, vocab: 1536 },
};

export function paramCount(s: Shape): number {
  const hd = s.dModel / s.heads;
  const attn = s.dModel * hd * (2 * s.heads + 2 * s.kvHeads);
  return s.layers * (attn + 3 * s.dModel * s.ffn + 2 * s.dModel) + 2 * s.vocab * s.dModel + s.dModel;
}

/** Writes a random-weight Llama checkpoint (config, safetensors, the llama3 fixture's tokenizer) once. */
export function writeCheckpoint(folder: string, s: Shape, seed = 1): void {
  const st = path.join(folder, 'model.safetensors');
  if (existsSync(st) && existsSync(path.join(folder, 'config.json'))) return;
  mkdirSync(folder, { recursive: true });
  const hd = s.dModel / s.heads;
  const tensors: [string, number[]][] = [['model.embed_tokens.weight', [s.vocab, s.dModel]]];
  for (let l = 0; l < s.layers; l++) {
    const p = `model.layers.${l}.`;
    tensors.push(
      [`${p}input_layernorm.weight`, [s.dModel]],
      [`${p}self_attn.q_proj.weight`, [s.heads * hd, s.dModel]],
      [`${p}self_attn.k_proj.weight`, [s.kvHeads * hd, s.dModel]],
      [`${p}self_attn.v_proj.weight`, [s.kvHeads * hd, s.dModel]],
      [`${p}self_attn.o_proj.weight`, [s.dModel, s.heads * hd]],
      [`${p}post_attention_layernorm.weight`, [s.dModel]],
      [`${p}mlp.gate_proj.weight`, [s.ffn, s.dModel]],
      [`${p}mlp.up_proj.weight`, [s.ffn, s.dModel]],
      [`${p}mlp.down_proj.weight`, [s.dModel, s.ffn]],
    );
  }
  tensors.push(['model.norm.weight', [s.dModel]], ['lm_head.weight', [s.vocab, s.dModel]]);
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [name, shape] of tensors) {
    const n = shape.reduce((a, b) => a * b, 1) * 4;
    header[name] = { dtype: 'F32', shape, data_offsets: [off, off + n] };
    off += n;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const fd = openSync(st + '.part', 'w');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeSync(fd, len);
  writeSync(fd, Buffer.from(json));
  const rand = mulberry32(seed);
  for (const [name, shape] of tensors) {
    const n = shape.reduce((a, b) => a * b, 1);
    const isNorm = name.endsWith('norm.weight');
    const scale = isNorm ? 0 : 1 / Math.sqrt(shape[shape.length - 1]!);
    // in slices of 4M floats: a 1B model's tensors are written without holding them whole
    for (let i = 0; i < n; i += 1 << 22) {
      const a = new Float32Array(Math.min(1 << 22, n - i));
      for (let j = 0; j < a.length; j++) a[j] = isNorm ? 1 : (rand() * 2 - 1) * scale * 1.7;
      writeSync(fd, new Uint8Array(a.buffer));
    }
  }
  closeSync(fd);
  execFileSync('mv', [st + '.part', st]);
  writeFileSync(path.join(folder, 'config.json'), JSON.stringify({
    model_type: 'llama', architectures: ['LlamaForCausalLM'], vocab_size: s.vocab, hidden_size: s.dModel,
    num_hidden_layers: s.layers, num_attention_heads: s.heads, num_key_value_heads: s.kvHeads, head_dim: hd,
    intermediate_size: s.ffn, max_position_embeddings: 2048, rms_norm_eps: 1e-5, rope_theta: 10000, hidden_act: 'silu',
    tie_word_embeddings: false, bos_token_id: 1, eos_token_id: 2, use_cache: true, torch_dtype: 'float32',
  }, null, 2));
  const tok = path.join(ROOT, 'test', 'fixtures', 'checkpoints', 'llama3');
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(path.join(tok, f), path.join(folder, f));
}

function randomAxes(model: LensModel, seed: number): Direction[] {
  const { layers, dModel } = model.summary;
  const rand = mulberry32(seed);
  return ['A', 'B'].map((name) => ({
    name,
    vectors: Float32Array.from({ length: layers * dModel }, () => rand() - 0.5),
    nLayers: layers,
    dModel,
    meta: { name, modelName: 'bench', modelGraphHash: '', hook: 'resid_post', layerBase: 0, method: 'bench', positions: 'all', nPos: 0, nNeg: 0, created: '1970-01-01T00:00:00Z', toolVersion: 'bench' },
  }));
}

/** CPU, memory, GPUs (nvidia-smi when present) and the Vulkan drivers the loader would read. */
export function machineDescription(): string {
  const parts = [`${os.cpus()[0]?.model ?? 'CPU'} × ${os.cpus().length}`, `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`, `${os.platform()}-${os.arch()}`, `Node ${process.version}`];
  try {
    const smi = execFileSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader'], { encoding: 'utf8', timeout: 10_000 }).trim();
    if (smi) parts.push(`GPU ${smi.split('\n').join('; ')}`);
  } catch {
    parts.push('no nvidia-smi');
  }
  const e = probeEnvironment();
  if (e.vulkanDrivers.length) parts.push(`Vulkan drivers: ${e.vulkanDrivers.map((d) => path.basename(d.library || d.manifest)).join(', ')}`);
  return parts.join(', ');
}

export interface DeviceBenchOptions {
  devices: string[];
  shapes: string[];
  rounds: number;
  promptLen: number;
  newTokens: number;
  batches: number[];
  threads: number;
}

interface Point {
  prefillTokS: Summary;
  decodeTokS: Summary;
}

async function measure(model: LensModel, axes: Direction[], o: DeviceBenchOptions, B: number, seed: number): Promise<Point> {
  const rand = mulberry32(seed);
  const V = Math.min(model.summary.vocabSize, 300);
  const prompts = Array.from({ length: B }, () => Array.from({ length: o.promptLen }, () => 3 + Math.floor(rand() * (V - 3))));
  const run = () => model.generateIds(prompts, { maxNewTokens: o.newTokens, stopAtEos: false }, { axes });
  await run(); // warm-up: a GPU compiles its kernels for each new shape on first use
  const pre: number[] = [];
  const dec: number[] = [];
  for (let r = 0; r < o.rounds; r++) {
    const out = await run();
    pre.push((B * o.promptLen) / (out.prefillMs / 1000));
    dec.push((B * out.decodeSteps) / (out.decodeMs / 1000));
  }
  return { prefillTokS: summarize(pre), decodeTokS: summarize(dec) };
}

export async function benchDevices(o: DeviceBenchOptions): Promise<Record<string, any>> {
  const results: Record<string, any> = { schema: 'refusal-lens.bench-device/1', started: new Date().toISOString(), machine: machineDescription(), options: o, rows: [] as any[] };
  for (const key of o.shapes) {
    const s = SHAPES[key];
    if (!s) throw new Error(`unknown model shape ${key}: use ${Object.keys(SHAPES).join(', ')}`);
    const folder = path.join(ROOT, '.cache', 'bench', `ckpt-${key}`);
    log(`${s.label}: writing the checkpoint (once) into ${path.relative(ROOT, folder)}`);
    writeCheckpoint(folder, s);
    for (const device of ['cpu', ...o.devices.filter((d) => d !== 'cpu')]) {
      for (const kvOnDevice of device === 'webgpu' ? [true, false] : [true]) {
        const label = device === 'webgpu' ? `webgpu, KV cache ${kvOnDevice ? 'in device memory' : 'copied to the host each step'}` : device;
        let model: LensModel;
        try {
          model = await loadModel(folder, { device, dtype: 'fp32', ...(o.threads ? { threads: o.threads } : {}), kvOnDevice });
        } catch (e) {
          log(`${s.label} on ${device}: ${(e as Error).message.split('\n')[0]}`);
          results['rows'].push({ model: s.label, device, label, error: (e as Error).message.split('\n')[0] });
          break;
        }
        const rep = model.summary.device!;
        const software = /software/i.test(rep.adapter ?? '');
        const axes = randomAxes(model, 7);
        for (const B of o.batches) {
          log(`${s.label} · ${label} · batch ${B}`);
          const p = await measure(model, axes, o, B, 11 + B);
          results['rows'].push({ model: s.label, params: paramCount(s), device, label, adapter: rep.adapter ?? null, software, describe: describeDevice(rep), batch: B, ...p });
        }
        await model.dispose();
      }
    }
  }
  results['finished'] = new Date().toISOString();
  return results;
}

/** The dated section written into bench/gpu.md (and so into BENCHMARKS.md). */
export function deviceSection(r: Record<string, any>, command: string): string {
  const o = r['options'] as DeviceBenchOptions;
  const L: string[] = [];
  L.push(`### ${String(r['started']).slice(0, 10)} — ${r['machine']}`);
  L.push('');
  L.push(`\`${command}\`: hooked graph with two readout axes, fp32, prompts of ${o.promptLen} random tokens, ${o.newTokens} new tokens, median (min–max) of ${o.rounds} rounds after one warm-up run.`);
  if ((r['rows'] as any[]).some((x) => x.software)) {
    L.push('**The webgpu rows ran on SwiftShader, a Vulkan driver that runs on the CPU: they test the code path, not a GPU.**');
  }
  L.push('');
  L.push('| model | device | batch | prefill tok/s | decode tok/s |');
  L.push('|---|---|---|---|---|');
  for (const x of r['rows'] as any[]) {
    const dev = `${x.label}${x.software ? ' (SwiftShader, software)' : ''}`;
    if (x.error) L.push(`| ${x.model} | ${dev} | – | did not start: ${String(x.error).replace(/\|/g, '/').slice(0, 160)} | – |`);
    else L.push(`| ${x.model} | ${dev} | ${x.batch} | ${fmt(x.prefillTokS, 0)} | ${fmt(x.decodeTokS, 1)} |`);
  }
  L.push('');
  return L.join('\n');
}

/** Prepends a dated section to bench/gpu.md and copies the file into BENCHMARKS.md between its markers. */
export function recordSection(section: string, gpuMd: string, benchmarksMd: string): void {
  const head = '## Devices (CPU vs GPU execution providers)\n\nWritten by `npm run bench -- --device …` and `bench/gpu.sh` (bench/device.ts); newest first.\n\n';
  const old = existsSync(gpuMd) ? readFileSync(gpuMd, 'utf8').replace(head, '') : '';
  const body = head + section + '\n' + old;
  writeFileSync(gpuMd, body.trimEnd() + '\n');
  const start = '<!-- device-bench:start -->';
  const end = '<!-- device-bench:end -->';
  const md = existsSync(benchmarksMd) ? readFileSync(benchmarksMd, 'utf8') : '';
  const block = `${start}\n${body.trimEnd()}\n${end}`;
  const i = md.indexOf(start);
  const j = md.indexOf(end);
  writeFileSync(benchmarksMd, i >= 0 && j > i ? md.slice(0, i) + block + md.slice(j + end.length) : `${md.trimEnd()}\n\n${block}\n`);
}

function argList(argv: string[], flag: string, dflt: string): string[] {
  const i = argv.indexOf(flag);
  return (i >= 0 ? argv[i + 1] ?? dflt : dflt).split(',').filter(Boolean);
}

/** Entry for `npm run bench -- --device D[,D…] [--models llama12,llama1b] [--rounds N] [--prompt N] [--new N] [--no-record]`. */
export async function deviceMain(argv: string[]): Promise<void> {
  const num = (flag: string, dflt: number) => Number(argList(argv, flag, String(dflt))[0]);
  const o: DeviceBenchOptions = {
    devices: argList(argv, '--device', 'webgpu'),
    shapes: argList(argv, '--models', 'llama12'),
    rounds: num('--rounds', 3),
    promptLen: num('--prompt', 64),
    newTokens: num('--new', 16),
    batches: argList(argv, '--batches', '1,8').map(Number),
    threads: num('--threads', 0),
  };
  const command = `npm run bench -- ${argv.join(' ')}`;
  const r = await benchDevices(o);
  const json = path.join(ROOT, '.cache', 'bench', 'device-results.json');
  mkdirSync(path.dirname(json), { recursive: true });
  writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  const section = deviceSection(r, process.env.RL_BENCH_COMMAND ?? command);
  process.stdout.write(section + '\n');
  if (!argv.includes('--no-record')) {
    recordSection(section, path.join(ROOT, 'bench', 'gpu.md'), path.join(ROOT, 'BENCHMARKS.md'));
    log('wrote bench/gpu.md and its section of BENCHMARKS.md');
  }
  log(`results: ${path.relative(ROOT, json)}`);
}
