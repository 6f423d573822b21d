// Runs the built CLI (bin/kamal-doctor.js, as a user would) over every fixture log and checks
// the exit code and JSON output against NAME.expected.json. Used by .ci/run.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const fixtures = path.join(root, "fixtures");
const bin = path.join(root, "bin/kamal-doctor.js");
let failures = 0;
let count = 0;
for (const file of readdirSync(fixtures, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".expected.json")).sort()) {
  const expected = JSON.parse(readFileSync(path.join(fixtures, file), "utf8"));
  const log = path.join(fixtures, file.replace(/\.expected\.json$/, ".log"));
  const child = spawnSync(process.execPath, [bin, log, "--format", "json"], { encoding: "utf8" });
  count++;
  const problems = [];
  const wantExit = expected.outcome === "failed" ? 1 : 0;
  if (child.status !== wantExit) problems.push(`exit ${child.status}, expected ${wantExit}: ${child.stderr.trim()}`);
  else {
    const report = JSON.parse(child.stdout);
    const first = report.findings[0];
    if (report.outcome !== expected.outcome) problems.push(`outcome ${report.outcome}, expected ${expected.outcome}`);
    if (expected.rootCause && first?.ruleId !== expected.rootCause) problems.push(`root cause ${first?.ruleId}, expected ${expected.rootCause}`);
    if (expected.category && ![expected.category].flat().includes(first?.category)) problems.push(`category ${first?.category}, expected ${expected.category}`);
  }
  if (problems.length > 0) {
    failures++;
    console.log(`✖ ${file}: ${problems.join("; ")}`);
  }
}
console.log(`${count - failures} passed, ${failures} failed`);
process.exit(failures > 0 ? 1 : 0);
