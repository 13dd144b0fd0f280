/** Value pools for the simulated service desk: queues, customers and the words tickets are made of. */

export const TEAMS = [
  'Cloud - Infrastructure',
  'NOC',
  'Service Desk',
  'Network',
  'Security',
  'Cloud - Applications',
  'Unified Communications',
] as const;

export interface Account {
  readonly id: number;
  readonly name: string;
  readonly client: string;
  readonly selcom: string;
  readonly billState: string;
  readonly internal: 'Yes' | 'No';
  readonly platform: string;
}

const CUSTOMERS: readonly (readonly [string, string, string])[] = [
  ['Pilbara Iron Holdings', 'Pilbara Iron', 'Azure'],
  ['Swan River Health', 'SRH', 'VMware'],
  ['Goldfields Water Corporation', 'Goldfields Water', 'AWS'],
  ['Fremantle Ports Authority', 'Fremantle Ports', 'Cisco'],
  ['Kimberley Shire Council', 'Kimberley Shire', 'Microsoft 365'],
  ['Margaret River Wines Pty Ltd', 'MR Wines', 'Microsoft 365'],
  ['Rottnest Logistics', 'Rottnest Logistics', 'AWS'],
  ['Bunbury Grain Co-op', 'Bunbury Grain', 'VMware'],
  ['Esperance Energy', 'Esperance Energy', 'Azure'],
  ['Nullarbor Freight Lines', 'Nullarbor Freight', 'Fortinet'],
  ['Coastal Legal Partners', 'Coastal Legal', 'Microsoft 365'],
  ['Sunset Coast Schools', 'SCS', 'Cisco'],
  ['Wheatbelt Credit Union', 'Wheatbelt CU', 'Azure'],
  ['Ningaloo Tourism Group', 'Ningaloo Tourism', 'AWS'],
  ['Perth Hills Aged Care', 'PHAC', 'VMware'],
  ['Café Lumière Group', 'Café Lumière', 'Microsoft 365'],
  ['Albany Marine Services', 'Albany Marine', 'Fortinet'],
  ['Karratha Gas Services', 'Karratha Gas', 'Azure'],
  ['Joondalup Retail Trust', 'JRT', 'AWS'],
  ['Mandurah Property "Group"', 'Mandurah Property', 'Cisco'],
  ['Avon Valley Transport', 'Avon Valley', 'VMware'],
  ['Great Southern Dental', 'GS Dental', 'Microsoft 365'],
];

export const ACCOUNTS: readonly Account[] = CUSTOMERS.map(([name, client, platform], i) => ({
  id: 30001 + i * 7,
  name,
  client,
  selcom: `SEL${String(40120 + i * 13).padStart(6, '0')}`,
  billState: i % 5 === 4 ? 'On Hold' : 'Active',
  internal: 'No',
  platform,
}));

/** Where admin time (no ticket) is booked. */
export const INTERNAL_ACCOUNT: Account = {
  id: 10001,
  name: 'Orro Internal',
  client: 'Orro',
  selcom: 'SEL000001',
  billState: 'Internal',
  internal: 'Yes',
  platform: 'Internal',
};

export const CATEGORIES = ['Alert', 'Incident', 'Service Request', 'Change', 'Problem'] as const;
export type Category = (typeof CATEGORIES)[number];

export const STATUSES = ['Open', 'In Progress', 'Pending', 'Incident Resolved', 'Closed', 'Resolved'] as const;
export type Status = (typeof STATUSES)[number];

/** Statuses after which the SLA clock has stopped. */
export const DONE_STATUSES: readonly Status[] = ['Incident Resolved', 'Closed', 'Resolved'];

export const SEVERITIES = ['P1 - Critical', 'P2 - High', 'P3 - Medium', 'P4 - Low'] as const;

export const TITLES: Readonly<Record<Category, readonly string[]>> = {
  Alert: [
    'High CPU utilisation on {ci}',
    'Disk space below 10% on {ci}',
    'Host {ci} not responding to ping',
    'Backup job failed on {ci}',
    'Certificate expiring in 14 days on {ci}',
    'Memory usage above 95% on {ci}',
  ],
  Incident: [
    'Users unable to connect to VPN',
    'Email delivery delayed',
    'Site link down at {client} head office',
    'Application "PayrollOne" returns error 500',
    'Printer queue stuck on {ci}',
    'Slow file share access',
  ],
  'Service Request': [
    'New starter account for {client}',
    'Add user to distribution list',
    'Request additional storage on {ci}',
    'Reset MFA for user',
    'Install Visio on laptop',
    'Grant read access to finance share',
  ],
  Change: [
    'Firewall rule change for {client}',
    'Patch window: monthly Windows updates on {ci}',
    'Upgrade switch firmware on {ci}',
    'Resize VM {ci}',
    'Decommission server {ci}',
  ],
  Problem: [
    'Recurring VPN disconnects',
    'Repeated backup failures on {ci}',
    'Intermittent packet loss on WAN',
    'Root cause for outage on {ci}',
  ],
};

export const DESCRIPTIONS = [
  'Customer reports the issue started this morning.',
  'Raised automatically by monitoring.',
  'Caller says "it was working yesterday" and nothing has changed.',
  'Steps:\n1. Checked service status\n2. Restarted agent\n3. Monitoring',
  'Affects the whole finance team — urgent before month end.',
  'Please see attached screenshot.\tRef: email from site manager.',
  '',
  'Follow-up of a previous ticket; see parent.',
];

export const SOLUTIONS = [
  'Restarted the service and confirmed with the customer.',
  'Cleared old logs and extended the volume by 50 GB.',
  'Replaced faulty SFP at the site.',
  'Applied vendor hotfix.',
  'No fault found; monitoring closed the alert.',
  'Configuration corrected, change recorded.',
];

export const ROOT_CAUSES = ['Hardware', 'Software', 'Configuration', 'Capacity', 'Third Party', 'Human Error', 'Unknown'];

export const TICKET_SOURCES = ['Email', 'Portal', 'Phone', 'Monitoring', 'Chat'];

export const COMMENT_TEXTS = [
  'Called the customer, no answer; left a voicemail.',
  'Customer confirmed the issue is resolved.',
  'Escalated to L3 for further investigation.',
  'Waiting on vendor response (case #{n}).',
  'Restarted the service; monitoring for 30 minutes.',
  'Hi team, can we get an update please?',
  'Change approved by CAB.',
  'Checked logs:\n- no errors since 10:15\n- disk at 72%',
  'Thanks — "all good" from our side.',
];

export const AUTOMATION_TEXTS = [
  'Alert acknowledged automatically.',
  'Ticket auto-closed after 3 days without customer response.',
  'SLA warning: 75% of resolution time elapsed.',
  'Monitoring reports the alert has cleared.',
  'Customer notified by email of status change.',
];

export const TIMESHEET_TITLES = [
  'Troubleshooting',
  'Customer call',
  'Remote remediation',
  'Change implementation',
  'Documentation',
  'Monitoring follow-up',
];

export const ADMIN_TITLES = ['Team meeting', 'Training', 'Internal admin', 'Leave', 'Recruitment interview'];

export const TIMESHEET_NOTES = ['', '', '', 'Out of hours', 'Waiting on customer', 'See ticket notes', 'Travel to site'];
