/** `otc-etl config`: the effective configuration, secrets redacted. */
import { EXIT, type ExitCode } from '../../errors.js';
import { redactedConfig } from '../../config.js';
import type { Runtime } from '../runtime.js';

export async function configCommand(rt: Runtime): Promise<ExitCode> {
  const shown = redactedConfig(rt.config);
  rt.print(shown, () => JSON.stringify(shown, null, 2));
  return EXIT.ok;
}
