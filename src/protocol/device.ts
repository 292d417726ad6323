// Where the engine runs its graphs: the values of `--device` and `refusalLens.engine.device`,
// and what a loaded model reports about the choice. One list, imported by the CLI, the
// extension's settings check, the worker and the engine (src/engine/device.ts picks one).

/** `auto` picks per platform (README "Devices"); the others are ONNX Runtime execution providers. */
export const DEVICES = ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'] as const;
export type DeviceSetting = (typeof DEVICES)[number];
/** A device a session actually runs on. */
export type Device = Exclude<DeviceSetting, 'auto'>;

export function isDeviceSetting(x: unknown): x is DeviceSetting {
  return typeof x === 'string' && (DEVICES as readonly string[]).includes(x);
}

/** What the engine chose and why: shown by `refusal-lens model`, the log and the status bar. */
export interface DeviceReport {
  /** what was asked for */
  requested: DeviceSetting;
  /** what the graphs run on */
  device: Device;
  /** e.g. "Vulkan: SwiftShader (software, CPU)"; absent when nothing is known beyond the device */
  adapter?: string;
  /** the devices tried or passed over before `device`, each with the reason */
  skipped: { device: Device; reason: string }[];
}

/** "webgpu" / "cpu (auto: webgpu: no GPU found; cuda: …)" */
export function describeDevice(r: DeviceReport): string {
  const head = `${r.device}${r.adapter ? ` [${r.adapter}]` : ''}`;
  if (!r.skipped.length) return r.requested === 'auto' ? `${head} (auto)` : head;
  return `${head} (${r.requested}; not used: ${r.skipped.map((s) => `${s.device}: ${s.reason}`).join('; ')})`;
}
