// The one decoder from bytes to text, for every source: files, stdin and zip entries
// (input.ts), GitHub job logs (github/logs.ts) and the output of `exec` (cli/exec.ts). UTF-8
// with replacement, a character split across chunks decoded once both halves are in; what could
// not be read (NUL, invalid UTF-8) is counted for one note at the end. Where sources differ is an
// option: a log read after the fact is sniffed first (UTF-16 by its byte-order mark, binary data
// refused); a command's live output is decoded as it arrives and never refused.

import { TextDecoder } from "node:util";
import type { TextSource } from "../core/index.js";
import { InputError } from "./errors.js";
import { Utf8Decoder } from "./utf8.js";

/** A source decoded from bytes: the text, and what of it could not be read. */
export interface DecodedSource extends TextSource {
  /** Filled while `text` is read: what could not be read. */
  problems: InputProblems;
}

export interface InputProblems {
  /** One line each, naming the input: unreadable bytes, a gzip that broke off. */
  notes: string[];
  /** Part of the input is missing (not merely unreadable): the end of a truncated gzip. */
  partial: boolean;
}

export const noProblems = (): InputProblems => ({ notes: [], partial: false });

export interface DecodeOptions {
  /** Names the input in notes and errors. */
  name: string;
  /**
   * "refuse" (the default): input whose first 8 KiB are mostly unreadable is binary data, not a
   * log, and an InputError. "read": decode whatever comes (`exec`: what the command printed is its
   * output, and it is passed through already).
   */
  binary?: "refuse" | "read";
  /** Read UTF-16 by its byte-order mark (PowerShell's redirection). Default true. */
  utf16?: boolean;
}

/** Binary is decided, and UTF-16 recognised, on this many bytes at the start. */
const SNIFF = 8192;

/**
 * Bytes in, text out, chunk by chunk. With either check on (binary, UTF-16), no text comes out
 * until the first 8 KiB are in (or the input ends), however the input is chunked; with neither,
 * each chunk's text comes out at once.
 */
export class LogDecoder {
  readonly problems: InputProblems;
  private decoder: ChunkDecoder | null;
  private head: Uint8Array[] = [];
  private headLength = 0;
  private bytesRead = 0;
  private unreadable = 0;

  constructor(
    private readonly options: DecodeOptions,
    problems: InputProblems = noProblems(),
  ) {
    this.problems = problems;
    this.decoder = options.binary === "read" && options.utf16 === false ? new Utf8Decoder() : null;
  }

  /**
   * The text of these bytes ("" while the first bytes are still being gathered). The bytes are
   * not kept past the call (what is held back is a copy): a reader may reuse its buffer.
   */
  write(bytes: Uint8Array): string {
    this.bytesRead += bytes.length;
    if (this.decoder === null) {
      if (this.head.length === 0 && bytes.length >= SNIFF) {
        this.decoder = this.start(bytes);
        return this.counted(this.decoder.write(bytes));
      }
      this.head.push(Uint8Array.prototype.slice.call(bytes));
      this.headLength += bytes.length;
      if (this.headLength < SNIFF) return "";
      return this.startOnHead();
    }
    return this.counted(this.decoder.write(bytes));
  }

  /** The rest of the text; notes what could not be read. */
  end(): string {
    const text = this.decoder === null && this.headLength > 0 ? this.startOnHead() : "";
    const rest = this.decoder ? this.counted(this.decoder.end()) : "";
    if (this.unreadable > 0) {
      this.problems.notes.push(`${this.options.name}: about ${this.unreadable} of ${this.bytesRead} bytes could not be read as text (NUL or invalid UTF-8); the rest is diagnosed`);
    }
    return text + rest;
  }

  /**
   * When reading failed: the text of the first bytes still held back (a download that broke off
   * early keeps what arrived), unless they are binary. A character cut by the failure stays out.
   */
  afterFailure(): string {
    if (this.decoder !== null || this.headLength === 0) return "";
    try {
      return this.startOnHead();
    } catch (error) {
      if (error instanceof InputError) return "";
      throw error;
    }
  }

  private startOnHead(): string {
    const bytes = this.head.length === 1 ? (this.head[0] as Uint8Array) : Buffer.concat(this.head);
    this.head = [];
    this.decoder = this.start(bytes);
    return this.counted(this.decoder.write(bytes));
  }

  private start(bytes: Uint8Array): ChunkDecoder {
    let encoding: "utf-16le" | "utf-16be" | null = null;
    if (this.options.utf16 !== false && bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) encoding = "utf-16le";
    else if (this.options.utf16 !== false && bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) encoding = "utf-16be";
    else if (this.options.binary !== "read" && looksBinary(bytes)) throw new InputError(`${this.options.name}: looks like binary data, not a log`);
    if (encoding === null) return new Utf8Decoder();
    const utf16 = new TextDecoder(encoding, { fatal: false, ignoreBOM: false });
    return { write: (chunk) => utf16.decode(chunk, { stream: true }), end: () => utf16.decode() };
  }

  private counted(text: string): string {
    this.unreadable += strayIn(text);
    return text;
  }
}

/**
 * Decodes a byte stream as it is read (a string chunk is text already). When the stream fails,
 * the text of what arrived comes out before the error.
 */
export async function* decodeBytes(bytes: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, decoder: LogDecoder): AsyncGenerator<string> {
  const failed: unknown[] = [];
  async function* guarded(): AsyncGenerator<Uint8Array | string> {
    try {
      yield* bytes;
    } catch (error) {
      failed.push(error);
    }
  }
  for await (const chunk of guarded()) {
    const text = typeof chunk === "string" ? chunk : decoder.write(chunk);
    if (text.length > 0) yield text;
  }
  if (failed.length > 0) {
    const text = decoder.afterFailure();
    if (text.length > 0) yield text;
    throw failed[0];
  }
  const rest = decoder.end();
  if (rest.length > 0) yield rest;
}

interface ChunkDecoder {
  write(bytes: Uint8Array): string;
  end(): string;
}

/** Above this share of unreadable bytes at its start, an input is binary data, not a log. */
const BINARY_SHARE = 0.3;

/**
 * Binary data, not a log, by the share of its first bytes that no text log holds: NUL and most
 * C0 codes outside \t \n \r \f \v ESC, and bytes that are not UTF-8. A log with a NUL byte or a
 * few hundred stray bytes is still a log: it is read, and what could not be is counted.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, SNIFF));
  // A character cut at the end of the head stays in the decoder: it is not counted against it.
  return head.length > 0 && unreadableIn(new Utf8Decoder().write(head)) / head.length > BINARY_SHARE;
}

/** NUL and the C0 codes no log holds (not \t \n \v \f \r, ^Z or ESC), and U+FFFD, which invalid UTF-8 decodes to. */
const UNREADABLE = /[\0-\x07\x0e-\x19\x1c-\x1f\uFFFD]/g;

/** How many characters of decoded text stand for bytes that could not be read as text. */
function unreadableIn(text: string): number {
  UNREADABLE.lastIndex = 0;
  if (!UNREADABLE.test(text)) return 0;
  return text.match(UNREADABLE)?.length ?? 0;
}

/**
 * NUL and U+FFFD in decoded text: the unreadable bytes of a whole stream, counted with indexOf
 * (a regex over every chunk cost a 95 MB log a sixth of its analysis time). Other control bytes
 * are counted only at the start, where binary is decided.
 */
function strayIn(text: string): number {
  let count = 0;
  for (let at = text.indexOf("\uFFFD"); at !== -1; at = text.indexOf("\uFFFD", at + 1)) count++;
  for (let at = text.indexOf("\0"); at !== -1; at = text.indexOf("\0", at + 1)) count++;
  return count;
}
