import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { terminalProgress } from '../../src/cli/progress.js';
import { ZERO_COUNTS } from '../../src/load/runs.js';
import type { ViewOutcome } from '../../src/pipeline/load-view.js';

/** A terminal that keeps what was drawn: the last state of the line after each carriage return. */
function terminal() {
  let text = '';
  const write = (chunk: string) => {
    text += chunk;
    return true;
  };
  const stream = { isTTY: true, write } as unknown as NodeJS.WriteStream;
  const lines = () =>
    text
      .split(/\r|\n/)
      .map((l) => l.replace(/\x1b\[2K/g, ''))
      .filter(Boolean);
  return { stream, lines };
}

const done = (view: string): ViewOutcome => ({
  view,
  source: 'api',
  status: 'success',
  counts: { ...ZERO_COUNTS, fetched: 1 },
  error: null,
  cursor: null,
  fieldsNew: [],
  fieldsMissing: [],
});

describe('the progress line', () => {
  test('shows the pause between views as a wait, not as "downloading 0.0 MB"', () => {
    const t = terminal();
    const p = terminalProgress(t.stream)!;
    p.downloaded('comments', 2_000_000);
    p.finished(done('comments'));
    p.waiting!('timesheets', 30_000);
    assert.match(t.lines().at(-1)!, /^timesheets +waiting 30 s before its request \(OTC_VIEW_GAP_MS\)$/);
    assert.ok(!t.lines().some((l) => /timesheets +downloading 0\.0 MB/.test(l)), t.lines().join('\n'));
  });

  test("a body fetched ahead while another view loads does not take over that view's line", () => {
    const t = terminal();
    const p = terminalProgress(t.stream)!;
    p.read('comments', 100);
    p.waiting!('timesheets', 30_000);
    p.downloaded('timesheets', 10);
    assert.ok(
      t.lines().every((l) => l.startsWith('comments')),
      t.lines().join('\n'),
    );
    p.finished(done('comments'));
    p.downloaded('timesheets', 3_000_000);
    assert.match(t.lines().at(-1)!, /^timesheets +downloading 2\.9 MB$/);
  });
});
