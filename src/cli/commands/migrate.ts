/**
 * `otc-etl migrate [--dry-run] [--keep-timezone]`: apply the shipped migrations under the run lock,
 * adopting a legacy schema (the previous loader's) first.
 */
import { EXIT, type ExitCode } from '../../errors.js';
import { adoptLegacySchema } from '../../load/adopt-legacy.js';
import { applyMigrations, databaseTimezone, inspectSchema, listMigrations } from '../../load/migrate.js';
import { acquireRunLock } from '../../load/run-lock.js';
import { adoptionText } from '../adoption-text.js';
import { withDb, type Runtime } from '../runtime.js';

/** What happens to the database's TimeZone: set only when it is not already OTC_TIMEZONE. */
function timezoneText(wanted: string | null, before: string | null, verb: 'set' | 'would set'): string {
  const now = before ?? "the server's default";
  if (wanted === null) return `database TimeZone kept as it is (${now}; --keep-timezone)`;
  if (before === wanted) return `database TimeZone is already ${wanted}`;
  return verb === 'set' ? `database TimeZone set to ${wanted} (was ${now})` : `would set the database TimeZone to ${wanted} (now ${now})`;
}

/** Bytes as a person reads them (1 decimal, binary units). */
function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]} (${bytes} bytes)`;
}

export async function migrateCommand(rt: Runtime, flags: { dryRun?: boolean; keepTimezone?: boolean }): Promise<ExitCode> {
  const { schema } = rt.config;
  const timezone = flags.keepTimezone ? null : rt.config.timezone;
  return withDb(rt, async (db) => {
    const release = await acquireRunLock(db, schema, 'migrate');
    try {
      const before = await inspectSchema(db, schema);
      const timezoneBefore = await databaseTimezone(db);
      const plan = before.pending.map((m) => `${String(m.version).padStart(3, '0')}_${m.name}`);
      if (flags.dryRun) {
        const adoption =
          before.state === 'legacy'
            ? await adoptLegacySchema(db, { schema, timezone: rt.config.timezone, dryRun: true, migrations: listMigrations() })
            : null;
        // Adopted migrations are recorded, not run: only the later ones would still be applied.
        const pending = plan.filter((name) => !adoption?.migrationsRecorded.includes(name));
        rt.print({ dryRun: true, schema, state: before.state, pending, timezone, timezoneBefore, adoption }, () =>
          [
            `schema ${schema}: ${before.state}`,
            ...(adoption ? [adoptionText(adoption), ''] : []),
            pending.length ? `would apply: ${pending.join(', ')}` : 'nothing to apply',
            timezoneText(timezone, timezoneBefore, 'would set'),
          ].join('\n'),
        );
        return EXIT.ok;
      }
      const result = await applyMigrations(db, { schema, timezone, adoptTimezone: rt.config.timezone });
      const { adoption } = result;
      const { freedBytes } = result;
      rt.print(
        { dryRun: false, schema, state: result.stateBefore, applied: result.applied, timezone, timezoneBefore, adoption, freedBytes },
        () =>
          [
            ...(adoption ? [adoptionText(adoption), ''] : []),
            result.applied.length ? `applied: ${result.applied.join(', ')}` : `schema ${schema} is up to date`,
            ...(result.applied.length ? [`space freed: ${formatBytes(freedBytes)}`] : []),
            timezoneText(timezone, timezoneBefore, 'set'),
          ].join('\n'),
      );
      return EXIT.ok;
    } finally {
      await release();
    }
  });
}
