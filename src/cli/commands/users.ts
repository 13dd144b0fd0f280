/** `otc-etl users`: rebuild the user lookup from the stored views and print what changed. */
import { EXIT, type ExitCode } from '../../errors.js';
import { withRunLock } from '../../pipeline/guard.js';
import { refreshUsers } from '../../pipeline/refresh-users.js';
import { userLookupText } from '../user-lookup-text.js';
import { withDb, type Runtime } from '../runtime.js';

export async function usersCommand(rt: Runtime): Promise<ExitCode> {
  return withDb(rt, async (db) => {
    const deps = { db, config: rt.config, log: rt.log };
    const result = await withRunLock(deps, 'users', { autoMigrate: false }, () => refreshUsers(deps));
    rt.print(result, () => userLookupText(result));
    return EXIT.ok;
  });
}
