/**
 * The Prometheus text exposition format (version 0.0.4) of a metrics snapshot, with exactly the metric
 * names the README's Metrics table documents (dashboards and alert rules depend on them). The same text
 * serves `/metrics` and the node_exporter textfile collector (`sync --metrics-file`).
 */
import { FINISHED_STATUSES, ROW_OUTCOMES, type MetricsSnapshot } from '../pipeline/metrics-data.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Readonly<Record<string, string>>;

interface Family {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly help: string;
  readonly samples: ReadonlyArray<readonly [Labels, number]>;
}

function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function sampleLine(name: string, labels: Labels, value: number): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${labelValue(v)}"`);
  return `${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${Number.isFinite(value) ? String(value) : 'NaN'}`;
}

function familyText(f: Family): string {
  return [`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.samples.map(([l, v]) => sampleLine(f.name, l, v))].join('\n');
}

export function metricsFamilies(m: MetricsSnapshot): Family[] {
  return [
    {
      name: 'otc_etl_last_success_timestamp_seconds',
      type: 'gauge',
      help: 'End of the last committed (success or partial) API sync of the view, Unix time; 0 if there never was one.',
      samples: m.views.map((v) => [{ view: v.view }, v.lastSuccessSeconds ?? 0]),
    },
    {
      name: 'otc_etl_last_run_rows',
      type: 'gauge',
      help: "Rows by outcome in the view's last finished API sync (inserted and updated are 0 for a run that rolled back).",
      samples: m.views.flatMap((v) =>
        v.lastRun ? ROW_OUTCOMES.map((o): [Labels, number] => [{ view: v.view, outcome: o }, v.lastRun!.rows[o]]) : [],
      ),
    },
    {
      name: 'otc_etl_last_run_duration_seconds',
      type: 'gauge',
      help: "Duration of the view's last finished API sync, in seconds.",
      samples: m.views.flatMap((v) => (v.lastRun ? [[{ view: v.view }, v.lastRun.durationSeconds] as [Labels, number]] : [])),
    },
    {
      name: 'otc_etl_runs_total',
      type: 'counter',
      help: 'Finished API syncs of the view by status (success, partial, failed, cancelled), as recorded in etl_metadata; imports and reprocess runs are not counted.',
      samples: m.views.flatMap((v) => FINISHED_STATUSES.map((s): [Labels, number] => [{ view: v.view, status: s }, v.runs[s]])),
    },
    {
      name: 'otc_etl_source_requests_total',
      type: 'counter',
      help: 'Requests sent to OTC by HTTP status code of the response.',
      samples: m.source.requests.map((r) => [{ code: r.code }, r.count]),
    },
    {
      name: 'otc_etl_breaker_open',
      type: 'gauge',
      help: 'Whether the circuit breaker in front of OTC is open (1) and no request is being sent.',
      samples: [[{}, m.source.breakerOpen ? 1 : 0]],
    },
    {
      name: 'otc_etl_drift_fields',
      type: 'gauge',
      help: "Source fields of the view's last API sync that no earlier sync carried (kind new) or that the previous committed sync carried and this one did not (kind missing).",
      samples: m.views.flatMap((v) => [
        [{ view: v.view, kind: 'new' }, v.drift.new] as [Labels, number],
        [{ view: v.view, kind: 'missing' }, v.drift.missing] as [Labels, number],
      ]),
    },
    {
      name: 'otc_etl_view_problem',
      type: 'gauge',
      help: 'Whether the view has a problem (1): no committed API sync within its window, never-synced included.',
      samples: m.views.map((v) => [{ view: v.view }, v.problem ? 1 : 0]),
    },
    {
      name: 'otc_etl_warnings',
      type: 'gauge',
      help: 'Warnings now, by view and code (view "" for the source); the README lists the codes.',
      samples: m.warnings.map((w) => [{ view: w.view, code: w.code }, w.count]),
    },
  ];
}

/** The exposition text: every family with HELP and TYPE, ending in a newline. */
export function metricsText(m: MetricsSnapshot): string {
  return `${metricsFamilies(m).map(familyText).join('\n')}\n`;
}
