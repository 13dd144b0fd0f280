/**
 * The one description of the three OTC views. Everything per-view in the product is data here;
 * adding a fourth view is one more entry, not a new module.
 *
 * Glossary, used everywhere without synonyms:
 * - view:   one of the OTC report views (tickets, comments, timesheets)
 * - record: what the source sends (one JSON object or spreadsheet line)
 * - row:    what we store in PostgreSQL
 * - reject: a record (or one value of it) we could not store, kept in `load_rejects` with its reason
 * - run:    one sync or import, with an id
 * - cursor: a view's change-tracking field
 * - window: how far back a view reaches in the source
 */

/** How a source value is parsed and which PostgreSQL type stores it. */
export type FieldType =
  | 'id' // bigint; accepts "123", 123, "123.0"
  | 'text' // text; numbers are kept as their text
  | 'instant' // timestamptz; naive values are wall-clock time in OTC_TIMEZONE
  | 'date' // date; an instant is reduced to its date in OTC_TIMEZONE
  | 'bool' // boolean; yes/no, y/n, true/false, 1/0
  | 'decimal' // numeric; "2,5" is 2.5
  | 'clock'; // text "HH:MM"; 9:00, 09:00:00, 900 and 0.375 become 09:00

export const SQL_TYPES: Readonly<Record<FieldType, string>> = {
  id: 'bigint',
  text: 'text',
  instant: 'timestamptz',
  date: 'date',
  bool: 'boolean',
  decimal: 'numeric',
  clock: 'text',
};

export interface FieldSpec {
  /** The API field name, which is also the spreadsheet export header. */
  readonly api: string;
  /** The stored column name. */
  readonly column: string;
  readonly type: FieldType;
  /** Older export headers for the same field. */
  readonly aliases?: readonly string[];
  /** Once stored, never replaced (e.g. a ticket's created time). */
  readonly keepOnceSet?: boolean;
  /**
   * A time that cannot lie ahead (a created time): more than a day in the future is a value error. The
   * view's cursor is always treated so, since a future cursor would freeze its row against real updates.
   */
  readonly notFuture?: boolean;
}

/**
 * One registry entry. A name is a lower-case identifier: it is the CLI's view argument, the `view_name`
 * in the database, and (upper-cased) the suffix of the view's `OTC_VIEW_GUID_` variable.
 */
export interface ViewEntry {
  readonly name: string;
  /** The report's name in OTC. */
  readonly sourceName: string;
  readonly guid: string;
  /** How far back the source reaches, in days (a gap longer than this between syncs loses data). */
  readonly windowDays: number;
  readonly table: string;
  readonly fields: readonly FieldSpec[];
  /** Columns of the natural key; any part may be NULL only when `keyNullable`. */
  readonly key: readonly string[];
  /** Whether parts of the key may be empty (stored as NULL; NULLs are equal for the key). */
  readonly keyNullable: boolean;
  /** Column of the change cursor, or null when the view has none (newest run wins). */
  readonly cursor: string | null;
  /**
   * Column whose span in a payload defines the window for deletion detection (a stored row inside it
   * that the payload lacks moves to `<table>_removed`), or null.
   */
  readonly windowColumn: string | null;
  /** Column holding the referenced ticket id, for orphan checks, or null. */
  readonly ticketRef: string | null;
  /** Columns the analysts filter on; each gets an index. */
  readonly indexed: readonly string[];
  /** Every distinct version of a row is kept in `ticket_history` (needs a single key and a cursor). */
  readonly history?: boolean;
}

/** A view of the registry; its name is one of `ViewName`. */
export interface ViewSpec extends ViewEntry {
  readonly name: ViewName;
}

/** Fields stored under their API name (tickets and timesheets). */
function named(type: FieldType, ...apis: string[]): FieldSpec[] {
  return apis.map((api) => ({ api, column: api, type }));
}

const COMMENTS = {
  name: 'comments' as const,
  sourceName: 'PowerBi-CloudTicket-Comments',
  guid: 'c59ca238-8249-48b9-bff9-092fd33ce916',
  windowDays: 10,
  table: 'comments',
  fields: [
    { api: 'TKTCT-CommentID', column: 'comment_id', type: 'id', aliases: ['CT-COMMENT-ID'] },
    { api: 'TKTCT-TicketID', column: 'ticket_id', type: 'id', aliases: ['CT-TKT-ID'] },
    { api: 'TKTCT-Comment', column: 'comment_text', type: 'text', aliases: ['CT-COMMENT'] },
    { api: 'TKTCT-UserID', column: 'user_id', type: 'id', aliases: ['CT-USERID'] },
    { api: 'TKTCT-Username', column: 'user_name', type: 'text', aliases: ['CT-USERIDNAME'] },
    { api: 'TKTCT-OwnerType', column: 'owner_type', type: 'text', aliases: ['CT-OWNERTYPE'] },
    { api: 'TKTCT-Created Time', column: 'created_time', type: 'instant', aliases: ['CT-DATEAMDTIME'], notFuture: true },
    {
      api: 'TKTCT-VisibleCustomer',
      column: 'visible_to_customer',
      type: 'bool',
      aliases: ['CT-VISIBLE-CUSTOMER'],
    },
    { api: 'TKTCT-Type', column: 'comment_type', type: 'text', aliases: ['CT-TYPE'] },
    { api: 'TKTCT-Team', column: 'team', type: 'text', aliases: ['CT-TKT-TEAM'] },
  ],
  key: ['comment_id'],
  keyNullable: false,
  cursor: null,
  windowColumn: 'created_time',
  ticketRef: 'ticket_id',
  indexed: ['ticket_id', 'user_name', 'created_time'],
} satisfies ViewEntry;

const TIMESHEETS = {
  name: 'timesheets' as const,
  sourceName: 'PowerBi-Timesheet-18Months',
  guid: '1199f2db-1201-4611-b769-c8a941d3a5bf',
  windowDays: 548,
  table: 'timesheets',
  fields: [
    ...named('text', 'TS-User Username', 'TS-User Full Name'),
    ...named('date', 'TS-Date'),
    ...named('clock', 'TS-Time From', 'TS-Time To'),
    ...named('decimal', 'TS-Hours'),
    ...named('id', 'TS-Crm ID'),
    ...named(
      'text',
      'TS-Title',
      'TS-Description',
      'TS-Notes',
      'TS-Type',
      'TS-Category',
      'TS-Sub Category',
      'TS-Category 2',
      'TS-Ticket Project Master Code',
      'TS-Account Name',
      'TS-Account Selcom',
      'TS-Account Bill State',
      'TS-Account Internal',
      'TS-Ticket Department',
      'TS-Costcentre',
    ),
    ...named('id', 'TS-Costcentre ID'),
    ...named('text', 'TS-Costcentre Desc', 'TS-Charge Code', 'TS-Client Bill Code'),
    ...named('bool', 'TS-Billable', 'TS-Approved'),
    ...named('instant', 'TS-Modified Time'),
  ],
  key: ['TS-User Username', 'TS-Date', 'TS-Time From', 'TS-Crm ID'],
  keyNullable: true,
  cursor: 'TS-Modified Time',
  windowColumn: 'TS-Date',
  ticketRef: 'TS-Crm ID',
  indexed: ['TS-Crm ID', 'TS-Date', 'TS-User Full Name'],
} satisfies ViewEntry;

const TICKETS = {
  name: 'tickets' as const,
  sourceName: 'PowerBi-Tickets-All-3Years',
  guid: 'dc8570af-facd-4799-9cc0-99641d394fce',
  // Documented as 3 years, observed to return only tickets modified in the last ~10 days.
  windowDays: 10,
  // The view shows each ticket's current state only: the product keeps the states it sees.
  history: true,
  table: 'tickets',
  fields: [
    ...named('id', 'TKT-Ticket ID'),
    { api: 'TKT-Created Time', column: 'TKT-Created Time', type: 'instant', keepOnceSet: true, notFuture: true },
    ...named(
      'instant',
      'TKT-Modified Time',
      'TKT-Actual Response Date',
      'TKT-Actual Resolution Date',
      'TKT-Closure Date',
      'TKT-SLA Closure Date',
      'TKT-Due Date',
      'Chg-Planned Start Date',
      'Chg-Planned End Date',
      'Chg-Actual Start Date',
      'Chg-Actual End Date',
    ),
    ...named('id', 'TKT-Parent ID', 'TKT-Account Id', 'TKT-Assigned To Userid', 'TKT-Created By Userid', 'TKT-Related CI Ref#'),
    ...named(
      'text',
      'TKT-Title',
      'TKT-Description',
      'TKT-Status',
      'TKT-Severity',
      'TKT-Category',
      'TKT-Team',
      'TKT-Platform',
      'TKT-Group',
      'TKT-Assigned To User',
      'TKT-Created By User',
      'TKT-Account Name',
      'TKT-Client Name',
      'TKT-Customer Reference',
      'TKT-Month Created',
      'TKT-SLA',
      'TKT-Site Classification',
      'TKT-Site Status',
      'TKT-Selcom Key',
      'TKT-Job#/Ref#',
      'TKT-Resolution/Change Type',
      'TKT-Root Cause Category',
      'TKT-Ticket Source',
      'TKT-Related CI',
      'TKT-Response Met',
      'TKT-Resolution Met',
      'TKT-SLA Met',
      'TKT-SLA Exempt',
      'TKT-Mitigated Reason',
      'TKT-SLA Clock Status',
      'TKT-SLA Breach Reason',
      'TKT-SLA Breach Comment',
      'TKT-QA Review Completed',
      'TKT-Month Closed',
      'TKT-Solution',
      'TKT-SLA Month Closed',
      'TKT-SLA Closed - This Month',
      'TKT-SLA Closed - Last Month',
      'TKT-Actual SLA Achievement',
      'Chg-Risk',
      'Chg-Trigger',
      'Chg-Type',
      'Chg-Approver',
      'Chg-Success',
      'TKT-Is Template',
    ),
  ],
  key: ['TKT-Ticket ID'],
  keyNullable: false,
  cursor: 'TKT-Modified Time',
  windowColumn: null, // a ticket missing from the view is not a deletion
  ticketRef: null,
  indexed: [
    'TKT-Team',
    'TKT-Status',
    'TKT-Assigned To User',
    'TKT-Created Time',
    'TKT-Modified Time',
    'TKT-Category',
    'TKT-Root Cause Category',
  ],
} satisfies ViewEntry;

const BUILT_IN = [COMMENTS, TIMESHEETS, TICKETS];

/** The names of the views, derived from the entries above: a new entry extends it. */
export type ViewName = (typeof BUILT_IN)[number]['name'];

const views: ViewSpec[] = [];
const names: ViewName[] = [];

/** The views in full-sync order: comments, timesheets, tickets (then any registered later). */
export const VIEWS: readonly ViewSpec[] = views;

export const VIEW_NAMES: readonly ViewName[] = names;

/** An entry that contradicts itself or another view: the product would fail later, and less clearly. */
function problemsOf(entry: ViewEntry): string[] {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9_]*$/.test(entry.name)) problems.push('its name must be a lower-case identifier');
  for (const other of views) {
    if (other.name === entry.name) problems.push('its name is taken');
    if (other.guid.toLowerCase() === entry.guid.toLowerCase()) problems.push(`its GUID is the ${other.name} view's`);
    if (other.table === entry.table) problems.push(`its table is the ${other.name} view's`);
  }
  const columns = new Set(entry.fields.map((f) => f.column));
  if (columns.size !== entry.fields.length) problems.push('two fields share a column');
  const named = [...entry.key, entry.cursor, entry.windowColumn, entry.ticketRef, ...entry.indexed];
  for (const column of named) {
    if (column !== null && !columns.has(column)) problems.push(`it names column ${column}, which none of its fields has`);
  }
  if (entry.key.length === 0) problems.push('its key has no columns');
  if (entry.history && (entry.key.length !== 1 || entry.cursor === null)) problems.push('history needs a single-column key and a cursor');
  // The versions go to ticket_history (migration 006), whose columns are the tickets view's.
  if (entry.history && entry.name !== 'tickets') problems.push('history is kept only for tickets, in ticket_history');
  if (!(entry.windowDays > 0)) problems.push('its window must be a positive number of days');
  // Their stored values are read back as instants or dates (see `StoredRows`).
  for (const [role, column] of [
    ['cursor', entry.cursor],
    ['window column', entry.windowColumn],
  ] as const) {
    const type = entry.fields.find((f) => f.column === column)?.type;
    if (type !== undefined && type !== 'instant' && type !== 'date') problems.push(`its ${role} must be an instant or a date`);
  }
  return problems;
}

/**
 * Adds a view after the three built-in ones. Everything per view follows from the entry: the CLI's view
 * arguments and help, the `OTC_VIEW_GUID_<NAME>` variable, parsing, the merge, status and metrics; what
 * it needs besides is its table, made by a migration (docs/adding-a-view.md). Its name is a `ViewName`
 * the compiler cannot know, which is fine: downstream, names are data.
 */
export function registerView(entry: ViewEntry): ViewSpec {
  const problems = problemsOf(entry);
  if (problems.length > 0) throw new Error(`view ${entry.name} cannot be registered: ${problems.join('; ')}`);
  const view = entry as ViewSpec;
  views.push(view);
  names.push(view.name);
  return view;
}

for (const entry of BUILT_IN) registerView(entry);

export function isViewName(name: string): name is ViewName {
  return (VIEW_NAMES as readonly string[]).includes(name);
}

/** The variable that overrides a view's GUID: `OTC_VIEW_GUID_TICKETS` for tickets. */
export function guidVariable(view: string): string {
  return `OTC_VIEW_GUID_${view.toUpperCase()}`;
}

const COUNT_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** The view names as prose, `last` before the final one: "comments, timesheets and/or tickets". */
export function viewNamesText(last: string): string {
  if (names.length < 2) return names.join('');
  return `${names.slice(0, -1).join(', ')} ${last} ${names[names.length - 1]}`;
}

/** Every view as a count in words: "all three". */
export function allViewsText(): string {
  return `all ${COUNT_WORDS[names.length] ?? String(names.length)}`;
}

export function getView(name: ViewName): ViewSpec {
  const view = VIEWS.find((v) => v.name === name);
  if (!view) throw new Error(`unknown view ${name}`);
  return view;
}

/** Column names of a view's typed fields, in registry order. */
export function columnsOf(view: ViewSpec): string[] {
  return view.fields.map((f) => f.column);
}

export function fieldByColumn(view: ViewSpec, column: string): FieldSpec {
  const field = view.fields.find((f) => f.column === column);
  if (!field) throw new Error(`view ${view.name} has no column ${column}`);
  return field;
}
