// `npm run eval -- DIR…`: measures the built CLI against labelled corpora. Each DIR holds logs
// and a labels.json: [{ file, categories, key_lines? }] where `categories` lists the accepted
// root-cause categories, [] marks a log that is not a failure and null a log that is not scored.
// Prints, per category and overall, how many scored logs got an accepted category first, the
// false alarms (an error finding on a not-a-failure log) and every miss with its key lines.
// Exit code: 0 when the targets hold (>= 95 % and no false alarm), else 1.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../", import.meta.url));
const cli = path.join(root, "bin/kamal-doctor.js");
const TARGET = 0.95;

const args = process.argv.slice(2);
const extra = [];
const dirs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--rules") extra.push("--rules", args[++i]);
  else dirs.push(args[i]);
}
if (dirs.length === 0) {
  console.error("usage: npm run eval -- DIR… [--rules DIR]   (each DIR holds logs and a labels.json)");
  process.exit(2);
}
if (!existsSync(path.join(root, "dist/kamal-doctor.js"))) {
  console.error("eval: not built yet; run `npm run build` first");
  process.exit(2);
}

async function analyse(file) {
  try {
    const { stdout } = await run(process.execPath, [cli, file, "--format", "json", ...extra], { maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout);
  } catch (error) {
    // Exit 1 means "a failure was diagnosed": the report is still on stdout.
    if (error.code === 1 && error.stdout) return JSON.parse(error.stdout);
    throw new Error(`${file}: ${error.stderr || error.message}`, { cause: error });
  }
}

const entries = [];
for (const dir of dirs) {
  const labelsFile = path.join(dir, "labels.json");
  if (!existsSync(labelsFile)) {
    console.error(`eval: ${labelsFile}: no such file`);
    process.exit(2);
  }
  for (const label of JSON.parse(readFileSync(labelsFile, "utf8"))) entries.push({ dir, label });
}

// A few at a time: each is a separate node process.
const results = [];
for (let i = 0; i < entries.length; i += 8) {
  const batch = entries.slice(i, i + 8);
  results.push(...(await Promise.all(batch.map(async ({ dir, label }) => ({ dir, label, report: await analyse(path.join(dir, label.file)) })))));
}

const byCategory = new Map();
const misses = [];
const falseAlarms = [];
let scored = 0;
let hits = 0;
let negatives = 0;
for (const { dir, label, report } of results) {
  const name = `${path.basename(dir)}/${label.file}`;
  const first = report.findings[0] ?? null;
  if (label.categories === null || label.categories === undefined) continue;
  if (label.categories.length === 0) {
    negatives++;
    const alarms = report.findings.filter((f) => f.severity === "error");
    if (alarms.length > 0 || report.outcome === "failed") falseAlarms.push({ name, report, alarms });
    continue;
  }
  scored++;
  const ok = first !== null && report.outcome === "failed" && label.categories.includes(first.category);
  if (ok) hits++;
  const key = label.categories[0];
  const stats = byCategory.get(key) ?? { scored: 0, hits: 0 };
  stats.scored++;
  if (ok) stats.hits++;
  byCategory.set(key, stats);
  if (!ok) misses.push({ name, label, report, first });
}

const pct = (a, b) => (b === 0 ? "-" : `${((100 * a) / b).toFixed(1)} %`);
console.log("category              first finding accepted");
for (const [category, stats] of [...byCategory.entries()].sort()) {
  console.log(`  ${category.padEnd(20)} ${String(stats.hits).padStart(3)}/${String(stats.scored).padEnd(3)} ${pct(stats.hits, stats.scored)}`);
}
console.log(`overall                ${hits}/${scored} ${pct(hits, scored)}`);
console.log(`false alarms           ${falseAlarms.length}/${negatives} not-a-failure logs`);

for (const miss of misses) {
  console.log(`\nMISS ${miss.name}: expected ${miss.label.categories.join(" | ")}, got ${miss.first ? `${miss.first.category} (${miss.first.ruleId})` : "no finding"}, outcome ${miss.report.outcome}`);
  for (const line of miss.label.key_lines ?? []) console.log(`    key   ${line.replace(/\x1b\[[0-9;]*m/g, "").slice(0, 200)}`);
  for (const u of miss.report.unmatched.slice(0, 5)) console.log(`    unmatched ${u.line}: ${u.text.slice(0, 160)}`);
}
for (const alarm of falseAlarms) {
  console.log(`\nFALSE ALARM ${alarm.name}: outcome ${alarm.report.outcome}; ${alarm.alarms.map((f) => f.ruleId).join(", ") || "no error finding"}`);
}

const ok = scored > 0 && hits / scored >= TARGET && falseAlarms.length === 0;
process.exit(ok ? 0 : 1);
