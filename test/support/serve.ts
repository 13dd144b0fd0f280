/**
 * Runs the real `otc-etl serve` — in this process, or as a child process where the service's own
 * process is what is tested — and reads its endpoints over a real socket.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN, cliEnv, startCliInProcess } from './cli.js';
import { closeSharedEmbedded } from './shared-embedded.js';
import { parseExposition, type Exposition } from './prometheus.js';

export interface Service {
  readonly url: string;
  /** Everything written to stderr so far (the logs). */
  stderr(): string;
  stdout(): string;
  /** Sends a stop signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ServeProcess extends Service {
  readonly child: ChildProcessWithoutNullStreams;
}

/** The URL on the first line the service prints (`serve --json`). */
function urlOf(firstLine: string): string {
  const { url } = JSON.parse(firstLine) as { url?: string };
  if (!url) throw new Error(`serve printed no url:\n${firstLine}`);
  return url;
}

/** `otc-etl serve --json --port 0 ARGS` in this process, sharing the test's embedded database. */
export async function startServe(args: readonly string[], options: { env: Record<string, string>; cwd: string }): Promise<Service> {
  const cli = startCliInProcess(['serve', '--json', '--port', '0', ...args], options);
  let ended: { code: number | null } | null = null;
  void cli.result.then(
    (r) => (ended = r),
    () => (ended = { code: null }),
  );
  while (!cli.stdout().includes('\n')) {
    if (ended)
      throw new Error(`serve exited with ${(ended as { code: number | null }).code} before listening:\n${cli.stdout()}\n${cli.stderr()}`);
    await sleep(5);
  }
  return {
    url: urlOf(cli.stdout().split('\n')[0]!),
    stderr: cli.stderr,
    stdout: cli.stdout,
    stop: async (signal = 'SIGTERM') => {
      cli.signal(signal);
      return (await cli.result).code;
    },
  };
}

/** `otc-etl serve --json --port 0 ARGS` as a process of its own (bin/otc-etl.js). */
export async function startServeProcess(
  args: readonly string[],
  options: { env: Record<string, string>; cwd: string },
): Promise<ServeProcess> {
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
      try {
        resolve(urlOf(stdout.split('\n')[0]!));
      } catch (error) {
        reject(error);
      }
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
