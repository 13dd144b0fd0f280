/**
 * Files the CLI writes for others to read (the metrics file, the status page). Written to PATH.tmp and
 * renamed over PATH, so a reader — node_exporter's textfile collector, a web server — never sees half a
 * file. A relative PATH is taken from the command's working directory; messages name it as it was given.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { Config } from '../config.js';
import type { Db } from '../load/db.js';
import { readMetrics } from '../pipeline/metrics-data.js';
import { metricsText } from '../report/prometheus.js';

export async function writeFileAtomic(cwd: string, path: string, text: string): Promise<void> {
  const target = resolve(cwd, path);
  const tmp = `${target}.tmp`;
  try {
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, target);
  } catch (error) {
    await rm(tmp, { force: true });
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`cannot write ${path} (${code}): check that its directory exists and is writable.`, { cause: error });
  }
}

/** Writes the Prometheus metrics (as `/metrics` serves them) in the textfile-collector format. */
export async function writeMetricsFile(db: Db, config: Config, cwd: string, path: string): Promise<void> {
  await writeFileAtomic(cwd, path, metricsText(await readMetrics(db, config)));
}
