/** The typed arrays the load's per-row tables grow. */
type Growable = Int32Array | Uint8Array | Float64Array;

/** A copy of `values` with room for `length` elements, the added ones zero. */
export function withLength<T extends Growable>(values: T, length: number): T {
  const more = new (values.constructor as new (length: number) => T)(length);
  more.set(values);
  return more;
}

/**
 * A buffer holding the first `used` bytes of `buffer`, with room for `needed` more: twice the size at
 * least, so a buffer filled a little at a time is copied only a few times.
 */
export function grownBuffer(buffer: Buffer, used: number, needed: number): Buffer<ArrayBuffer> {
  const more = Buffer.allocUnsafe(Math.max(buffer.length * 2, used + needed));
  buffer.copy(more, 0, 0, used);
  return more;
}
