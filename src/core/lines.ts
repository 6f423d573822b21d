// Splits decoded text chunks into lines without `readline`: LF, CRLF and lone CR all end a
// line (as the Actions runner's ReadLine does), a CR at the end of one chunk followed by LF at
// the start of the next is one line end, and a line longer than `maxLineLength` is cut there
// (the rest of it is dropped and counted) so one endless line cannot exhaust memory.

export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024;

/**
 * `at`: where the line starts in the chunk being pushed when it is a slice of that chunk ending at
 * its line end (LF or CR); -1 for a line joined across chunks, cut at `maxLineLength` or the last.
 */
export type LineSink = (line: string, at: number) => void;

export class LineSplitter {
  private pending = "";
  private pendingCR = false;
  /** True while the current line has already been cut at maxLineLength. */
  private overflowing = false;
  truncatedLines = 0;

  constructor(
    private readonly sink: LineSink,
    private readonly maxLineLength = DEFAULT_MAX_LINE_LENGTH,
  ) {}

  push(chunk: string): void {
    const length = chunk.length;
    if (length === 0) return;
    let start = 0;
    if (this.pendingCR) {
      this.pendingCR = false;
      if (chunk.charCodeAt(0) === 10) start = 1;
    }
    // The next LF and the next CR are each searched once and reused until passed: a chunk with
    // no CR at all costs one failed search, not one per line.
    let lf = chunk.indexOf("\n", start);
    let cr = chunk.indexOf("\r", start);
    while (lf !== -1 || cr !== -1) {
      if (cr === -1 || (lf !== -1 && lf < cr)) {
        this.emit(chunk, start, lf);
        start = lf + 1;
        lf = chunk.indexOf("\n", start);
        continue;
      }
      this.emit(chunk, start, cr);
      if (cr + 1 < length) {
        start = chunk.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
      } else {
        this.pendingCR = true;
        start = length;
      }
      if (lf !== -1 && lf < start) lf = chunk.indexOf("\n", start);
      cr = chunk.indexOf("\r", start);
    }
    if (start < length) this.append(chunk.slice(start));
  }

  /** Flushes the last line (one without a line end). */
  end(): void {
    if (this.pending.length > 0 || this.overflowing) this.flush();
    this.pendingCR = false;
  }

  private emit(chunk: string, start: number, end: number): void {
    if (this.pending.length === 0 && !this.overflowing) {
      if (end - start > this.maxLineLength) this.sink(this.cut(chunk.slice(start, start + this.maxLineLength)), -1);
      else this.sink(chunk.slice(start, end), start);
      return;
    }
    this.append(chunk.slice(start, end));
    this.flush();
  }

  private append(piece: string): void {
    if (this.overflowing) return;
    const room = this.maxLineLength - this.pending.length;
    if (piece.length > room) {
      this.pending += piece.slice(0, room);
      this.overflowing = true;
    } else {
      this.pending += piece;
    }
  }

  private cut(piece: string): string {
    this.truncatedLines++;
    return piece;
  }

  private flush(): void {
    if (this.overflowing) this.truncatedLines++;
    this.sink(this.pending, -1);
    this.pending = "";
    this.overflowing = false;
  }
}
