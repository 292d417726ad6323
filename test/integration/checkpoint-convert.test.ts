// `refusal-lens convert`: a checkpoint folder written as a plain onnx-community folder. The
// result must stand alone (no external data outside onnx/), open in Refusal Lens as an ordinary
// ONNX export and generate the torch goldens' greedy tokens; the CLI refuses a non-empty OUT and
// leaves the user's files as they were; a cancelled conversion leaves neither OUT nor a partial folder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/command';
import { convertCheckpoint, planChunks } from '../../src/engine/checkpoint/convert';
import type { TensorRef } from '../../src/engine/checkpoint/files';
import { loadModel } from '../../src/engine/index';
import { decodeModel } from '../../src/engine/onnx/proto';
import { golden } from './engine-fixtures';

const CHECKPOINTS = join(__dirname, '..', 'fixtures', 'checkpoints');
const BIN = join(__dirname, '..', '..', 'bin', 'refusal-lens.js');
const tmp = mkdtempSync(join(tmpdir(), 'rl-convert-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The CLI in-process (main(argv, io)), as test/integration/cli.test.ts runs it; the README test spawns the real one. */
async function cli(...argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { out: (t) => void (stdout += t), err: (t) => void (stderr += t), color: false, signal: new AbortController().signal };
  const status = await main(argv, io);
  return { status, stdout, stderr };
}

// bf16 + tied, sharded + chat_template.jinja, fp16, gemma2 (soft-capping, sliding window)
for (const name of ['qwen2-bf16-tied', 'qwen3-sharded', 'mistral-fp16', 'gemma2']) {
  describe(`convert ${name}`, () => {
    const out = join(tmp, name);
    it('writes the onnx-community layout, self-contained, which opens as an ONNX export and generates the golden tokens', async () => {
      const r = await convertCheckpoint(join(CHECKPOINTS, name), out);
      assert.equal(r.graph, 'onnx/model.onnx');
      assert.deepEqual(r.dataFiles, ['onnx/model.onnx_data']);
      assert.deepEqual(readdirSync(join(out, 'onnx')).sort(), ['model.onnx', 'model.onnx_data']);
      for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) assert.ok(existsSync(join(out, f)), f);
      assert.ok(!readdirSync(tmp).some((f) => f.includes('.partial-')), 'no partial folder left');
      // every initializer's data lies in onnx/, none in the checkpoint
      const m = decodeModel(new Uint8Array(readFileSync(join(out, 'onnx', 'model.onnx'))));
      const locations = new Set(m.graph.initializer.filter((t) => t.dataLocation === 1).map((t) => t.externalData!.find((e) => e.key === 'location')!.value));
      assert.deepEqual([...locations], ['model.onnx_data']);
      const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
      assert.equal(typeof cfg.head_dim, 'number');
      assert.deepEqual(cfg['transformers.js_config'].use_external_data_format, { 'model.onnx': 1 });
      const tc = JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8'));
      assert.equal(typeof tc.chat_template, 'string', 'the chat template is in tokenizer_config.json');

      const g = golden(join('..', 'checkpoints', name));
      const model = await loadModel(out, { threads: 1, cacheDir: join(tmp, 'hooks') });
      try {
        assert.equal(model.summary.dtype, 'fp32');
        const r2 = await model.generateIds([g.greedy.prompt_ids], { maxNewTokens: g.greedy.n, stopAtEos: false });
        assert.deepEqual(r2.rows[0]!.generated, g.greedy.none);
      } finally {
        await model.dispose();
      }
    });
  });
}

describe('convert: guards', () => {
  const src = join(CHECKPOINTS, 'llama3');
  it('refuses an OUT that exists and is not empty, and leaves its files untouched (CLI)', async () => {
    const out = join(tmp, 'mine');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'my notes');
    const r = await cli('convert', src, '--out', out);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /exists and is not empty.*refusing to overwrite/);
    assert.deepEqual(readdirSync(out), ['notes.txt']);
    assert.equal(readFileSync(join(out, 'notes.txt'), 'utf8'), 'my notes');
    assert.ok(!readdirSync(tmp).some((f) => f.startsWith('mine.partial-')));
  });

  it('refuses an OUT that is a file, a missing --out and a folder that is not a checkpoint (CLI)', async () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'x');
    let r = await cli('convert', src, '--out', file);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /is not a folder/);
    assert.equal(readFileSync(file, 'utf8'), 'x');
    r = await cli('convert', src);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /give --out OUT/);
    r = await cli('convert', join(__dirname, '..', 'fixtures', 'models', 'llama-gqa'), '--out', join(tmp, 'x'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /is not a safetensors checkpoint folder/);
    r = await cli('convert', src, '--out', join(tmp, 'y'), '--dtype', 'q3');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--dtype must be one of fp32/);
  });

  it('writes into an empty OUT, with a progress line on stderr and the result as JSON (CLI)', async () => {
    const out = join(tmp, 'empty');
    mkdirSync(out);
    const r = await cli('convert', src, '--out', out, '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /convert: MiB of weights written {2}1\/1 {2}100%/);
    const j = JSON.parse(r.stdout);
    assert.equal(j.out, out);
    assert.equal(j.modelType, 'llama');
    assert.ok(existsSync(join(out, 'onnx', 'model.onnx_data')));
  });

  it('a cancelled conversion leaves neither OUT nor a partial folder', async () => {
    const parent = join(tmp, 'cancel');
    mkdirSync(parent);
    const ac = new AbortController();
    await assert.rejects(
      convertCheckpoint(join(CHECKPOINTS, 'qwen3-sharded'), join(parent, 'out'), { signal: ac.signal, onProgress: () => ac.abort() }),
      /cancelled; nothing was written/,
    );
    assert.deepEqual(readdirSync(parent), []);
  });

  it('converts a hub-cache snapshot (files are symlinks into ../../blobs) into regular files', async () => {
    const snap = join(tmp, 'hub', 'models--Qwen--Tiny', 'snapshots', 'rev1');
    const blobs = join(tmp, 'hub', 'models--Qwen--Tiny', 'blobs');
    mkdirSync(snap, { recursive: true });
    mkdirSync(blobs);
    const from = join(CHECKPOINTS, 'qwen3-sharded');
    for (const f of readdirSync(from)) {
      copyFileSync(join(from, f), join(blobs, `blob-${f}`));
      symlinkSync(join('..', '..', 'blobs', `blob-${f}`), join(snap, f));
    }
    const out = join(tmp, 'from-hub');
    const r = await convertCheckpoint(snap, out);
    for (const f of [...r.copied, r.graph, ...r.dataFiles]) assert.ok(lstatSync(join(out, f)).isFile(), `${f} is a regular file`);
    assert.equal(readFileSync(join(out, 'tokenizer.json'), 'utf8'), readFileSync(join(from, 'tokenizer.json'), 'utf8'));
  });

  it('an OUT under a file fails naming the folder it cannot create', async () => {
    const file = join(tmp, 'plain-file');
    writeFileSync(file, 'x');
    await assert.rejects(convertCheckpoint(src, join(file, 'sub', 'out')), /cannot create the folder .*plain-file[/\\]sub: /);
    assert.equal(readFileSync(file, 'utf8'), 'x');
  });

  it('refuses an OUT inside the checkpoint folder', async () => {
    await assert.rejects(convertCheckpoint(src, join(src, 'onnx-out')), /must be outside the checkpoint folder/);
    assert.ok(!existsSync(join(src, 'onnx-out')));
  });
});

describe('convert: data files', () => {
  it('splits the weights into transformers.js-named files under the limit, a larger tensor alone, 64-byte aligned', () => {
    const t = (name: string, dtype: 'F32' | 'BF16', bytes: number): TensorRef => ({ name, dtype, shape: [bytes / (dtype === 'F32' ? 4 : 2)], file: 'x', offset: 0, length: bytes });
    const { place, chunks } = planChunks([t('a', 'F32', 40), t('b', 'BF16', 20), t('c', 'F32', 400), t('d', 'F32', 8), t('e', 'BF16', 4)], 128);
    assert.deepEqual(chunks.map((c) => [c.file, c.size, c.tensors.map((x) => x.name).join('')]), [
      ['model.onnx_data', 104, 'ab'], // a at 0 (40 bytes), b at 64 (20 bf16 bytes → 40)
      ['model.onnx_data_1', 400, 'c'], // larger than the limit: alone
      ['model.onnx_data_2', 72, 'de'],
    ]);
    assert.deepEqual(place.get('b'), { file: 'model.onnx_data', offset: 64, length: 40 });
    assert.deepEqual(place.get('e'), { file: 'model.onnx_data_2', offset: 64, length: 8 });
  });

  it('several data files open in Refusal Lens and give the golden tokens', async () => {
    const out = join(tmp, 'chunked');
    const r = await convertCheckpoint(join(CHECKPOINTS, 'llama3'), out, { chunkBytes: 64 * 1024 });
    assert.ok(r.dataFiles.length >= 3);
    assert.deepEqual(readdirSync(join(out, 'onnx')).sort(), ['model.onnx', ...r.dataFiles.map((f) => f.slice('onnx/'.length))].sort());
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))['transformers.js_config'].use_external_data_format, { 'model.onnx': r.dataFiles.length });
    const g = golden(join('..', 'checkpoints', 'llama3'));
    const model = await loadModel(out, { threads: 1, cacheDir: join(tmp, 'hooks') });
    try {
      assert.deepEqual((await model.generateIds([g.greedy.prompt_ids], { maxNewTokens: g.greedy.n, stopAtEos: false })).rows[0]!.generated, g.greedy.none);
    } finally {
      await model.dispose();
    }
  });
});

describe('README', () => {
  it("runs the README's checkpoint commands as written (with a cache and output folder of the test's own)", () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const lines = readme.split('\n').filter((l) => l.startsWith('node bin/refusal-lens.js ') && l.includes('test/fixtures/checkpoints/'));
    assert.deepEqual(lines.map((l) => l.split(/\s+/)[2]), ['trace', 'convert']);
    for (const line of lines) {
      const words = line.replace(/\s+#.*$/, '').match(/"[^"]*"|\S+/g)!.map((w) => w.replace(/^"|"$/g, ''));
      const argv = words.slice(2).map((w) => (w === 'qwen3-onnx' ? join(tmp, 'readme-out') : w));
      if (argv[0] === 'trace') argv.push('--cache-dir', join(tmp, 'readme-cache'));
      const r = spawnSync(process.execPath, [BIN, ...argv], { encoding: 'utf8', cwd: join(__dirname, '..', '..') });
      assert.equal(r.status, 0, `${line}\n${r.stderr}`);
      if (argv[0] === 'trace') assert.match(r.stdout, /label/i);
    }
    assert.ok(existsSync(join(tmp, 'readme-out', 'onnx', 'model.onnx')));
  });
});
