/**
 * Built-ins taken when this module loads. In a script's isolate that is when the runtime loads (core/scripts/runtime.ts),
 * before any script: a script may replace globals and patch the built-in prototypes (they are not frozen: freezing them
 * slows the engine 3-4×), and a patched built-in sees whatever the runtime hands it. Code that holds candles a script
 * must not see — the bars after the current one — makes, views and reads its arrays through these only: never through
 * a global, a prototype method, a typed array accessor (`length`, `buffer`, `byteOffset`), Symbol.species (which
 * `slice` and `subarray` consult) or a property a script could have put on Object.prototype. On the host they are the
 * ordinary built-ins, at the same cost.
 */
const Float64ArrayOf = Float64Array;
const Uint32ArrayOf = Uint32Array;
const applyOf = Reflect.apply;
const hasOwnOf = Object.hasOwn;
const typedArrayPrototype = Object.getPrototypeOf(Float64Array.prototype) as object;
const bufferGetter = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'buffer')!.get!;
const byteOffsetGetter = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'byteOffset')!.get!;
const lengthGetter = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'length')!.get!;

/** A new column of `n` values (zeros). */
export function newColumn(n: number): Float64Array {
  return new Float64ArrayOf(n);
}

/** The number of values in `column` (its `length`, without the accessor a script could have replaced). */
export function lengthOf(column: Float64Array): number {
  return applyOf(lengthGetter, column, []) as number;
}

/** Values from..to−1 of `column`, as a view of the same memory (what `subarray` gives, without asking Symbol.species). */
export function columnView(column: Float64Array, from: number, to: number): Float64Array {
  const buffer = applyOf(bufferGetter, column, []) as ArrayBuffer;
  const byteOffset = applyOf(byteOffsetGetter, column, []) as number;
  return new Float64ArrayOf(buffer, byteOffset + from * 8, to - from);
}

/** The first `n` values of `column` as 2n 32-bit words (to compare doubles bit for bit), a view of the same memory. */
export function wordsOf(column: Float64Array, n: number): Uint32Array {
  const buffer = applyOf(bufferGetter, column, []) as ArrayBuffer;
  const byteOffset = applyOf(byteOffsetGetter, column, []) as number;
  return new Uint32ArrayOf(buffer, byteOffset, n * 2);
}

/** `object[key]` when it is the object's own property; undefined otherwise (never what Object.prototype holds). */
export function ownValue<T extends object, K extends keyof T>(object: T, key: K): T[K] | undefined {
  return hasOwnOf(object, key) ? object[key] : undefined;
}
