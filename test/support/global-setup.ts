// Every temporary file the tests make goes into one directory for the run, removed at the end:
// os.tmpdir() follows TMPDIR, which the test workers inherit.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export default function setup(): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-tests-"));
  const previous = process.env["TMPDIR"];
  process.env["TMPDIR"] = dir;
  return () => {
    if (previous === undefined) delete process.env["TMPDIR"];
    else process.env["TMPDIR"] = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}
