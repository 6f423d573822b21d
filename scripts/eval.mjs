// `npm run eval -- DIR…`: measures the built CLI against labelled corpora. Each DIR holds logs
// and a labels.json: [{ file, categories, key_lines? }] where `categories` lists the accepted
// root-cause categories, [] marks a log that is not a failure and null a log that is not scored.
// Every log is measured twice: as it is ("raw") and wrapped as the Actions runner writes a job
// log ("wrapped": a `Run` step group, a timestamp before every line, the failing step's tail).
// Prints, per form, per category and overall:
//   top-1     the first finding's category is an accepted one (and the outcome is "failed")
//   key line  a labelled key line is among the evidence of the first three findings
//   basis     how many first findings came from a rule, how many were inferred
// then the false alarms (an error finding on a not-a-failure log), a line per share (the folder,
// and for numbered files the hundreds digit: real-dev 0xx and 2xx are separate shares) and every
// miss with its key lines.
// Exit code: 0 when the targets hold (>= 95 % top-1 and no false alarm, both forms), else 1.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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
let quiet = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--rules") extra.push("--rules", args[++i]);
  else if (args[i] === "--quiet") quiet = true;
  else dirs.push(args[i]);
}
if (dirs.length === 0) {
  console.error("usage: npm run eval -- DIR… [--rules DIR] [--quiet]   (each DIR holds logs and a labels.json)");
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

// The job log the runner writes for a `run: kamal deploy` step that printed `text`.
function wrapAsJobLog(text, failed) {
  const start = Date.UTC(2026, 0, 1, 10, 0, 0);
  let tick = 0;
  const stamp = () => `${new Date(start + 37 * tick++).toISOString().replace("Z", "0000Z")} `;
  const lines = ["##[group]Run kamal deploy", "\u001b[36;1mkamal deploy\u001b[0m", "shell: /usr/bin/bash -e {0}", "##[endgroup]"];
  lines.push(...text.replace(/\r?\n$/, "").split(/\r?\n/));
  if (failed) lines.push("##[error]Process completed with exit code 1.");
  return lines.map((line) => stamp() + line).join("\n") + "\n";
}

const flat = (s) => s.replace(/\x1b\[[0-9;]*m/g, "").replace(/\s+/g, " ").trim();
function keyLineShown(label, report) {
  const keys = (label.key_lines ?? []).map(flat).filter((k) => k.length > 0);
  if (keys.length === 0) return null;
  const evidence = report.findings.slice(0, 3).flatMap((f) => f.evidence ?? []).map(flat);
  return keys.some((key) => evidence.some((e) => e.length >= 12 && (e.includes(key) || key.includes(e))));
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

const scratch = mkdtempSync(path.join(tmpdir(), "kamal-doctor-eval-"));
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));
const jobs = [];
for (const [index, { dir, label }] of entries.entries()) {
  const file = path.join(dir, label.file);
  jobs.push({ dir, label, form: "raw", file });
  const wrapped = path.join(scratch, `${index}.log`);
  writeFileSync(wrapped, wrapAsJobLog(readFileSync(file, "utf8"), Array.isArray(label.categories) && label.categories.length > 0));
  jobs.push({ dir, label, form: "wrapped", file: wrapped });
}

// A few at a time: each is a separate node process.
const results = [];
for (let i = 0; i < jobs.length; i += 8) {
  const batch = jobs.slice(i, i + 8);
  results.push(...(await Promise.all(batch.map(async (job) => ({ ...job, report: await analyse(job.file) })))));
}

const share = (dir, file) => {
  const n = /^(\d)\d\d-/.exec(file);
  return n ? `${path.basename(dir)}/${n[1]}xx` : path.basename(dir);
};
const tally = () => ({ scored: 0, hits: 0, keyed: 0, keys: 0, inferred: 0 });
const pct = (a, b) => (b === 0 ? "    -  " : `${((100 * a) / b).toFixed(1).padStart(5)} %`);
const row = (name, t) =>
  `  ${name.padEnd(22)} top-1 ${String(t.hits).padStart(3)}/${String(t.scored).padEnd(3)} ${pct(t.hits, t.scored)}   key line ${String(t.keyed).padStart(3)}/${String(t.keys).padEnd(3)} ${pct(t.keyed, t.keys)}   inferred ${t.inferred}`;

let allOk = true;
for (const form of ["raw", "wrapped"]) {
  const byCategory = new Map();
  const byShare = new Map();
  const total = tally();
  const misses = [];
  const falseAlarms = [];
  let negatives = 0;
  const count = (t, ok, shown, first) => {
    t.scored++;
    if (ok) t.hits++;
    if (shown !== null) t.keys++;
    if (shown) t.keyed++;
    if (first?.basis === "inferred") t.inferred++;
  };
  const entry = (map, key) => map.get(key) ?? map.set(key, tally()).get(key);
  for (const { dir, label, report } of results.filter((r) => r.form === form)) {
    const name = `${path.basename(dir)}/${label.file}`;
    if (label.categories === null || label.categories === undefined) continue;
    const first = report.findings[0] ?? null;
    if (label.categories.length === 0) {
      negatives++;
      const alarms = report.findings.filter((f) => f.severity === "error");
      if (alarms.length > 0 || report.outcome === "failed") falseAlarms.push({ name, report, alarms });
      continue;
    }
    const ok = first !== null && report.outcome === "failed" && label.categories.includes(first.category);
    const shown = keyLineShown(label, report);
    for (const t of [total, entry(byCategory, label.categories[0]), entry(byShare, share(dir, label.file))]) count(t, ok, shown, first);
    if (!ok || shown === false) misses.push({ name, label, report, first, ok, shown });
  }

  console.log(`\n== ${form} ==`);
  for (const [category, t] of [...byCategory.entries()].sort()) console.log(row(category, t));
  for (const [name, t] of [...byShare.entries()].sort()) console.log(row(`share ${name}`, t));
  console.log(`overall ${form.padEnd(7)}  top-1 ${total.hits}/${total.scored} ${pct(total.hits, total.scored)}`);
  console.log(`key lines ${form.padEnd(7)} ${total.keyed}/${total.keys} ${pct(total.keyed, total.keys)}`);
  console.log(`inferred ${form.padEnd(7)}  ${total.inferred}/${total.scored} first findings`);
  console.log(`false alarms ${form.padEnd(7)} ${falseAlarms.length}/${negatives} not-a-failure logs`);
  if (!quiet) {
    for (const miss of misses) {
      const what = !miss.ok ? `expected ${miss.label.categories.join(" | ")}, got ${miss.first ? `${miss.first.category} (${miss.first.ruleId})` : "no finding"}, outcome ${miss.report.outcome}` : "category right, key line not shown";
      console.log(`\n${miss.ok ? "NO KEY LINE" : "MISS"} ${miss.name} [${form}]: ${what}`);
      for (const line of miss.label.key_lines ?? []) console.log(`    key   ${flat(line).slice(0, 200)}`);
      for (const u of miss.report.unmatched.slice(0, 5)) console.log(`    unmatched ${u.line}: ${u.text.slice(0, 160)}`);
    }
    for (const alarm of falseAlarms) {
      console.log(`\nFALSE ALARM ${alarm.name} [${form}]: outcome ${alarm.report.outcome}; ${alarm.alarms.map((f) => f.ruleId).join(", ") || "no error finding"}`);
    }
  }
  allOk &&= total.scored > 0 && total.hits / total.scored >= TARGET && falseAlarms.length === 0;
}
process.exit(allOk ? 0 : 1);
