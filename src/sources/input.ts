// Opens what the user gave (files, '-', stdin) as sources of decoded text: plain text, gzip
// (by magic bytes, whatever the name), a zip of logs (each entry its own source, e.g. a GitHub
// run-logs archive) and UTF-16 text from PowerShell redirection. Binary input is refused.

import { closeSync, createReadStream, openSync, readFileSync, readSync, statSync, type Stats } from "node:fs";
import { TextDecoder } from "node:util";
import type { Readable } from "node:stream";
import { InputError } from "./errors.js";
import { Utf8Decoder } from "./utf8.js";

export interface SourceInput {
  name: string;
  /** Decoded text, in chunks of any size (lines may span chunks). */
  text: AsyncIterable<string>;
}

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
  if (!info.isFile()) return [{ name: file, text: decodeSniffing(createReadStream(absolute, { highWaterMark: CHUNK }), file) }];
  const head = readHead(absolute, file);
  if (isZip(head)) {
    const { readZipEntries } = await import("./zip.js");
    const entries = await readZipEntries(absolute, file);
    return entries.map((entry) => ({ name: `${file}/${entry.name}`, text: decode(entry.stream, `${file}/${entry.name}`) }));
  }
  const name = file;
  if (isGzip(head)) {
    const { createGunzip } = await import("node:zlib");
    return [{ name, text: decode(createReadStream(absolute, { highWaterMark: CHUNK }).pipe(createGunzip({ chunkSize: CHUNK })), file) }];
  }
  if (info.size <= READ_WHOLE) return [{ name, text: decode([readWhole(absolute, file)], file) }];
  return [{ name, text: decode(readChunks(absolute, file), file) }];
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

export function openStream(name: string, stream: Readable): SourceInput {
  return { name, text: decodeSniffing(stream, name) };
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

const isZip = (head: Buffer) => head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) && (head[3] === 4 || head[3] === 6);
const isGzip = (head: Buffer) => head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;

/** Control bytes that never appear in a text log: NUL and most C0 codes outside \t \n \r \f \v ESC. */
export function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, SNIFF);
  let suspicious = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i] as number;
    if (b === 0) return true;
    if (b < 8 || (b > 13 && b < 27 && b !== 26) || (b > 27 && b < 32)) suspicious++;
  }
  return n > 0 && suspicious / n > 0.1;
}

/** Decodes a byte stream (UTF-8 with replacement; UTF-16 by BOM), refusing binary data. */
async function* decode(stream: AsyncIterable<Buffer | string> | Iterable<Buffer> | Readable, name: string): AsyncGenerator<string> {
  yield* decodeSniffing(stream as AsyncIterable<Buffer | string>, name);
}

interface ChunkDecoder {
  write(bytes: Uint8Array): string;
  end(): string;
}

async function* decodeSniffing(stream: AsyncIterable<Buffer | string> | Iterable<Buffer>, name: string): AsyncGenerator<string> {
  let decoder: ChunkDecoder | null = null;
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
      if (decoder === null) {
        head.push(chunk);
        headLength += chunk.length;
        if (headLength < SNIFF) continue;
        bytes = head.length === 1 ? chunk : Buffer.concat(head);
        head = [];
        decoder = start(bytes);
      }
      const text = decoder.write(bytes);
      if (text.length > 0) yield text;
    }
    if (decoder === null && headLength > 0) {
      const bytes = Buffer.concat(head);
      decoder = start(bytes);
      const text = decoder.write(bytes);
      if (text.length > 0) yield text;
    }
    if (decoder) {
      const rest = decoder.end();
      if (rest.length > 0) yield rest;
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "Z_DATA_ERROR" || code === "Z_BUF_ERROR") throw new InputError(`${name}: corrupt or truncated gzip data`);
    if (code === "EISDIR") throw new InputError(`${name}: is a directory`);
    throw new InputError(`${name}: ${(error as Error).message}`);
  }
}
