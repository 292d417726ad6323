// Shared by the webgpu tests: SwiftShader, the Vulkan driver inside Debian's chromium, makes the
// webgpu device run on any Linux x64 machine. test/device-setup.sh installs it (and the Vulkan
// loader) when missing; the tests skip, saying why, only when that cannot be done.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const ROOT = join(__dirname, '..', '..');

const hasLoader = () => ['/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib'].some((d) => existsSync(join(d, 'libvulkan.so.1')));

let reason: string | false | undefined;

/**
 * false when the webgpu tests can run (after installing what is missing), else why not. Points
 * this process's Vulkan loader at SwiftShader, whatever GPU the machine has: the tolerances in
 * the tests were measured on it.
 */
export function swiftShaderSkip(): string | false {
  if (reason === undefined) {
    if (`${process.platform}-${process.arch}` !== 'linux-x64') {
      reason = `SwiftShader setup is for linux-x64 (this is ${process.platform}-${process.arch})`;
    } else if (hasLoader() && existsSync(SWIFTSHADER_ICD)) {
      reason = false;
    } else {
      const r = spawnSync('bash', [join(ROOT, 'test', 'device-setup.sh')], { encoding: 'utf8', timeout: 10 * 60_000 });
      reason = hasLoader() && existsSync(SWIFTSHADER_ICD)
        ? false
        : `no Vulkan loader (libvulkan.so.1) or no SwiftShader driver (${SWIFTSHADER_ICD}): ${(r.stderr || r.stdout || String(r.error ?? '')).trim().split('\n').pop()}`;
    }
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    process.env.VK_DRIVER_FILES = SWIFTSHADER_ICD;
  }
  return reason;
}
