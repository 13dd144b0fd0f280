/**
 * The command line: parses arguments, calls the pipeline, prints, and maps outcomes to the documented
 * exit codes (0 ok, 1 a view failed or a check found a problem, 2 usage/configuration, 3 locked,
 * 4 database unreachable or needs migrate).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { EXIT, type ExitCode } from '../errors.js';
import { allViewsText, viewNamesText } from '../registry.js';
// Each command's module is loaded when that command runs: `status` or `config` need neither the HTTP
// client nor the simulator, and loading every command took longer than a read-only command's work.
import type { ReportFlags } from './commands/report.js';
import type { ServeFlags } from './commands/serve.js';
import type { SimulateFlags } from './commands/simulate.js';
import {
  collect,
  DEFAULT_CHART_RUNS,
  DEFAULT_HOST,
  DEFAULT_SCALE,
  DEFAULT_SCHEDULE,
  DEFAULT_SEED,
  DEFAULT_SERVE_PORT,
  DEFAULT_SIMULATOR_PORT,
  DEFAULT_STEP,
} from './flags.js';
import type { CliIo } from './io.js';
import { runWithRejectRate as runWithRejectRateIn, type RejectRateFlags } from './reject-rate-flag.js';
import { runCommand as runCommandIn, type CommonFlags, type Runtime } from './runtime.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function withCommon(cmd: Command): Command {
  return cmd
    .version(VERSION)
    .option('--json', 'print one machine-readable JSON document on stdout')
    .addOption(new Option('--log-format <format>', 'log lines on stderr').choices(['text', 'json']).default('text'))
    .addOption(
      new Option('--log-level <level>', 'least severe log level shown')
        .choices(['debug', 'info', 'warn', 'error', 'silent'])
        .default('info'),
    );
}

/**
 * Runs the CLI and resolves to the process exit code. `argv` is as `process.argv` (the first two entries
 * are node and the script); `io` is the process it runs in (see io.ts).
 */
export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  const set = (code: ExitCode) => {
    exitCode = code;
  };
  // Every command runs with this invocation's environment, directory, streams and database opener.
  const runCommand = (flags: CommonFlags, body: (rt: Runtime) => Promise<ExitCode>) => runCommandIn(io, flags, body);
  const runWithRejectRate = (flags: RejectRateFlags, body: (rt: Runtime) => Promise<ExitCode>) => runWithRejectRateIn(io, flags, body);
  const program = new Command('otc-etl')
    .description('Keeps a PostgreSQL copy of the OTC service desk views (tickets, comments, timesheets) current.')
    .version(VERSION)
    .exitOverride()
    // Help, version and argument errors go where the rest of the output goes (the subcommands inherit this).
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError('(run with --help for usage)');

  const viewsArgument = `${viewNamesText('and/or')} (default ${allViewsText()})`;
  withCommon(program.command('sync').argument('[view...]', viewsArgument))
    .description('fetch the views from OTC and load them')
    .option('--allow-shrink', 'accept a payload much smaller than the last successful fetch (or empty)')
    .option(
      '--metrics-file <path>',
      'also write the Prometheus metrics to this file (node_exporter textfile collector; written atomically)',
    )
    .option(
      '--max-reject-rate <share>',
      'for this run, the share of rejected records (0 to 1) above which a view fails (default OTC_MAX_REJECT_RATE)',
    )
    .action(async (views: string[], flags: RejectRateFlags & { allowShrink?: boolean; metricsFile?: string }) => {
      set(await runWithRejectRate(flags, async (rt) => (await import('./commands/sync.js')).syncCommand(rt, views, flags)));
    });

  withCommon(program.command('import').argument('<file...>', 'XLSX, CSV or JSON exports of any view'))
    .description('load spreadsheet or JSON exports (the view is told from the headers)')
    .option('--view <view>', `the view the files hold (${viewNamesText('or')}), when their headers do not tell`)
    .option('--sheet <name>', 'import only this sheet of each XLSX workbook (default: every sheet that holds a view)')
    .option(
      '--max-reject-rate <share>',
      'for this run, the share of rejected records (0 to 1) above which a file fails (default OTC_MAX_REJECT_RATE)',
    )
    .action(async (files: string[], flags: RejectRateFlags & { view?: string; sheet?: string }) => {
      set(await runWithRejectRate(flags, async (rt) => (await import('./commands/import.js')).importCommand(rt, files, flags)));
    });

  withCommon(program.command('reprocess').argument('[view...]', viewsArgument))
    .description('re-derive the typed columns from the stored _raw records (after a parser fix)')
    .action(async (views: string[], flags: CommonFlags) => {
      set(await runCommand(flags, async (rt) => (await import('./commands/reprocess.js')).reprocessCommand(rt, views)));
    });

  withCommon(program.command('migrate'))
    .description('apply the database migrations (adopting a legacy schema)')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--keep-timezone', "do not set the database's default TimeZone to OTC_TIMEZONE")
    .action(async (flags: CommonFlags & { dryRun?: boolean; keepTimezone?: boolean }) => {
      set(await runCommand(flags, async (rt) => (await import('./commands/migrate.js')).migrateCommand(rt, flags)));
    });

  withCommon(program.command('status'))
    .description('per view: last success, age against its window, rows, last run, newest cursor, gaps')
    .action(async (flags: CommonFlags) => {
      set(await runCommand(flags, async (rt) => (await import('./commands/status.js')).statusCommand(rt)));
    });

  withCommon(program.command('users'))
    .description('rebuild the user lookup (short username, full name, user id) from the stored views')
    .action(async (flags: CommonFlags) => {
      set(await runCommand(flags, async (rt) => (await import('./commands/users.js')).usersCommand(rt)));
    });

  withCommon(program.command('health'))
    .description('database, migrations, circuit breaker, request budget, last sync per view; exit 0 healthy, 1 a problem, 4 database')
    .option('--probe', 'also call the source once (the comments view) through the protective client')
    .action(async (flags: CommonFlags & { probe?: boolean }) => {
      set(await runCommand(flags, async (rt) => (await import('./commands/health.js')).healthCommand(rt, flags)));
    });

  withCommon(program.command('breaker'))
    .description('the OTC circuit breaker and the request budget; --reset closes the breaker (logged)')
    .option('--reset', 'close the breaker now, so the next request goes to OTC')
    .action(async (flags: CommonFlags & { reset?: boolean }) => {
      set(await runCommand(flags, async (rt) => (await import('./commands/breaker.js')).breakerCommand(rt, flags)));
    });

  withCommon(program.command('serve'))
    .description('sync on a cron schedule and serve /healthz, /metrics, a status page at /, POST /sync and POST /breaker/reset')
    .option('--schedule <cron>', 'cron expression in OTC_TIMEZONE (5 fields, or 6 with seconds first)', DEFAULT_SCHEDULE)
    .option('--port <n>', 'port for the HTTP endpoints (0 = any free port)', String(DEFAULT_SERVE_PORT))
    .option('--host <host>', `address to bind (keep ${DEFAULT_HOST} unless a proxy or scraper needs more)`, DEFAULT_HOST)
    .option('--run-now', 'run a full sync at start, then follow the schedule')
    .action(async (flags: CommonFlags & ServeFlags) => {
      set(await runCommand(flags, async (rt) => (await import('./commands/serve.js')).serveCommand(rt, flags)));
    });

  withCommon(program.command('report'))
    .description('write the status page as one self-contained HTML file')
    .requiredOption('--out <file>', 'where to write the HTML file')
    .option('--runs <n>', 'runs per view in the charts', String(DEFAULT_CHART_RUNS))
    .action(async (flags: CommonFlags & ReportFlags) => {
      set(await runCommand(flags, async (rt) => (await import('./commands/report.js')).reportCommand(rt, flags)));
    });

  withCommon(program.command('config'))
    .description('print the effective configuration, secrets redacted')
    .action(async (flags: CommonFlags) => {
      set(await runCommand(flags, async (rt) => (await import('./commands/config.js')).configCommand(rt)));
    });

  withCommon(program.command('simulate'))
    .description('run a local OTC look-alike (for trying otc-etl without the real source)')
    .option('--port <n>', 'port to listen on (0 = any free port)', String(DEFAULT_SIMULATOR_PORT))
    .option('--host <host>', 'address to bind', DEFAULT_HOST)
    .option('--seed <n>', 'seed of the generated data', String(DEFAULT_SEED))
    .option('--scale <scale>', 'small, full, or a multiplier of full', DEFAULT_SCALE)
    .option(
      '--step <n>',
      'move the tickets this many steps on (one hour each, from the midnight that began yesterday in OTC_TIMEZONE)',
      String(DEFAULT_STEP),
    )
    .option('--username <name>', 'Basic auth user (default OTC_USERNAME)')
    .option('--password <password>', 'Basic auth password (default OTC_PASSWORD, else generated)')
    .option(
      '--fail-next <status:count[:retryAfter]>',
      'answer the next COUNT requests with STATUS (e.g. 503:3, 429:2:30 for Retry-After 30 s)',
    )
    .option('--delay-ms <n>', 'wait this long before answering every request')
    .option(
      '--fault <view=fault>',
      'make one view misbehave (repeatable): malformed, cutoff, truncated, empty, envelope-data, envelope-bare, envelope-unknown, new-field, drop-field, duplicate-keys',
      collect,
    )
    .action(async (flags: CommonFlags & SimulateFlags) => {
      set(await runCommand(flags, async (rt) => (await import('./commands/simulate.js')).simulateCommand(rt, flags)));
    });

  withCommon(program.command('demo'))
    .description('simulator + ./.otc-etl-demo embedded database + sync + status (what `npm start` runs)')
    .option('--scale <scale>', 'small, full, or a multiplier of full', DEFAULT_SCALE)
    .option('--seed <n>', 'seed of the generated data', String(DEFAULT_SEED))
    .action(async (flags: CommonFlags & { scale?: string; seed?: string }) => {
      set(await runCommand(flags, async (rt) => (await import('./commands/demo.js')).demoCommand(rt, flags)));
    });

  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      const done = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
      if (done) return EXIT.ok;
      // A script that asked for --json parses stdout even when the arguments were wrong.
      if (argv.includes('--json')) {
        io.stdout.write(`${JSON.stringify({ error: error.message.replace(/^error: /, ''), exitCode: EXIT.usage })}\n`);
      }
      return EXIT.usage;
    }
    throw error;
  }
  return exitCode;
}
