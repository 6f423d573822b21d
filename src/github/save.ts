// `--save DIR`: the directory downloaded logs are kept in, made ready before anything is
// downloaded. Node's `mkdir(…, { recursive: true })` loops forever on some paths (`/proc/nope`),
// so missing directories are created one level at a time, and every failure is one line.

import { constants } from "node:fs";
import { access, mkdir, stat } from "node:fs/promises";
import path from "node:path";

/** The logs cannot be kept where asked: a local problem (exit 2), not GitHub's. */
export class SaveError extends Error {}

const REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  ENOTDIR: "a part of the path is not a directory",
  ENOENT: "no such file or directory",
  EEXIST: "a file of that name exists",
  ENAMETOOLONG: "the name is too long",
};

/** Words for a file-system error (`EACCES` → "permission denied"). */
export function fsReason(error: unknown): string {
  const code = (error as { code?: string }).code;
  return (code && REASONS[code]) ?? (error as Error).message ?? String(error);
}

/** Makes `dir` an existing, writable directory, or throws a SaveError that names it. */
export async function prepareSaveDir(dir: string): Promise<void> {
  const fail = (why: string) => new SaveError(`cannot save logs in ${dir}: ${why}`);
  const absolute = path.resolve(dir);
  const missing: string[] = [];
  for (let current = absolute; ; current = path.dirname(current)) {
    const found = await stat(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT" && error.code !== "ENOTDIR") throw fail(fsReason(error));
      return null;
    });
    if (found) {
      if (!found.isDirectory()) throw fail(current === absolute ? "it is a file, not a directory" : `${current} is a file, not a directory`);
      break;
    }
    missing.unshift(current);
    if (path.dirname(current) === current) break;
  }
  for (const directory of missing) {
    await mkdir(directory).catch((error: NodeJS.ErrnoException) => {
      throw fail(`cannot create ${directory}: ${fsReason(error)}`);
    });
  }
  await access(absolute, constants.W_OK).catch((error: unknown) => {
    throw fail(`cannot write there: ${fsReason(error)}`);
  });
}
