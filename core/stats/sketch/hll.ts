// HyperLogLog distinct counts (Flajolet et al. 2007, with linear counting for small cardinalities). 2^14
// registers: a relative standard error of 1.04 / √16384 ≈ 0.81%. Registers merge by element-wise maximum, so a
// merged sketch is exactly the sketch of the union. Every partition must hash values the same way: the
// product's registers come from DuckDB's hash() (core/data/partition-summary.ts); `hllAddString` is the JS
// equivalent in spirit, for tests and small inputs.

export const HLL_PRECISION = 14;
const M = 1 << HLL_PRECISION;

/** 2^p registers, each the largest "position of the first 1 bit" seen in its bucket. */
export type HllRegisters = Uint8Array;

export function createHll(): HllRegisters {
  return new Uint8Array(M);
}

export function hllRelativeStdError(): number {
  return 1.04 / Math.sqrt(M);
}

/** Adds a 64-bit hash given as two 32-bit halves. */
export function hllAddHash(r: HllRegisters, hi: number, lo: number): void {
  const index = hi >>> (32 - HLL_PRECISION);
  // The remaining 50 bits: the first 18 in hi, then 32 in lo.
  const restHi = hi & ((1 << (32 - HLL_PRECISION)) - 1);
  let rho: number;
  if (restHi !== 0) rho = Math.clz32(restHi) - HLL_PRECISION + 1;
  else if (lo !== 0) rho = 32 - HLL_PRECISION + Math.clz32(lo) + 1;
  else rho = 64 - HLL_PRECISION + 1;
  if (rho > r[index]!) r[index] = rho;
}

/** Adds a string, hashed with two independent 32-bit FNV-1a/murmur-finalized lanes. */
export function hllAddString(r: HllRegisters, value: string): void {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  hllAddHash(r, fmix(a ^ value.length), fmix(b + 0x27d4eb2f));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Sets one register from an (index, rho) pair computed elsewhere (DuckDB). */
export function hllSet(r: HllRegisters, index: number, rho: number): void {
  if (index < 0 || index >= M) throw new Error(`HLL register index ${index} is outside 0..${M - 1}`);
  if (rho > r[index]!) r[index] = rho;
}

export function hllMerge(a: HllRegisters, b: HllRegisters): HllRegisters {
  const out = new Uint8Array(M);
  for (let i = 0; i < M; i++) out[i] = Math.max(a[i]!, b[i]!);
  return out;
}

export function hllEstimate(r: HllRegisters): number {
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < M; i++) {
    sum += 2 ** -r[i]!;
    if (r[i] === 0) zeros++;
  }
  const alpha = 0.7213 / (1 + 1.079 / M);
  const raw = (alpha * M * M) / sum;
  if (raw <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
  return Math.round(raw);
}

export function hllToBase64(r: HllRegisters): string {
  return Buffer.from(r).toString('base64');
}

export function hllFromBase64(text: string): HllRegisters {
  const r = new Uint8Array(Buffer.from(text, 'base64'));
  if (r.length !== M) throw new Error(`an HLL sketch has ${M} registers, got ${r.length}`);
  return r;
}
