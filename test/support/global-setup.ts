// Every temporary file the tests make goes into one directory for the run, removed at the end:
// os.tmpdir() follows TMPDIR, which the test workers inherit (and so does the memory cache).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export default function setup(): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-tests-"));
  const previous = process.env["TMPDIR"];
  process.env["TMPDIR"] = dir;
  // The built CLI, spawned by tests, remembers analyses there rather than in the user's cache.
  const cache = process.env["KAMAL_DOCTOR_CACHE_DIR"];
  process.env["KAMAL_DOCTOR_CACHE_DIR"] = path.join(dir, "cache");
  return () => {
    if (previous === undefined) delete process.env["TMPDIR"];
    else process.env["TMPDIR"] = previous;
    if (cache === undefined) delete process.env["KAMAL_DOCTOR_CACHE_DIR"];
    else process.env["KAMAL_DOCTOR_CACHE_DIR"] = cache;
    rmSync(dir, { recursive: true, force: true });
  };
}
