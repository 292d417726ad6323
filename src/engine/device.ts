// Which execution provider the engine's sessions run on. `auto` walks a per-platform order
// (AUTO_ORDER), passing over what this package or machine cannot have (with the reason) and
// trying the rest by opening the session; the CPU is the last resort. A device asked for by name
// that cannot start is an error saying what to install, never a silent CPU run.
// Only this file and runtime.ts know about providers; the rest of the engine sees a Device.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEVICES, type Device, type DeviceReport, type DeviceSetting } from '../protocol/device.js';
import { bindingDir, failedDevices, supportedBackends } from './runtime.js';

/**
 * Tried in this order by `auto`. CUDA first where its binaries were installed (it is the
 * provider ONNX Runtime's LLM kernels are most complete for), then the platform's native GPU
 * path; WebGPU before CoreML on macOS (CoreML partitions dynamic-shape decoders into many
 * small pieces). Not measured on a GPU here: no GPU machine was available (BENCHMARKS.md).
 */
export const AUTO_ORDER: Record<string, readonly Device[]> = {
  linux: ['cuda', 'webgpu', 'cpu'],
  win32: ['cuda', 'dml', 'webgpu', 'cpu'],
  darwin: ['webgpu', 'coreml', 'cpu'],
};

/** Software Vulkan drivers: they run on the CPU, far slower than the CPU provider (README "Devices"). */
const SOFTWARE_VULKAN = [/swiftshader/i, /libvulkan_lvp/i, /lavapipe/i, /llvmpipe/i];

export interface VulkanDriver {
  manifest: string;
  library: string;
  software: boolean;
}

export interface Environment {
  platform: string;
  arch: string;
  /** providers in this onnxruntime-node build → whether their binaries ship in the package */
  backends: Map<string, boolean>;
  /** the CUDA provider library next to the binding (installed with --onnxruntime-node-install=cuda12) */
  cudaLibrary: boolean;
  /** Linux only: the Vulkan loader's path, the driver manifests it would read, GPU device nodes */
  vulkanLoader?: string;
  vulkanDrivers: VulkanDriver[];
  gpuNodes: string[];
}

const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64', '/lib', '/usr/local/lib'];
const ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d'];

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The Vulkan driver manifests the loader would read (VK_DRIVER_FILES / VK_ICD_FILENAMES override the folders). */
function vulkanDrivers(env: NodeJS.ProcessEnv): VulkanDriver[] {
  const forced = env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES;
  const files = forced
    ? forced.split(':').filter(Boolean)
    : ICD_DIRS.flatMap((d) => list(d).filter((f) => f.endsWith('.json')).map((f) => join(d, f)));
  return files.map((manifest) => {
    let library = '';
    try {
      library = String((JSON.parse(readFileSync(manifest, 'utf8')) as { ICD?: { library_path?: unknown } }).ICD?.library_path ?? '');
    } catch {
      // unreadable manifest: judged by its name
    }
    const both = `${manifest} ${library}`;
    return { manifest, library, software: SOFTWARE_VULKAN.some((r) => r.test(both)) };
  });
}

export function probeEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const backends = new Map(supportedBackends().map((b) => [b.name, b.bundled]));
  const bin = bindingDir();
  const cudaLibrary = list(bin).some((f) => /onnxruntime_providers_cuda\.(so|dll)/.test(f));
  const out: Environment = { platform: process.platform, arch: process.arch, backends, cudaLibrary, vulkanDrivers: [], gpuNodes: [] };
  if (process.platform === 'linux') {
    const ldPath = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
    out.vulkanLoader = [...ldPath, ...LIB_DIRS].map((d) => join(d, 'libvulkan.so.1')).find((p) => existsSync(p));
    out.vulkanDrivers = vulkanDrivers(env);
    out.gpuNodes = [
      ...list('/dev/dri').filter((f) => f.startsWith('renderD')).map((f) => `/dev/dri/${f}`),
      ...list('/dev').filter((f) => /^nvidia\d+$/.test(f)).map((f) => `/dev/${f}`),
    ];
  }
  return out;
}

/** Why `auto` should not try `device` here, or undefined to try it. */
function autoSkipReason(device: Device, e: Environment): string | undefined {
  const lost = failedDevices().get(device);
  if (lost) return `a run on it failed in this process (${firstLine(lost)})`;
  if (device === 'cpu') return undefined;
  if (!e.backends.has(device)) return `not in onnxruntime-node's ${e.platform}-${e.arch} build`;
  if (device === 'cuda') {
    return e.cudaLibrary ? undefined : `its binaries are not installed (npm install --onnxruntime-node-install=cuda12)`;
  }
  if (device === 'webgpu' && e.platform === 'linux') {
    if (!e.vulkanLoader) return 'no Vulkan loader (libvulkan.so.1; Debian/Ubuntu: apt-get install libvulkan1)';
    const hw = e.vulkanDrivers.filter((d) => !d.software);
    if (!hw.length) {
      return e.vulkanDrivers.length
        ? `only a software Vulkan driver (${e.vulkanDrivers.map(driverName).join(', ')}), which is slower than the CPU`
        : 'no Vulkan driver installed';
    }
    if (!e.gpuNodes.length) return 'no GPU device node (/dev/dri/renderD*, /dev/nvidia*)';
  }
  return undefined;
}

export interface DevicePlan {
  requested: DeviceSetting;
  order: Device[];
  skipped: { device: Device; reason: string }[];
}

export function checkDevice(x: unknown): DeviceSetting {
  if (typeof x === 'string' && (DEVICES as readonly string[]).includes(x)) return x as DeviceSetting;
  throw new Error(`unknown device ${JSON.stringify(x)}: use one of ${DEVICES.join(', ')}`);
}

export function planDevices(requested: DeviceSetting, e: Environment = probeEnvironment()): DevicePlan {
  if (requested !== 'auto') return { requested, order: [requested], skipped: [] };
  const order: Device[] = [];
  const skipped: DevicePlan['skipped'] = [];
  for (const d of AUTO_ORDER[e.platform] ?? ['cpu']) {
    const why = autoSkipReason(d, e);
    if (why) skipped.push({ device: d, reason: why });
    else order.push(d);
  }
  if (!order.includes('cpu')) order.push('cpu');
  return { requested, order, skipped };
}

/** What the adapter is, as far as the machine tells without opening it. */
export function adapterOf(device: Device, e: Environment): string | undefined {
  if (device !== 'webgpu' || e.platform !== 'linux') return undefined;
  const drivers = e.vulkanDrivers;
  if (drivers.length && drivers.every((d) => d.software)) {
    return `Vulkan, software: ${drivers.map(driverName).join(', ')} (runs on the CPU)`;
  }
  return undefined;
}

/** The message for a device asked for by name that could not start: why, and what to install. */
export function installHint(device: Device, e: Environment): string {
  switch (device) {
    case 'cuda':
      return e.cudaLibrary
        ? 'the CUDA provider is installed but did not start: it needs an NVIDIA driver, CUDA 12 and cuDNN 9 libraries on the library path'
        : 'install onnxruntime-node with its CUDA binaries: npm install onnxruntime-node --onnxruntime-node-install=cuda12 (needs an NVIDIA driver, CUDA 12, cuDNN 9)';
    case 'dml':
      return e.platform === 'win32' ? 'DirectML needs Windows 10 1903+ and a DirectX 12 GPU driver' : 'DirectML exists only in the Windows builds of onnxruntime-node';
    case 'coreml':
      return e.platform === 'darwin' ? 'CoreML needs macOS 10.15+' : 'CoreML exists only in the macOS builds of onnxruntime-node';
    case 'webgpu':
      if (e.platform === 'linux') {
        if (!e.vulkanLoader) return 'WebGPU on Linux runs on Vulkan: install the Vulkan loader (Debian/Ubuntu: apt-get install libvulkan1) and your GPU\'s Vulkan driver (mesa-vulkan-drivers, or NVIDIA\'s driver)';
        return 'WebGPU on Linux runs on Vulkan: install your GPU\'s Vulkan driver (mesa-vulkan-drivers for AMD/Intel, NVIDIA\'s driver with its Vulkan ICD); Dawn refuses Mesa\'s lavapipe. For tests without a GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (Debian\'s chromium)';
      }
      return e.platform === 'darwin' ? 'WebGPU on macOS needs Metal (macOS 13+ on Apple silicon)' : 'WebGPU on Windows needs a Direct3D 12 GPU driver';
    default:
      return '';
  }
}

function driverName(d: VulkanDriver): string {
  const both = d.library + d.manifest;
  if (/swiftshader/i.test(both)) return 'SwiftShader';
  if (/lvp|lavapipe|llvmpipe/i.test(both)) return 'lavapipe';
  return d.library || d.manifest;
}

/** ONNX Runtime's message without its source location and failed assertion ("… was false. "). */
function tidy(msg: string): string {
  return msg.replace(/\/onnxruntime_src\/\S+ .*? was false\. /, '');
}

function firstLine(s: string): string {
  const l = tidy(s).split('\n')[0]!;
  return l.length > 200 ? `${l.slice(0, 200)}…` : l;
}

/**
 * Opens something (a model's sessions) on the first device of the plan that starts. `open`
 * gets each device in turn and should release whatever it opened before throwing.
 */
export async function openOnDevice<T>(
  requested: DeviceSetting,
  open: (device: Device) => Promise<T>,
  e: Environment = probeEnvironment(),
): Promise<{ value: T; report: DeviceReport }> {
  const plan = planDevices(requested, e);
  const skipped = [...plan.skipped];
  for (const device of plan.order) {
    try {
      const value = await open(device);
      const adapter = adapterOf(device, e);
      return { value, report: { requested, device, ...(adapter ? { adapter } : {}), skipped } };
    } catch (err) {
      const msg = tidy((err as Error).message);
      if (device === 'cpu') throw err;
      if (requested !== 'auto') {
        const hint = installHint(device, e);
        throw new Error(`device ${device} could not start: ${msg}${hint ? `\n  ${hint}` : ''}`);
      }
      skipped.push({ device, reason: `did not start: ${firstLine(msg)}` });
    }
  }
  throw new Error('no device to run on'); // unreachable: cpu is always in an auto plan
}
