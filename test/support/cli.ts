/** Runs the real CLI (bin/otc-etl.js, built by `npm test`) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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

export function runCli(args: readonly string[], options: { env: Record<string, string>; cwd: string }): Promise<CliResult> {
  return startCli(args, options).result;
}

/** A running CLI process (to signal or kill) and its result once it exits. */
export interface RunningCli {
  readonly child: ChildProcess;
  /** What the process has written to stderr so far. */
  stderr(): string;
  readonly result: Promise<CliResult & { signal: NodeJS.Signals | null }>;
}

export function startCli(args: readonly string[], options: { env: Record<string, string>; cwd: string }): RunningCli {
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

/** Polls `check` until it returns true (every 50 ms, at most `timeoutMs`). */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
