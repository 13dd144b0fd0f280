/**
 * JSON values nested too deeply for the rest of the pipeline: JSON.stringify and PostgreSQL's jsonb
 * both recurse, and fail (a RangeError, a "stack depth limit exceeded") somewhere past a few thousand
 * levels. The source's records are flat, so deep nesting is a broken or hostile record: it is rejected
 * into the quarantine, and these helpers let the quarantine keep its text without recursing.
 */

/** Levels of nesting inside one field value that a record may have and still be stored. */
export const MAX_FIELD_DEPTH = 64;

/** Whether objects and arrays inside `value` nest more than `limit` levels deep. Iterative. */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

interface Frame {
  readonly entries: ReadonlyArray<readonly [string | null, unknown]>;
  next: number;
  readonly close: string;
}

/** JSON.stringify for values from JSON.parse, without recursion, so any depth works. */
export function stringifyDeep(value: unknown): string {
  const out: string[] = [];
  const stack: Frame[] = [];
  const emit = (item: unknown): void => {
    if (item === null || typeof item !== 'object') {
      out.push(JSON.stringify(item) ?? 'null');
    } else if (Array.isArray(item)) {
      out.push('[');
      stack.push({ entries: item.map((v) => [null, v] as const), next: 0, close: ']' });
    } else {
      out.push('{');
      stack.push({ entries: Object.entries(item), next: 0, close: '}' });
    }
  };
  emit(value);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next === frame.entries.length) {
      out.push(frame.close);
      stack.pop();
      continue;
    }
    const [key, item] = frame.entries[frame.next++]!;
    if (frame.next > 1) out.push(',');
    if (key !== null) out.push(JSON.stringify(key), ':');
    emit(item);
  }
  return out.join('');
}
