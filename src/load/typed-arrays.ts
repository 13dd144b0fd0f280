/** The typed arrays the load's per-row tables grow. */
type Growable = Int32Array | Uint8Array | Float64Array;

/** A copy of `values` with room for `length` elements, the added ones zero. */
export function withLength<T extends Growable>(values: T, length: number): T {
  const more = new (values.constructor as new (length: number) => T)(length);
  more.set(values);
  return more;
}
