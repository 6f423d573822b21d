// Reads a zip of logs (a GitHub run-logs archive, or any zip of .txt/.log files) entry by entry
// with yauzl, which validates sizes while streaming. Refuses archives that are corrupt, have too
// many entries, or declare sizes or ratios typical of a decompression bomb.

import type { Readable } from "node:stream";
import yauzl from "yauzl";
import { InputError } from "./errors.js";

export interface ZipEntryStream {
  name: string;
  size: number;
  stream: AsyncIterable<Buffer>;
  /** Not reading this entry: releases it (the archive closes once every entry is read or skipped). */
  skip: () => void;
}

export const ZIP_LIMITS = {
  maxEntries: 2000,
  /** Largest uncompressed entry accepted. */
  maxEntryBytes: 4 * 1024 ** 3,
  /** Largest total uncompressed size accepted. */
  maxTotalBytes: 8 * 1024 ** 3,
  /** Entries above 1 MiB may not expand more than this many times (text logs compress ~10–30×). */
  maxRatio: 200,
};

interface EntryMeta {
  entry: yauzl.Entry;
  name: string;
}

export async function readZipEntries(absolute: string, file = absolute, limits = ZIP_LIMITS): Promise<ZipEntryStream[]> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    yauzl.open(absolute, { lazyEntries: true, autoClose: false, strictFileNames: false, validateEntrySizes: true }, (error, zipfile) => {
      if (error || !zipfile) reject(new InputError(`${file}: not a readable zip archive (${error?.message ?? "unknown error"})`));
      else resolve(zipfile);
    });
  });
  const metas = await new Promise<EntryMeta[]>((resolve, reject) => {
    const found: EntryMeta[] = [];
    let total = 0;
    const fail = (message: string) => {
      zip.close();
      reject(new InputError(`${file}: ${message}`));
    };
    zip.on("error", (error: Error) => fail(`corrupt zip archive (${error.message})`));
    zip.on("entry", (entry: yauzl.Entry) => {
      if (!entry.fileName.endsWith("/")) {
        if (found.length >= limits.maxEntries) return fail(`more than ${limits.maxEntries} entries; refusing`);
        const size = entry.uncompressedSize;
        total += size;
        if (size > limits.maxEntryBytes) return fail(`entry ${entry.fileName} would expand to ${size} bytes; refusing`);
        if (total > limits.maxTotalBytes) return fail(`entries would expand to more than ${limits.maxTotalBytes} bytes; refusing`);
        if (size > 1024 ** 2 && size > entry.compressedSize * limits.maxRatio) {
          return fail(`entry ${entry.fileName} has a compression ratio above ${limits.maxRatio}:1 (a decompression bomb?); refusing`);
        }
        found.push({ entry, name: entry.fileName });
      }
      zip.readEntry();
    });
    zip.on("end", () => resolve(found));
    zip.readEntry();
  });
  let remaining = metas.length;
  const closeOne = () => {
    remaining--;
    if (remaining <= 0) zip.close();
  };
  if (remaining === 0) zip.close();
  return metas.map(({ entry, name }) => {
    let released = false;
    const once = () => {
      if (released) return;
      released = true;
      closeOne();
    };
    return { name, size: entry.uncompressedSize, stream: entryStream(zip, entry, file, once), skip: once };
  });
}

/**
 * The entries to read as logs, each job once. A GitHub run-logs archive holds every job's log
 * twice: whole at the top level (`0_deploy.txt`) and by step in a folder named after the job
 * (`deploy/1_Run bin kamal deploy.txt`). A folder with a top-level log of its name is a copy and
 * is left out; a folder without one is read as one log, its steps in order. Other entries stay.
 */
export function logGroups(names: readonly string[]): string[][] {
  const jobs = new Set<string>();
  for (const name of names) {
    const top = /^-?\d+_(.*?)(?: \(\d+\))?\.txt$/.exec(name);
    if (top?.[1] !== undefined && !name.includes("/")) jobs.add(top[1]);
  }
  const groups: string[][] = [];
  const folders = new Map<string, string[]>();
  for (const name of names) {
    const slash = name.indexOf("/");
    const folder = slash === -1 ? null : name.slice(0, slash);
    const step = folder === null ? null : /^(\d+)_.*\.txt$/.exec(name.slice(slash + 1));
    if (folder === null || step === null) {
      groups.push([name]);
      continue;
    }
    if (jobs.has(folder)) continue;
    let group = folders.get(folder);
    if (!group) {
      group = [];
      folders.set(folder, group);
      groups.push(group);
    }
    group.push(name);
  }
  const stepNumber = (name: string) => Number(/\/(\d+)_/.exec(name)?.[1] ?? 0);
  for (const group of folders.values()) group.sort((a, b) => stepNumber(a) - stepNumber(b));
  return groups;
}

async function* entryStream(zip: yauzl.ZipFile, entry: yauzl.Entry, file: string, done: () => void): AsyncGenerator<Buffer> {
  try {
    const stream = await new Promise<Readable>((resolve, reject) => {
      zip.openReadStream(entry, (error, readable) => {
        if (error || !readable) reject(new InputError(`${file}: cannot read entry ${entry.fileName} (${error?.message ?? "unknown error"})`));
        else resolve(readable);
      });
    });
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } catch (error) {
      throw new InputError(`${file}: corrupt entry ${entry.fileName} (${(error as Error).message})`);
    }
  } finally {
    done();
  }
}
