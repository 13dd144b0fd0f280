/**
 * The simulated staff. One list serves every view, so a login, full name and user id always belong
 * together: timesheet `TS-User Username`/`TS-User Full Name`, comment `TKTCT-Username`/`TKTCT-UserID`,
 * ticket `TKT-Assigned To User`/`TKT-Assigned To Userid`.
 *
 * Deliberately awkward cases the user lookup must survive:
 * - `lee` is a substring of `kleeman` (a naive LIKE or prefix match confuses them);
 * - Sarah and Tom Nguyen share a last name;
 * - two different people are both called "Chris Smith" (full names are not unique, so the
 *   user lookup must not key on them);
 * - `brian` is the automation account: it writes many comments and opens alerts, but books no time.
 */
import { TEAMS } from './vocabulary.js';

export interface Person {
  /** Short login, e.g. `djewell`. */
  readonly login: string;
  /** "First Last", the same format in timesheets and ticket assignees. */
  readonly fullName: string;
  readonly userId: number;
  readonly team: string;
  /** The automation account (`brian`): comments and alerts, never timesheets or assignments. */
  readonly automation: boolean;
  /** Relative amount of time booked per day (part-timers below 1). */
  readonly workload: number;
}

export const AUTOMATION_LOGIN = 'brian';

/** [login, full name, user id, team index, workload] */
const STAFF: readonly (readonly [string, string, number, number, number])[] = [
  ['brian', 'Brian Automation', 1001, 1, 0],
  ['djewell', 'Dan Jewell', 1017, 0, 1],
  ['lee', 'Lee Matthews', 1023, 1, 1],
  ['kleeman', 'Karen Kleeman', 1024, 0, 0.9],
  ['snguyen', 'Sarah Nguyen', 1031, 2, 1],
  ['tnguyen', 'Tom Nguyen', 1032, 3, 1],
  ['csmith', 'Chris Smith', 1040, 2, 1],
  ['csmith2', 'Chris Smith', 1187, 4, 0.8],
  ['apatel', 'Anita Patel', 1042, 0, 1.1],
  ['mobrien', "Mick O'Brien", 1045, 3, 1],
  ['jwilliams', 'Jess Williams', 1051, 2, 1],
  ['rkumar', 'Ravi Kumar', 1053, 0, 1.2],
  ['hchen', 'Helen Chen', 1058, 4, 1],
  ['bjones', 'Ben Jones', 1060, 1, 1],
  ['lmartin', 'Laura Martin', 1066, 2, 0.6],
  ['pwalsh', 'Paddy Walsh', 1071, 3, 1],
  ['sbrown', 'Sam Brown', 1074, 1, 1],
  ['ktaylor', 'Kate Taylor', 1079, 5, 1],
  ['mrossi', 'Marco Rossi', 1083, 0, 1],
  ['yzhang', 'Yan Zhang', 1088, 6, 1],
  ['ewhite', 'Emma White', 1092, 2, 0.5],
  ['gthompson', 'Greg Thompson', 1097, 3, 1],
  ['nsingh', 'Neha Singh', 1102, 0, 1],
  ['owilson', 'Olivia Wilson', 1105, 5, 1],
  ['dmurphy', 'Declan Murphy', 1110, 1, 1],
  ['amoore', 'Aaron Moore', 1114, 6, 1],
  ['zahmed', 'Zara Ahmed', 1119, 4, 1],
  ['tkelly', 'Tim Kelly', 1121, 2, 1],
  ['jlee', 'Jason Lee', 1126, 0, 1],
  ['mgarcia', 'Maria Garcia', 1130, 5, 0.8],
  ['rcampbell', 'Rob Campbell', 1134, 3, 1],
  ['sanderson', 'Steph Anderson', 1139, 1, 1],
  ['wtran', 'Will Tran', 1143, 6, 1],
  ['cjohnson', 'Claire Johnson', 1147, 2, 1],
  ['fhughes', 'Finn Hughes', 1152, 0, 1],
  ['imorris', 'Isla Morris', 1156, 4, 0.7],
  ['vnair', 'Vikram Nair', 1161, 0, 1],
  ['pcooper', 'Phil Cooper', 1165, 3, 1],
  ['lrenee', 'Lucy Renee-Dubois', 1170, 5, 1],
  ['mking', 'Mia King', 1174, 1, 1],
];

const BASE: readonly Person[] = STAFF.map(([login, fullName, userId, team, workload]) => ({
  login,
  fullName,
  userId,
  team: TEAMS[team] ?? 'Service Desk',
  automation: login === AUTOMATION_LOGIN,
  workload,
}));

const EXTRA_FIRST = ['Alex', 'Jordan', 'Taylor', 'Morgan', 'Casey', 'Riley', 'Jamie', 'Quinn', 'Drew', 'Harper'];
const EXTRA_LAST = ['Bennett', 'Fraser', 'Gill', 'Hayes', 'Ivanov', 'Lowe', 'Nolan', 'Price', 'Reid', 'Shaw'];

/**
 * The staff for a scale. Above full scale the organisation grows (extra, generated people) so that
 * time booked per person per day stays realistic rather than every day holding 40 entries.
 */
export function peopleFor(multiplier: number): readonly Person[] {
  const wanted = Math.round(BASE.length * Math.max(1, multiplier));
  if (wanted <= BASE.length) return BASE;
  const taken = new Set(BASE.map((p) => p.login));
  const extra: Person[] = [];
  for (let i = 0; extra.length < wanted - BASE.length; i++) {
    const first = EXTRA_FIRST[i % EXTRA_FIRST.length] ?? 'Alex';
    const last = EXTRA_LAST[Math.floor(i / EXTRA_FIRST.length) % EXTRA_LAST.length] ?? 'Reid';
    const stem = `${first.charAt(0)}${last}`.toLowerCase();
    let login = stem;
    for (let n = 2; taken.has(login); n++) login = `${stem}${n}`;
    taken.add(login);
    extra.push({
      login,
      fullName: `${first} ${last}`,
      userId: 2000 + i,
      team: TEAMS[i % TEAMS.length] ?? 'Service Desk',
      automation: false,
      workload: 1,
    });
  }
  return [...BASE, ...extra];
}
