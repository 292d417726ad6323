// Bad checkpoint folders: each fails with a message naming the file and the tensor or field,
// before any session is opened; a hub-cache snapshot (files are symlinks into ../../blobs) opens.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/command';
import { loadModel } from '../../src/engine/index';
import { buildCheckpoint } from '../../src/engine/checkpoint/index';
import { assertClose, FIXTURES, golden } from './engine-fixtures';

const CHECKPOINTS = join(__dirname, '..', 'fixtures', 'checkpoints');
const work = mkdtempSync(join(tmpdir(), 'rl-ckpt-err-'));
after(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

/** A fresh copy of a fixture checkpoint, edited by `edit`. */
function copyOf(name: string, edit: (dir: string) => void): string {
  const dir = join(work, `${name}-${n++}`);
  cpSync(join(CHECKPOINTS, name), dir, { recursive: true });
  edit(dir);
  return dir;
}

function editJson(file: string, change: (o: Record<string, unknown>) => void): void {
  const o = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  change(o);
  writeFileSync(file, JSON.stringify(o));
}

const load = (dir: string) => loadModel(dir, { threads: 1, cacheDir: join(work, 'cache') });

describe('checkpoint bad inputs', () => {
  it('a truncated shard names the file and the tensor cut off', async () => {
    const dir = copyOf('qwen3-sharded', (d) => {
      const f = join(d, 'model-00002-of-00002.safetensors');
      truncateSync(f, statSync(f).size - 100);
    });
    await assert.rejects(load(dir), /model-00002-of-00002\.safetensors: truncated safetensors file: tensor '[^']+' ends at byte \d+, the file has \d+ bytes/);
  });

  it('an index naming a missing shard names the index, the shard and a tensor', async () => {
    const dir = copyOf('qwen3-sharded', (d) => unlinkSync(join(d, 'model-00002-of-00002.safetensors')));
    await assert.rejects(load(dir), /model\.safetensors\.index\.json: names shard "model-00002-of-00002\.safetensors" \(for tensor 'model\.[^']+' and others\), which is not in/);
  });

  it('a tensor of the wrong shape names the file, the tensor and both shapes', async () => {
    const dir = copyOf('llama3', (d) => {
      const f = join(d, 'model.safetensors');
      const buf = readFileSync(f);
      const hl = Number(buf.readBigUInt64LE(0));
      const header = buf.subarray(8, 8 + hl).toString('utf8');
      // same byte count, so the data offsets stay valid: [64,32] -> [32,64]
      const edited = header.replace(/("model\.layers\.1\.mlp\.up_proj\.weight":\{"dtype":"F32","shape":)\[64,32\]/, '$1[32,64]');
      assert.notEqual(edited, header);
      buf.write(edited, 8, 'utf8');
      writeFileSync(f, buf);
    });
    await assert.rejects(load(dir), /model\.safetensors: tensor 'model\.layers\.1\.mlp\.up_proj\.weight' has shape \[32, 64\], config\.json implies \[64, 32\]/);
  });

  it('a config that disagrees with the tensors (fewer layers than stored) names a tensor left over', async () => {
    const dir = copyOf('llama3', (d) => editJson(join(d, 'config.json'), (c) => void (c['num_hidden_layers'] = 2)));
    await assert.rejects(load(dir), /model\.safetensors: tensor 'model\.layers\.2\.[^']+' is not used by llama as configured \(and \d+ more\)/);
  });

  it('an unsupported model_type is named, with the supported ones', async () => {
    const dir = copyOf('llama3', (d) => editJson(join(d, 'config.json'), (c) => void (c['model_type'] = 'gpt_neox')));
    await assert.rejects(load(dir), /config\.json: model_type "gpt_neox" is not supported for checkpoint folders; supported: llama, mistral, qwen2, qwen3, gemma2, gemma3_text, phi3, olmo2, granite \(or export/);
  });

  it('an unimplemented rope scaling type is an error, not ignored', async () => {
    const dir = copyOf('llama3', (d) => editJson(join(d, 'config.json'), (c) => void (c['rope_scaling'] = { rope_type: 'yarn', factor: 4 })));
    await assert.rejects(load(dir), /config\.json: rope_scaling: rope type "yarn" is not implemented \(implemented: default, linear, llama3\)/);
  });

  it("Phi-3's longrope scaling (not implemented) is an error naming it", async () => {
    const dir = copyOf('phi3', (d) =>
      editJson(join(d, 'config.json'), (c) => void (c['rope_scaling'] = { type: 'longrope', short_factor: [1, 1, 1, 1], long_factor: [2, 2, 2, 2] })),
    );
    await assert.rejects(load(dir), /phi3[\\/]?-?\d*[\\/]config\.json: rope_scaling: rope type "longrope" is not implemented/);
  });

  it('a Qwen sliding window within reach is an error, not ignored', async () => {
    const dir = copyOf('qwen2-bf16-tied', (d) =>
      editJson(join(d, 'config.json'), (c) => Object.assign(c, { use_sliding_window: true, sliding_window: 8, max_window_layers: 1 })),
    );
    await assert.rejects(load(dir), /config\.json: use_sliding_window: a sliding window of 8 on some layers of qwen2 is not implemented/);
  });

  it('too little memory for the float32 weights is refused before anything is written, saying what is needed and free', async () => {
    const dir = copyOf('qwen2-bf16-tied', () => undefined);
    const cacheDir = join(work, 'nomem');
    await assert.rejects(
      buildCheckpoint(dir, { cacheDir, freeMemory: 100 * 2 ** 20 }),
      /qwen2-bf16-tied-\d+ needs about 150 MiB of memory to run in fp32 \(0 MiB of weights in memory\), 100 MiB is available; no --dtype would fit/
    );
    assert.equal(existsSync(cacheDir), false);
  });

  it('the CLI reports a bad checkpoint in one line, without a stack trace', async () => {
    const dir = copyOf('llama3', (d) => editJson(join(d, 'config.json'), (c) => void (c['model_type'] = 'falcon')));
    let out = '';
    let err = '';
    const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t), color: false, signal: new AbortController().signal };
    const code = await main(['trace', dir, '--token-ids', '1,2,3', '-n', '1'], io);
    assert.notEqual(code, 0);
    assert.match(err, /model_type "falcon" is not supported/);
    assert.doesNotMatch(err, /\n\s+at /);
    assert.equal(out, '');
  });
});

describe('hub-cache snapshot', () => {
  it('opens through symlinks into ../../blobs: the build hard-links the blobs, not the links', async () => {
    const repo = join(work, 'hub', 'models--test--llama3');
    const snap = join(repo, 'snapshots', 'abc123');
    mkdirSync(join(repo, 'blobs'), { recursive: true });
    mkdirSync(snap, { recursive: true });
    for (const f of readdirSync(join(CHECKPOINTS, 'llama3'))) {
      const blob = join(repo, 'blobs', `blob-${f}`);
      cpSync(join(CHECKPOINTS, 'llama3', f), blob);
      symlinkSync(join('..', '..', 'blobs', `blob-${f}`), join(snap, f));
    }
    const g = golden(join('..', 'checkpoints', 'llama3'));
    const cacheDir = join(work, 'hub-cache');
    const model = await loadModel(snap, { threads: 1, cacheDir });
    try {
      const out = await model.generateIds([g.prompt_ids], { maxNewTokens: 0 });
      assertClose(out.rows[0]!.firstLogits, g.cases['none']!.logits_last, 1e-4, 'logits_last');
      const [build] = readdirSync(join(cacheDir, 'checkpoints'));
      const linked = statSync(join(cacheDir, 'checkpoints', build!, 'model.safetensors'));
      assert.equal(linked.ino, statSync(join(repo, 'blobs', 'blob-model.safetensors')).ino);
    } finally {
      await model.dispose();
    }
  });

  it('weights re-saved with the same layout are rebuilt, not served from the stale build', async () => {
    const dir = copyOf('llama3', () => undefined);
    const cacheDir = join(work, 'resave');
    const g = golden(join('..', 'checkpoints', 'llama3'));
    const first = await load2(dir, cacheDir);
    const a = (await first.generateIds([g.prompt_ids], { maxNewTokens: 0 })).rows[0]!.firstLogits;
    await first.dispose();
    // same header, every weight byte's sign flipped: a new file in place, as a re-save does
    const f = join(dir, 'model.safetensors');
    const buf = readFileSync(f);
    const start = 8 + Number(buf.readBigUInt64LE(0));
    for (let i = start + 3; i < buf.length; i += 4) buf[i]! ^= 0x80;
    writeFileSync(`${f}.new`, buf);
    renameSync(`${f}.new`, f);
    const second = await load2(dir, cacheDir);
    try {
      const b = (await second.generateIds([g.prompt_ids], { maxNewTokens: 0 })).rows[0]!.firstLogits;
      assert.notDeepEqual(Array.from(b), Array.from(a));
      assert.equal(readdirSync(join(cacheDir, 'checkpoints')).length, 2);
    } finally {
      await second.dispose();
    }
  });

  it('an ONNX export in the folder wins; fp32 asked and only an fp16 export there: the checkpoint is built', async () => {
    const onnxGraph = join(FIXTURES, 'llama-gqa', 'onnx');
    const both = copyOf('llama-gqa', (d) => cpSync(onnxGraph, join(d, 'onnx'), { recursive: true }));
    const cacheDir = join(work, 'both');
    const m1 = await load2(both, cacheDir);
    assert.equal(m1.loaded.graphPath, join(both, 'onnx', 'model.onnx'));
    await m1.dispose();
    unlinkSync(join(both, 'onnx', 'model.onnx'));
    const m2 = await load2(both, cacheDir);
    try {
      assert.match(m2.loaded.graphPath, /checkpoints[\\/][0-9a-f]{12}[\\/]model\.onnx$/);
    } finally {
      await m2.dispose();
    }
    const m3 = await loadModel(both, { threads: 1, cacheDir, dtype: 'fp16' });
    try {
      assert.equal(m3.loaded.graphPath, join(both, 'onnx', 'model_fp16.onnx'));
    } finally {
      await m3.dispose();
    }
  });

  it('a cancelled build leaves no cache entry (no build folder, no temp file), and the next open builds it whole', async () => {
    const dir = copyOf('qwen2-bf16-tied', () => undefined);
    const cacheDir = join(work, 'cancel');
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(buildCheckpoint(dir, { cacheDir, signal: ac.signal }), /failed: cancelled/);
    assert.deepEqual(readdirSync(join(cacheDir, 'checkpoints')), []);
    const b = await buildCheckpoint(dir, { cacheDir });
    assert.equal(b.cached, false);
    assert.deepEqual(readdirSync(b.dir).sort(), ['build.json', 'model.onnx', 'weights.f32.data']);
  });

  it('a half-written build (no build.json) is rebuilt, not trusted', async () => {
    const dir = copyOf('qwen2-bf16-tied', () => undefined);
    const cacheDir = join(work, 'half');
    await (await load2(dir, cacheDir)).dispose();
    const [build] = readdirSync(join(cacheDir, 'checkpoints'));
    const b = join(cacheDir, 'checkpoints', build!);
    unlinkSync(join(b, 'build.json'));
    truncateSync(join(b, 'weights.f32.data'), 10); // as if cut off mid-write
    const g = golden(join('..', 'checkpoints', 'qwen2-bf16-tied'));
    const m = await load2(dir, cacheDir);
    try {
      const out = await m.generateIds([g.prompt_ids], { maxNewTokens: 0 });
      assertClose(out.rows[0]!.firstLogits, g.cases['none']!.logits_last, 1e-4, 'logits_last after rebuild');
    } finally {
      await m.dispose();
    }
  });
});

const load2 = (dir: string, cacheDir: string) => loadModel(dir, { threads: 1, cacheDir });

describe('refusal-lens model on a checkpoint', () => {
  it('reports the architecture, stored and compute dtypes, sizes and the build folder', async () => {
    const dir = copyOf('qwen3-sharded', () => undefined);
    let out = '';
    let err = '';
    const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t), color: false, signal: new AbortController().signal };
    assert.equal(await main(['model', dir, '--json'], io), 0, err);
    // embed + lm_head 316×32 each; per layer: 2 norms 32, q/o 64×32, k/v 32×32, gate/up/down 64×32, q/k norm 16
    const bytes = 4 * (2 * 316 * 32 + 3 * (2 * 32 + 2 * 64 * 32 + 2 * 32 * 32 + 3 * 64 * 32 + 2 * 16) + 32);
    const r = JSON.parse(out) as { checkpoint: Record<string, unknown>; eosIds: number[]; chatTemplate: boolean };
    assert.deepEqual(
      { ...r.checkpoint, buildFolder: undefined, cacheKey: undefined },
      {
        architecture: 'qwen3', layers: 3, dModel: 32, heads: { query: 4, keyValue: 2, headDim: 16 }, ffn: 64, vocab: 316,
        ropeScaling: 'default', slidingWindow: null, tiedEmbeddings: false, shards: 2, storedDtypes: ['F32'], computeDtype: 'fp32',
        quantize: null, weightBytes: bytes, storedBytes: bytes, fp32Bytes: bytes, buildDiskBytes: 0, memoryBytes: bytes * 1.5 + 150 * 2 ** 20,
        buildFolder: undefined, cacheKey: undefined,
      },
    );
    assert.equal(r.checkpoint['buildFolder'], join(dir, '.refusal-lens', r.checkpoint['cacheKey'] as string));
    assert.deepEqual(r.eosIds, [315, 313]); // generation_config.json's EOS list
    assert.equal(r.chatTemplate, true); // from chat_template.jinja
  });
});
