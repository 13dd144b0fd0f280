/**
 * Throughput and memory of reading a large view body: writes a ~200 MB timesheets-like body to a temp
 * file, then reads it back with chunksOfFile + readRecordBatches in a fresh process (so the peak RSS is
 * the reader's alone) and prints MB/s, records/s and peak RSS.
 *
 *   node dist/bench/record-stream.js [sizeMB] [--ascii]               generate, measure, delete
 *   node dist/bench/record-stream.js --write FILE [sizeMB] [--ascii]  only generate
 *   node dist/bench/record-stream.js --read FILE                      measure an existing body
 *
 * `--ascii` writes non-ASCII characters as \uXXXX escapes. Without it, some records carry accented names
 * or emoji, which (as in real data) makes every batch's text a two-byte V8 string: slower to decode and
 * to parse.
 */

import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chunksOfFile } from '../src/source/file-chunks.js';
import { readRecordBatches } from '../src/transform/record-stream.js';

const DEFAULT_SIZE_MB = 200;
const RECORDS_PER_WRITE = 2000;
const MB = 1024 * 1024;

/** Mostly ASCII, as service desk data is, with accented names and emoji that make V8 strings two-byte. */
const USERS = [
  ['djewell', 'Dan Jewell'],
  ['mgarcia', 'María García'],
  ['skumar', 'Sanjay Kumar'],
  ['zkowalski', 'Zoë Kowalski'],
  ['tnguyen', 'Thanh Nguyen'],
  ['brian', 'Brian (automation)'],
] as const;

/** One timesheet entry with the view's 28 fields, all as strings like the source sends them. */
function timesheetRecord(i: number): Record<string, string> {
  const [username, fullName] = USERS[i % USERS.length] as readonly [string, string];
  const day = String((i % 28) + 1).padStart(2, '0');
  return {
    'TS-User Username': username,
    'TS-User Full Name': fullName,
    'TS-Date': `${day}/03/2025`,
    'TS-Time From': `${String(8 + (i % 9)).padStart(2, '0')}:00`,
    'TS-Time To': `${String(9 + (i % 9)).padStart(2, '0')}:30`,
    'TS-Hours': i % 3 === 0 ? '1,5' : '1.5',
    'TS-Crm ID': i % 10 === 0 ? '' : String(4_000_000 + i),
    'TS-Title': `Investigate alert #${i} on customer firewall [prod] {edge}`,
    'TS-Description': `Checked logs, "restarted" service; C:\\Agent\\logs - entry ${i}\nFollow-up booked.`,
    'TS-Notes': i % 50 === 0 ? 'Customer confirmed – all good 👍' : '',
    'TS-Type': 'Ticket',
    'TS-Category': 'Cloud - Infrastructure',
    'TS-Sub Category': 'Monitoring',
    'TS-Category 2': 'Reactive',
    'TS-Ticket Project Master Code': `PRJ-${i % 97}`,
    'TS-Account Name': `Account ${i % 331} Pty Ltd`,
    'TS-Account Selcom': `SEL${100000 + (i % 331)}`,
    'TS-Account Bill State': 'WA',
    'TS-Account Internal': i % 7 === 0 ? 'Yes' : 'No',
    'TS-Ticket Department': 'Service Desk',
    'TS-Costcentre': 'Operations',
    'TS-Costcentre ID': String(300 + (i % 12)),
    'TS-Costcentre Desc': 'Managed services operations',
    'TS-Charge Code': `CHG-${i % 53}`,
    'TS-Client Bill Code': `BILL-${i % 41}`,
    'TS-Billable': i % 2 === 0 ? 'Yes' : 'No',
    'TS-Approved': 'true',
    'TS-Modified Time': `2025-03-${day}T10:${String(i % 60).padStart(2, '0')}:00`,
  };
}

/**
 * Writes `{"message":{"status":"OK","data":[…]}}` of about `sizeMB` to `path`; returns the record count.
 * `ascii` escapes every non-ASCII character as \uXXXX, as some JSON writers (e.g. .NET's) do by default.
 */
function writeBody(path: string, sizeMB: number, ascii: boolean): number {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, '{"message":{"status":"OK","data":[\n');
    let written = 0;
    let count = 0;
    while (written < sizeMB * MB) {
      const lines: string[] = [];
      for (let k = 0; k < RECORDS_PER_WRITE; k++) {
        const json = JSON.stringify(timesheetRecord(count + k));
        lines.push(ascii ? json.replace(NON_ASCII, escapeChar) : json);
      }
      const text = (count === 0 ? '' : ',\n') + lines.join(',\n');
      written += writeSync(fd, text);
      count += RECORDS_PER_WRITE;
    }
    writeSync(fd, `\n],"count":${count}}}\n`);
    return count;
  } finally {
    closeSync(fd);
  }
}

const NON_ASCII = /[^\x00-\x7f]/g;

function escapeChar(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

async function measure(path: string): Promise<void> {
  const megabytes = statSync(path).size / MB;
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  let records = 0;
  let batches = 0;
  for await (const batch of readRecordBatches(chunksOfFile(path), { view: 'timesheets' })) {
    records += batch.records.length;
    batches++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  // CPU time too: on a shared machine wall-clock time measures the neighbours as much as the reader.
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  console.log(
    `read ${megabytes.toFixed(1)} MB, ${records} records in ${batches} batches\n` +
      `  wall ${seconds.toFixed(2)} s: ${(megabytes / seconds).toFixed(0)} MB/s, ` +
      `${Math.round(records / seconds)} records/s\n` +
      `  cpu  ${cpuSeconds.toFixed(2)} s: ${(megabytes / cpuSeconds).toFixed(0)} MB/s\n` +
      `  peak RSS ${peakRssMB.toFixed(0)} MB`,
  );
}

async function main(args: string[]): Promise<void> {
  const ascii = args.includes('--ascii');
  const [first, second, third] = args.filter((arg) => arg !== '--ascii');
  if (first === '--read' && second !== undefined) return measure(second);
  if (first === '--write' && second !== undefined) {
    const records = writeBody(second, Number(third ?? DEFAULT_SIZE_MB), ascii);
    console.log(`generated ${records} records at ${second}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'otc-etl-bench-'));
  try {
    const path = join(dir, 'timesheets.json');
    const records = writeBody(path, Number(first ?? DEFAULT_SIZE_MB), ascii);
    const kind = ascii ? 'ASCII only' : 'mixed UTF-8';
    console.log(`generated ${records} records (${kind}), ${(statSync(path).size / MB).toFixed(1)} MB`);
    execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--read', path], { stdio: 'inherit' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main(process.argv.slice(2));
