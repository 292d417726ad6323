// rl.* feed construction from interventions: sums of steers, source layers, orthonormal
// project-out bases, phases, readout axes, and the validation messages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Intervention } from '../../src/protocol/types';
import {
  gramSchmidt, interventionFeeds, readoutFeeds, validateInterventions, ZeroFeeds, type AxisVectors,
} from '../../src/engine/generate/feeds';
import { mulberry32 } from '../../src/engine/generate/sampling';

const L = 3;
const D = 8;
function axis(name: string, seed: number): AxisVectors {
  const r = mulberry32(seed);
  return { name, nLayers: L, dModel: D, vectors: Float32Array.from({ length: L * D }, () => r() * 2 - 1) };
}
const a = axis('a', 1);
const b = axis('b', 2);
const v = (ax: AxisVectors, l: number) => Array.from(ax.vectors.subarray(l * D, (l + 1) * D));
const data = (f: Record<string, { data: unknown; dims: readonly number[] }>, k: string) => Array.from(f[k]!.data as Float32Array);

describe('interventionFeeds', () => {
  const zeros = new ZeroFeeds(D, L);

  it('adds Σ c·v at the listed layers, from the source layer when given, zeros elsewhere', () => {
    const ivs: Intervention[] = [
      { kind: 'steer', axis: 'a', coefficient: 2, layers: [0, 2] },
      { kind: 'steer', axis: 'b', coefficient: -0.5, layers: [2], sourceLayer: 0 },
    ];
    const f = interventionFeeds(ivs, [a, b], L, 'prompt', zeros);
    data(f, 'rl.add.0').forEach((x, d) => assert.ok(Math.abs(x - 2 * v(a, 0)[d]!) < 1e-6));
    assert.equal(f['rl.add.1'], zeros.add[1]);
    data(f, 'rl.add.2').forEach((x, d) => assert.ok(Math.abs(x - (2 * v(a, 2)[d]! - 0.5 * v(b, 0)[d]!)) < 1e-6));
    assert.deepEqual(f['rl.proj.0']!.dims, [1, D]);
    assert.ok(data(f, 'rl.proj.0').every((x) => x === 0));
  });

  it('projects out an orthonormal basis of the unit axes: Q Qᵀ v = v for each axis, Q Qᵀ orthonormal', () => {
    const f = interventionFeeds([{ kind: 'project_out', axes: ['a', 'b'], layers: [1] }], [a, b], L, 'generated', zeros);
    const q = data(f, 'rl.proj.1');
    const qT = data(f, 'rl.projT.1');
    assert.deepEqual(f['rl.proj.1']!.dims, [2, D]);
    assert.deepEqual(f['rl.projT.1']!.dims, [D, 2]);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[i * D + d]! * q[j * D + d]!;
        assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-6, `row ${i}·row ${j} = ${dot}`);
        for (let d = 0; d < D; d++) assert.equal(qT[d * 2 + i], q[i * D + d]);
      }
    }
    for (const ax of [a, b]) {
      const x = v(ax, 1);
      const c = [0, 1].map((i) => x.reduce((s, xd, d) => s + xd * q[i * D + d]!, 0));
      const resid = x.map((xd, d) => xd - c[0]! * q[d]! - c[1]! * q[D + d]!);
      assert.ok(Math.hypot(...resid) < 1e-5, `${ax.name} keeps ${Math.hypot(...resid)}`);
    }
  });

  it('honours positions: prompt-only and generated-only interventions feed only their phase', () => {
    const ivs: Intervention[] = [
      { kind: 'steer', axis: 'a', coefficient: 1, layers: [0], positions: 'prompt' },
      { kind: 'steer', axis: 'b', coefficient: 1, layers: [1], positions: 'generated' },
    ];
    const p = interventionFeeds(ivs, [a, b], L, 'prompt', zeros);
    const g = interventionFeeds(ivs, [a, b], L, 'generated', zeros);
    assert.notEqual(p['rl.add.0'], zeros.add[0]);
    assert.equal(p['rl.add.1'], zeros.add[1]);
    assert.equal(g['rl.add.0'], zeros.add[0]);
    assert.notEqual(g['rl.add.1'], zeros.add[1]);
  });
});

describe('readoutFeeds', () => {
  it('holds unit axes as columns, a zero column with no axes', () => {
    const zeros = new ZeroFeeds(D, L);
    const f = readoutFeeds([a, b], L, zeros);
    const t = data(f, 'rl.axesT.2');
    assert.deepEqual(f['rl.axesT.2']!.dims, [D, 2]);
    const na = Math.hypot(...v(a, 2));
    for (let d = 0; d < D; d++) assert.ok(Math.abs(t[d * 2]! - v(a, 2)[d]! / na) < 1e-6);
    assert.equal(readoutFeeds([], L, zeros)['rl.axesT.0'], zeros.axesT[0]);
  });
});

describe('gramSchmidt', () => {
  it('drops a vector already in the span and a zero vector', () => {
    const x = Float32Array.from([1, 0, 0]);
    const y = Float32Array.from([2, 0, 0]);
    const z = new Float32Array(3);
    assert.equal(gramSchmidt([x, y, z], 3).length, 1);
  });
});

describe('validateInterventions', () => {
  const ok = (ivs: Intervention[]) => validateInterventions(ivs, [a, b], L, D);
  it('names an unknown axis and lists the loaded ones', () => {
    assert.throws(() => ok([{ kind: 'steer', axis: 'persona', coefficient: 1, layers: [0] }]), /interventions\[0\]: unknown axis "persona" \(loaded: a, b\)/);
  });
  it('names a layer out of range with the valid range', () => {
    assert.throws(() => ok([{ kind: 'project_out', axes: ['a'], layers: [0, 3] }]), /interventions\[0\]: layers: layer 3 is out of range \(the model has layers 0\.\.2\)/);
    assert.throws(() => ok([{ kind: 'steer', axis: 'a', coefficient: 1, layers: [0], sourceLayer: -1 }]), /sourceLayer: layer -1 is out of range/);
  });
  it('rejects a NaN coefficient, a bad positions value, an axis of the wrong shape', () => {
    assert.throws(() => ok([{ kind: 'steer', axis: 'a', coefficient: NaN, layers: [0] }]), /coefficient must be a finite number/);
    assert.throws(() => ok([{ kind: 'steer', axis: 'a', coefficient: 1, layers: [0], positions: 'some' as never }]), /positions must be all, prompt or generated/);
    assert.throws(() => validateInterventions([], [a], L, D + 1), /axes\[0\] "a": shape \[3, 8\] does not fit the model \[3, 9\]/);
  });
});

describe('cap feeds', () => {
  const zeros = new ZeroFeeds(D, L);
  it('one column per active cap: unit v̂ in capU and its transpose, open sides ±inf; inactive layers and phases get the zero inputs', () => {
    const ivs: Intervention[] = [
      { kind: 'cap', axis: 'a', hi: 0, layers: [1] },
      { kind: 'cap', axis: 'b', lo: -2, hi: 3, layers: [1], sourceLayer: 0 },
      { kind: 'cap', axis: 'a', lo: 1, layers: [2], positions: 'generated' },
    ];
    const f = interventionFeeds(ivs, [a, b], L, 'prompt', zeros);
    assert.deepEqual(f['rl.capU.1']!.dims, [D, 2]);
    assert.deepEqual(f['rl.capUT.1']!.dims, [2, D]);
    assert.deepEqual(data(f, 'rl.capLo.1'), [-Infinity, -2]);
    assert.deepEqual(data(f, 'rl.capHi.1'), [0, 3]);
    const u = data(f, 'rl.capU.1');
    const uT = data(f, 'rl.capUT.1');
    const na = Math.hypot(...v(a, 1));
    const nb = Math.hypot(...v(b, 0));
    for (let d = 0; d < D; d++) {
      assert.ok(Math.abs(u[d * 2]! - v(a, 1)[d]! / na) < 1e-6);
      assert.ok(Math.abs(u[d * 2 + 1]! - v(b, 0)[d]! / nb) < 1e-6, 'b from its source layer 0');
      assert.equal(uT[D + d], u[d * 2 + 1]);
    }
    for (const k of ['capU', 'capUT', 'capLo', 'capHi'] as const) {
      assert.equal(f[`rl.${k}.0`], zeros[k][0], `layer 0 ${k}`);
      assert.equal(f[`rl.${k}.2`], zeros[k][2], `layer 2 ${k}: the cap there is for generated positions`);
    }
    assert.deepEqual(data(interventionFeeds(ivs, [a, b], L, 'generated', zeros), 'rl.capLo.2'), [1]);
    assert.deepEqual([...zeros.capLo[0]!.data as Float32Array, ...zeros.capHi[0]!.data as Float32Array], [-Infinity, Infinity]);
    assert.ok(data({ u: zeros.capU[0]! }, 'u').every((x) => x === 0));
  });

  it('validation: bounds, axis and layers', () => {
    const bad = (iv: object) => () => validateInterventions([iv as Intervention], [a, b], L, D);
    assert.throws(bad({ kind: 'cap', axis: 'a', layers: [0] }), /interventions\[0\]: a cap intervention needs "lo", "hi" or both/);
    assert.throws(bad({ kind: 'cap', axis: 'a', lo: 1, hi: 0, layers: [0] }), /cap bounds: lo 1 is above hi 0/);
    assert.throws(bad({ kind: 'cap', axis: 'a', lo: 'p25', layers: [0] }), /interventions\[0\]: lo must be a finite number, got "p25"/);
    assert.throws(bad({ kind: 'cap', axis: 'c', hi: 0, layers: [0] }), /unknown axis "c"/);
    assert.throws(bad({ kind: 'cap', axis: 'a', hi: 0, layers: [3] }), /layer 3 is out of range/);
    assert.throws(bad({ kind: 'clamp', axis: 'a', layers: [0] }), /kind must be "steer", "project_out" or "cap", got "clamp"/);
    validateInterventions([{ kind: 'cap', axis: 'a', lo: 0, hi: 0, layers: [0, 1, 2] }], [a, b], L, D);
  });
});
