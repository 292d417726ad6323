// --random-control AXIS[:SEED]: the norm-matched random control of an axis (the same per-layer
// norms, a seeded Gaussian direction), added next to the axes so that a trace or an annotation
// reads it out and --steer / --project-out can name it, as `ablate` and `demo` already do.
import { createHash } from 'node:crypto';
import type { OptionSpec } from './args';
import { UsageError } from './args';
import { randomControl, type Direction } from '../engine/index';
import { randomControlName } from '../protocol/types';

export const RANDOM_CONTROL_OPTION: OptionSpec = {
  name: 'random-control',
  kind: 'list',
  description: "AXIS[:SEED]: add AXIS's norm-matched random control, named AXIS-random (seed 0) or AXIS-random-SEED; read out and usable in --steer/--project-out",
};

/** `axes` plus one control per spec, in order; a clear UsageError for a bad spec or unknown axis. */
export function withRandomControls(axes: Direction[], specs: readonly string[]): Direction[] {
  const out = [...axes];
  for (const spec of specs) {
    const m = /^([^:]+?)(?::(\d+))?$/.exec(spec.trim());
    if (!m) throw new UsageError(`--random-control ${JSON.stringify(spec)}: expected AXIS or AXIS:SEED (a whole number)`);
    const [, axisName, seedText] = m;
    const source = axes.find((a) => a.name === axisName);
    if (!source) throw new UsageError(`--random-control ${spec}: no axis named '${axisName}' among ${axes.map((a) => a.name).join(', ') || 'none'}`);
    const seed = seedText === undefined ? 0 : Number(seedText);
    const name = randomControlName(axisName!, seed);
    if (out.some((a) => a.name === name)) throw new UsageError(`--random-control ${spec}: an axis named '${name}' is already loaded`);
    const control = randomControl(source, seed, name);
    // Identity for resumable results: the control's bytes (fixed by the source axis and the seed).
    control.sha256 = createHash('sha256').update(Buffer.from(control.vectors.buffer, control.vectors.byteOffset, control.vectors.byteLength)).digest('hex');
    out.push(control);
  }
  return out;
}
