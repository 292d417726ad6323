// Model discovery for Select Model (built-in, settings, Hugging Face cache) and the text a
// user sees when the worker dies. Pure parts of src/extension/, run in plain Node.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { dtypeVariants, hfHubDir, listModels, modelFolderProblem, scanHfCache } from '../../src/extension/models';
import { describeDeath } from '../../src/extension/workerClient';
import { CHECKPOINT_DTYPES, ONNX_DTYPES } from '../../src/protocol/dtypes';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rl-models-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function modelFolder(dir: string, graphs: string[], opts: { tokenizer?: boolean } = {}): string {
  mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), '{"model_type":"llama"}');
  if (opts.tokenizer !== false) writeFileSync(path.join(dir, 'tokenizer.json'), '{}');
  for (const g of graphs) writeFileSync(path.join(dir, 'onnx', g), '');
  return dir;
}

describe('model folders', () => {
  test('dtype variants come from graph names; rewrite caches and other files are ignored', () => {
    const f = modelFolder(path.join(tmp, 'variants'), ['model.onnx', 'model_fp16.onnx', 'model_q4f16.onnx', 'model_bnb4.onnx', 'model.hooked-abc.onnx', 'model.onnx_data', 'vision_encoder.onnx']);
    // bnb4 exists in some exports but the engine does not load it.
    assert.deepEqual(dtypeVariants(f), ['fp16', 'fp32', 'q4f16']);
  });

  test('the dtype lists are the protocol\'s: every ONNX variant the engine loads, every dtype a checkpoint is built in', () => {
    const onnx = modelFolder(path.join(tmp, 'all-onnx'), ONNX_DTYPES.map((d) => (d === 'fp32' ? 'model.onnx' : `model_${d}.onnx`)));
    assert.deepEqual(dtypeVariants(onnx), [...ONNX_DTYPES].sort());
    const ckpt = modelFolder(path.join(tmp, 'ckpt'), []);
    writeFileSync(path.join(ckpt, 'model.safetensors'), '');
    assert.deepEqual(dtypeVariants(ckpt), [...CHECKPOINT_DTYPES].sort());
  });

  test('a folder missing a piece is refused with the piece named', () => {
    assert.match(modelFolderProblem(path.join(tmp, 'nothing-here'))!, /does not exist/);
    assert.match(modelFolderProblem(modelFolder(path.join(tmp, 'no-tok'), ['model.onnx'], { tokenizer: false }))!, /tokenizer\.json/);
    assert.match(modelFolderProblem(modelFolder(path.join(tmp, 'no-graph'), []))!, /onnx\/\*\.onnx/);
    assert.match(modelFolderProblem(modelFolder(path.join(tmp, 'bnb-only'), ['model_bnb4.onnx']))!, /only bnb4 graphs/);
    assert.equal(modelFolderProblem(modelFolder(path.join(tmp, 'ok'), ['model.onnx'])), undefined);
  });

  test('the HF hub folder follows HF_HUB_CACHE, then HF_HOME, then XDG_CACHE_HOME', () => {
    assert.equal(hfHubDir({ HF_HUB_CACHE: '/a', HF_HOME: '/b' }), '/a');
    assert.equal(hfHubDir({ HF_HOME: '/b' }), path.join('/b', 'hub'));
    assert.equal(hfHubDir({ XDG_CACHE_HOME: '/c' }), path.join('/c', 'huggingface', 'hub'));
  });

  test('the HF cache scan finds ONNX snapshots, newest first, and skips non-ONNX repos', () => {
    const hub = path.join(tmp, 'hub');
    const snap = (repo: string, rev: string, graphs: string[], mtime: number) => {
      const dir = modelFolder(path.join(hub, repo, 'snapshots', rev), graphs);
      utimesSync(dir, mtime, mtime);
    };
    snap('models--onnx-community--Qwen2.5-0.5B-Instruct', 'aaaaaaaa1111', ['model.onnx'], 1000);
    snap('models--onnx-community--Qwen2.5-0.5B-Instruct', 'bbbbbbbb2222', ['model_q4.onnx'], 2000);
    snap('models--meta--torch-only', 'cccccccc3333', [], 1500);
    mkdirSync(path.join(hub, 'datasets--x--y', 'snapshots', 'r'), { recursive: true });
    const found = scanHfCache(hub);
    assert.deepEqual(found.map((m) => m.label), ['onnx-community/Qwen2.5-0.5B-Instruct @ bbbbbbbb', 'onnx-community/Qwen2.5-0.5B-Instruct @ aaaaaaaa']);
    assert.deepEqual(found[0]!.dtypes, ['q4']);
    assert.deepEqual(scanHfCache(path.join(tmp, 'no-hub')), []);
  });

  test('listModels puts the built-in model first, reports bad settings folders, drops duplicates', () => {
    const builtin = modelFolder(path.join(tmp, 'builtin'), ['model.onnx']);
    const extra = modelFolder(path.join(tmp, 'extra'), ['model_fp16.onnx']);
    const { models, problems } = listModels(builtin, [extra, builtin, path.join(tmp, 'missing')], path.join(tmp, 'hub'));
    assert.deepEqual(models.map((m) => m.source), ['builtin', 'settings', 'hf-cache', 'hf-cache']);
    assert.equal(models[1]!.folder, extra);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /refusalLens\.model\.extraFolders: .*missing does not exist/);
  });
});

describe('worker death message', () => {
  test('names a kill, an OOM, a reported fatal error and a plain exit, with the last output', () => {
    assert.match(describeDeath(null, 'SIGKILL', undefined, []).message, /killed \(SIGKILL/);
    const oom = describeDeath(null, 'SIGABRT', undefined, ['<--- Last few GCs --->', 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory']);
    assert.match(oom.message, /ran out of memory/);
    assert.match(oom.message, /heap out of memory/);
    const fatal = describeDeath(70, null, { origin: 'uncaughtException', message: 'bad tensor shape' }, ['x']);
    assert.match(fatal.message, /uncaughtException\): bad tensor shape/);
    assert.match(describeDeath(3, null, undefined, []).message, /exited with code 3\.$/);
    const long = describeDeath(1, null, undefined, ['1', '2', '3', '4', '5', '6', '7']);
    assert.match(long.message, /Last output: 3 \| 4 \| 5 \| 6 \| 7$/);
    assert.equal(long.stderrTail.length, 7);
  });
});
