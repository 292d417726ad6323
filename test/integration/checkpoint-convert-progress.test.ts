// Building a checkpoint's graph shows progress and can be cancelled: through the worker (what the
// editor's cancellable notification calls), a cancelled LoadModel leaves no cache entry and the
// next load builds it whole; the CLI prints the build's progress on stderr. The checkpoint is a
// synthetic bf16 llama of ~25 MiB (big enough that the build takes several progress steps),
// written here with the llama-gqa fixture's tokenizer.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { Encode, LoadModel, ModelBuildProgress, type ModelBuildProgressParams } from '../../src/protocol/rpc';
import { buildMessage, EngineSession } from '../../src/extension/engineSession';
import { FIXTURE_MODEL, startClient, type TestClient } from '../unit/worker-harness';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'refusal-lens.js');
const TOKENIZER_FROM = join(ROOT, 'test', 'fixtures', 'checkpoints', 'llama-gqa');
const tmp = mkdtempSync(join(tmpdir(), 'rl-build-progress-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A llama checkpoint in BF16 with small pseudo-random weights. */
function writeBf16Llama(dir: string, o = { d: 512, heads: 8, kv: 4, ffn: 1536, layers: 4, vocab: 316 }): void {
  mkdirSync(dir, { recursive: true });
  const dh = o.d / o.heads;
  const shapes: [string, number[]][] = [['model.embed_tokens.weight', [o.vocab, o.d]]];
  for (let i = 0; i < o.layers; i++) {
    const p = `model.layers.${i}`;
    shapes.push(
      [`${p}.input_layernorm.weight`, [o.d]], [`${p}.post_attention_layernorm.weight`, [o.d]],
      [`${p}.self_attn.q_proj.weight`, [o.heads * dh, o.d]], [`${p}.self_attn.k_proj.weight`, [o.kv * dh, o.d]],
      [`${p}.self_attn.v_proj.weight`, [o.kv * dh, o.d]], [`${p}.self_attn.o_proj.weight`, [o.d, o.heads * dh]],
      [`${p}.mlp.gate_proj.weight`, [o.ffn, o.d]], [`${p}.mlp.up_proj.weight`, [o.ffn, o.d]], [`${p}.mlp.down_proj.weight`, [o.d, o.ffn]],
    );
  }
  shapes.push(['model.norm.weight', [o.d]], ['lm_head.weight', [o.vocab, o.d]]);
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [name, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'BF16', shape, data_offsets: [off, off + 2 * n] };
    off += 2 * n;
  }
  const hb = Buffer.from(JSON.stringify(header));
  const data = new Uint16Array(off / 2);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    f[0] = (s / 2 ** 32 - 0.5) * 0.1;
    data[i] = u[0]! >>> 16;
  }
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hb.length));
  writeFileSync(join(dir, 'model.safetensors'), Buffer.concat([len, hb, Buffer.from(data.buffer)]));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_size: o.d, num_hidden_layers: o.layers, num_attention_heads: o.heads,
    num_key_value_heads: o.kv, head_dim: dh, intermediate_size: o.ffn, vocab_size: o.vocab, max_position_embeddings: 512, rms_norm_eps: 1e-5,
    rope_theta: 10000, tie_word_embeddings: false, bos_token_id: 313, eos_token_id: 315, hidden_act: 'silu', torch_dtype: 'bfloat16',
  }));
  for (const f2 of ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) copyFileSync(join(TOKENIZER_FROM, f2), join(dir, f2));
}

const CKPT = join(tmp, 'bf16-llama');
before(() => writeBf16Llama(CKPT));

describe('worker: building a checkpoint graph', () => {
  let t: TestClient;
  before(async () => {
    t = await startClient();
  });
  after(() => t.client.stop());

  it('a LoadModel cancelled during the build leaves no cache entry; the next one reports progress to the end and loads', async () => {
    const cacheDir = join(tmp, 'worker-cache');
    const cts = new CancellationTokenSource();
    const seen: ModelBuildProgressParams[] = [];
    let off = t.client.onNotification(ModelBuildProgress, (p) => {
      seen.push(p);
      if (p.done > 0) cts.cancel();
    });
    await assert.rejects(t.client.request(LoadModel, { folder: CKPT, cacheDir }, cts.token), /cancel/);
    off();
    // the host stops waiting at once; the worker's queue runs the next request once the build has unwound
    await assert.rejects(t.client.request(Encode, { prompt: { kind: 'tokens', tokenIds: [1] } }), /no model loaded/);
    assert.ok(seen.some((p) => p.done > 0 && p.done < p.total), `cancelled mid-build: ${JSON.stringify(seen)}`);
    assert.equal(seen[0]!.folder, CKPT);
    const entries = existsSync(join(cacheDir, 'checkpoints')) ? readdirSync(join(cacheDir, 'checkpoints')) : [];
    assert.deepEqual(entries, [], 'no half-written cache entry');

    const all: ModelBuildProgressParams[] = [];
    off = t.client.onNotification(ModelBuildProgress, (p) => all.push(p));
    const summary = await t.client.request(LoadModel, { folder: CKPT, cacheDir });
    off();
    assert.equal(summary.layers, 4);
    const last = all.at(-1)!;
    assert.equal(last.done, last.total);
    assert.ok(last.total >= 20, `total ${last.total} MiB`);
    assert.ok(all.every((p, i) => i === 0 || p.done >= all[i - 1]!.done), 'done never goes back');
    assert.match(buildMessage({ ...all[1]!, etaMs: 65_000 }), /^building the checkpoint graph \(MiB converted\) \d+\/\d+ \(\d+%\), about 1 min 05 s left$/);
    const [entry] = readdirSync(join(cacheDir, 'checkpoints'));
    assert.ok(existsSync(join(cacheDir, 'checkpoints', entry!, 'build.json')));
  });

  it("the editor's session turns the worker's build progress into its notification's messages", async () => {
    await t.client.request(LoadModel, { folder: FIXTURE_MODEL }); // another model first: the next load is not the worker's cached one
    const session = new EngineSession(t.client);
    const steps: string[] = [];
    const { model } = await session.prepare({ model: { folder: CKPT, cacheDir: join(tmp, 'session-cache') }, axes: [] }, undefined, (m) => steps.push(m));
    assert.equal(model.layers, 4);
    assert.equal(steps[0], `loading model ${CKPT}`);
    assert.match(steps.at(-2)!, /^building the checkpoint graph \(MiB converted\) (\d+)\/\1 \(100%\)$/);
    assert.ok(steps.filter((x) => x.startsWith('building')).length >= 2, steps.join('\n'));
  });
});

describe('CLI: building a checkpoint graph', () => {
  it('prints the build progress on stderr, then nothing when the build is cached', () => {
    const cacheDir = join(tmp, 'cli-cache');
    const run = () => spawnSync(process.execPath, [BIN, 'model', CKPT, '--cache-dir', cacheDir], { encoding: 'utf8' });
    let r = run();
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /building the checkpoint graph \(MiB converted\) {2}0\/\d+ {4}0%/);
    assert.match(r.stderr, /building the checkpoint graph \(MiB converted\) {2}(\d+)\/\1 {2}100%/);
    r = run();
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /building/);
  });
});
