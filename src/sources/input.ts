// Opens what the user gave (files, '-', stdin) as sources of decoded text: plain text, gzip
// (by magic bytes, whatever the name), a zip of logs (each entry its own source, e.g. a GitHub
// run-logs archive) and UTF-16 text from PowerShell redirection. Binary input is refused; a log
// with some unreadable bytes, or a gzip that breaks off, is read as far as it goes and says so.

import { closeSync, createReadStream, openSync, readFileSync, readSync, statSync, type Stats } from "node:fs";
import { TextDecoder } from "node:util";
import type { Readable } from "node:stream";
import { InputError } from "./errors.js";
import { Utf8Decoder } from "./utf8.js";
import type { ZipEntryStream } from "./zip.js";

export interface SourceInput {
  name: string;
  /** Decoded text, in chunks of any size (lines may span chunks). */
  text: AsyncIterable<string>;
  /** Filled while `text` is read: what could not be read. */
  problems: InputProblems;
}

export interface InputProblems {
  /** One line each, naming the input: unreadable bytes, a gzip that broke off. */
  notes: string[];
  /** Part of the input is missing (not merely unreadable): the end of a truncated gzip. */
  partial: boolean;
}

const noProblems = (): InputProblems => ({ notes: [], partial: false });

/** 64 KiB reads: measured faster than 1 MiB and with a lower, flat peak RSS (docs/performance.md). */
const CHUNK = 1 << 16;
const SNIFF = 8192;
/** A plain file up to this size is read in one go: most logs are small and the user is waiting. */
const READ_WHOLE = 4 * 1024 * 1024;

/**
 * Opens one path argument. A directory, a missing or unreadable file gets an InputError.
 * A regular file is read with synchronous calls — in one go when small, else in 64 KiB chunks:
 * each read is one system call, where the thread pool cost a small log ~4 ms of waiting and a
 * large one ~9 % of its time (docs/performance.md). A pipe or device path (`<(kamal deploy)`,
 * /dev/stdin) cannot be read at an offset: it is read as a stream, like stdin.
 */
export async function openPath(absolute: string, file = absolute): Promise<SourceInput[]> {
  let info: Stats;
  try {
    info = statSync(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new InputError(`${file}: no such file`);
    if (code === "EACCES") throw new InputError(`${file}: permission denied`);
    throw new InputError(`${file}: ${(error as Error).message}`);
  }
  if (info.isDirectory()) throw new InputError(`${file}: is a directory (give log files, or a run-logs .zip)`);
  if (!info.isFile()) return [openStream(file, createReadStream(absolute, { highWaterMark: CHUNK }))];
  const head = readHead(absolute, file);
  if (isZip(head)) {
    const { readZipEntries, logGroups } = await import("./zip.js");
    const entries = await readZipEntries(absolute, file);
    const byName = new Map(entries.map((entry) => [entry.name, entry]));
    const groups = logGroups(entries.map((entry) => entry.name));
    const read = new Set(groups.flat());
    for (const entry of entries) if (!read.has(entry.name)) entry.skip();
    return groups.map((group) => {
      // One job's step files, read as one log under the job's folder name.
      const name = group.length === 1 ? `${file}/${group[0]}` : `${file}/${(group[0] as string).slice(0, (group[0] as string).indexOf("/"))}`;
      const streams = group.map((entry) => (byName.get(entry) as ZipEntryStream).stream);
      return withProblems(name, (problems) => decode(concat(streams), name, problems));
    });
  }
  const name = file;
  if (isGzip(head)) {
    const { createGunzip } = await import("node:zlib");
    return [withProblems(name, (problems) => decode(createReadStream(absolute, { highWaterMark: CHUNK }).pipe(createGunzip({ chunkSize: CHUNK })), file, problems, true))];
  }
  if (info.size <= READ_WHOLE) return [withProblems(name, (problems) => decode([readWhole(absolute, file)], file, problems))];
  return [withProblems(name, (problems) => decode(readChunks(absolute, file), file, problems))];
}

function withProblems(name: string, text: (problems: InputProblems) => AsyncIterable<string>): SourceInput {
  const problems = noProblems();
  return { name, text: text(problems), problems };
}

function readWhole(absolute: string, file: string): Buffer {
  try {
    return readFileSync(absolute);
  } catch (error) {
    throw new InputError(`${file}: ${(error as Error).message}`);
  }
}

/** A regular file in CHUNK-sized reads; each chunk is a fresh buffer (decoding may keep it). */
function* readChunks(absolute: string, file: string): Generator<Buffer> {
  let fd: number;
  try {
    fd = openSync(absolute, "r");
  } catch (error) {
    throw new InputError(`${file}: ${(error as Error).message}`);
  }
  try {
    for (;;) {
      const buffer = Buffer.allocUnsafe(CHUNK);
      let bytesRead: number;
      try {
        bytesRead = readSync(fd, buffer, 0, buffer.length, null);
      } catch (error) {
        throw new InputError(`${file}: ${(error as Error).message}`);
      }
      if (bytesRead === 0) return;
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    closeSync(fd);
  }
}

/** A stream (stdin, a pipe): gzip is recognised by its first bytes here too. */
export function openStream(name: string, stream: Readable): SourceInput {
  return withProblems(name, (problems) => decodeStream(stream, name, problems));
}

async function* decodeStream(stream: Readable, name: string, problems: InputProblems): AsyncGenerator<string> {
  // The first two bytes say whether it is gzip; a pipe may deliver them one at a time.
  const iterator = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let length = 0;
  while (length < 2) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = typeof next.value === "string" ? Buffer.from(next.value) : next.value;
    head.push(chunk);
    length += chunk.length;
  }
  async function* bytes(): AsyncGenerator<Buffer> {
    yield* head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  const first = Buffer.concat(head);
  if (!isGzip(first)) {
    yield* decodeSniffing(bytes(), name, problems);
    return;
  }
  const { createGunzip } = await import("node:zlib");
  const { Readable: NodeReadable } = await import("node:stream");
  yield* decodeSniffing(NodeReadable.from(bytes()).pipe(createGunzip({ chunkSize: CHUNK })), name, problems, true);
}

function readHead(absolute: string, file: string): Buffer {
  let fd: number;
  try {
    fd = openSync(absolute, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EACCES") throw new InputError(`${file}: permission denied`);
    throw new InputError(`${file}: ${(error as Error).message}`);
  }
  try {
    const buffer = Buffer.alloc(SNIFF);
    const bytesRead = readSync(fd, buffer, 0, SNIFF, 0);
    return buffer.subarray(0, bytesRead);
  } catch (error) {
    throw new InputError(`${file}: ${(error as NodeJS.ErrnoException).code === "EISDIR" ? "is a directory" : (error as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

async function* concat(streams: readonly AsyncIterable<Buffer>[]): AsyncGenerator<Buffer> {
  for (const stream of streams) yield* stream;
}

const isZip = (head: Buffer) => head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) && (head[3] === 4 || head[3] === 6);
const isGzip = (head: Buffer) => head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;

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

/** Decodes a byte stream (UTF-8 with replacement; UTF-16 by BOM), refusing binary data. */
async function* decode(stream: AsyncIterable<Buffer | string> | Iterable<Buffer> | Readable, name: string, problems: InputProblems, gzip = false): AsyncGenerator<string> {
  yield* decodeSniffing(stream as AsyncIterable<Buffer | string>, name, problems, gzip);
}

interface ChunkDecoder {
  write(bytes: Uint8Array): string;
  end(): string;
}

async function* decodeSniffing(stream: AsyncIterable<Buffer | string> | Iterable<Buffer>, name: string, problems: InputProblems, gzip = false): AsyncGenerator<string> {
  let decoder: ChunkDecoder | null = null;
  // What could not be read is counted on the decoded text, for one line at the end.
  let bytesRead = 0;
  let unreadable = 0;
  const counted = (text: string) => {
    unreadable += strayIn(text);
    return text;
  };
  // The encoding and the binary check are decided on the first SNIFF bytes, however the
  // stream happens to be chunked (a pipe may deliver one byte first).
  let head: Buffer[] = [];
  let headLength = 0;
  const start = (bytes: Buffer): ChunkDecoder => {
    let encoding: "utf-16le" | "utf-16be" | null = null;
    if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) encoding = "utf-16le";
    else if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) encoding = "utf-16be";
    else if (looksBinary(bytes)) throw new InputError(`${name}: looks like binary data, not a log`);
    if (encoding === null) return new Utf8Decoder();
    const utf16 = new TextDecoder(encoding, { fatal: false, ignoreBOM: false });
    return { write: (chunk) => utf16.decode(chunk, { stream: true }), end: () => utf16.decode() };
  };
  try {
    for await (const chunk of stream) {
      if (typeof chunk === "string") {
        yield chunk;
        continue;
      }
      let bytes = chunk;
      bytesRead += chunk.length;
      if (decoder === null) {
        head.push(chunk);
        headLength += chunk.length;
        if (headLength < SNIFF) continue;
        bytes = head.length === 1 ? chunk : Buffer.concat(head);
        head = [];
        decoder = start(bytes);
      }
      const text = counted(decoder.write(bytes));
      if (text.length > 0) yield text;
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const broken = code === "Z_DATA_ERROR" || code === "Z_BUF_ERROR";
    // A gzip that breaks off (no trailer, a cut download) still gave every byte before the break.
    if (!(gzip && broken && bytesRead > 0)) {
      if (broken) throw new InputError(`${name}: corrupt or truncated gzip data`);
      if (code === "EISDIR") throw new InputError(`${name}: is a directory`);
      throw new InputError(`${name}: ${(error as Error).message}`);
    }
    problems.partial = true;
    problems.notes.push(`${name}: the gzip data ${code === "Z_BUF_ERROR" ? "is truncated" : "is corrupt"} after ${bytesRead} bytes of text: what decompressed is diagnosed, the rest is lost`);
  }
  if (decoder === null && headLength > 0) {
    const bytes = Buffer.concat(head);
    decoder = start(bytes);
    const text = counted(decoder.write(bytes));
    if (text.length > 0) yield text;
  }
  if (decoder) {
    const rest = counted(decoder.end());
    if (rest.length > 0) yield rest;
  }
  if (unreadable > 0) {
    problems.notes.push(`${name}: about ${unreadable} of ${bytesRead} bytes could not be read as text (NUL or invalid UTF-8); the rest is diagnosed`);
  }
}
