import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_HOST, DEFAULT_SCHEDULE, DEFAULT_SERVE_PORT, DEFAULT_SIMULATOR_PORT } from '../../src/cli/flags.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

test("the README names the serve port and schedule and the simulator's port that the CLI defaults to", () => {
  assert.ok(readme.includes(`(default \`${DEFAULT_SCHEDULE}\``), 'serve schedule');
  assert.ok(readme.includes(`on \`${DEFAULT_HOST}:${DEFAULT_SERVE_PORT}\``), 'serve address');
  assert.ok(readme.includes(`http://${DEFAULT_HOST}:${DEFAULT_SIMULATOR_PORT}/`), 'simulator address');
});
