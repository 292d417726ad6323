// Issue 10 #10, the worker's lifecycle: a worker that never answers hello hung every request
// (even cancelled ones) and Restart Engine could not kill it while it started; a suspended
// (SIGSTOP) worker hung a request sent without a cancellation token. Every request must settle.
// A fake worker script that never says hello, and the real worker bundle for the suspension.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { EngineSession } from '../../src/extension/engineSession';
import { CancelledError, WorkerClient, WorkerDiedError, type WorkerDeath } from '../../src/extension/workerClient';
import { Hello } from '../../src/protocol/rpc';
import { FIXTURE_MODEL, bundleWorker } from '../unit/worker-harness';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rl-worker-life-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// Never answers, ignores SIGTERM, writes its pid so the test can see whether it is gone.
const SILENT = path.join(tmp, 'silent-worker.js');
writeFileSync(SILENT, [
  "require('node:fs').writeFileSync(process.env.RL_PID_FILE, String(process.pid));",
  "process.on('SIGTERM', () => {});",
  "process.on('disconnect', () => process.exit(0)); // the test process is gone: do not linger",
  'setInterval(() => {}, 1 << 30);',
].join('\n'));

let n = 0;
function silentClient(opts: { helloTimeoutMs?: number } = {}) {
  const pidFile = path.join(tmp, `pid-${++n}`);
  const deaths: WorkerDeath[] = [];
  const client = new WorkerClient({
    workerPath: SILENT,
    env: { ...process.env, RL_PID_FILE: pidFile },
    log: () => undefined,
    onDeath: (d) => deaths.push(d),
    helloTimeoutMs: opts.helloTimeoutMs ?? 60_000,
  });
  const pid = async (): Promise<number> => {
    for (let i = 0; i < 200 && !existsSync(pidFile); i++) await sleep(25);
    return Number(readFileSync(pidFile, 'utf8'));
  };
  return { client, deaths, pid };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < withinMs; await sleep(20)) if (!alive(pid)) return true;
  return !alive(pid);
}

describe('worker lifecycle', { timeout: 30_000 }, () => {
  test('a worker that never says hello: the start fails after the hello timeout, naming why, and the process is ended', async () => {
    const { client, deaths, pid } = silentClient({ helloTimeoutMs: 2000 });
    const t0 = Date.now();
    const pending = client.request(Hello, undefined);
    const p = await pid();
    await assert.rejects(pending, (e: unknown) => e instanceof WorkerDiedError && /did not answer within 2\.0 s of starting/.test(e.message));
    assert.ok(Date.now() - t0 < 6000, `${Date.now() - t0} ms`);
    assert.ok(await gone(p, 2000));
    assert.equal(deaths.length, 1);
  });

  test('cancelling a request (or a session prepare) while the worker starts rejects at once', async () => {
    const { client, pid } = silentClient();
    const cts = new CancellationTokenSource();
    const pending = client.request(Hello, undefined, cts.token);
    const session = new EngineSession(client);
    const prepared = session.prepare({ model: { folder: FIXTURE_MODEL }, axes: [] }, cts.token);
    await pid();
    const t0 = Date.now();
    cts.cancel();
    await assert.rejects(pending, CancelledError);
    await assert.rejects(prepared, CancelledError);
    assert.ok(Date.now() - t0 < 200, `${Date.now() - t0} ms`);
    await client.kill();
  });

  test('Restart Engine (kill) ends a worker that is still starting; a request waiting on it rejects', async () => {
    const { client, deaths, pid } = silentClient();
    const pending = client.request(Hello, undefined);
    const p = await pid();
    await client.kill();
    assert.ok(!alive(p), 'the starting worker is gone once kill() resolves');
    await assert.rejects(pending, (e: unknown) => e instanceof WorkerDiedError && /Restart Engine/.test(e.message));
    assert.equal(deaths.length, 0, 'an asked-for end is not reported as a death');
  });

  test('Restart Engine while starting: kill() then ensureStarted() gives a fresh, working worker', async () => {
    const client = new WorkerClient({ workerPath: await bundleWorker(), log: () => undefined });
    try {
      const pending = client.request(Hello, undefined);
      await client.kill();
      await assert.rejects(pending, WorkerDiedError);
      const w = await client.ensureStarted();
      assert.equal((await client.request(Hello, undefined)).pid, w.child.pid);
    } finally {
      await client.stop();
    }
  });

  test('stop() ends a starting worker that ignores SIGTERM and shutdown, after the grace period', async () => {
    const { client, pid } = silentClient();
    const pending = client.request(Hello, undefined);
    const p = await pid();
    const t0 = Date.now();
    await client.stop(300);
    assert.ok(Date.now() - t0 < 3000, `${Date.now() - t0} ms`);
    assert.ok(!alive(p));
    await assert.rejects(pending, WorkerDiedError);
  });

  test('a suspended worker (SIGSTOP): a request without a token rejects, naming the suspension; the next starts a fresh worker', { skip: process.platform !== 'linux' && process.platform !== 'darwin' }, async () => {
    const deaths: WorkerDeath[] = [];
    const client = new WorkerClient({ workerPath: await bundleWorker(), log: () => undefined, onDeath: (d) => deaths.push(d), suspendedMs: 800 });
    try {
      const first = (await client.request(Hello, undefined)).pid;
      process.kill(first, 'SIGSTOP');
      const t0 = Date.now();
      await assert.rejects(client.request(Hello, undefined), (e: unknown) => e instanceof WorkerDiedError && /suspended/.test(e.message));
      assert.ok(Date.now() - t0 < 5000, `${Date.now() - t0} ms`);
      assert.ok(await gone(first, 2000));
      assert.match(deaths[0]?.message ?? '', /suspended/);
      const second = (await client.request(Hello, undefined)).pid;
      assert.notEqual(second, first);
    } finally {
      await client.stop();
    }
  });
});
