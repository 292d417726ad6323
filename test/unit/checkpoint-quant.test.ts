// The block quantiser of checkpoint builds (src/engine/checkpoint/quantize.ts) against its
// reference dequantisation: the MatMulNBits layout (packed nibbles, scales, packed zero points),
// the per-block error bound, padding past K, constant blocks, and float32 → float16 rounding.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  blobSize, checkLayout, dequantizeRows, halfTable, kBlocks, quantBytes, quantizeRows, toHalf, zpStride, type QuantLayout,
} from '../../src/engine/checkpoint/quantize';
import { mulberry32 } from '../../src/engine/directions/math';

function randomRows(n: number, k: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  // rows of different scales, some leaning to one side, so blocks differ in range and zero point
  return Float32Array.from({ length: n * k }, (_, i) => {
    const r = Math.floor(i / k);
    return (rnd() - (r % 3 === 0 ? 0.2 : 0.5)) * 2 ** ((r % 7) - 3);
  });
}

for (const bits of [4, 8] as const) {
  describe(`${bits}-bit blocks`, () => {
    for (const [n, k, blockSize] of [[5, 64, 32], [3, 100, 32], [4, 96, 16], [2, 256, 128]] as const) {
      it(`[${n} × ${k}], block ${blockSize}: every weight within scale/2 of its dequantised value`, () => {
        const l: QuantLayout = { bits, blockSize, n, k };
        checkLayout(l);
        const w = randomRows(n, k, 11 * k + bits);
        const q = quantizeRows(w, n, l);
        const sizes = quantBytes(l);
        assert.equal(q.packed.length, sizes.packed);
        assert.equal(q.packed.length, n * kBlocks(l) * blobSize(l));
        assert.equal(q.scales.length, n * kBlocks(l));
        assert.equal(q.zeroPoints.length, n * zpStride(l));
        const d = dequantizeRows(q, n, l);
        let worst = 0;
        for (let r = 0; r < n; r++) {
          for (let i = 0; i < k; i++) {
            const scale = q.scales[r * kBlocks(l) + Math.floor(i / blockSize)]!;
            const err = Math.abs(w[r * k + i]! - d[r * k + i]!);
            assert.ok(err <= scale / 2 + 1e-7 * Math.abs(w[r * k + i]!), `row ${r} col ${i}: |${w[r * k + i]} − ${d[r * k + i]}| > ${scale}/2`);
            worst = Math.max(worst, err / scale);
          }
        }
        assert.ok(worst > 0.3, `the bound is tight, not vacuous (worst ${worst} of a step)`);
        // the block's range is covered: its extremes come back within half a step
        for (let r = 0; r < n; r++) {
          const row = Array.from(w.subarray(r * k, (r + 1) * k));
          const lo = Math.min(0, ...row.slice(0, blockSize));
          const hi = Math.max(0, ...row.slice(0, blockSize));
          assert.ok(Math.abs(q.scales[r * kBlocks(l)]! - Math.fround((hi - lo) / (2 ** bits - 1))) <= 1e-12);
        }
      });
    }

    it('packs as MatMulNBits reads it: low nibble first, zero points two blocks a byte (4-bit), padding quantised as 0', () => {
      // one row, K = 40 with blocks of 16: blocks [0..15], [16..31], [32..39 + 8 padding]
      const l: QuantLayout = { bits, blockSize: 16, n: 1, k: 40 };
      const levels = 2 ** bits - 1;
      const w = new Float32Array(40);
      for (let i = 0; i < 16; i++) w[i] = i * (bits === 4 ? 1 : 17); // 0…levels exactly: scale 1 (or 17), zero point 0
      for (let i = 16; i < 32; i++) w[i] = (16 - i) * 2; // all ≤ 0: zero point = levels
      for (let i = 32; i < 40; i++) w[i] = 0; // all zero: scale 0, zero point 2^(bits−1)
      const q = quantizeRows(w, 1, l);
      assert.deepEqual(Array.from(q.scales), [1, Math.fround(30 / levels), 0]);
      const zps = bits === 4 ? [q.zeroPoints[0]! & 15, q.zeroPoints[0]! >> 4, q.zeroPoints[1]! & 15] : Array.from(q.zeroPoints);
      assert.deepEqual(zps, [0, levels, 2 ** (bits - 1)]);
      assert.equal(q.zeroPoints.length, bits === 4 ? 2 : 3);
      const values = (b: number) => {
        const blob = blobSize(l);
        const bytes = q.packed.subarray(b * blob, (b + 1) * blob);
        return bits === 8 ? Array.from(bytes) : Array.from(bytes).flatMap((x) => [x & 15, x >> 4]);
      };
      assert.deepEqual(values(0), Array.from({ length: 16 }, (_, i) => i * (bits === 4 ? 1 : 17)));
      assert.deepEqual(values(2), Array(16).fill(2 ** (bits - 1)), 'the padded tail of a constant block is its zero point');
      assert.deepEqual(Array.from(dequantizeRows(q, 1, l)), Array.from(w));
    });
  });
}

it('the layout checks refuse block sizes MatMulNBits does not take', () => {
  assert.throws(() => checkLayout({ bits: 4, blockSize: 24, n: 1, k: 48 }), /power of two ≥ 16/);
  assert.throws(() => checkLayout({ bits: 4, blockSize: 8, n: 1, k: 48 }), /power of two ≥ 16/);
  assert.throws(() => checkLayout({ bits: 3 as 4, blockSize: 32, n: 1, k: 48 }), /4 or 8/);
});

it('float32 → float16 rounds to nearest even and round-trips every float16 value', () => {
  const tab = halfTable();
  for (let h = 0; h < 65536; h++) {
    if (Number.isNaN(tab[h])) assert.ok(Number.isNaN(halfTable()[toHalf(tab[h]!)]!));
    else assert.equal(toHalf(tab[h]!), h, `0x${h.toString(16)}`);
  }
  assert.equal(toHalf(1 + 2 ** -11), 0x3c00, 'a tie rounds to even (down)');
  assert.equal(toHalf(1 + 3 * 2 ** -11), 0x3c02, 'a tie rounds to even (up)');
  assert.equal(toHalf(65520), 0x7c00, 'past the largest half: Inf');
  assert.equal(toHalf(65519), 0x7bff);
  assert.equal(toHalf(2 ** -25), 0, 'half the smallest subnormal ties to 0');
  assert.equal(toHalf(3 * 2 ** -26), 1, 'above half rounds up to the smallest subnormal');
  assert.equal(toHalf(-1e-10), 0x8000);
});
