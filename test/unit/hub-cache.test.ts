// Select Model…'s scan of the Hugging Face hub cache, on a fake cache laid out as huggingface_hub
// writes it: files in blobs/ named by hash, snapshot files as relative symlinks into ../../blobs.
// Checkpoint snapshots are listed next to ONNX exports, with the size of their blobs (each once)
// and the stored dtype; unsupported architectures are not listed; a truncated download is left
// out with a problem naming the file.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { diskSize, formatBytes, scanHubSnapshots } from '../../src/extension/hubCache';
import { listModels, modelFolderProblem } from '../../src/extension/models';

const FIX = path.join(__dirname, '..', 'fixtures');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'rl-hub-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const hub = path.join(tmp, 'hub');

/** Puts `files` (name in snapshot → source file) into repo's blobs and links them from snapshots/rev. */
function snapshot(repo: string, rev: string, files: Record<string, string>, mtime: number): string {
  const repoDir = path.join(hub, `models--${repo.replace('/', '--')}`);
  const snap = path.join(repoDir, 'snapshots', rev);
  mkdirSync(path.join(repoDir, 'blobs'), { recursive: true });
  for (const [name, src] of Object.entries(files)) {
    const hash = createHash('sha256').update(readFileSync(src)).digest('hex');
    const blob = path.join(repoDir, 'blobs', hash);
    try {
      copyFileSync(src, blob, 1 /* COPYFILE_EXCL: a blob is written once */);
    } catch {
      /* already there */
    }
    const link = path.join(snap, name);
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(path.relative(path.dirname(link), blob), link);
  }
  utimesSync(snap, mtime, mtime);
  return snap;
}

const filesOf = (dir: string, sub = ''): Record<string, string> =>
  Object.fromEntries(
    readdirSync(path.join(dir, sub)).flatMap((n) => {
      const rel = sub ? `${sub}/${n}` : n;
      if (statSync(path.join(dir, rel)).isDirectory()) return Object.entries(filesOf(dir, rel));
      return n === 'golden.json' ? [] : [[rel, path.join(dir, rel)]];
    }),
  );
const sizeOf = (files: Record<string, string>) => [...new Set(Object.values(files).map((f) => readFileSync(f).toString('base64')))].reduce((a, b) => a + Buffer.from(b, 'base64').length, 0);

describe('hub cache scan', () => {
  const qwen3 = filesOf(path.join(FIX, 'checkpoints', 'qwen3-sharded'));
  // README.md and LICENSE.txt with the same bytes are one blob: counted once
  const qwen3Files = { ...qwen3, 'README.md': qwen3['config.json']!, 'LICENSE.txt': qwen3['config.json']! };
  const old = snapshot('Qwen/Qwen3-Tiny', 'aaaaaaaa0001', qwen3Files, 1000);
  const newer = snapshot('Qwen/Qwen3-Tiny', 'bbbbbbbb0002', qwen3Files, 2000);
  const bf16 = snapshot('Qwen/Qwen2-Tiny-bf16', 'cccccccc0003', filesOf(path.join(FIX, 'checkpoints', 'qwen2-bf16-tied')), 1500);
  const onnx = snapshot('onnx-community/llama-gqa', 'dddddddd0004', filesOf(path.join(FIX, 'models', 'llama-gqa')), 1500);
  // a BERT checkpoint: safetensors, but not an architecture Refusal Lens builds
  const bertCfg = path.join(tmp, 'bert-config.json');
  writeFileSync(bertCfg, JSON.stringify({ model_type: 'bert' }));
  const bert = snapshot('google/bert-tiny', 'eeeeeeee0005', { 'config.json': bertCfg, 'model.safetensors': qwen3['model-00001-of-00002.safetensors']!, 'tokenizer.json': qwen3['tokenizer.json']! }, 1500);
  // an unfinished download: the second shard's blob is cut short
  const cut = path.join(tmp, 'cut.safetensors');
  copyFileSync(qwen3['model-00002-of-00002.safetensors']!, cut);
  truncateSync(cut, statSync(cut).size - 100);
  snapshot('Qwen/Qwen3-Broken', 'ffffffff0006', { ...qwen3, 'model-00002-of-00002.safetensors': cut }, 1500);

  test('lists checkpoint and ONNX snapshots, newest first per repo, with blob sizes counted once and stored dtypes', () => {
    const { snapshots, problems } = scanHubSnapshots(hub, (f) => f === onnx);
    assert.deepEqual(
      snapshots.map((s) => [s.repo, s.rev, s.format, s.storedDtype, s.modelType]),
      [
        ['Qwen/Qwen2-Tiny-bf16', 'cccccccc0003', 'checkpoint', 'BF16', 'qwen2'],
        ['Qwen/Qwen3-Tiny', 'bbbbbbbb0002', 'checkpoint', 'F32', 'qwen3'],
        ['Qwen/Qwen3-Tiny', 'aaaaaaaa0001', 'checkpoint', 'F32', 'qwen3'],
        ['onnx-community/llama-gqa', 'dddddddd0004', 'onnx', undefined, undefined],
      ],
    );
    const q = snapshots.find((s) => s.folder === newer)!;
    assert.equal(q.sizeBytes, sizeOf(qwen3), 'README.md and LICENSE.txt share the config blob: counted once');
    assert.ok(q.sizeBytes > 200_000, 'the blobs, not the symlinks, are measured');
    assert.equal(snapshots.find((s) => s.folder === old)!.sizeBytes, q.sizeBytes);
    assert.equal(snapshots.find((s) => s.folder === bf16)!.sizeBytes, sizeOf(filesOf(path.join(FIX, 'checkpoints', 'qwen2-bf16-tied'))));
    assert.equal(snapshots.find((s) => s.folder === onnx)!.sizeBytes, diskSize(path.join(FIX, 'models', 'llama-gqa')) - statSync(path.join(FIX, 'models', 'llama-gqa', 'golden.json')).size);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /Qwen\/Qwen3-Broken @ ffffffff is left out: .*model-00002-of-00002\.safetensors: truncated safetensors file/);
  });

  test('Select Model lists them beside the built-in model; folder checks accept checkpoints of supported architectures only', () => {
    const { models, problems } = listModels(undefined, [], hub);
    const ck = models.find((m) => m.folder === bf16)!;
    assert.equal(ck.label, 'Qwen/Qwen2-Tiny-bf16 @ cccccccc');
    assert.equal(ck.format, 'checkpoint');
    assert.equal(ck.storedDtype, 'BF16');
    // a checkpoint is built in any checkpoint dtype (the protocol's list, sorted as the picker shows it)
    assert.deepEqual(ck.dtypes, ['fp16', 'fp32', 'q4', 'q8']);
    assert.equal(models.find((m) => m.folder === onnx)!.format, 'onnx');
    assert.deepEqual(models.find((m) => m.folder === onnx)!.dtypes, ['fp16', 'fp32']);
    assert.ok(!models.some((m) => m.folder === bert));
    assert.equal(problems.length, 1);
    assert.equal(modelFolderProblem(newer), undefined);
    assert.match(modelFolderProblem(bert)!, /model_type "bert", which is not built \(supported: llama, mistral/);
    assert.match(modelFolderProblem(path.join(tmp))!, /no config\.json/);
  });

  test('an absent hub folder lists nothing; sizes read as people do', () => {
    assert.deepEqual(scanHubSnapshots(path.join(tmp, 'nope'), () => false), { snapshots: [], problems: [] });
    assert.equal(formatBytes(15.3 * 2 ** 30), '15.3 GiB');
    assert.equal(formatBytes(230 * 2 ** 20), '230 MiB');
    assert.equal(formatBytes(5000), '5 KiB');
  });
});
