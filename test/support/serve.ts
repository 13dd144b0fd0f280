/** Runs the real `otc-etl serve` as a child process, and reads its endpoints over a real socket. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN, cliEnv } from './cli.js';
import { closeSharedEmbedded } from './shared-embedded.js';
import { parseExposition, type Exposition } from './prometheus.js';

export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything written to stderr so far (the logs). */
  stderr(): string;
  stdout(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startServe(args: readonly string[], options: { env: Record<string, string>; cwd: string }): Promise<ServeProcess> {
  // The service opens the embedded database itself, and one process at a time may.
  await closeSharedEmbedded();
  const child = spawn(process.execPath, [BIN, 'serve', '--json', '--port', '0', ...args], { cwd: options.cwd, env: cliEnv(options.env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // The first line on stdout says where it listens.
  const listening = new Promise<string>((resolve, reject) => {
    const onData = () => {
      if (!stdout.includes('\n')) return;
      child.stdout.off('data', onData);
      const { url } = JSON.parse(stdout.split('\n')[0]!) as { url?: string };
      if (url) resolve(url);
      else reject(new Error(`serve printed no url:\n${stdout}`));
    };
    child.stdout.on('data', onData);
  });
  listening.catch(() => undefined);
  const url = await Promise.race([
    listening,
    exited.then((code) => {
      throw new Error(`serve exited with ${code} before listening:\n${stdout}\n${stderr}`);
    }),
  ]);
  return {
    url,
    child,
    stderr: () => stderr,
    stdout: () => stdout,
    stop: async (signal = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    },
  };
}

/** Polls `probe` every 20 ms until it returns something other than null (or fails after `timeoutMs`). */
export async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== null) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(20);
  }
  throw new Error(`gave up waiting after ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
}

export async function getText(url: string, init: RequestInit = {}): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(url, init);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

export async function getMetrics(baseUrl: string): Promise<Exposition> {
  const r = await getText(`${baseUrl}/metrics`);
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  return parseExposition(r.body);
}
