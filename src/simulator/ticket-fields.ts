/** Renders a ticket draft as the source's record: one filler per ticket field the simulator fills. */
import { getView } from '../registry.js';
import { bits, pickBy } from './random.js';
import { compileRender, type Filler, type Render } from './record-plan.js';
import { isDone, type TicketDraft } from './tickets.js';
import { DAY_MS, HOUR_MS, formatInstant, formatMonth } from './time-format.js';
import { DESCRIPTIONS, ROOT_CAUSES, SOLUTIONS, TICKET_SOURCES } from './vocabulary.js';

type D = TicketDraft;

const at = (ms: number | null, d: D): string => (ms === null ? '' : formatInstant(ms, d.style));
const yesNo = (value: boolean): string => (value ? 'Yes' : 'No');
const responseMet = (d: D): boolean => d.responseMs !== null && d.responseMs - d.createdMs <= HOUR_MS;
const resolutionMet = (d: D): boolean => d.resolvedMs !== null && d.resolvedMs <= d.dueMs;
const slaMet = (d: D): boolean => responseMet(d) && resolutionMet(d);

/** Change tickets carry a plan and, once done, what actually happened. */
function changeWindow(d: D): {
  plannedStart: number;
  plannedEnd: number;
  actualStart: number | null;
  actualEnd: number | null;
} {
  const plannedStart = d.createdMs + (1 + bits(d.noise, 20, 3)) * DAY_MS;
  const plannedEnd = plannedStart + (1 + bits(d.noise, 23, 2)) * HOUR_MS;
  const done = isDone(d.status) && d.resolvedMs !== null;
  return {
    plannedStart,
    plannedEnd,
    actualStart: done ? Math.min(plannedStart, d.resolvedMs ?? plannedStart) : null,
    actualEnd: done ? d.resolvedMs : null,
  };
}

function onlyChange(fill: (d: D) => string): Filler<D> {
  return (d) => (d.category === 'Change' ? fill(d) : '');
}

const FILLERS: Record<string, Filler<D>> = {
  'TKT-Ticket ID': (d) => d.id,
  'TKT-Created Time': (d) => at(d.createdMs, d),
  'TKT-Modified Time': (d) => at(d.modifiedMs, d),
  'TKT-Actual Response Date': (d) => at(d.responseMs, d),
  'TKT-Actual Resolution Date': (d) => at(d.resolvedMs, d),
  'TKT-Closure Date': (d) => at(d.closedMs, d),
  'TKT-SLA Closure Date': (d) => at(d.resolvedMs, d),
  'TKT-Due Date': (d) => at(d.dueMs, d),
  'Chg-Planned Start Date': onlyChange((d) => at(changeWindow(d).plannedStart, d)),
  'Chg-Planned End Date': onlyChange((d) => at(changeWindow(d).plannedEnd, d)),
  'Chg-Actual Start Date': onlyChange((d) => at(changeWindow(d).actualStart, d)),
  'Chg-Actual End Date': onlyChange((d) => at(changeWindow(d).actualEnd, d)),
  'TKT-Parent ID': (d) => d.parentId ?? '',
  'TKT-Account Id': (d) => d.account.id,
  'TKT-Assigned To Userid': (d) => d.assignee?.userId ?? null,
  'TKT-Created By Userid': (d) => d.creator.userId,
  'TKT-Related CI Ref#': (d) => 500_000 + bits(d.noise, 0, 16),
  'TKT-Title': (d) => d.title,
  'TKT-Description': (d) => (d.creator.automation ? 'Raised automatically by monitoring.' : pickBy(DESCRIPTIONS, d.noise >>> 3)),
  'TKT-Status': (d) => d.status,
  'TKT-Severity': (d) => d.severity,
  'TKT-Category': (d) => d.category,
  'TKT-Team': (d) => d.team,
  'TKT-Platform': (d) => d.account.platform,
  'TKT-Group': (d) => pickBy(['L1', 'L1', 'L2', 'L3'], bits(d.noise, 6, 2)),
  // The leading space is how the source spells it; the analysts' SQL matches on LIKE '%PendingAssignment%'.
  'TKT-Assigned To User': (d) => d.assignee?.fullName ?? ' PendingAssignment',
  'TKT-Created By User': (d) => d.creator.fullName,
  'TKT-Account Name': (d) => d.account.name,
  'TKT-Client Name': (d) => d.account.client,
  'TKT-Customer Reference': (d) => (bits(d.noise, 8, 2) === 0 ? `PO-${4000 + bits(d.noise, 10, 10)}` : ''),
  'TKT-Month Created': (d) => formatMonth(d.createdMs),
  'TKT-SLA': (d) => pickBy(['Gold', 'Silver', 'Bronze'], d.account.id),
  'TKT-Site Classification': (d) => pickBy(['Metro', 'Metro', 'Regional', 'Remote'], d.account.id >>> 1),
  'TKT-Site Status': () => 'Active',
  'TKT-Selcom Key': (d) => d.account.selcom,
  'TKT-Job#/Ref#': (d) => (bits(d.noise, 12, 3) === 0 ? `JOB-${10_000 + bits(d.noise, 0, 12)}` : ''),
  'TKT-Resolution/Change Type': (d) =>
    isDone(d.status) ? pickBy(['Permanent Fix', 'Workaround', 'No Fault Found'], bits(d.noise, 15, 4)) : '',
  'TKT-Root Cause Category': (d) => (isDone(d.status) && d.category !== 'Service Request' ? pickBy(ROOT_CAUSES, bits(d.noise, 16, 5)) : ''),
  'TKT-Ticket Source': (d) => (d.category === 'Alert' ? 'Monitoring' : pickBy(TICKET_SOURCES, bits(d.noise, 18, 4))),
  'TKT-Related CI': (d) => d.ci,
  'TKT-Response Met': (d) => (d.responseMs === null ? '' : yesNo(responseMet(d))),
  'TKT-Resolution Met': (d) => (d.resolvedMs === null ? '' : yesNo(resolutionMet(d))),
  'TKT-SLA Met': (d) => (d.resolvedMs === null ? '' : yesNo(slaMet(d))),
  'TKT-SLA Exempt': (d) => yesNo(bits(d.noise, 25, 5) === 0),
  'TKT-SLA Clock Status': (d) => (isDone(d.status) ? 'Stopped' : d.status === 'Pending' ? 'Paused' : 'Running'),
  'TKT-SLA Breach Reason': (d) =>
    d.resolvedMs !== null && !slaMet(d) ? pickBy(['Awaiting customer', 'Vendor delay', 'Resourcing'], d.noise) : '',
  'TKT-QA Review Completed': (d) => (d.status === 'Closed' ? yesNo(bits(d.noise, 27, 2) !== 0) : ''),
  'TKT-Month Closed': (d) => (d.closedMs === null ? '' : formatMonth(d.closedMs)),
  'TKT-Solution': (d) => (isDone(d.status) ? pickBy(SOLUTIONS, bits(d.noise, 4, 6)) : ''),
  'TKT-SLA Month Closed': (d) => (d.resolvedMs === null ? '' : formatMonth(d.resolvedMs)),
  'TKT-SLA Closed - This Month': (d) => (d.resolvedMs === null ? '' : yesNo(formatMonth(d.resolvedMs) === d.months.current)),
  'TKT-SLA Closed - Last Month': (d) => (d.resolvedMs === null ? '' : yesNo(formatMonth(d.resolvedMs) === d.months.previous)),
  'TKT-Actual SLA Achievement': (d) => (d.resolvedMs === null ? '' : slaMet(d) ? '100%' : `${50 + bits(d.noise, 2, 5)}%`),
  'Chg-Risk': onlyChange((d) => pickBy(['Low', 'Low', 'Medium', 'High'], bits(d.noise, 28, 2))),
  'Chg-Trigger': onlyChange((d) => pickBy(['Customer Request', 'Incident', 'Problem', 'Maintenance'], bits(d.noise, 26, 2))),
  'Chg-Type': onlyChange((d) => pickBy(['Standard', 'Normal', 'Normal', 'Emergency'], bits(d.noise, 29, 2))),
  'Chg-Approver': onlyChange((d) => (d.status === 'Open' ? '' : d.creator.fullName)),
  'Chg-Success': onlyChange((d) => (d.status === 'Closed' ? yesNo(bits(d.noise, 30, 2) !== 0) : '')),
  'TKT-Is Template': () => 'No',
};

export const renderTicket: Render<D> = compileRender(getView('tickets'), FILLERS);
