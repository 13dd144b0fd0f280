/**
 * The ticket history on the status page: the open tickets per team per day as an inline SVG line
 * chart, and the time tickets spent in each status (median and 90th percentile hours) as a table with
 * inline bars. Every mark carries data-* attributes and a <title>, so it reads without JavaScript and
 * can be checked by a test.
 */
import type { BacklogPoint, HistorySummary, StatusStay } from '../pipeline/history-data.js';
import { esc } from './page-text.js';

const WIDTH = 1000;
const HEIGHT = 220;
const PAD = { left: 56, right: 16, top: 14, bottom: 30 } as const;
const DAY_MS = 86_400_000;
/** One colour per team, in order of the team's largest backlog; later teams reuse them. */
const TEAM_COLOURS = ['#1d4ed8', '#c2410c', '#15803d', '#7c3aed', '#b91c1c', '#0e7490', '#a16207', '#be185d', '#4b5563'];

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function teamName(team: string | null): string {
  return team ?? '(no team)';
}

/** Every day from `from` to `to`, `YYYY-MM-DD`. */
function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`); ms <= Date.parse(`${to}T00:00:00Z`); ms += DAY_MS) {
    days.push(new Date(ms).toISOString().slice(0, 10));
  }
  return days;
}

/** Each team's open tickets on every day shown (0 where backlog_daily has no row). */
function seriesByTeam(backlog: readonly BacklogPoint[], days: readonly string[]): Array<{ team: string; counts: number[] }> {
  const index = new Map(days.map((d, i) => [d, i]));
  const teams = new Map<string, number[]>();
  for (const p of backlog) {
    const name = teamName(p.team);
    const counts = teams.get(name) ?? teams.set(name, new Array<number>(days.length).fill(0)).get(name)!;
    const i = index.get(p.day);
    if (i !== undefined) counts[i] = p.open;
  }
  return [...teams.entries()]
    .map(([team, counts]) => ({ team, counts }))
    .sort((a, b) => Math.max(...b.counts) - Math.max(...a.counts) || a.team.localeCompare(b.team));
}

export function backlogChart(summary: HistorySummary): string {
  const days = daysBetween(summary.fromDay, summary.toDay);
  const series = seriesByTeam(summary.backlog, days);
  const head = `<svg class="backlog-chart" data-days="${days.length}" data-teams="${series.length}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${esc(`Open tickets per team per day, ${summary.fromDay} to ${summary.toDay}`)}" xmlns="http://www.w3.org/2000/svg">`;
  if (series.length === 0) {
    return `${head}<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" class="axis">no open tickets in the ticket history for these days</text></svg>`;
  }
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const baseY = PAD.top + plotH;
  const max = Math.max(1, ...series.flatMap((s) => s.counts));
  const x = (i: number) => round(PAD.left + (days.length === 1 ? plotW / 2 : (i / (days.length - 1)) * plotW));
  const y = (n: number) => round(baseY - (n / max) * plotH);
  const parts: string[] = [head];
  parts.push(`<line class="axis-line" x1="${PAD.left}" y1="${baseY}" x2="${PAD.left + plotW}" y2="${baseY}"/>`);
  parts.push(`<text class="axis" x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end">${max}</text>`);
  parts.push(`<text class="axis" x="${PAD.left - 6}" y="${baseY}" text-anchor="end">0</text>`);
  series.forEach((s, i) => {
    const colour = TEAM_COLOURS[i % TEAM_COLOURS.length]!;
    const points = s.counts.map((n, d) => `${x(d)},${y(n)}`).join(' ');
    const last = s.counts[s.counts.length - 1] ?? 0;
    const peak = Math.max(...s.counts);
    parts.push(
      `<polyline class="backlog-line" data-team="${esc(s.team)}" data-last="${last}" data-peak="${peak}" points="${points}" fill="none" stroke="${colour}" stroke-width="1.6">` +
        `<title>${esc(`${s.team}: ${last} open on ${summary.toDay}, at most ${peak}`)}</title></polyline>`,
    );
  });
  parts.push(`<text class="axis" x="${PAD.left}" y="${HEIGHT - 8}">${esc(summary.fromDay)}</text>`);
  parts.push(`<text class="axis" x="${PAD.left + plotW}" y="${HEIGHT - 8}" text-anchor="end">${esc(summary.toDay)}</text>`);
  parts.push('</svg>');
  const legend = series
    .map((s, i) => `<span><i class="swatch" style="background:${TEAM_COLOURS[i % TEAM_COLOURS.length]}"></i>${esc(s.team)}</span>`)
    .join('');
  return `${parts.join('')}<p class="legend">${legend}</p>`;
}

function hours(h: number): string {
  return h < 10 ? h.toFixed(1) : Math.round(h).toLocaleString('en-AU');
}

function stayRow(s: StatusStay, maxHours: number): string {
  const bar = (h: number) => round((h / maxHours) * 200);
  const name = s.status ?? '(no status)';
  const svg =
    `<svg class="stay-bars" width="210" height="14" viewBox="0 0 210 14" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(`${name}: median ${hours(s.medianHours)} h, 90th percentile ${hours(s.p90Hours)} h`)}">` +
    `<rect x="0" y="2" width="${Math.max(1, bar(s.p90Hours))}" height="10" fill="#93c5fd"/><rect x="0" y="2" width="${Math.max(1, bar(s.medianHours))}" height="10" fill="#1d4ed8"/></svg>`;
  return (
    `<tr class="stay" data-status="${esc(name)}" data-stays="${s.stays}" data-median-hours="${round(s.medianHours)}" data-p90-hours="${round(s.p90Hours)}">` +
    `<td>${esc(name)}</td><td class="num">${s.stays}</td><td class="num">${hours(s.medianHours)}</td><td class="num">${hours(s.p90Hours)}</td><td>${svg}</td></tr>`
  );
}

export function timeInStatusTable(summary: HistorySummary): string {
  if (summary.timeInStatus.length === 0) {
    return `<p class="none">No ticket has left a status in the last ${summary.days} days yet: the history needs at least two syncs that see a ticket change.</p>`;
  }
  const maxHours = Math.max(1e-9, ...summary.timeInStatus.map((s) => s.p90Hours));
  return (
    `<table id="time-in-status" class="narrow"><thead><tr><th>status</th><th>stays ended</th><th>median hours</th><th>90th percentile hours</th><th><i class="swatch" style="background:#1d4ed8"></i>median <i class="swatch" style="background:#93c5fd"></i>90th percentile</th></tr></thead>` +
    `<tbody>${summary.timeInStatus.map((s) => stayRow(s, maxHours)).join('')}</tbody></table>`
  );
}

/** The page's "Ticket history" section. */
export function historySection(summary: HistorySummary): string {
  return `<h2>Ticket history</h2>
<p class="meta">${summary.versions.toLocaleString('en-AU')} versions of ${summary.tickets.toLocaleString('en-AU')} tickets in <code>ticket_history</code>. Only versions a sync or import saw are known: changes between two syncs collapse into one.</p>
<h3>Open tickets per team, last ${summary.days} days</h3>
<div class="chart" id="backlog">${backlogChart(summary)}</div>
<p class="meta">From <code>backlog_daily</code>: tickets created by the end of each day whose status then was not Closed or Incident Resolved.</p>
<h3>Time in status (stays that ended in the last ${summary.days} days)</h3>
${timeInStatusTable(summary)}`;
}
