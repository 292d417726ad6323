// Seeded random mutations of valid inputs (a direction file, a condition file, a prompt file, a
// model's config.json): truncations, flipped bytes, inserted junk, repeated ranges. A mutation
// may stay valid, so each expects either a zero exit or a clear error naming the file.
import { cpSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FaultCase } from './types';
import { copyModel, ORGANISM, PERSONA_AXIS, REFUSAL_AXIS, rng, VALID_CONDITIONS, VALID_PROMPT, write } from './inputs';

type Mutation = (b: Buffer, r: () => number) => Buffer;
const at = (b: Buffer, r: () => number) => Math.floor(r() * Math.max(1, b.length));
const MUTATIONS: [string, Mutation][] = [
  ['truncate', (b, r) => b.subarray(0, at(b, r))],
  ['flip', (b, r) => {
    const o = Buffer.from(b);
    for (let k = 1 + Math.floor(r() * 8); k > 0; k--) o[at(o, r)] ^= 1 << Math.floor(r() * 8);
    return o;
  }],
  ['insert', (b, r) => {
    const i = at(b, r);
    const junk = ['\u0000', '"', '{', ']', ',', '-1e999', 'NaN', '\\u', '\ud800', ': &a *a', '\n---\n', '9'.repeat(40)][Math.floor(r() * 12)];
    return Buffer.concat([b.subarray(0, i), Buffer.from(junk), b.subarray(i)]);
  }],
  ['delete', (b, r) => {
    const i = at(b, r);
    return Buffer.concat([b.subarray(0, i), b.subarray(i + 1 + Math.floor(r() * 64))]);
  }],
  ['repeat', (b, r) => {
    const i = at(b, r);
    const s = b.subarray(i, i + 1 + Math.floor(r() * 64));
    return Buffer.concat([b.subarray(0, i), s, s, s, b.subarray(i)]);
  }],
];

type Target = 'direction' | 'conditions' | 'prompt' | 'config';
/** Targets that fail or finish before a model loads come first: the in-suite run takes only those. */
export const FAST_TARGETS: Target[] = ['direction', 'conditions'];
export const ALL_TARGETS: Target[] = ['direction', 'conditions', 'prompt', 'config'];

export function fuzzCases(seed: number, n: number, targets: Target[] = ALL_TARGETS): FaultCase[] {
  const r = rng(seed);
  const out: FaultCase[] = [];
  for (let i = 0; i < n; i++) {
    const target = targets[i % targets.length];
    const [mname, mutate] = MUTATIONS[Math.floor(r() * MUTATIONS.length)];
    const tag = `${target}-${seed}-${i}-${mname}`;
    const id = `fuzz/${tag}`;
    // Draw the mutation now, so the case is the same whatever order cases run in.
    const sub = rng(Math.floor(r() * 2 ** 32));
    switch (target) {
      case 'direction': {
        const bytes = mutate(readFileSync(PERSONA_AXIS), sub);
        out.push({ id, category: 'fuzz', expect: 'any', needsModel: false, names: [`f-${tag}.safetensors`],
          args: ['geometry', `f-${tag}.safetensors`, 'ok.safetensors', '--samples', '10'],
          setup: (dir) => (cpSync(REFUSAL_AXIS, path.join(dir, 'ok.safetensors')), write(dir, `f-${tag}.safetensors`, bytes)) });
        break;
      }
      case 'conditions': {
        const bytes = mutate(Buffer.from(VALID_CONDITIONS), sub);
        out.push({ id, category: 'fuzz', expect: 'any', needsModel: false, names: [`f-${tag}.yaml`],
          args: ['ablate', `f-${tag}.yaml`, '--check'],
          setup: (dir) => (cpSync(PERSONA_AXIS, path.join(dir, 'persona.safetensors')), write(dir, `f-${tag}.yaml`, bytes)) });
        break;
      }
      case 'prompt': {
        const bytes = mutate(Buffer.from(VALID_PROMPT), sub);
        out.push({ id, category: 'fuzz', expect: 'any', needsModel: true, names: [`f-${tag}.rlprompt`],
          args: ['trace', '--prompt', `f-${tag}.rlprompt`, '-n', '2'],
          setup: (dir) => write(dir, `f-${tag}.rlprompt`, bytes) });
        break;
      }
      case 'config': {
        const bytes = mutate(readFileSync(path.join(ORGANISM, 'config.json')), sub);
        out.push({ id, category: 'fuzz', expect: 'any', needsModel: true, names: [`m-${tag}`],
          args: ['model', `m-${tag}`],
          setup: (dir) => write(copyModel(path.join(dir, `m-${tag}`)), 'config.json', bytes) });
        break;
      }
    }
  }
  return out;
}
