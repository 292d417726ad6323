// Block-wise weight quantisation in the layout onnxruntime's own quantiser
// (onnxruntime/quantization/matmul_nbits_quantizer.py, QOperator format) writes for
// com.microsoft MatMulNBits, and float32 ↔ float16 conversion. Pure functions over rows of an
// HF Linear weight [N = out, K = in] (row-major, so a row is contiguous in the safetensors
// file and a build quantises a few rows at a time).
//
// Layout (ContribOperators.md, MatMulNBits): B uint8 [N][kBlocks][blockSize·bits/8], blocks
// along K, zero-padded past K; 4-bit values packed low nibble first. scales float32
// [N·kBlocks]. zero_points uint8 [N][⌈kBlocks·bits/8⌉] (4-bit: two blocks a byte, low nibble
// first). Dequantised weight = (q − zero_point) · scale.
//
// Asymmetric: each block maps [min(0, lo), max(0, hi)] onto 0…2^bits−1 with an integer zero
// point (onnxruntime's quantiser default, is_symmetric=False), so a block whose weights lean to
// one side keeps every level; |w − dequantised| ≤ scale/2 for every weight.

export const QUANT_BITS = [4, 8] as const;
export type QuantBits = (typeof QUANT_BITS)[number];

export interface QuantLayout {
  bits: QuantBits;
  blockSize: number;
  /** rows (output features) and columns (input features) of the HF weight */
  n: number;
  k: number;
}

export const kBlocks = (l: QuantLayout): number => Math.ceil(l.k / l.blockSize);
export const blobSize = (l: QuantLayout): number => (l.blockSize * l.bits) / 8;
/** bytes of zero points per row */
export const zpStride = (l: QuantLayout): number => Math.ceil((kBlocks(l) * l.bits) / 8);
/** bytes of each part for `rows` rows */
export function quantBytes(l: QuantLayout, rows = l.n): { packed: number; scales: number; zeroPoints: number } {
  return { packed: rows * kBlocks(l) * blobSize(l), scales: 4 * rows * kBlocks(l), zeroPoints: rows * zpStride(l) };
}

export function checkLayout(l: QuantLayout): void {
  if (!QUANT_BITS.includes(l.bits)) throw new Error(`quantisation bits must be 4 or 8, got ${l.bits}`);
  // MatMulNBits: a power of two ≥ 16
  if (!(l.blockSize >= 16 && (l.blockSize & (l.blockSize - 1)) === 0)) throw new Error(`quantisation block size must be a power of two ≥ 16, got ${l.blockSize}`);
}

export interface QuantizedRows {
  packed: Uint8Array;
  scales: Float32Array;
  zeroPoints: Uint8Array;
}

/** Quantise `rows` rows of K float32 weights (w.length ≥ rows·K). */
export function quantizeRows(w: Float32Array, rows: number, l: QuantLayout): QuantizedRows {
  const nb = kBlocks(l);
  const blob = blobSize(l);
  const zs = zpStride(l);
  const levels = (1 << l.bits) - 1;
  const { packed: pb, zeroPoints: zb } = quantBytes(l, rows);
  const packed = new Uint8Array(pb);
  const scales = new Float32Array(rows * nb);
  const zeroPoints = new Uint8Array(zb);
  const q = new Uint8Array(l.blockSize);
  for (let r = 0; r < rows; r++) {
    const row = r * l.k;
    for (let b = 0; b < nb; b++) {
      const from = b * l.blockSize;
      const to = Math.min(from + l.blockSize, l.k);
      let lo = 0;
      let hi = 0;
      for (let i = from; i < to; i++) {
        const v = w[row + i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const scale = Math.fround((hi - lo) / levels);
      let zp: number;
      if (scale === 0 || !Number.isFinite(scale)) {
        if (!Number.isFinite(scale)) throw new Error(`weight row ${r}, block ${b}: not finite (${lo}…${hi})`);
        zp = 1 << (l.bits - 1);
        q.fill(zp);
      } else {
        zp = Math.min(levels, Math.max(0, Math.round(-lo / scale)));
        for (let i = 0; i < l.blockSize; i++) {
          const v = from + i < to ? w[row + from + i]! : 0;
          q[i] = Math.min(levels, Math.max(0, Math.round(v / scale) + zp));
        }
      }
      scales[r * nb + b] = scale;
      const out = (r * nb + b) * blob;
      if (l.bits === 8) packed.set(q, out);
      else for (let i = 0; i < blob; i++) packed[out + i] = q[2 * i]! | (q[2 * i + 1]! << 4);
      if (l.bits === 8) zeroPoints[r * zs + b] = zp;
      else zeroPoints[r * zs + (b >> 1)]! |= b & 1 ? zp << 4 : zp;
    }
  }
  return { packed, scales, zeroPoints };
}

/** The reference dequantisation: what MatMulNBits multiplies by, [rows][K] float32. */
export function dequantizeRows(qr: QuantizedRows, rows: number, l: QuantLayout): Float32Array {
  const nb = kBlocks(l);
  const blob = blobSize(l);
  const zs = zpStride(l);
  const out = new Float32Array(rows * l.k);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nb; b++) {
      const scale = qr.scales[r * nb + b]!;
      const zb = qr.zeroPoints[r * zs + (l.bits === 8 ? b : b >> 1)]!;
      const zp = l.bits === 8 ? zb : b & 1 ? zb >> 4 : zb & 15;
      for (let i = 0; i < l.blockSize && b * l.blockSize + i < l.k; i++) {
        const byte = qr.packed[(r * nb + b) * blob + (l.bits === 8 ? i : i >> 1)]!;
        const v = l.bits === 8 ? byte : i & 1 ? byte >> 4 : byte & 15;
        out[r * l.k + b * l.blockSize + i] = Math.fround((v - zp) * scale);
      }
    }
  }
  return out;
}

// float16 lives in ../half.ts; re-exported for the quantiser's callers and tests.
export { halfTable, toHalf } from '../half.js';
