/**
 * Lists of names in one log line or message: a few dozen at most, the rest counted. A dataset with many
 * shared usernames once made a single log line of 830,000 characters.
 */

/** Names shown in one line before the rest are only counted. */
export const LIST_MAX_NAMES = 30;

/** The first `max` items, then "… and N more" when there are more. */
export function listSome(items: readonly string[], max = LIST_MAX_NAMES): string[] {
  if (items.length <= max) return [...items];
  return [...items.slice(0, max), `… and ${items.length - max} more`];
}
