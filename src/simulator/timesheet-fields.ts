/**
 * Renders a timesheet draft as the source's record. The cosmetic shape of each value (`09:00` or 900,
 * `2.5` or `"2,5"`, Yes/No or true/false) comes from the draft's noise bits, so it is stable across
 * requests and mutations of the same entry.
 */
import { getView } from '../registry.js';
import { bits, pickBy } from './random.js';
import { compileRender, type Filler, type Render } from './record-plan.js';
import type { TimesheetDraft } from './timesheets.js';
import { formatClock, formatDay, formatInstant, type ClockStyle } from './time-format.js';
import { TEAMS, TIMESHEET_NOTES, TIMESHEET_TITLES } from './vocabulary.js';

type D = TimesheetDraft;

/** Mostly `09:00`; sometimes `9:00`; sometimes the number 900. */
function clockStyle(d: D): ClockStyle {
  const b = bits(d.noise, 0, 4);
  return b <= 12 ? 'hh:mm' : b === 13 ? 'h:mm' : 'hhmm-number';
}

/** Half numbers, a quarter `"2.5"`, a quarter `"2,5"` (the source's locale leaks into some exports). */
function hours(d: D): number | string {
  const h = d.quarters / 4;
  const b = bits(d.noise, 4, 2);
  if (b <= 1) return h;
  return b === 2 ? String(h) : String(h).replace('.', ',');
}

function bool(d: D, value: boolean): string {
  if (bits(d.noise, 6, 2) === 3) return value ? 'true' : 'false';
  return value ? 'Yes' : 'No';
}

const booked = (d: D): boolean => d.crmId !== null;
const billable = (d: D): boolean => booked(d) && bits(d.noise, 8, 2) !== 0;
const teamIndex = (d: D): number => Math.max(0, (TEAMS as readonly string[]).indexOf(d.person.team));

const FILLERS: Record<string, Filler<D>> = {
  'TS-User Username': (d) => d.person.login,
  'TS-User Full Name': (d) => d.person.fullName,
  // Day first; one in sixteen without leading zeros (7/1/2025), as spreadsheet exports write it.
  'TS-Date': (d) => formatDay(d.day, bits(d.noise, 10, 4) === 0),
  'TS-Time From': (d) => formatClock(d.fromMin, clockStyle(d)),
  'TS-Time To': (d) => formatClock(d.fromMin + d.quarters * 15, clockStyle(d)),
  'TS-Hours': hours,
  'TS-Crm ID': (d) => (d.crmId === null ? '' : bits(d.noise, 14, 2) === 0 ? String(d.crmId) : d.crmId),
  'TS-Title': (d) => d.bookedTo.title,
  'TS-Description': (d) => (booked(d) ? pickBy(TIMESHEET_TITLES, d.noise >>> 16) : d.bookedTo.title),
  'TS-Notes': (d) => pickBy(TIMESHEET_NOTES, d.noise >>> 19),
  'TS-Type': (d) => (booked(d) ? 'Ticket' : 'Admin'),
  'TS-Category': (d) => (booked(d) ? 'Support' : 'Non-Billable'),
  'TS-Sub Category': (d) => (booked(d) ? pickBy(['Reactive', 'Reactive', 'Proactive', 'Project'], bits(d.noise, 22, 2)) : 'Internal'),
  'TS-Ticket Project Master Code': (d) => (booked(d) && bits(d.noise, 24, 3) === 0 ? `PRJ-${1000 + bits(d.noise, 16, 8)}` : ''),
  'TS-Account Name': (d) => d.bookedTo.account.name,
  'TS-Account Selcom': (d) => d.bookedTo.account.selcom,
  'TS-Account Bill State': (d) => d.bookedTo.account.billState,
  'TS-Account Internal': (d) => d.bookedTo.account.internal,
  'TS-Ticket Department': (d) => d.bookedTo.team,
  'TS-Costcentre': (d) => `CC${100 + teamIndex(d)}`,
  'TS-Costcentre ID': (d) => 100 + teamIndex(d),
  'TS-Costcentre Desc': (d) => d.person.team,
  'TS-Charge Code': (d) => (!booked(d) ? 'INTERNAL' : billable(d) ? 'BILL-STD' : 'NB-WARRANTY'),
  'TS-Client Bill Code': (d) => (booked(d) ? d.bookedTo.account.selcom.replace('SEL', 'CB') : ''),
  'TS-Billable': (d) => bool(d, billable(d)),
  'TS-Approved': (d) => bool(d, d.approved),
  'TS-Modified Time': (d) => formatInstant(d.modifiedMs, d.style),
};

export const renderTimesheet: Render<D> = compileRender(getView('timesheets'), FILLERS);
