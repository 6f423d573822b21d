// Writes what the built CLI prints for every log under the given folders (default: fixtures/
// and, when present, ../shared/corpus) in every format, raw and wrapped as a GitHub job log,
// into OUT. Two snapshots taken before and after a refactor are compared with `diff -r`, so
// "no behaviour changes" is checked rather than claimed.
//   node scripts/snapshot-reports.mjs OUT [DIR...]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const bin = path.join(root, "bin/kamal-doctor.js");
const [out, ...given] = process.argv.slice(2);
if (!out) {
  process.stderr.write("usage: node scripts/snapshot-reports.mjs OUT [DIR...]\n");
  process.exit(2);
}
const dirs = given.length > 0 ? given : [path.join(root, "fixtures"), path.join(root, "../shared/corpus")].filter(existsSync);
const formats = ["json", "pretty", "github", "markdown"];
// A GitHub job log: every line behind an ISO timestamp, as the runner writes it.
const wrap = (text) =>
  text
    .split("\n")
    .map((line, i) => `2026-01-01T00:00:${String(i % 60).padStart(2, "0")}.0000000Z ${line}`)
    .join("\n");

mkdirSync(out, { recursive: true });
let count = 0;
for (const dir of dirs) {
  for (const file of readdirSync(dir, { recursive: true }).filter((f) => f.endsWith(".log")).sort()) {
    const text = readFileSync(path.join(dir, file), "utf8");
    for (const [form, input] of [["raw", text], ["wrapped", wrap(text)]]) {
      for (const format of formats) {
        const env = { ...process.env, NO_COLOR: "1", GITHUB_ACTIONS: "", GITHUB_STEP_SUMMARY: "" };
        const child = spawnSync(process.execPath, [bin, "-", "--format", format], { input, encoding: "utf8", env });
        const name = `${path.basename(dir)}__${file.replaceAll("/", "__")}.${form}.${format}`;
        writeFileSync(path.join(out, name), `exit ${child.status}\n--- stdout\n${child.stdout}--- stderr\n${child.stderr}`);
        count++;
      }
    }
  }
}
process.stdout.write(`${count} outputs written to ${out}\n`);
