/** `--max-reject-rate R` (import, sync): OTC_MAX_REJECT_RATE for one run, checked like any flag. */
import { ConfigError, type ExitCode } from '../errors.js';
import { parseMaxRejectRate } from '../pipeline/load-guards.js';
import type { CliIo } from './io.js';
import { runCommand, type CommonFlags, type Runtime } from './runtime.js';

export interface RejectRateFlags extends CommonFlags {
  maxRejectRate?: string;
}

/**
 * Runs a command with the flag's rate in place of OTC_MAX_REJECT_RATE (a flag wins over the
 * environment). A bad value is a usage error (exit 2) that names the flag, not the variable.
 */
export function runWithRejectRate(io: CliIo, flags: RejectRateFlags, body: (rt: Runtime) => Promise<ExitCode>): Promise<ExitCode> {
  if (flags.maxRejectRate === undefined) return runCommand(io, flags, body);
  const rate = parseMaxRejectRate(flags.maxRejectRate);
  if (typeof rate === 'string') {
    return runCommand(io, flags, async () => {
      throw new ConfigError(rate);
    });
  }
  return runCommand(io, flags, body, { OTC_MAX_REJECT_RATE: String(rate) });
}
