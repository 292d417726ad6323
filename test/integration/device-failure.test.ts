// A device that fails: at session creation (auto moves on to the next device with the reason; a
// named device is an error), and during a run (a clear error, the device is remembered as failed
// so auto passes it over, the worker survives, reopens its model and the next run can go to the
// CPU). Failures are injected (REFUSAL_LENS_TEST_DEVICE_FAULT, src/engine/runtime.ts): a real
// lost device cannot be produced on demand. The run failures need a webgpu session, so they use
// SwiftShader (test/device-setup.sh) and skip only without it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openOnDevice, planDevices, type Environment } from '../../src/engine/device';
import { failedDevices, loadModel } from '../../src/engine/index';
import { Hello, LoadModel, Trace } from '../../src/protocol/rpc';
import { FIXTURE_MODEL, ROOT, startClient } from '../unit/worker-harness';
import { swiftShaderSkip } from './device-swiftshader';

const FAULT = 'REFUSAL_LENS_TEST_DEVICE_FAULT';
const noSwiftShader = swiftShaderSkip();

/** A Linux machine with a hardware Vulkan driver and a GPU node: auto would try webgpu first. */
const gpuMachine: Environment = {
  platform: 'linux',
  arch: 'x64',
  backends: new Map([['cpu', true], ['webgpu', true]]),
  cudaLibrary: false,
  vulkanLoader: '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  vulkanDrivers: [{ manifest: 'radeon_icd.x86_64.json', library: 'libvulkan_radeon.so', software: false }],
  gpuNodes: ['/dev/dri/renderD128'],
};

const prompt = { kind: 'tokens' as const, tokenIds: [3, 5, 7, 9, 11] };

test('auto: a device that fails to start is passed over with its reason, and the CPU runs', async () => {
  const tried: string[] = [];
  const r = await openOnDevice('auto', async (d) => {
    tried.push(d);
    if (d !== 'cpu') throw new Error('device lost while creating the session');
    return d;
  }, gpuMachine);
  assert.deepEqual(tried, ['webgpu', 'cpu']);
  assert.equal(r.value, 'cpu');
  assert.deepEqual(r.report.skipped.filter((x) => x.device === 'webgpu'), [{ device: 'webgpu', reason: 'did not start: device lost while creating the session' }]);
});

test('a named device that fails at session creation is an error from the CLI, not a CPU run', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'refusal-lens.js'), 'model', '--device', 'webgpu'], {
    encoding: 'utf8',
    env: { ...process.env, [FAULT]: 'create:webgpu' },
    timeout: 60_000,
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /device webgpu could not start: .*injected create fault on webgpu/);
  assert.match(r.stderr, /Vulkan/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

describe('a run that fails on the device', { skip: noSwiftShader }, () => {
  test('fails with a message naming the device; auto passes that device over afterwards', async () => {
    const model = await loadModel(FIXTURE_MODEL, { device: 'webgpu', dtype: 'fp32' });
    try {
      assert.equal(model.summary.device?.device, 'webgpu');
      process.env[FAULT] = 'run:webgpu';
      await assert.rejects(
        model.trace({ prompt, axes: [], interventions: [], decoding: { maxNewTokens: 2 } }),
        /ONNX Runtime failed on webgpu: injected run fault on webgpu.*out of memory or lost.*--device cpu/,
      );
    } finally {
      delete process.env[FAULT];
      await model.dispose();
    }
    assert.match(failedDevices().get('webgpu') ?? '', /injected run fault/);
    const plan = planDevices('auto', gpuMachine);
    assert.deepEqual(plan.order, ['cpu']);
    assert.match(plan.skipped.find((s) => s.device === 'webgpu')?.reason ?? '', /a run on it failed in this process/);
  });

  test('the worker survives, reopens the model, and the next run goes to the CPU', async () => {
    process.env[FAULT] = 'run:webgpu';
    const t = await startClient();
    try {
      const s = await t.client.request(LoadModel, { folder: FIXTURE_MODEL, device: 'webgpu', dtype: 'fp32' });
      assert.equal(s.device?.device, 'webgpu');
      const pid = t.client.pid;
      const params = { runId: 'r1', prompt, interventions: [], decoding: { maxNewTokens: 2, stopAtEos: false } };
      await assert.rejects(t.client.request(Trace, params), /failed on webgpu: injected run fault/);
      assert.equal((await t.client.request(Hello, undefined)).pid, pid, 'same worker');
      assert.ok(t.logs.some((l) => /warn: .*the webgpu device failed .*reopening the model/.test(l)), t.logs.join('\n'));
      const cpu = await t.client.request(LoadModel, { folder: FIXTURE_MODEL, device: 'cpu', dtype: 'fp32' });
      assert.equal(cpu.device?.device, 'cpu');
      const ok = await t.client.request(Trace, { ...params, runId: 'r2' });
      assert.equal(ok.tokens.filter((x) => x.generated).length, 2);
      assert.equal(t.deaths.length, 0);
    } finally {
      delete process.env[FAULT];
      await t.client.stop();
    }
  });
});
