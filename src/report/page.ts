/**
 * The status page: one self-contained HTML document (inline CSS and SVG, no scripts, no external assets),
 * served at `/` by `otc-etl serve` and written by `otc-etl report --out FILE`. Every value is escaped, and
 * no record contents appear: of a reject only its reason and record key, of an error no body preview.
 */
import { storedKind } from '../load/source-kind.js';
import { REJECT_DAYS, type ReportData } from '../pipeline/report-data.js';
import { nameList, orphanMessage, runInWords } from '../pipeline/state-words.js';
import type { Finding, RunSummary, ViewState } from '../pipeline/view-state.js';
import { changedRows, runChart, STATUS_COLOURS } from './chart.js';
import { historySection } from './history-charts.js';
import { esc, localTime, shownError } from './page-text.js';

/** What the running service adds to the page (absent in a `report` file). */
export interface ServiceInfo {
  readonly schedule: string;
  readonly nextRun: string | null;
  readonly syncing: boolean;
  readonly lastTick: null | { readonly at: string; readonly outcome: string; readonly runId: string | null; readonly error: string | null };
  /** The page reloads itself this often (a meta refresh, no script). */
  readonly refreshSeconds: number;
}

const STYLE = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2937; }
body { margin: 0 auto; max-width: 1100px; padding: 16px 24px 48px; background: #f8fafc; }
h1 { font-size: 1.5rem; margin: 8px 0 2px; } h2 { font-size: 1.15rem; margin: 28px 0 8px; border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
h3 { font-size: 1rem; margin: 14px 0 4px; }
.meta { color: #6b7280; font-size: 0.85rem; margin: 0 0 4px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid #e5e7eb; border-left: 8px solid; border-radius: 6px; padding: 10px 14px; }
.card.green { border-left-color: #2e7d32; } .card.amber { border-left-color: #d97706; } .card.red { border-left-color: #c62828; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 0.75rem; font-weight: 600; color: #fff; vertical-align: middle; }
.badge.green { background: #2e7d32; } .badge.amber { background: #d97706; } .badge.red { background: #c62828; }
.card dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; margin: 8px 0 0; font-size: 0.85rem; }
.card dt { color: #6b7280; } .card dd { margin: 0; }
table.narrow { width: auto; min-width: 360px; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 0.85rem; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
th { background: #f1f5f9; font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.status-failed, .status-cancelled { color: #c62828; font-weight: 600; }
.chart { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: 6px 10px; margin-bottom: 10px; }
.legend { font-size: 0.8rem; color: #4b5563; } .legend span { display: inline-block; margin-right: 14px; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
svg .axis { font-size: 11px; fill: #6b7280; } svg .axis-line { stroke: #9ca3af; } svg .failed-band { fill: #c62828; fill-opacity: 0.12; }
.none { color: #6b7280; font-style: italic; } .gap { color: #c62828; } .service { background: #eef2ff; border: 1px solid #c7d2fe; border-radius: 6px; padding: 8px 12px; font-size: 0.85rem; }
code { font-size: 0.8rem; }
#findings li { margin: 3px 0; font-size: 0.9rem; } #findings li.problem { color: #c62828; } #findings li.warning { color: #92400e; }
.overall { font-size: 1rem; } .overall.problem strong { color: #c62828; } .overall.ok strong { color: #2e7d32; }
.drift { color: #92400e; }
`;

function runLine(run: RunSummary, tz: string): string {
  return `<span class="status-${esc(run.status)}">${esc(run.status)}</span> ${esc(localTime(run.start, tz))}: ${esc(runInWords(run))}`;
}

function viewCard(v: ViewState, tz: string): string {
  const f = v.freshness;
  const last = v.lastRun;
  const other = v.lastImportOrReprocess;
  const otherName = other ? (storedKind(other.source) === 'reprocess' ? 'last reprocess' : `last import (${other.source})`) : '';
  const drift = [
    v.drift.fieldsNew.length
      ? `<dt>new fields</dt><dd class="drift" data-kind="new">${esc(nameList(v.drift.fieldsNew))} (kept in _raw)</dd>`
      : '',
    v.drift.fieldsMissing.length
      ? `<dt>fields no longer sent</dt><dd class="drift" data-kind="missing">${esc(nameList(v.drift.fieldsMissing))} (stored values kept as they were)</dd>`
      : '',
  ].join('');
  return `<section class="card ${f.level}" data-view="${esc(v.view)}" data-freshness="${f.level}">
<h3>${esc(v.view)} <span class="badge ${f.level}">${f.level === 'green' ? 'fresh' : f.level === 'amber' ? 'attention' : 'stale'}</span></h3>
<div class="reason">${esc(f.reason)}</div>
<dl>
<dt>last committed API sync</dt><dd>${esc(localTime(v.lastSuccess, tz))}</dd>
<dt>window</dt><dd>${v.windowDays} days</dd>
<dt>rows</dt><dd>${v.rows.toLocaleString('en-AU')}</dd>
<dt>newest cursor</dt><dd>${esc(localTime(v.newestCursor, tz))}</dd>
<dt>last API sync</dt><dd class="last-run">${last ? runLine(last, tz) : 'none'}</dd>
${other ? `<dt>${esc(otherName)}</dt><dd class="last-other">${runLine(other, tz)}</dd>` : ''}
${drift}
</dl>
</section>`;
}

function findingsSection(data: ReportData): string {
  const { problems, warnings } = data.state;
  const item = (kind: string, f: Finding) =>
    `<li class="${kind}" data-code="${esc(f.code)}" data-view="${esc(f.view ?? '')}"><strong>${esc(f.view ?? 'source')}</strong> <code>${esc(f.code)}</code>: ${esc(shownError(f.message))}</li>`;
  const head = `<h2>Problems and warnings</h2>`;
  if (problems.length === 0 && warnings.length === 0) return `${head}<p class="none" id="findings">No problems, no warnings.</p>`;
  return `${head}<ul id="findings">${problems.map((p) => item('problem', p)).join('')}${warnings.map((w) => item('warning', w)).join('')}</ul>
<p class="meta">A problem means the copy is not being kept (status and health exit 1, /healthz answers 503); a warning needs a look but changes neither.</p>`;
}

function serviceBlock(s: ServiceInfo, tz: string): string {
  const tick = s.lastTick
    ? `last scheduled sync ${esc(localTime(s.lastTick.at, tz))}: ${esc(s.lastTick.outcome)}${s.lastTick.runId ? ` (run <code>${esc(s.lastTick.runId)}</code>)` : ''}${s.lastTick.error ? ` — ${esc(shownError(s.lastTick.error))}` : ''}`
    : 'no scheduled sync yet since the service started';
  return `<p class="service">Service: schedule <code>${esc(s.schedule)}</code> (${esc(tz)}) · ${s.syncing ? '<strong>sync in progress</strong>' : `next sync ${esc(localTime(s.nextRun, tz))}`} · ${tick}</p>`;
}

function chartsSection(data: ReportData): string {
  const legend = Object.entries(STATUS_COLOURS)
    .map(([status, colour]) => `<span><i class="swatch" style="background:${colour}"></i>${esc(status)}</span>`)
    .join('');
  const charts = data.state.views.map((v) => {
    const runs = data.runs[v.view as keyof ReportData['runs']] ?? [];
    const total = runs.reduce((n, r) => n + changedRows(r), 0);
    return `<div class="chart"><h3>${esc(v.view)} <span class="meta">${runs.length} runs, ${total.toLocaleString('en-AU')} rows changed</span></h3>${runChart(v.view, runs, data.timezone)}</div>`;
  });
  return `<h2>Last runs</h2>
<p class="legend">Bars: rows changed per run (inserted + updated + removed), coloured by status: ${legend}<span><i class="swatch" style="background:#1d4ed8;border-radius:5px"></i>duration (right scale)</span> A shaded column marks a failed or cancelled run.</p>
${charts.join('\n')}`;
}

function failuresSection(data: ReportData): string {
  if (data.failures.length === 0) return '<h2>Recent failures</h2><p class="none">No failed or cancelled runs.</p>';
  const rows = data.failures.map(
    (f) =>
      `<tr class="failure" data-view="${esc(f.view)}" data-run-id="${esc(f.runId)}"><td>${esc(localTime(f.start, data.timezone))}</td><td>${esc(f.view)}</td><td class="status-${esc(f.status)}">${esc(f.status)}</td><td>${esc(f.source)}</td><td><code>${esc(f.runId)}</code></td><td class="error">${esc(shownError(f.error))}</td></tr>`,
  );
  return `<h2>Recent failures</h2>
<table id="failures"><thead><tr><th>started</th><th>view</th><th>status</th><th>source</th><th>run</th><th>error</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function rejectsSection(data: ReportData): string {
  const title = `<h2>Reject reasons (last ${REJECT_DAYS} days)</h2>`;
  if (data.rejects.length === 0) return `${title}<p class="none">No rejects.</p>`;
  const rows = data.rejects.map(
    (r) =>
      `<tr class="reject" data-view="${esc(r.view)}" data-kind="${esc(r.kind)}"><td>${esc(r.view)}</td><td>${r.kind === 'record' ? 'record not stored' : 'value stored as NULL'}</td><td>${esc(r.field ?? '-')}</td><td class="num">${r.count}</td><td>${esc(r.exampleKey ?? '(no key)')}</td><td>${esc(r.exampleReason)}</td></tr>`,
  );
  return `${title}
<table id="rejects"><thead><tr><th>view</th><th>kind</th><th>field</th><th>count</th><th>example key</th><th>example reason</th></tr></thead><tbody>${rows.join('')}</tbody></table>
<p class="meta">The records themselves stay in <code>load_rejects</code>.</p>`;
}

function orphansSection(data: ReportData): string {
  const views = data.state.views.filter((v) => v.orphans !== null);
  const rows = views.map((v) => `<tr data-source="${esc(v.view)}"><td>${esc(v.view)}</td><td class="num">${v.orphans}</td></tr>`);
  const notes = views
    .filter((v) => (v.orphans ?? 0) > 0)
    .map((v) => `<li data-source="${esc(v.view)}">${esc(orphanMessage(v.view, v.orphans!))}</li>`);
  return `<h2>Orphans</h2>
<table id="orphans" class="narrow"><thead><tr><th>rows in</th><th>whose ticket is not in tickets</th></tr></thead><tbody>${rows.join('')}</tbody></table>
${notes.length ? `<ul class="meta orphan-notes">${notes.join('')}</ul>` : ''}`;
}

function gapsSection(data: ReportData): string {
  const items: string[] = [];
  for (const v of data.state.views) {
    for (const g of v.gaps) {
      items.push(
        `<li class="gap" data-view="${esc(v.view)}">${esc(v.view)}: no committed API sync from ${esc(localTime(g.from, data.timezone))} to ${esc(localTime(g.to, data.timezone))} (${g.days} days, window ${v.windowDays} days): records that left the window in between are lost</li>`,
      );
    }
    if (!v.fresh && v.lastSuccess !== null) {
      items.push(
        `<li class="gap open" data-view="${esc(v.view)}">${esc(v.view)}: no committed API sync since ${esc(localTime(v.lastSuccess, data.timezone))}, longer than its ${v.windowDays}-day window (still open)</li>`,
      );
    }
  }
  const body = items.length
    ? `<ul id="gaps">${items.join('')}</ul>`
    : '<p class="none">No coverage gaps: every view was synced within its window.</p>';
  return `<h2>Coverage gaps</h2>${body}`;
}

export function renderPage(data: ReportData, service?: ServiceInfo): string {
  const tz = data.timezone;
  const loads = data.state.views.flatMap((v) => v.running.map((r) => ({ view: v.view, ...r })));
  const running = loads.length
    ? `<p class="service">Running now: ${loads.map((r) => `${esc(r.view)} (${esc(r.source)}) since ${esc(localTime(r.since, tz))} (run <code>${esc(r.runId)}</code>)${r.interrupted ? ' — <strong>interrupted</strong>: its process is gone' : ''}`).join(', ')}</p>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${service ? `<meta http-equiv="refresh" content="${service.refreshSeconds}">` : ''}
<title>otc-etl status</title>
<style>${STYLE}</style>
</head>
<body>
<h1>otc-etl status</h1>
<p class="meta">Generated ${esc(localTime(data.generatedAt, tz))} (${esc(tz)}) from the database's etl_metadata.</p>
${service ? serviceBlock(service, tz) : ''}
${running}
<p class="overall ${data.state.status}" data-status="${data.state.status}">Overall: <strong>${data.state.status === 'ok' ? 'ok' : 'problem'}</strong> — ${data.state.problems.length} problem${data.state.problems.length === 1 ? '' : 's'}, ${data.state.warnings.length} warning${data.state.warnings.length === 1 ? '' : 's'}</p>
<h2>Freshness</h2>
<div class="cards">${data.state.views.map((v) => viewCard(v, tz)).join('\n')}</div>
${findingsSection(data)}
${chartsSection(data)}
${failuresSection(data)}
${rejectsSection(data)}
${orphansSection(data)}
${gapsSection(data)}
${data.history ? historySection(data.history) : ''}
</body>
</html>
`;
}
