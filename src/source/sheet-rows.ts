/** What the spreadsheet readers (XLSX, CSV) hand over: rows of plain cell values, streamed. */
export interface SheetRow {
  /** 1-based row number in the sheet (XLSX) or record number in the file (CSV, header included). */
  readonly number: number;
  /** Cell values as the reader gives them (exceljs values for XLSX, strings for CSV); 0-based. */
  readonly cells: unknown[];
  /** A CSV line whose bytes were not UTF-8: its cells hold U+FFFD where the bytes were. */
  readonly notUtf8?: boolean;
}

export interface SheetRows {
  readonly rows: AsyncIterator<SheetRow>;
  /** Whether serial dates count from 1904 (old Mac workbooks) rather than 1900. */
  date1904(): boolean;
  close(): Promise<void>;
}

/** Called with the number of bytes of the file read so far, for progress reports. */
export type BytesListener = (bytesRead: number) => void;
