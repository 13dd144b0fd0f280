#!/usr/bin/env -S node --max-old-space-size=256 --max-semi-space-size=32
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
// The heap cap keeps memory flat: the live heap of a sync stays well under it (a 4x-scale payload fits),
// and without it V8 grows lazily to several hundred MB. The larger young generation lets the short-lived
// objects of each batch die young: a sync spends about a third less time collecting garbage. For a larger payload run
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
