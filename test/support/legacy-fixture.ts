/**
 * The previous Python loader's `servicedesk` schema, built by hand the way it was found: text and real
 * columns, naive and text timestamps (ISO and day-first), duplicate timesheet rows and no unique key,
 * a short etl_metadata, a user_lookup with a unique full_name, other tools' columns on tickets, an
 * analysts' view, and its own v_data_freshness. No load_rejects and no _removed tables.
 *
 * Expected after adoption (Australia/Perth): timesheets 11 → 6 (5 duplicates moved), comments 9 → 7
 * (one duplicate, one without a comment id), tickets 5 → 5, user_lookup 5 → 4 (one duplicate short
 * username), etl_metadata 5 → 5, and 2 values that cannot be converted.
 */
import { getView } from '../../src/registry.js';

type Value = string | number | null;

const lit = (v: Value): string => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${v.replace(/'/g, "''")}'`);
const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

function insert(table: string, columns: readonly string[], rows: readonly Value[][]): string {
  return `INSERT INTO ${table} (${columns.map(q).join(', ')}) VALUES\n${rows.map((r) => `  (${r.map(lit).join(', ')})`).join(',\n')};`;
}

/** Ticket columns the old loader never had; adoption adds them. */
export const LEGACY_MISSING_TICKET_COLUMNS = ['TKT-Is Template', 'Chg-Success'];
export const LEGACY_MISSING_TIMESHEET_COLUMNS = ['TS-Category 2'];

/** Time columns the old loader kept as the text it received (ISO, day-first, AM/PM). */
const TEXT_TIME_COLUMNS = ['TKT-Modified Time', 'TKT-Due Date', 'TKT-Closure Date', 'Chg-Planned Start Date'];

/** Legacy SQL type of each ticket column: the old loader stored ids as text or real, times as timestamp or text. */
function ticketColumnType(column: string, type: string): string {
  if (column === 'TKT-Ticket ID') return 'text PRIMARY KEY';
  if (column === 'TKT-Title') return 'varchar(200)';
  if (type === 'instant') return TEXT_TIME_COLUMNS.includes(column) ? 'text' : 'timestamp';
  if (type === 'id') return column === 'TKT-Parent ID' || column === 'TKT-Account Id' ? 'real' : 'text';
  return 'text';
}

function ticketsSql(): string {
  const fields = getView('tickets').fields.filter((f) => !LEGACY_MISSING_TICKET_COLUMNS.includes(f.column));
  const columns = fields.map((f) => `  ${q(f.column)} ${ticketColumnType(f.column, f.type)}`);
  const rowColumns = [
    'TKT-Ticket ID',
    'TKT-Title',
    'TKT-Status',
    'TKT-Category',
    'TKT-Team',
    'TKT-Assigned To User',
    'TKT-Assigned To Userid',
    'TKT-Account Id',
    'TKT-Created Time',
    'TKT-Modified Time',
    'TKT-Due Date',
    'TKT-Root Cause Category',
    'support_tier',
    'assigned_pod',
  ];
  return [
    `CREATE TABLE tickets (\n${columns.join(',\n')},\n  support_tier text,\n  assigned_pod text\n);`,
    'CREATE INDEX tickets_team_idx ON tickets ("TKT-Team");',
    'CREATE INDEX idx_tickets_pod ON tickets (assigned_pod);',
    insert('tickets', rowColumns, [
      [
        '1001',
        'Mail relay down',
        'Closed',
        'Incident',
        'NOC',
        'Dana Jewell',
        '501',
        77,
        '2025-01-02 08:00:00',
        '07/01/2025 09:05',
        '2025-01-10 17:00:00',
        'Config',
        'gold',
        'pod-a',
      ],
      [
        '1002',
        'New laptop',
        'Open',
        'Service Request',
        'Cloud - Infrastructure',
        ' PendingAssignment',
        null,
        78,
        '2025-01-03 09:30:00',
        '2025-01-08 10:15:00',
        'next tuesday',
        null,
        'silver',
        null,
      ],
      [
        '1003',
        'VPN flapping',
        'Incident Resolved',
        'Incident',
        'NOC',
        ' PendingAssignment',
        null,
        77,
        '2025-01-04 10:00:00',
        '2025-01-08T11:00:00+08:00',
        null,
        'Network',
        'gold',
        'pod-b',
      ],
      [
        '1004.0',
        'Disk alert',
        'Open',
        'Alert',
        'NOC',
        ' PendingAssignment',
        '',
        79,
        '2025-01-05 11:00:00',
        '8/1/2025 1:30 PM',
        '',
        null,
        null,
        'pod-a',
      ],
      [
        '1005',
        'Password reset',
        'Closed',
        'Service Request',
        'Service Desk',
        'Kim Leeman',
        '502.0',
        78,
        '2025-01-06 12:00:00',
        '2025-01-09 08:00:00',
        null,
        'User',
        'bronze',
        'pod-c',
      ],
    ]),
  ].join('\n');
}

function commentsSql(): string {
  const columns = [
    'comment_id',
    'ticket_id',
    'comment_text',
    'user_id',
    'user_name',
    'owner_type',
    'created_time',
    'visible_to_customer',
    'comment_type',
    'team',
  ];
  return [
    `CREATE TABLE comments (comment_id text, ticket_id real, comment_text text, user_id text, user_name text,
      owner_type text, created_time timestamp, visible_to_customer text, comment_type text, team text);`,
    'CREATE INDEX comments_ticket_idx ON comments (ticket_id);',
    insert('comments', columns, [
      ['5001', 1001, 'Looking into it', '501', 'djewell', 'Agent', '2025-01-07 09:10:00', 'Yes', 'comments', 'NOC'],
      ['5002', 1001, 'Internal note', '501', 'djewell', 'Agent', '2025-01-07 09:20:00', 'No', 'worknotes', 'NOC'],
      ['5003', 1003, 'Fixed the tunnel', '502', 'kleeman', 'Agent', '2025-01-08 10:00:00', 'true', 'comments', 'NOC'],
      ['5004', 1003, 'Can you confirm?', '502', 'kleeman', 'Agent', '2025-01-08 10:30:00', 'true', 'comments', 'NOC'],
      ['5005', 1005, 'Reset done', '502', 'kleeman', 'Agent', '2025-01-09 08:00:00', 'false', 'worknotes', 'Service Desk'],
      ['5006.0', 1002, 'Ticket logged', '1', 'brian', 'System', '2025-01-03 09:30:00', 'No', 'comments', 'Cloud - Infrastructure'],
      // The same comment again, written later by the old loader: this copy stays.
      ['5001', 1001, 'Looking into it (edited)', '501', 'djewell', 'Agent', '2025-01-07 09:10:00', 'Yes', 'comments', 'NOC'],
      [null, 1001, 'A comment without an id', '501', 'djewell', 'Agent', '2025-01-07 09:30:00', 'No', 'comments', 'NOC'],
      ['5009', 9999, 'On a ticket we never loaded', '503', 'lee', 'Agent', '2025-01-10 14:00:00', 'Yes', 'comments', 'NOC'],
    ]),
  ].join('\n');
}

function timesheetsSql(): string {
  const types: Record<string, string> = { 'TS-Costcentre ID': 'real', 'TS-Modified Time': 'timestamp' };
  const fields = getView('timesheets').fields.filter((f) => !LEGACY_MISSING_TIMESHEET_COLUMNS.includes(f.column));
  const columns = [
    'TS-User Username',
    'TS-User Full Name',
    'TS-Date',
    'TS-Time From',
    'TS-Time To',
    'TS-Hours',
    'TS-Crm ID',
    'TS-Costcentre ID',
    'TS-Billable',
    'TS-Approved',
    'TS-Modified Time',
  ];
  const row = (
    user: Value,
    full: Value,
    date: Value,
    from: Value,
    to: Value,
    hours: Value,
    crm: Value,
    billable: Value,
    approved: Value,
    modified: Value,
  ): Value[] => [user, full, date, from, to, hours, crm, 12, billable, approved, modified];
  return [
    `CREATE TABLE timesheets (\n${fields.map((f) => `  ${q(f.column)} ${types[f.column] ?? 'text'}`).join(',\n')}\n);`,
    insert('timesheets', columns, [
      row('djewell', 'Dana Jewell', '07/01/2025', '09:00', '11:30', '2,5', '1001', 'Yes', 'true', '2025-01-07 12:00:00'),
      // Same entry, later TS-Modified Time: this copy stays.
      row('djewell', 'Dana Jewell', '07/01/2025', '09:00', '11:30', '3', '1001', 'Yes', 'true', '2025-01-07 13:00:00'),
      row('djewell', 'Dana Jewell', '2025-01-07', '09:00', '11:30', '2,5', '1001', 'Yes', 'true', '2025-01-07 11:00:00'),
      // Admin time, empty TS-Crm ID vs NULL: the same entry. Equal TS-Modified Time: the one stored last stays.
      row('djewell', 'Dana Jewell', '2025-01-08', '13:00', '14:30', '1.5', '', 'No', 'false', '2025-01-08 15:00:00'),
      row('djewell', 'Dana Jewell', '08/01/2025', '13:00', '14:30', '1,75', null, 'No', 'false', '2025-01-08 15:00:00'),
      // Empty username vs NULL.
      row('', 'Unknown', '2025-01-09', '08:00', '09:00', '1', '1002', 'Yes', '1', '2025-01-09 09:00:00'),
      row(null, 'Unknown', '2025-01-09', '08:00', '09:00', '1', '1002', 'Yes', '1', '2025-01-09 10:00:00'),
      // 9:00 and 09:00 are the same start time; the copy without TS-Modified Time loses.
      row('kleeman', 'Kim Leeman', '09/01/2025', '9:00', '10:00', '1', '1003', 'y', 'n', '2025-01-09 11:00:00'),
      row('kleeman', 'Kim Leeman', '2025-01-09', '09:00', '10:00', '1', '1003', 'y', 'n', null),
      row('kleeman', 'Kim Leeman', '10/01/2025', '10:00', '11:00', 'two', '1003.0', '1', '0', '2025-01-10 12:00:00'),
      row('lee', 'Pat Lee', '13/01/2025', '14:00', '14:45', '0,75', '9999', 'No', null, '2025-01-13 15:00:00'),
    ]),
  ].join('\n');
}

function metadataSql(): string {
  return [
    `CREATE TABLE etl_metadata (view_name text, records_fetched integer, records_inserted integer, records_updated integer,
      load_duration_seconds real, load_status text, last_load_time timestamp);`,
    insert(
      'etl_metadata',
      ['view_name', 'records_fetched', 'records_inserted', 'records_updated', 'load_duration_seconds', 'load_status', 'last_load_time'],
      [
        ['tickets', 0, 0, 0, null, 'timeout', '2025-01-11 06:01:00'],
        ['tickets', 0, 0, 0, 0.25, 'error', '2025-01-12 06:01:00'],
        ['comments', 2, 2, 0, 1.5, 'success', '2025-01-13 06:00:00'],
        ['timesheets', 2, 1, 1, 2.25, 'SUCCESS', '2025-01-13 06:00:30'],
        ['PowerBi-Tickets-All-3Years', 2, 1, 1, 3.5, 'completed', '2025-01-13 06:01:00'],
      ],
    ),
    `CREATE TABLE user_lookup (short_username text, full_name text UNIQUE, source text, updated_at timestamp);`,
    insert(
      'user_lookup',
      ['short_username', 'full_name', 'source', 'updated_at'],
      [
        ['djewell', 'Dana Jewell', 'manual', '2024-06-01 10:00:00'],
        ['kleeman', 'Kim Leeman', 'timesheet', '2024-06-01 10:00:00'],
        ['lee', 'Pat Lee', 'auto', null],
        // A second row for kleeman: the manual one stays.
        ['kleeman', 'K. Leeman', 'Manual', '2024-01-01 00:00:00'],
        ['brian', 'Automation', 'manual', '2024-01-01 00:00:00'],
      ],
    ),
  ].join('\n');
}

function viewsSql(): string {
  return [
    `CREATE VIEW v_data_freshness AS SELECT view_name, max(last_load_time) AS last_loaded FROM etl_metadata GROUP BY view_name;`,
    `CREATE VIEW analyst_visible_comments AS
       SELECT ticket_id, count(*) AS visible FROM comments WHERE visible_to_customer = 'Yes' GROUP BY ticket_id;`,
    `GRANT SELECT ON analyst_visible_comments TO PUBLIC;`,
    `COMMENT ON VIEW analyst_visible_comments IS 'customer-visible comments per ticket';`,
  ].join('\n');
}

/** The whole legacy schema, to run as one script. */
export function legacySchemaSql(schema = 'servicedesk'): string {
  return [
    `CREATE SCHEMA ${q(schema)};`,
    `SET search_path TO ${q(schema)}, public;`,
    ticketsSql(),
    commentsSql(),
    timesheetsSql(),
    metadataSql(),
    viewsSql(),
    'RESET search_path;',
  ].join('\n');
}

/** An analysts' view the adoption cannot carry over: it does text arithmetic on a column that becomes numeric. */
export const UNCONVERTIBLE_VIEW_SQL = `CREATE VIEW servicedesk.analyst_hours AS
  SELECT "TS-Crm ID", sum(replace("TS-Hours", ',', '.')::numeric) AS hours FROM servicedesk.timesheets GROUP BY 1;`;

/** What the fixture holds, for "no row lost" checks. */
export const LEGACY_ROWS = { tickets: 5, comments: 9, timesheets: 11, etl_metadata: 5, user_lookup: 5 } as const;
