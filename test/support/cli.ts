/**
 * Runs the real CLI: `runCli` calls its `main` in this process (with the environment, directory and
 * output streams a process would have, and the shared embedded database), `startCli` runs
 * bin/otc-etl.js (built by `npm test`) as a child process — for what only a process shows: signals,
 * crashes, `serve`'s lifetime, the launcher itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setImmediate as tick } from 'node:timers/promises';
import { main } from '../../src/cli/main.js';
import type { OutputStream } from '../../src/cli/io.js';
import { forgetSecrets } from '../../src/secrets.js';
import { openTestDb } from './databases.js';
import { closeSharedEmbedded } from './shared-embedded.js';

// A directory the CLI opened that no test database owns (the demo's) is closed when the file is done.
after(() => closeSharedEmbedded());

export const BIN = fileURLToPath(new URL('../../../bin/otc-etl.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A clean environment: only what the test passes, plus PATH and HOME. */
export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
}

/** Collects what is written, like a pipe (not a terminal). */
function collector(): OutputStream & { text(): string } {
  let text = '';
  return {
    write: (chunk, done) => {
      text += chunk;
      done?.();
      return true;
    },
    text: () => text,
  };
}

/** `otc-etl ARGS` running in this process: its output so far, a way to signal it, and its result. */
export interface InProcessCli {
  stdout(): string;
  stderr(): string;
  /** Delivers a stop signal to the command, as the process would receive it. */
  signal(name: NodeJS.Signals): void;
  readonly result: Promise<CliResult>;
}

/**
 * Starts `otc-etl ARGS` in this process, as a child process would run with `env` (plus PATH and HOME)
 * in `cwd`; an embedded database is the one the test has open (see shared-embedded.ts).
 */
export function startCliInProcess(args: readonly string[], options: { env: Record<string, string>; cwd: string }): InProcessCli {
  const stdout = collector();
  const stderr = collector();
  const signals = new EventEmitter();
  // Each run starts as a new process would: no secrets registered by an earlier run.
  forgetSecrets();
  // Temporary files (download spools) go where os.tmpdir() says, which reads TMPDIR from the process.
  const tmpdir = process.env.TMPDIR;
  if (options.env.TMPDIR !== undefined) process.env.TMPDIR = options.env.TMPDIR;
  const io = { env: cliEnv(options.env), cwd: options.cwd, stdout, stderr, signals, openDb: openTestDb };
  const result = (async () => {
    try {
      const code = await main([process.execPath, BIN, ...args], io);
      // Log lines still on their way through the logger's stream.
      await tick();
      return { code, stdout: stdout.text(), stderr: stderr.text() };
    } finally {
      forgetSecrets();
      if (tmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmpdir;
    }
  })();
  return { stdout: stdout.text, stderr: stderr.text, signal: (name) => signals.emit(name, name), result };
}

/** Runs `otc-etl ARGS` in this process (see `startCliInProcess`) and resolves with its result. */
export function runCli(args: readonly string[], options: { env: Record<string, string>; cwd: string }): Promise<CliResult> {
  return startCliInProcess(args, options).result;
}

/** A running CLI process (to signal or kill) and its result once it exits. */
export interface RunningCli {
  readonly child: ChildProcess;
  /** What the process has written to stderr so far. */
  stderr(): string;
  readonly result: Promise<CliResult & { signal: NodeJS.Signals | null }>;
}

/**
 * Starts bin/otc-etl.js as a child process. The embedded databases this process holds open are closed
 * first: the child opens its directory itself, and one process at a time may.
 */
export async function startCli(args: readonly string[], options: { env: Record<string, string>; cwd: string }): Promise<RunningCli> {
  await closeSharedEmbedded();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: cliEnv(options.env) });
  let stderr = '';
  // Registered first, so listeners a test adds later see the text already appended.
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, result, stderr: () => stderr };
}

/** Runs `otc-etl ARGS` as a child process (bin/otc-etl.js) and resolves with its result. */
export async function runCliProcess(args: readonly string[], options: { env: Record<string, string>; cwd: string }): Promise<CliResult> {
  return (await startCli(args, options)).result;
}

/** Polls `check` until it returns true (every 50 ms, at most `timeoutMs`). */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
