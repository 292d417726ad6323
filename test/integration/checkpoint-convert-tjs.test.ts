// Interop: a folder written by `refusal-lens convert` loads in a real third-party client,
// transformers.js (@huggingface/transformers, a devDependency for this test only), from local
// files only, and its chat template and greedy tokens equal Refusal Lens's on the same folder and
// on the checkpoint itself. Skipped, saying why, when the package cannot be resolved.
// RL_TRANSFORMERS_JS_FROM=/some/dir resolves it from another folder's node_modules instead.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { convertCheckpoint } from '../../src/engine/checkpoint/convert';
import { loadModel } from '../../src/engine/index';
import type { ChatMessage } from '../../src/protocol/types';

const CHECKPOINTS = join(__dirname, '..', 'fixtures', 'checkpoints');
const from = process.env.RL_TRANSFORMERS_JS_FROM ? join(process.env.RL_TRANSFORMERS_JS_FROM, 'noop.js') : __filename;
let entry: string | undefined;
try {
  entry = createRequire(from).resolve('@huggingface/transformers');
} catch {
  entry = undefined;
}
const skip = entry ? false : '@huggingface/transformers is not installed (add it to devDependencies, or set RL_TRANSFORMERS_JS_FROM to a folder that has it)';

const tmp = mkdtempSync(join(tmpdir(), 'rl-convert-tjs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const N = 10;
const MESSAGES: ChatMessage[] = [{ role: 'user', content: 'hello there, how are you?' }];

describe('transformers.js opens a converted checkpoint', { skip }, () => {
  // llama3 rope, bf16 + tied, sharded + chat_template.jinja, gemma2 (soft-capping);
  // llama3 with 64 KiB data files: several chunks, named and counted as transformers.js expects
  for (const [name, chunkBytes] of [['llama3', 64 * 1024], ['qwen2-bf16-tied', undefined], ['qwen3-sharded', undefined], ['gemma2', undefined]] as const) {
    it(`${name}${chunkBytes ? ' (several data files)' : ''}: same chat-template ids and greedy tokens as Refusal Lens`, async () => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const T: any = await import(pathToFileURL(entry!).href);
      const tjs = T.env ? T : T.default;
      tjs.env.allowRemoteModels = false;
      tjs.env.allowLocalModels = true;
      tjs.env.localModelPath = '/';
      tjs.env.cacheDir = join(tmp, 'tjs-cache');
      const out = join(tmp, name);
      const conv = await convertCheckpoint(join(CHECKPOINTS, name), out, chunkBytes ? { chunkBytes } : {});
      if (chunkBytes) assert.ok(conv.dataFiles.length >= 3, `${conv.dataFiles.length} data files`);

      const tok = await tjs.AutoTokenizer.from_pretrained(out, { local_files_only: true });
      const enc = tok.apply_chat_template(MESSAGES, { add_generation_prompt: true, tokenize: true, return_dict: true, return_tensor: false });
      const ids: number[] = Array.from(enc.input_ids as ArrayLike<number | bigint>, Number);
      const model = await tjs.AutoModelForCausalLM.from_pretrained(out, { dtype: 'fp32', device: 'cpu', local_files_only: true });
      let theirs: number[];
      try {
        const input_ids = new tjs.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);
        const attention_mask = new tjs.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
        const gen = await model.generate({ input_ids, attention_mask, max_new_tokens: N, min_new_tokens: N, do_sample: false });
        theirs = Array.from(gen.data as BigInt64Array, Number).slice(ids.length);
      } finally {
        await model.dispose();
      }
      assert.equal(theirs.length, N);

      for (const folder of [out, join(CHECKPOINTS, name)]) {
        const lens = await loadModel(folder, { threads: 1, cacheDir: join(tmp, 'rl-cache') });
        try {
          assert.deepEqual(lens.encode({ kind: 'chat', messages: MESSAGES }).ids, ids, `chat template ids (${folder})`);
          const r = await lens.generateIds([ids], { maxNewTokens: N, stopAtEos: false });
          assert.deepEqual(r.rows[0]!.generated, theirs, `greedy tokens (${folder})`);
        } finally {
          await lens.dispose();
        }
      }
    });
  }
});
