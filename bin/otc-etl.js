#!/usr/bin/env -S node --max-old-space-size=256 --max-semi-space-size=16 --initial-old-space-size=96
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
// The heap cap keeps memory flat: the live heap of a sync stays well under it (a 4x-scale payload fits),
// and without it V8 grows lazily to several hundred MB. The old generation starts with room for 96 MB:
// left to size it itself, V8 kept it just above what survived each full collection (about 25 MB) and
// began the next one long before that was full, so a re-sync ran one every 150 ms (22 in all, each
// tracing the stored rows again); now it runs one, a re-sync takes a sixth less CPU and a full sync a
// tenth, and neither peaks higher. 16 MB semi-spaces still let each batch's short-lived objects die
// young. For a larger payload run
// `node --max-old-space-size=N node_modules/otc-etl/bin/otc-etl.js …` (a flag given to node wins).
import { main } from '../dist/src/cli/main.js';

// The CLI takes everything it needs from the process here, and nowhere else.
process.exitCode = await main(process.argv, {
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  signals: process,
  exit: (code) => process.exit(code),
});
