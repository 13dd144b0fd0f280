/**
 * Records for the user lookup tests: the collisions that broke the previous loader's last-name
 * substring guess. `lee` is inside `kleeman`; Chris and Dana Smith share a last name; two different
 * people are both called Chris Smith; `jdoe` is 'Jane Doe' in her timesheets and 'Jane Roe' on the
 * ticket assigned to her user id; `pwalsh` is named only by a ticket, through the user id his comment
 * carries; `nocomment` has a comment but no name anywhere.
 */
import { comment, ticket, timesheet } from './records.js';

function booked(login: string, fullName: string, from: string): Record<string, unknown> {
  return timesheet({ 'TS-User Username': login, 'TS-User Full Name': fullName, 'TS-Time From': from });
}

export const USER_TIMESHEETS: Record<string, unknown>[] = [
  booked('lee', 'Lee Matthews', '08:00'),
  booked('kleeman', 'Karen Kleeman', '08:00'),
  booked('csmith', 'Chris Smith', '08:00'),
  booked('csmith2', 'Chris Smith', '08:00'),
  booked('dsmith', 'Dana Smith', '08:00'),
  booked('jdoe', 'Jane Doe', '08:00'),
  booked('mobrien', "Mick O'Brien", '08:00'),
  booked('lee', 'Lee Matthews', '13:00'),
];

export const USER_COMMENTS: Record<string, unknown>[] = [
  comment(1, 1, { 'TKTCT-UserID': 1023, 'TKTCT-Username': 'lee' }),
  comment(2, 1, { 'TKTCT-UserID': '1024', 'TKTCT-Username': 'kleeman' }),
  comment(3, 3, { 'TKTCT-UserID': 1500, 'TKTCT-Username': 'mobrien' }),
  comment(4, 2, { 'TKTCT-UserID': 1600, 'TKTCT-Username': 'nocomment' }),
  comment(5, 4, { 'TKTCT-UserID': 1700, 'TKTCT-Username': 'jdoe' }),
  comment(6, 5, { 'TKTCT-UserID': 1071, 'TKTCT-Username': 'pwalsh' }),
];

export const USER_TICKETS: Record<string, unknown>[] = [
  ticket(1, {
    'TKT-Assigned To User': 'Lee Matthews',
    'TKT-Assigned To Userid': 1023,
    'TKT-Created By User': 'Karen Kleeman',
    'TKT-Created By Userid': 1024,
  }),
  // Unassigned, yet the source kept a user id on it: ` PendingAssignment` is not a name.
  ticket(2, {
    'TKT-Assigned To User': ' PendingAssignment',
    'TKT-Assigned To Userid': 1600,
    'TKT-Created By User': "Mick O'Brien",
    'TKT-Created By Userid': 1500,
  }),
  ticket(3, {
    'TKT-Assigned To User': "Mick O'Brien",
    'TKT-Assigned To Userid': 1500,
    'TKT-Created By User': 'Karen Kleeman',
    'TKT-Created By Userid': 1024,
  }),
  ticket(4, {
    'TKT-Assigned To User': 'Jane Roe',
    'TKT-Assigned To Userid': 1700,
    'TKT-Created By User': 'Lee Matthews',
    'TKT-Created By Userid': 1023,
  }),
  ticket(5, {
    'TKT-Assigned To User': 'Paddy Walsh',
    'TKT-Assigned To Userid': 1071,
    'TKT-Created By User': '',
    'TKT-Created By Userid': '',
  }),
];
