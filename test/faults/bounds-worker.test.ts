// Defect 6 (issue 10), the worker side: a 100 MB prompt killed the worker out of memory while it
// tokenized. The host refuses an over-large prompt (LIMITS.promptChars) before it crosses IPC;
// a client that sends one anyway gets an error naming the limit and the worker stays alive.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LIMITS } from '../../src/protocol/limits';
import { Encode, Hello, LoadModel, Trace } from '../../src/protocol/rpc';
import { EngineSession } from '../../src/extension/engineSession';
import { FIXTURE_MODEL, startClient, type TestClient } from '../unit/worker-harness';

let t: TestClient;
before(async () => {
  t = await startClient();
  await t.client.request(LoadModel, { folder: FIXTURE_MODEL });
});
after(() => t.client.stop());

test('the host refuses a 100 MB prompt before sending it', async () => {
  const session = new EngineSession(t.client);
  const huge = { kind: 'chat' as const, messages: [{ role: 'user' as const, content: 'a'.repeat(100_000_000) }] };
  const t0 = Date.now();
  await assert.rejects(session.trace({ prompt: huge, interventions: [], decoding: { maxNewTokens: 1 } }), /100000000 characters of prompt text is over the limit/);
  assert.ok(Date.now() - t0 < 2_000, `took ${Date.now() - t0} ms: it was sent`);
});

test('a 20 MB prompt sent over IPC anyway is refused with the limit named; the worker lives on', async () => {
  const pid = t.client.pid;
  const huge = { kind: 'chat' as const, messages: [{ role: 'user' as const, content: 'a'.repeat(20_000_000) }] };
  const t0 = Date.now();
  await assert.rejects(
    t.client.request(Trace, { runId: 'huge', prompt: huge, interventions: [], decoding: { maxNewTokens: 1 } }),
    (e: Error) => e.message.includes('20000000 characters') && e.message.includes(String(LIMITS.promptChars)),
  );
  await assert.rejects(t.client.request(Encode, { prompt: huge }), new RegExp(`over the limit of ${LIMITS.promptChars}`));
  assert.ok(Date.now() - t0 < 30_000, `took ${Date.now() - t0} ms`);
  assert.equal(t.deaths.length, 0, JSON.stringify(t.deaths));
  assert.equal((await t.client.request(Hello, undefined)).pid, pid);
  // And a normal prompt still runs.
  const ok = await t.client.request(Encode, { prompt: { kind: 'chat', messages: [{ role: 'user', content: 'hello' }] } });
  assert.ok(ok.ids.length > 0);
});

test('token-id prompts are bounded the same way', async () => {
  const ids = new Array<number>(LIMITS.promptChars + 1).fill(1);
  await assert.rejects(t.client.request(Encode, { prompt: { kind: 'tokens', tokenIds: ids } }), /token ids is over the limit/);
});
