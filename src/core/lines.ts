// Splits decoded text chunks into lines without `readline`: LF, CRLF and lone CR all end a
// line (as the Actions runner's ReadLine does), a CR at the end of one chunk followed by LF at
// the start of the next is one line end, and a line longer than `maxLineLength` is cut there
// (the rest of it is dropped and counted) so one endless line cannot exhaust memory.

export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024;

export type LineSink = (line: string) => void;

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
    if (chunk.length === 0) return;
    let start = 0;
    const length = chunk.length;
    if (this.pendingCR) {
      this.pendingCR = false;
      if (length > 0 && chunk.charCodeAt(0) === 10) start = 1;
    }
    let i = start;
    while (i < length) {
      const lf = chunk.indexOf("\n", i);
      const cr = chunk.indexOf("\r", i);
      let end: number;
      if (lf === -1 && cr === -1) break;
      if (cr === -1 || (lf !== -1 && lf < cr)) end = lf;
      else end = cr;
      this.emit(chunk, start, end);
      if (end === cr) {
        if (end + 1 < length) {
          start = chunk.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
        } else {
          this.pendingCR = true;
          start = length;
        }
      } else {
        start = end + 1;
      }
      i = start;
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
      const piece = end - start > this.maxLineLength ? this.cut(chunk.slice(start, start + this.maxLineLength)) : chunk.slice(start, end);
      this.sink(piece);
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
    this.sink(this.pending);
    this.pending = "";
    this.overflowing = false;
  }
}
