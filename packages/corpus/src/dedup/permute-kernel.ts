// The MinHash hot loop: for every permutation i, the minimum over a text's shingle hashes x
// of (aᵢ·x + bᵢ) mod 2³², unsigned. It runs as a 385-byte WebAssembly module assembled below
// (128-bit SIMD: 16 permutations per shingle in 4 vector multiply-add-min steps), which is
// 10–20 times faster than the best plain JavaScript loop; the JavaScript loop stays as the
// fallback for runtimes without WebAssembly SIMD, and the tests check that both agree.

/** Computes permutation minima over shingle hashes written into {@link shingles}. */
export interface PermuteKernel {
  /** Which implementation runs. */
  readonly kind: 'wasm-simd' | 'js';
  /** Room for at least `count` shingle hashes; write them at indices 0 … count − 1. */
  shingles(count: number): Int32Array;
  /** Writes the minima of the first `count` shingles for every permutation into `out`. */
  run(count: number, out: Uint32Array): void;
}

// ---------------------------------------------------------------------------------------------
// The WebAssembly module, assembled from its instructions (there is no wat2wasm at build time,
// and 385 bytes are easier to review as code than as a blob).

const uleb = (value: number): number[] => {
  const out: number[] = [];
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
};
const sleb = (value: number): number[] => {
  const out: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    if ((rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
};
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const name = (text: string) => [...uleb(text.length), ...[...text].map((c) => c.charCodeAt(0))];
const simd = (op: number) => [0xfd, ...uleb(op)];
const get = (local: number) => [0x20, local];
const set = (local: number) => [0x21, local];
const tee = (local: number) => [0x22, local];
const i32Const = (value: number) => [0x41, ...sleb(value)];
const I32_ADD = 0x6a;
const I32_SHL = 0x74;
const I32_GE_U = 0x4f;
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const v128Load = (offset: number) => [...simd(0x00), 4, ...uleb(offset)];
const v128Store = (offset: number) => [...simd(0x0b), 4, ...uleb(offset)];
const I32X4_SPLAT = simd(0x11);
const I32X4_ADD = simd(0xae);
const I32X4_MUL = simd(0xb5);
const I32X4_MIN_U = simd(0xb7);
const FOUR = [0, 1, 2, 3];

/**
 * `permute(params, count, xs, n, out)`: `params` holds `count` multipliers then `count`
 * offsets (i32, `count` a multiple of 16), `xs` the `n` shingle hashes; the `count` minima go
 * to `out`. All pointers are byte offsets, 16-byte aligned.
 */
function moduleBytes(): Uint8Array {
  // Locals: 0 params, 1 count, 2 xs, 3 n, 4 out (arguments); 5 i (byte offset into the
  // permutations), 6 end of xs, 7 current x pointer, 8 offsets pointer, 9 end of the
  // permutations (i32); 10–13 multipliers, 14–17 offsets, 18–21 minima, 22 x (v128).
  // biome-ignore format: one line per step of the loop reads better than one per byte
  const code = [
    ...get(0), ...get(1), ...i32Const(2), I32_SHL, I32_ADD, ...set(8),
    ...i32Const(0), ...set(5),
    ...get(1), ...i32Const(2), I32_SHL, ...set(9),
    ...get(2), ...get(3), ...i32Const(2), I32_SHL, I32_ADD, ...set(6),
    ...BLOCK, ...LOOP,
    ...get(5), ...get(9), I32_GE_U, BR_IF, 1,
    ...FOUR.flatMap((k) => [...get(0), ...get(5), I32_ADD, ...v128Load(16 * k), ...set(10 + k)]),
    ...FOUR.flatMap((k) => [...get(8), ...get(5), I32_ADD, ...v128Load(16 * k), ...set(14 + k)]),
    // Minima start at 0xffffffff in every lane.
    ...simd(0x0c), ...new Array<number>(16).fill(0xff), ...tee(18), ...tee(19), ...tee(20), ...set(21),
    ...get(2), ...set(7),
    ...BLOCK, ...LOOP,
    ...get(7), ...get(6), I32_GE_U, BR_IF, 1,
    ...get(7), 0x28, 2, 0, ...I32X4_SPLAT, ...set(22),
    ...FOUR.flatMap((k) => [
      ...get(18 + k), ...get(10 + k), ...get(22), ...I32X4_MUL, ...get(14 + k), ...I32X4_ADD, ...I32X4_MIN_U, ...set(18 + k),
    ]),
    ...get(7), ...i32Const(4), I32_ADD, ...set(7),
    BR, 0,
    END, END,
    ...FOUR.flatMap((k) => [...get(4), ...get(5), I32_ADD, ...get(18 + k), ...v128Store(16 * k)]),
    ...get(5), ...i32Const(64), I32_ADD, ...set(5),
    BR, 0,
    END, END,
    END,
  ];
  const body = [2, 5, 0x7f, 13, 0x7b, ...code];
  // biome-ignore format: the module's sections, one per line
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 5, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0, 1]),
    ...section(7, [2, ...name('memory'), 2, 0, ...name('permute'), 0, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

// The few WebAssembly APIs used here, typed locally: the package compiles without the DOM
// library, and @types/node does not declare them all.
interface WasmModule {
  readonly kind?: never;
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule) => { readonly exports: Record<string, unknown> };
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: WasmModule | null | undefined;

/** The compiled module, or `null` where WebAssembly SIMD is not available. */
function simdModule(): WasmModule | null {
  if (compiled === undefined) {
    try {
      const bytes = moduleBytes();
      compiled = wasm?.validate(bytes) === true ? new (wasm as WasmApi).Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

const PAGE = 65536;

function wasmKernel(
  api: WasmApi,
  module: WasmModule,
  multipliers: Int32Array,
  offsets: Int32Array,
): PermuteKernel {
  const instance = new api.Instance(module);
  const memory = instance.exports.memory as WasmMemory;
  const permute = instance.exports.permute as (
    params: number,
    count: number,
    xs: number,
    n: number,
    out: number,
  ) => void;
  const count = multipliers.length;
  const outPointer = count * 8;
  const xsPointer = count * 12;
  let heap = new Int32Array(memory.buffer);
  const ensure = (bytes: number) => {
    if (bytes > memory.buffer.byteLength) {
      memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
      heap = new Int32Array(memory.buffer);
    }
  };
  ensure(xsPointer + 4096 * 4);
  heap.set(multipliers, 0);
  heap.set(offsets, count);
  return {
    kind: 'wasm-simd',
    shingles(n) {
      ensure(xsPointer + n * 4);
      return heap.subarray(xsPointer / 4);
    },
    run(n, out) {
      permute(0, count, xsPointer, n, outPointer);
      out.set(new Uint32Array(memory.buffer, outPointer, out.length));
    },
  };
}

const SIGN = 0x80000000;
const MAX_SIGNED = 0x7fffffff;

function jsKernel(multipliers: Int32Array, offsets: Int32Array): PermuteKernel {
  const count = multipliers.length;
  const minima = new Int32Array(count);
  let shingles = new Int32Array(4096);
  return {
    kind: 'js',
    shingles(n) {
      if (n > shingles.length) shingles = new Int32Array(Math.max(n, shingles.length * 2));
      return shingles;
    },
    // Four permutations per pass over the shingles; values compared as signed ints after
    // flipping the sign bit, which keeps unsigned order and V8 in small-integer arithmetic.
    run(n, out) {
      const xs = shingles;
      for (let i = 0; i < count; i += 4) {
        const a0 = multipliers[i] as number;
        const a1 = multipliers[i + 1] as number;
        const a2 = multipliers[i + 2] as number;
        const a3 = multipliers[i + 3] as number;
        const b0 = offsets[i] as number;
        const b1 = offsets[i + 1] as number;
        const b2 = offsets[i + 2] as number;
        const b3 = offsets[i + 3] as number;
        let m0 = MAX_SIGNED;
        let m1 = MAX_SIGNED;
        let m2 = MAX_SIGNED;
        let m3 = MAX_SIGNED;
        for (let j = 0; j < n; j += 1) {
          const x = xs[j] as number;
          const v0 = (Math.imul(a0, x) + b0) ^ SIGN;
          const v1 = (Math.imul(a1, x) + b1) ^ SIGN;
          const v2 = (Math.imul(a2, x) + b2) ^ SIGN;
          const v3 = (Math.imul(a3, x) + b3) ^ SIGN;
          if (v0 < m0) m0 = v0;
          if (v1 < m1) m1 = v1;
          if (v2 < m2) m2 = v2;
          if (v3 < m3) m3 = v3;
        }
        minima[i] = m0;
        minima[i + 1] = m1;
        minima[i + 2] = m2;
        minima[i + 3] = m3;
      }
      for (let i = 0; i < out.length; i += 1) out[i] = ((minima[i] as number) ^ SIGN) >>> 0;
    },
  };
}

/**
 * A kernel for these permutations (`multipliers.length` a multiple of 16): WebAssembly SIMD
 * where the runtime has it, else plain JavaScript (or plain JavaScript when `kind` says so).
 */
export function createPermuteKernel(
  multipliers: Int32Array,
  offsets: Int32Array,
  kind: 'auto' | 'js' = 'auto',
): PermuteKernel {
  const module = kind === 'auto' ? simdModule() : null;
  return module === null || wasm === undefined
    ? jsKernel(multipliers, offsets)
    : wasmKernel(wasm, module, multipliers, offsets);
}
