import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nameList, runInWords } from '../../src/pipeline/state-words.js';
import { decideState } from '../../src/pipeline/view-state.js';
import { breakerReport } from '../../src/pipeline/breaker-control.js';
import type { Config } from '../../src/config.js';
import type { BreakerState } from '../../src/source/breaker-policy.js';
import { stateExitCode } from '../../src/cli/state-output.js';
import { healthzOf } from '../../src/service/healthz.js';
import { CLOSED_SOURCE, DAY, HOUR, NOW, runRow, stateFacts } from '../support/state-facts.js';

const codes = (findings: ReadonlyArray<{ view: string | null; code: string }>) => findings.map((f) => `${f.view ?? '-'}:${f.code}`);

describe('the state model on hand-built etl_metadata rows', () => {
  test('three views synced an hour ago: ok, no problems, no warnings', () => {
    const s = decideState(stateFacts());
    assert.equal(s.status, 'ok');
    assert.deepEqual([s.problems, s.warnings], [[], []]);
    assert.deepEqual(
      s.views.map((v) => [v.view, v.fresh, v.freshness.level]),
      [
        ['comments', true, 'green'],
        ['timesheets', true, 'green'],
        ['tickets', true, 'green'],
      ],
    );
  });

  test('an empty database after migrate: every view is a never_synced problem', () => {
    const none = { lastCommittedApiRun: null, lastApiRun: null, lastDriftRun: null, rows: 0 };
    const s = decideState(stateFacts({ comments: none, timesheets: none, tickets: none }));
    assert.equal(s.status, 'problem');
    assert.deepEqual(codes(s.problems), ['comments:never_synced', 'timesheets:never_synced', 'tickets:never_synced']);
    assert.deepEqual(s.warnings, []);
  });

  test('a committed sync older than the window is a stale problem; one inside it is not', () => {
    const old = runRow('tickets', 11 * DAY);
    const s = decideState(
      stateFacts({
        tickets: { lastCommittedApiRun: old, lastApiRun: old },
        timesheets: { lastCommittedApiRun: runRow('timesheets', 400 * DAY) },
      }),
    );
    assert.deepEqual(codes(s.problems), ['tickets:stale']);
    assert.match(s.problems[0]!.message, /10-day window/);
    assert.equal(s.views[1]!.freshness.level, 'amber', 'over half of the 548-day window used');
  });

  test('an open breaker while every view is fresh is a warning (breaker_open), not a problem', () => {
    const source = {
      ...CLOSED_SOURCE,
      breaker: { state: 'open' as const, failures: 3, openedAt: NOW - 60_000, openUntil: NOW + 540_000 },
      lastError: 'OTC answered 503',
    };
    const s = decideState(stateFacts({}, { source }));
    assert.equal(s.status, 'ok');
    assert.deepEqual(codes(s.warnings), ['-:breaker_open']);
    assert.equal(s.source?.breaker.cooldownRemainingSeconds, 540);
  });

  test('an open breaker past its cooldown reads as half-open, without a warning', () => {
    const source = {
      ...CLOSED_SOURCE,
      breaker: { state: 'open' as const, failures: 3, openedAt: NOW - 700_000, openUntil: NOW - 100_000 },
    };
    const s = decideState(stateFacts({}, { source }));
    assert.equal(s.source?.breaker.state, 'half-open');
    assert.deepEqual(s.warnings, []);
  });

  test('a spent request budget is a warning that says when the next request may go', () => {
    const recentRequests = Array.from({ length: 100 }, (_, i) => NOW - 50 * 60_000 + i * 1000);
    const s = decideState(stateFacts({}, { source: { ...CLOSED_SOURCE, recentRequests } }));
    assert.deepEqual(codes(s.warnings), ['-:budget_spent']);
    assert.equal(s.source?.requests.nextAllowedAt, new Date(NOW + 10 * 60_000).toISOString());
  });

  test('a failed last API run while the committed sync is within the window is a warning, exit-0 material', () => {
    const failed = runRow('comments', HOUR / 2, {
      load_status: 'failed',
      error_message: 'OTC answered 503 for comments',
      records_inserted: 0,
    });
    const s = decideState(stateFacts({ comments: { lastApiRun: failed } }));
    assert.equal(s.status, 'ok');
    assert.deepEqual(codes(s.warnings), ['comments:last_run_failed']);
    assert.equal(s.views[0]!.freshness.level, 'amber');
  });

  test("a failed run's warning names its view once, whether or not the stored error does", () => {
    for (const error_message of ['OTC answered 503 for view comments (overloaded).', 'the disk is full.']) {
      const failed = runRow('comments', HOUR / 2, { load_status: 'failed', error_message, records_inserted: 0 });
      const [warning] = decideState(stateFacts({ comments: { lastApiRun: failed } })).warnings;
      // The hand-built run id carries the view's name too; a real one is a UUID.
      assert.equal(warning!.message.replace(failed.run_id as string, '').split('comments').length - 1, 1, warning!.message);
      assert.doesNotMatch(warning!.message, /\.;/);
    }
  });

  test('a failed import never stands in for the API sync: no problem, no drift, one import_failed warning', () => {
    const badImport = runRow('tickets', HOUR / 4, {
      source: 'tickets-export.csv',
      load_status: 'failed',
      error_message: 'no header row places the file in a view',
      fields_missing: Array.from({ length: 60 }, (_, i) => `TKT-Field ${i}`),
      drift_measured: false,
    });
    const s = decideState(stateFacts({ tickets: { lastOtherRun: badImport } }));
    assert.equal(s.status, 'ok');
    assert.deepEqual(codes(s.warnings), ['tickets:import_failed']);
    const tickets = s.views[2]!;
    assert.equal(tickets.lastRun?.source, 'api');
    assert.equal(tickets.lastImportOrReprocess?.source, 'tickets-export.csv');
    assert.deepEqual(tickets.drift.fieldsMissing, []);
  });

  test('drift of the last measured API run is a warning per kind, naming the API fields', () => {
    const drifted = runRow('comments', HOUR, { fields_new: ['TKTCT-Mood'], fields_missing: ['TKTCT-Team'] });
    const s = decideState(stateFacts({ comments: { lastApiRun: drifted, lastCommittedApiRun: drifted, lastDriftRun: drifted } }));
    assert.deepEqual(codes(s.warnings), ['comments:drift_new_fields', 'comments:drift_missing_fields']);
    assert.match(s.warnings[1]!.message, /TKTCT-Team.*stored values are being kept as they were/);
    assert.deepEqual(s.views[0]!.drift, { runId: drifted.run_id, fieldsNew: ['TKTCT-Mood'], fieldsMissing: ['TKTCT-Team'] });
  });

  test('rejects, value errors, orphans, a recent gap and an interrupted load are warnings', () => {
    const partial = runRow('timesheets', HOUR, { load_status: 'partial', records_errors: '4', records_value_errors: '2' });
    const gap = { from: new Date(NOW - 40 * DAY).toISOString(), to: new Date(NOW - 20 * DAY).toISOString(), days: 20 };
    const s = decideState(
      stateFacts({
        timesheets: { lastApiRun: partial, lastCommittedApiRun: partial, orphans: 120 },
        tickets: { gaps: [gap], running: [{ row: runRow('tickets', 0, { load_status: 'running' }), alive: false }] },
      }),
    );
    assert.equal(s.status, 'ok');
    assert.deepEqual(codes(s.warnings), [
      'timesheets:rejects',
      'timesheets:value_errors',
      'timesheets:orphans',
      'tickets:coverage_gap',
      'tickets:interrupted',
    ]);
    assert.match(s.warnings[2]!.message, /otc-etl import/);
  });

  test('a gap that closed long ago stays listed but is no longer a warning', () => {
    const gap = { from: new Date(NOW - 200 * DAY).toISOString(), to: new Date(NOW - 180 * DAY).toISOString(), days: 20 };
    const s = decideState(stateFacts({ tickets: { gaps: [gap] } }));
    assert.deepEqual(s.warnings, []);
    assert.equal(s.views[2]!.gaps.length, 1);
  });

  test('pending migrations and an unreachable database are problems about no view', () => {
    const behind = decideState({
      ...stateFacts(),
      views: [],
      source: null,
      database: { reachable: true, label: null, schema: 'servicedesk', migrations: 'behind', pendingMigrations: [7], error: null },
    });
    assert.deepEqual(
      behind.problems.map((p) => [p.view, p.code]),
      [[null, 'migrations_pending']],
    );
    assert.match(behind.problems[0]!.message, /otc-etl migrate/);
    const down = decideState({
      ...stateFacts(),
      views: [],
      source: null,
      database: {
        reachable: false,
        label: null,
        schema: 'servicedesk',
        migrations: null,
        pendingMigrations: [],
        error: 'connect ECONNREFUSED',
      },
    });
    assert.deepEqual(
      down.problems.map((p) => [p.view, p.code]),
      [[null, 'database_unreachable']],
    );
  });

  test('a failed probe is a problem; a slow, rate-limited or unsent one is a warning', () => {
    assert.deepEqual(codes(decideState(stateFacts({}, { probe: { outcome: 'failed', message: '401' } })).problems), ['-:probe_failed']);
    for (const [outcome, code] of [
      ['slow', 'probe_slow'],
      ['rate_limited', 'probe_rate_limited'],
      ['not_sent', 'probe_not_sent'],
    ] as const) {
      const s = decideState(stateFacts({}, { probe: { outcome, message: 'x' } }));
      assert.deepEqual([s.status, codes(s.warnings)], ['ok', [`-:${code}`]]);
    }
  });
});

describe('`otc-etl breaker` and the state model read the source alike', () => {
  const config = { source: { maxRequestsPerHour: CLOSED_SOURCE.maxPerHour } } as Config;
  const recentRequests = [NOW - 30 * 60_000, NOW - 5 * 60_000];
  const breakers: ReadonlyArray<[string, BreakerState]> = [
    ['closed', { state: 'closed', failures: 2 }],
    ['open', { state: 'open', failures: 3, openedAt: NOW - 60_000, openUntil: NOW + 540_000 }],
    ['half-open', { state: 'open', failures: 3, openedAt: NOW - 700_000, openUntil: NOW - 100_000 }],
  ];
  for (const [expected, breaker] of breakers) {
    test(`a breaker that reads ${expected} reads so in both, with the same failures, times and requests`, () => {
      const report = breakerReport({ now: NOW, breaker, lastError: 'OTC answered 503', recentRequests }, config);
      const model = decideState(stateFacts({}, { source: { ...CLOSED_SOURCE, breaker, lastError: 'OTC answered 503', recentRequests } }))
        .source!;
      assert.equal(report.state, expected);
      assert.deepEqual(
        [
          report.state,
          report.failures,
          report.openedAt,
          report.reopensAt,
          report.lastError,
          report.requests.lastHour,
          report.requests.lastRequestAt,
        ],
        [
          model.breaker.state,
          model.breaker.consecutiveFailures,
          model.breaker.openedAt,
          model.breaker.openUntil,
          model.breaker.lastError,
          model.requests.lastHour,
          model.requests.lastRequestAt,
        ],
      );
    });
  }
});

describe('exit codes and /healthz come from the same split', () => {
  const breakerOpen = { ...CLOSED_SOURCE, breaker: { state: 'open' as const, failures: 3, openedAt: NOW, openUntil: NOW + 600_000 } };
  test('warnings alone: exit 0 and 200, with status, problems and warnings in the document', () => {
    const s = decideState(stateFacts({}, { source: breakerOpen }));
    assert.equal(stateExitCode(s), 0);
    const reply = healthzOf(s);
    assert.equal(reply.httpStatus, 200);
    assert.deepEqual(
      [reply.doc.status, reply.doc.problems, (reply.doc.warnings as Array<{ code: string }>).map((w) => w.code)],
      ['ok', [], ['breaker_open']],
    );
  });
  test('a view problem: exit 1 and 503', () => {
    const s = decideState(stateFacts({ tickets: { lastCommittedApiRun: null } }));
    assert.equal(stateExitCode(s), 1);
    assert.equal(healthzOf(s).httpStatus, 503);
  });
  test('the database unreachable or behind: exit 4 and 503', () => {
    for (const database of [
      { reachable: false, label: null, schema: 's', migrations: null, pendingMigrations: [], error: 'down' },
      { reachable: true, label: null, schema: 's', migrations: 'behind' as const, pendingMigrations: [7], error: null },
    ]) {
      const s = decideState({ ...stateFacts(), views: [], source: null, database });
      assert.equal(stateExitCode(s), 4);
      assert.equal(healthzOf(s).httpStatus, 503);
    }
  });
});

describe('words for operators', () => {
  test('a run summary says what happened in words', () => {
    const counts = { fetched: 500, inserted: 12, updated: 3, unchanged: 485, rejected: 0, duplicates: 0, valueErrors: 0, removed: 0 };
    assert.equal(runInWords({ status: 'success', counts }), '500 records read: 12 new, 3 updated, 485 unchanged');
    assert.equal(
      runInWords({ status: 'failed', counts: { ...counts, inserted: 0, updated: 0, rejected: 40 } }),
      '500 records read, nothing stored (40 rejected)',
    );
  });
  test('a list of names on one line stops after a few dozen and counts the rest', () => {
    const names = Array.from({ length: 100 }, (_, i) => `F${i}`);
    const line = nameList(names);
    assert.match(line, /F29 and 70 more$/);
    assert.doesNotMatch(line, /F30/);
  });
});
