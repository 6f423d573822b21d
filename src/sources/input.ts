// Opens what the user gave (files, '-', stdin) as sources of decoded text: plain text, gzip
// (by magic bytes, whatever the name), a zip of logs (each entry its own source, e.g. a GitHub
// run-logs archive) and UTF-16 text from PowerShell redirection. Binary input is refused; a log
// with some unreadable bytes, or a gzip that breaks off, is read as far as it goes and says so.

import { closeSync, createReadStream, openSync, readFileSync, readSync, statSync, type Stats } from "node:fs";
import type { Readable } from "node:stream";
import { decodeBytes, LogDecoder, noProblems, type DecodedSource, type InputProblems } from "./decode.js";
import { InputError } from "./errors.js";
import type { ZipEntryStream } from "./zip.js";

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
export async function openPath(absolute: string, file = absolute): Promise<DecodedSource[]> {
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
  // An OTLP/JSON log export (Kamal 2.12 `output: otel:`) is read as the lines it carries.
  if (head[0] === 0x7b || head[0] === 0x20 || head[0] === 0x0a) {
    const otlp = await import("./otlp.js");
    if (otlp.looksLikeOtlp(head.toString("utf8"))) return [otlp.openOtlp(absolute, file)];
  }
  if (isGzip(head)) {
    const { createGunzip } = await import("node:zlib");
    // Started only when it is read: a stream started at open time could end in an error (a cut
    // gzip) while another input is still being read, with nobody listening yet.
    async function* gunzipped(): AsyncGenerator<Buffer> {
      yield* createReadStream(absolute, { highWaterMark: CHUNK }).pipe(createGunzip({ chunkSize: CHUNK }));
    }
    return [withProblems(name, (problems) => decode(gunzipped(), file, problems, true))];
  }
  if (info.size <= READ_WHOLE) return [withProblems(name, (problems) => decode([readWhole(absolute, file)], file, problems))];
  return [withProblems(name, (problems) => decode(readChunks(absolute, file), file, problems))];
}

function withProblems(name: string, text: (problems: InputProblems) => AsyncIterable<string>): DecodedSource {
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

/**
 * A regular file in CHUNK-sized reads into one buffer, reused: each chunk is decoded before the
 * next is asked for, and the decoder copies what it keeps. A fresh buffer per read cost a 50 MB
 * log 120 ms of page faults (docs/performance.md).
 */
function* readChunks(absolute: string, file: string): Generator<Buffer> {
  let fd: number;
  try {
    fd = openSync(absolute, "r");
  } catch (error) {
    throw new InputError(`${file}: ${(error as Error).message}`);
  }
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
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
export function openStream(name: string, stream: Readable): DecodedSource {
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
    yield* decode(bytes(), name, problems);
    return;
  }
  const { createGunzip } = await import("node:zlib");
  const { Readable: NodeReadable } = await import("node:stream");
  yield* decode(NodeReadable.from(bytes()).pipe(createGunzip({ chunkSize: CHUNK })), name, problems, true);
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

/** Decodes a file's, a stream's or an entry's bytes (UTF-8 with replacement; UTF-16 by BOM), refusing binary data. */
function decode(stream: AsyncIterable<Buffer | string> | Iterable<Buffer> | Readable, name: string, problems: InputProblems, gzip = false): AsyncGenerator<string> {
  return decodeBytes(readBytes(stream as AsyncIterable<Buffer | string>, name, problems, gzip), new LogDecoder({ name }, problems));
}

/**
 * The bytes as read; a read error is an InputError naming the input. A gzip that breaks off (no
 * trailer, a cut download) still gave every byte before the break: they end the input, with a note.
 */
async function* readBytes(stream: AsyncIterable<Buffer | string> | Iterable<Buffer>, name: string, problems: InputProblems, gzip: boolean): AsyncGenerator<Buffer | string> {
  let bytesRead = 0;
  try {
    for await (const chunk of stream) {
      if (typeof chunk !== "string") bytesRead += chunk.length;
      yield chunk;
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const broken = code === "Z_DATA_ERROR" || code === "Z_BUF_ERROR";
    if (!(gzip && broken && bytesRead > 0)) {
      if (broken) throw new InputError(`${name}: corrupt or truncated gzip data`);
      if (code === "EISDIR") throw new InputError(`${name}: is a directory`);
      throw new InputError(`${name}: ${(error as Error).message}`);
    }
    problems.partial = true;
    problems.notes.push(`${name}: the gzip data ${code === "Z_BUF_ERROR" ? "is truncated" : "is corrupt"} after ${bytesRead} bytes of text: what decompressed is diagnosed, the rest is lost`);
  }
}

/**
 * The input's text for the analysis: an input error while it is read ends it. A partial read is
 * kept (marked partial, with a note); an input that gave nothing is reported to `unreadable`.
 */
export async function* readOrNote(input: DecodedSource, unreadable: (name: string, message: string) => void): AsyncGenerator<string> {
  let read = false;
  try {
    for await (const chunk of input.text) {
      read = true;
      yield chunk;
    }
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    if (read) {
      input.problems.partial = true;
      input.problems.notes.push(`${error.message} (only the part read before that is diagnosed)`);
    } else unreadable(input.name, error.message);
  }
}
