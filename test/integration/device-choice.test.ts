// Choosing the device: `auto`'s order per platform and its reasons for passing a provider over
// (on described machines), the real CLI reporting the choice, and a device named explicitly that
// cannot start failing with what to install instead of running on the CPU.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { AUTO_ORDER, planDevices, type Environment } from '../../src/engine/device';
import { DEVICES, describeDevice } from '../../src/protocol/device';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'refusal-lens.js');

function machine(over: Partial<Environment>): Environment {
  return {
    platform: 'linux',
    arch: 'x64',
    backends: new Map([['cpu', true], ['webgpu', true], ['cuda', false], ['tensorrt', false]]),
    cudaLibrary: false,
    vulkanLoader: '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
    vulkanDrivers: [{ manifest: '/usr/share/vulkan/icd.d/radeon_icd.x86_64.json', library: 'libvulkan_radeon.so', software: false }],
    gpuNodes: ['/dev/dri/renderD128'],
    ...over,
  };
}

const reasonFor = (p: ReturnType<typeof planDevices>, d: string) => p.skipped.find((s) => s.device === d)?.reason ?? '';

test('auto on Linux: webgpu on a hardware Vulkan driver with a GPU node, CUDA first only when its binaries are installed', () => {
  const p = planDevices('auto', machine({}));
  assert.deepEqual(p.order, ['webgpu', 'cpu']);
  assert.match(reasonFor(p, 'cuda'), /--onnxruntime-node-install=cuda12/);
  assert.deepEqual(planDevices('auto', machine({ cudaLibrary: true, backends: new Map([['cpu', true], ['webgpu', true], ['cuda', true]]) })).order, ['cuda', 'webgpu', 'cpu']);
});

test('auto on Linux passes webgpu over without a loader, with only software drivers, or without a GPU node, and says why', () => {
  const noLoader = planDevices('auto', machine({ vulkanLoader: undefined }));
  assert.deepEqual(noLoader.order, ['cpu']);
  assert.match(reasonFor(noLoader, 'webgpu'), /libvulkan\.so\.1.*apt-get install libvulkan1/);
  const swiftshader = planDevices('auto', machine({ vulkanDrivers: [{ manifest: '/usr/lib/chromium/vk_swiftshader_icd.json', library: './libvk_swiftshader.so', software: true }] }));
  assert.deepEqual(swiftshader.order, ['cpu']);
  assert.match(reasonFor(swiftshader, 'webgpu'), /software Vulkan driver \(SwiftShader\).*slower than the CPU/);
  const noNode = planDevices('auto', machine({ gpuNodes: [] }));
  assert.deepEqual(noNode.order, ['cpu']);
  assert.match(reasonFor(noNode, 'webgpu'), /no GPU device node/);
});

test('auto on Windows and macOS follows their documented order; providers not in the build are passed over', () => {
  const win = planDevices('auto', machine({ platform: 'win32', backends: new Map([['cpu', true], ['dml', true], ['webgpu', true], ['cuda', false]]) }));
  assert.deepEqual(win.order, ['dml', 'webgpu', 'cpu']);
  assert.deepEqual(AUTO_ORDER.win32, ['cuda', 'dml', 'webgpu', 'cpu']);
  const mac = planDevices('auto', machine({ platform: 'darwin', arch: 'x64', backends: new Map([['cpu', true], ['coreml', true]]) }));
  assert.deepEqual(mac.order, ['coreml', 'cpu']);
  assert.match(reasonFor(mac, 'webgpu'), /not in onnxruntime-node's darwin-x64 build/);
  // a named device is tried as it is, with nothing passed over
  assert.deepEqual(planDevices('webgpu', machine({ vulkanLoader: undefined })), { requested: 'webgpu', order: ['webgpu'], skipped: [] });
});

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
}

test('refusal-lens model reports the device and why the others were not used', () => {
  const r = cli(['model', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as { device: { requested: string; device: string; skipped: { device: string; reason: string }[] } };
  assert.equal(rep.device.requested, 'auto');
  // every device auto orders before the chosen one is accounted for, each with a reason
  const order = AUTO_ORDER[process.platform]!;
  const before = order.slice(0, order.indexOf(rep.device.device as never));
  assert.deepEqual(rep.device.skipped.map((s) => s.device), before);
  for (const s of rep.device.skipped) assert.ok(s.reason.length > 10, JSON.stringify(s));
  const text = cli(['model', '--device', 'cpu']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^device {4}cpu$/m);
  assert.equal(describeDevice({ requested: 'cpu', device: 'cpu', skipped: [] }), 'cpu');
});

test('a device named explicitly that cannot start is an error saying what to install, never a CPU run', () => {
  const other = process.platform === 'win32' ? 'coreml' : 'dml';
  const r = cli(['model', '--device', other]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, new RegExp(`device ${other} could not start`));
  assert.match(r.stderr, other === 'dml' ? /DirectML exists only in the Windows builds/ : /CoreML exists only in the macOS builds/);
  assert.doesNotMatch(r.stdout, /^device/m);
  if (process.platform === 'linux') {
    // No Vulkan driver at all (an empty driver list): Dawn finds no adapter.
    const w = cli(['model', '--device', 'webgpu'], { VK_ICD_FILENAMES: join(ROOT, 'no-such-driver.json'), VK_DRIVER_FILES: '' });
    assert.notEqual(w.status, 0);
    assert.match(w.stderr, /device webgpu could not start: .*adapter/);
    assert.match(w.stderr, /Vulkan driver/);
  }
  const bad = cli(['model', '--device', 'gpu']);
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, new RegExp(`--device must be one of ${DEVICES.join(', ')}, got 'gpu'`));
});
