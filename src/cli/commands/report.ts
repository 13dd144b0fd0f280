/** `otc-etl report --out FILE.html`: the status page as one self-contained HTML file. */
import { EXIT, type ExitCode } from '../../errors.js';
import { inspectSchema, requireCurrent } from '../../load/migrate.js';
import { readReport } from '../../pipeline/report-data.js';
import { renderPage } from '../../report/page.js';
import { DEFAULT_CHART_RUNS, parseIntFlag } from '../flags.js';
import { writeFileAtomic } from '../output-files.js';
import { withDb, type Runtime } from '../runtime.js';

export interface ReportFlags {
  out: string;
  runs?: string;
}

export async function reportCommand(rt: Runtime, flags: ReportFlags): Promise<ExitCode> {
  const runs = Math.max(1, parseIntFlag('--runs', flags.runs, DEFAULT_CHART_RUNS));
  return withDb(rt, async (db) => {
    requireCurrent(await inspectSchema(db, rt.config.schema), rt.config.schema);
    const html = renderPage(await readReport(db, rt.config, { runs }));
    await writeFileAtomic(rt.io.cwd, flags.out, html);
    rt.print({ out: flags.out, bytes: Buffer.byteLength(html) }, () => `Wrote the status page to ${flags.out}.`);
    return EXIT.ok;
  });
}
