/** Small hand-made OTC records for precise tests. */

export function ticket(id: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'TKT-Ticket ID': id,
    'TKT-Title': `Ticket ${id}`,
    'TKT-Status': 'Open',
    'TKT-Category': 'Incident',
    'TKT-Team': 'NOC',
    'TKT-Assigned To User': 'Dana Jewell',
    'TKT-Assigned To Userid': 501,
    'TKT-Created Time': '02/01/2025 08:00',
    'TKT-Modified Time': '07/01/2025 09:05',
    ...overrides,
  };
}

export function comment(id: number, ticketId: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'TKTCT-CommentID': id,
    'TKTCT-TicketID': ticketId,
    'TKTCT-Comment': `comment ${id}`,
    'TKTCT-UserID': '501',
    'TKTCT-Username': 'djewell',
    'TKTCT-OwnerType': 'Agent',
    'TKTCT-Created Time': '07/01/2025 10:00',
    'TKTCT-VisibleCustomer': 'Yes',
    'TKTCT-Type': 'comments',
    'TKTCT-Team': 'NOC',
    ...overrides,
  };
}

export function timesheet(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'TS-User Username': 'djewell',
    'TS-User Full Name': 'Dana Jewell',
    'TS-Date': '07/01/2025',
    'TS-Time From': '09:00',
    'TS-Time To': '11:30',
    'TS-Hours': '2,5',
    'TS-Crm ID': 1001,
    'TS-Title': 'work',
    'TS-Billable': 'Yes',
    'TS-Approved': 'No',
    'TS-Modified Time': '07/01/2025 12:00',
    ...overrides,
  };
}
