// The triage's verdicts, computed on another thread. The side worker (cli/read-logs.ts
// `readSide`) decodes the same files as the analysis and splits them into the same lines; for each
// line it runs `OutputReader.read` (core/triage.ts), which depends only on the line and on whether
// its source carries runner timestamps, and writes the verdict into a ring in shared memory. The
// analysis takes each line's verdict from the ring instead of reading the line itself; what it
// checks on its own thread (its echo state, the engine's `idle`) is unchanged.
//
// Neither side ever waits for the other on the way: a writer that finds the ring full waits
// (the reader is behind; the verdicts are all it has to give), but a reader that finds no
// verdict yet reads the line itself and skips that verdict when it arrives. A verdict for a line
// of another length, or a source that ends on one side before the other, means the two reads
// differ (a file changed between them): the reader then reads every line itself to the end.

/** Per line: its length, then its code: DECLINE, or stampLength | printed << 5 | idAt << 6. */
const WORDS_PER_LINE = 2;
const DECLINE = -1;
/** In place of a line: the end of a source. */
const END_OF_SOURCE = -2;
/** `next` when there is no verdict for the line: the reader reads it itself. */
export const NO_VERDICT = -3;

// The ring's header, in 32-bit words before the data.
const WRITTEN = 0;
const READ = 1;
/** Set by the writer when it will write no more (finished, or failed: set from outside). */
const DONE = 2;
/** Set by the reader (or from outside) when it takes no more verdicts: the writer stops. */
const ABANDONED = 3;
/** Set while the writer waits for room. */
const WAITING = 4;
const HEADER = 8;

/** 2^18 words (1 MiB): a few 64 KiB chunks' lines ahead. A power of two: positions are masked counters. */
const CAPACITY = 1 << 18;
const MASK = CAPACITY - 1;
/** The writer waits this long at most before it looks again (a reader that stopped without a word). */
const WAIT_MS = 50;

/** Shared memory for one writer and one reader. */
export function verdictRing(): SharedArrayBuffer {
  return new SharedArrayBuffer((HEADER + CAPACITY) * 4);
}

/** From outside either thread: the writer will write no more (it failed or stopped). */
export function closeWriter(ring: SharedArrayBuffer): void {
  const header = new Int32Array(ring, 0, HEADER);
  Atomics.store(header, DONE, 1);
  Atomics.notify(header, WRITTEN);
}

/** From outside either thread: the reader takes no more verdicts (it finished or failed). */
export function closeReader(ring: SharedArrayBuffer): void {
  const header = new Int32Array(ring, 0, HEADER);
  Atomics.store(header, ABANDONED, 1);
  Atomics.notify(header, READ);
}

export function encodeVerdict(stampLength: number, idAt: number, printed: boolean): number {
  return stampLength | (printed ? 32 : 0) | (idAt << 6);
}

export function decodeVerdict(code: number): { stampLength: number; idAt: number; printed: boolean } {
  return { stampLength: code & 31, idAt: code >>> 6, printed: (code & 32) !== 0 };
}

export class VerdictWriter {
  private readonly header: Int32Array;
  private readonly data: Int32Array;
  private written = 0;
  private readSeen = 0;
  /** The reader abandoned the ring: nothing more is written. */
  stopped = false;

  constructor(ring: SharedArrayBuffer) {
    this.header = new Int32Array(ring, 0, HEADER);
    this.data = new Int32Array(ring, HEADER * 4, CAPACITY);
  }

  /** A line's verdict: DECLINE (null) or what `OutputReader` found. */
  line(length: number, code: number | null): void {
    this.put(length, code ?? DECLINE);
  }

  endSource(): void {
    this.put(END_OF_SOURCE, END_OF_SOURCE);
  }

  /** Makes what was written visible (after each chunk). */
  flush(): void {
    Atomics.store(this.header, WRITTEN, this.written);
    Atomics.notify(this.header, WRITTEN);
  }

  /** Everything is written. */
  finish(): void {
    this.flush();
    Atomics.store(this.header, DONE, 1);
    Atomics.notify(this.header, WRITTEN);
  }

  private put(a: number, b: number): void {
    if (this.stopped) return;
    while (((this.written - this.readSeen) | 0) + WORDS_PER_LINE > CAPACITY) {
      if (!this.room()) return;
    }
    const data = this.data;
    data[this.written & MASK] = a;
    data[(this.written + 1) & MASK] = b;
    this.written = (this.written + WORDS_PER_LINE) | 0;
  }

  /** The ring is full: waits until the reader makes room; false when it abandoned the ring. */
  private room(): boolean {
    const header = this.header;
    this.flush();
    for (;;) {
      if (Atomics.load(header, ABANDONED) === 1) {
        this.stopped = true;
        return false;
      }
      const read = Atomics.load(header, READ);
      if (read !== this.readSeen) {
        this.readSeen = read;
        return true;
      }
      Atomics.store(header, WAITING, 1);
      Atomics.wait(header, READ, read, WAIT_MS);
      Atomics.store(header, WAITING, 0);
    }
  }
}

export class VerdictReader {
  private readonly header: Int32Array;
  private readonly data: Int32Array;
  private read = 0;
  private writtenSeen = 0;
  private published = 0;
  /** Verdicts still to come for lines (and ends of sources) this side read itself: passed over. */
  private owed = 0;
  /** The writer will write no more, and everything it wrote is read. */
  private exhausted = false;
  /** The two reads differ: no verdict is taken any more. */
  abandoned = false;

  constructor(ring: SharedArrayBuffer) {
    this.header = new Int32Array(ring, 0, HEADER);
    this.data = new Int32Array(ring, HEADER * 4, CAPACITY);
  }

  /** The verdict for the next line, of `length` characters: a code, DECLINE (-1) or NO_VERDICT. */
  taken = 0;
  missed = 0;
  next(length: number): number {
    if (!this.take()) {
      this.missed++;
      if (!this.abandoned && !this.exhausted) this.owed += WORDS_PER_LINE;
      return NO_VERDICT;
    }
    const data = this.data;
    const seen = data[this.read & MASK] as number;
    const code = data[(this.read + 1) & MASK] as number;
    this.read = (this.read + WORDS_PER_LINE) | 0;
    this.taken++;
    if (seen !== length) {
      this.abandon();
      return NO_VERDICT;
    }
    return code;
  }

  /** The current source ended here too. */
  endSource(): void {
    if (!this.take()) {
      if (!this.abandoned && !this.exhausted) this.owed += WORDS_PER_LINE;
      return;
    }
    const seen = this.data[this.read & MASK] as number;
    this.read = (this.read + WORDS_PER_LINE) | 0;
    if (seen !== END_OF_SOURCE) this.abandon();
  }

  /** Takes no more verdicts: the writer stops when it next needs room. */
  close(): void {
    if (process.env["KD_DEBUG_VERDICTS"]) console.error("verdicts", { read: this.read, owed: this.owed, abandoned: this.abandoned, exhausted: this.exhausted, taken: this.taken, missed: this.missed });
    this.abandoned = true;
    closeReader(this.header.buffer as SharedArrayBuffer);
  }

  /** Whether a line's verdict is there to read, after passing over those owed. */
  private take(): boolean {
    if (this.abandoned || this.exhausted) return false;
    for (;;) {
      let available = (this.writtenSeen - this.read) | 0;
      if (available < WORDS_PER_LINE) {
        this.publish();
        this.writtenSeen = Atomics.load(this.header, WRITTEN);
        available = (this.writtenSeen - this.read) | 0;
        if (available < WORDS_PER_LINE) {
          if (Atomics.load(this.header, DONE) === 1 && Atomics.load(this.header, WRITTEN) === this.writtenSeen) this.exhausted = true;
          return false;
        }
      }
      if (this.owed === 0) {
        if (((this.read - this.published) | 0) >= CAPACITY >> 2) this.publish();
        return true;
      }
      const skip = Math.min(this.owed, available - (available % WORDS_PER_LINE));
      this.read = (this.read + skip) | 0;
      this.owed -= skip;
    }
  }

  private publish(): void {
    if (this.read === this.published) return;
    this.published = this.read;
    Atomics.store(this.header, READ, this.read);
    if (Atomics.load(this.header, WAITING) === 1) Atomics.notify(this.header, READ);
  }

  private abandon(): void {
    this.close();
  }
}
