/**
 * The run chart of one view as inline SVG: a bar per run for the rows it changed (inserted + updated +
 * removed), coloured by status, and a point per run for its duration on a second scale. Every mark
 * carries data-* attributes (view, run id, status, value) and a <title>, so it reads without JavaScript
 * and can be checked by a test.
 */
import type { RunPoint } from '../pipeline/report-data.js';
import { ZERO_COUNTS } from '../load/runs.js';
import { runInWords, runKindWords } from '../pipeline/state-words.js';
import { esc, localTime } from './page-text.js';

const WIDTH = 1000;
const HEIGHT = 184;
const PAD = { left: 56, right: 56, top: 14, bottom: 44 } as const;
/** Width of one character of an axis label (11px system font), for keeping labels apart. */
const LABEL_CHAR_PX = 6.6;
/** Slots drawn at least, so two runs do not make two fat bars. */
const MIN_SLOTS = 10;
/** A run that changed nothing (or failed) still gets a visible bar. */
const MIN_BAR_PX = 3;

export const STATUS_COLOURS: Readonly<Record<string, string>> = {
  success: '#2e7d32',
  partial: '#b7791f',
  failed: '#c62828',
  cancelled: '#6b7280',
};
const DURATION_COLOUR = '#1d4ed8';

export function changedRows(run: RunPoint): number {
  return run.inserted + run.updated + run.removed;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

export function runChart(view: string, runs: readonly RunPoint[], timeZone: string): string {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const baseY = PAD.top + plotH;
  const head = `<svg class="run-chart" data-view="${esc(view)}" data-runs="${runs.length}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${esc(`Last ${runs.length} runs of ${view}: rows changed and duration`)}" xmlns="http://www.w3.org/2000/svg">`;
  if (runs.length === 0) {
    return `${head}<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" class="axis">no runs yet</text></svg>`;
  }
  const slot = plotW / Math.max(runs.length, MIN_SLOTS);
  const barW = slot * 0.6;
  const maxChanged = Math.max(1, ...runs.map(changedRows));
  const maxDuration = Math.max(1, ...runs.map((r) => r.durationSeconds ?? 0));
  const parts: string[] = [head];
  parts.push(`<line class="axis-line" x1="${PAD.left}" y1="${baseY}" x2="${PAD.left + plotW}" y2="${baseY}"/>`);
  parts.push(`<text class="axis" x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end">${maxChanged}</text>`);
  parts.push(`<text class="axis" x="${PAD.left - 6}" y="${baseY}" text-anchor="end">0</text>`);
  parts.push(`<text class="axis" x="${PAD.left + plotW + 6}" y="${PAD.top + 4}" fill="${DURATION_COLOUR}">${round(maxDuration)} s</text>`);
  parts.push(`<text class="axis" x="${PAD.left + plotW + 6}" y="${baseY}" fill="${DURATION_COLOUR}">0 s</text>`);
  const points: string[] = [];
  const dots: string[] = [];
  runs.forEach((run, i) => {
    const x = PAD.left + i * slot + (slot - barW) / 2;
    const changed = changedRows(run);
    const h = Math.max(MIN_BAR_PX, (changed / maxChanged) * plotH);
    const counts = {
      ...ZERO_COUNTS,
      fetched: run.fetched,
      inserted: run.inserted,
      updated: run.updated,
      unchanged: run.unchanged,
      rejected: run.rejected,
      removed: run.removed,
    };
    const what = runKindWords(run.source);
    const label = `${localTime(run.start, timeZone)} · ${what} ${run.status} · ${runInWords({ status: run.status, counts })} · ${run.durationSeconds ?? '?'} s · run ${run.runId}`;
    const failed = run.status === 'failed' || run.status === 'cancelled';
    // A failed run changed nothing, so its bar is tiny: a full-height band makes it stand out.
    if (failed) parts.push(`<rect class="failed-band" x="${round(x)}" y="${PAD.top}" width="${round(barW)}" height="${plotH}"/>`);
    parts.push(
      `<rect class="run-bar status-${esc(run.status)}" data-view="${esc(view)}" data-source="${esc(run.source)}" data-run-id="${esc(run.runId)}" data-status="${esc(run.status)}" data-changed="${changed}" data-start="${esc(run.start)}"` +
        ` x="${round(x)}" y="${round(baseY - h)}" width="${round(barW)}" height="${round(h)}" fill="${STATUS_COLOURS[run.status] ?? '#999'}"><title>${esc(label)}</title></rect>`,
    );
    if (run.durationSeconds !== null) {
      const cx = round(PAD.left + i * slot + slot / 2);
      const cy = round(baseY - (run.durationSeconds / maxDuration) * plotH);
      points.push(`${cx},${cy}`);
      dots.push(
        `<circle class="run-duration" data-view="${esc(view)}" data-run-id="${esc(run.runId)}" data-seconds="${run.durationSeconds}" cx="${cx}" cy="${cy}" r="3.5" fill="${DURATION_COLOUR}"><title>${esc(`${run.durationSeconds} s · ${localTime(run.start, timeZone)}`)}</title></circle>`,
      );
    }
  });
  if (points.length > 1) {
    parts.push(
      `<polyline class="duration-line" points="${points.join(' ')}" fill="none" stroke="${DURATION_COLOUR}" stroke-width="1.2" stroke-opacity="0.5"/>`,
    );
  }
  parts.push(...dots);
  parts.push(...axisLabels(runs, slot, timeZone));
  parts.push('</svg>');
  return parts.join('');
}

/**
 * The time axis: the first run's time under its bar, the last run's under its bar. Runs close together
 * must not print two labels over each other: the last label drops the date it shares with the first,
 * shows seconds when both fall in the same minute, and moves to a second line when it would still
 * overlap.
 */
export function axisLabels(runs: readonly RunPoint[], slot: number, timeZone: string): string[] {
  const first = runs[0]!;
  const lastRun = runs[runs.length - 1]!;
  const sameMinute = runs.length > 1 && localTime(first.start, timeZone) === localTime(lastRun.start, timeZone);
  const firstText = localTime(first.start, timeZone, { seconds: sameMinute });
  const y = HEIGHT - PAD.bottom + 16;
  const out = [`<text class="axis axis-time" x="${round(PAD.left)}" y="${y}">${esc(firstText)}</text>`];
  if (runs.length < 2) return out;
  const full = localTime(lastRun.start, timeZone, { seconds: sameMinute });
  const sameDay = full.slice(0, 10) === firstText.slice(0, 10);
  const lastText = sameDay ? full.slice(11) : full;
  const lastRight = PAD.left + runs.length * slot;
  const firstRight = PAD.left + firstText.length * LABEL_CHAR_PX;
  const lastLeft = lastRight - lastText.length * LABEL_CHAR_PX;
  const lastY = lastLeft < firstRight + 8 ? y + 14 : y;
  out.push(`<text class="axis axis-time" x="${round(lastRight)}" y="${lastY}" text-anchor="end">${esc(lastText)}</text>`);
  return out;
}
