// The benchmark (`npm run bench [-- --size 500MB] [--keep] [--file LOG]`): on one generated log it
// times the full analysis (`kamal-doctor FILE --format json`) against the reference
// `grep -E -c -f PATTERNS FILE` (PATTERNS: the catalogue's own regexes), reports MB/s and the
// analyzer's peak RSS, then compares the start-up of a 5,000-line log end to end with `node -e 0`.
// Generated files live in .bench/ and are removed afterwards unless --keep.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { generate, parseSize } from "./generate.mjs";
import { exportPatterns } from "./export-patterns.mjs";
import { writeFileSync, mkdirSync } from "node:fs";

const root = fileURLToPath(new URL("../", import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);

const dir = path.join(root, ".bench");
const bin = path.join(root, "bin/kamal-doctor.js");
const size = parseSize(option("--size", "50MB"));
const keep = flag("--keep");
const runs = Number(option("--runs", "1"));
const startupRuns = Number(option("--startup-runs", "15"));
const TIME = "/usr/bin/time";
const hasTime = existsSync(TIME);

mkdirSync(dir, { recursive: true });
if (!flag("--no-build")) run("npm", ["run", "build", "--silent"]);

// The reference: the catalogue's regexes as ERE.
const rules = JSON.parse(readFileSync(path.join(root, "dist/rules.json"), "utf8"));
const exported = exportPatterns(rules);
const patterns = path.join(dir, "patterns.txt");
writeFileSync(patterns, `${exported.patterns.join("\n")}\n`);

const file = option("--file") ?? path.join(dir, `deploy-${size}.log`);
const generatedHere = option("--file") === undefined && !existsSync(file);
if (generatedHere) {
  const t = performance.now();
  const made = await generate({ out: file, size });
  console.log(`generated ${path.relative(root, file)}: ${mb(made.bytes)} MB, ${made.lines} lines in ${secs(performance.now() - t)} s`);
}
const bytes = statSync(file).size;
const locale = process.env.LC_ALL || process.env.LC_CTYPE || process.env.LANG || "C";
console.log(`\nlog: ${mb(bytes)} MB · ${exported.patterns.length} patterns from ${rules.length} rules (${exported.notes.length} approximated, ${exported.skipped.length} skipped) · grep locale ${locale} · node ${process.version}`);

const grepTimes = [];
const grepCTimes = [];
const doctorTimes = [];
let rssKib = 0;
let summary = "";
for (let i = 0; i < runs; i++) {
  const grep = await timed("grep", ["-E", "-c", "-f", patterns, file]);
  if (grep.code > 1) throw new Error(`grep failed: ${grep.stderr}`);
  grepTimes.push(grep.ms);
  // The same grep in the C locale (bytes, no UTF-8 decoding): its fastest configuration.
  grepCTimes.push((await timed("grep", ["-E", "-c", "-f", patterns, file], true, { LC_ALL: "C" })).ms);
  const doctor = await timedNode([bin, file, "--format", "json"]);
  if (doctor.code !== 0 && doctor.code !== 1) throw new Error(`kamal-doctor exited ${doctor.code}: ${doctor.stderr}`);
  doctorTimes.push(doctor.ms);
  rssKib = Math.max(rssKib, doctor.rssKib);
  const report = JSON.parse(doctor.stdout);
  summary = `outcome ${report.outcome}, root cause ${report.findings[0]?.ruleId ?? "none"}, ${report.sources[0]?.lines} lines; grep matched ${grep.stdout.trim()} lines`;
}
const grepMs = median(grepTimes);
const grepCMs = median(grepCTimes);
const doctorMs = median(doctorTimes);
console.log(`\n  grep -E -c -f      ${secs(grepMs).padStart(8)} s  ${rate(bytes, grepMs).padStart(7)} MB/s   (${locale})`);
console.log(`  LC_ALL=C grep      ${secs(grepCMs).padStart(8)} s  ${rate(bytes, grepCMs).padStart(7)} MB/s`);
console.log(`  kamal-doctor json  ${secs(doctorMs).padStart(8)} s  ${rate(bytes, doctorMs).padStart(7)} MB/s   peak RSS ${(rssKib / 1024).toFixed(0)} MiB${hasTime ? "" : " (process.resourceUsage)"}`);
console.log(`  ratio              ${(doctorMs / grepMs).toFixed(2)}× grep (${locale}), ${(doctorMs / grepCMs).toFixed(2)}× grep (C)`);
console.log(`  check              ${summary}`);

// Start-up: a small log end to end against bare Node.
const small = path.join(dir, "small-5000.log");
await generate({ out: small, lines: 5000 });
const nodeMs = [];
const smallMs = [];
for (let i = 0; i < startupRuns; i++) {
  nodeMs.push((await timed(process.execPath, ["-e", "0"], false)).ms);
  smallMs.push((await timed(process.execPath, [bin, small, "--format", "json"], false)).ms);
}
const n = median(nodeMs);
const s = median(smallMs);
console.log(`\n  node -e 0                      ${n.toFixed(0).padStart(5)} ms (median of ${startupRuns})`);
console.log(`  kamal-doctor 5,000-line log    ${s.toFixed(0).padStart(5)} ms   ${(s / n).toFixed(2)}× node -e 0`);

if (!keep) {
  if (generatedHere) rmSync(file, { force: true });
  rmSync(small, { force: true });
}

function run(command, argv) {
  const result = spawnSync(command, argv, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** Runs a command to completion; wall time in ms, stdout/stderr as text. */
function timed(command, argv, capture = true, env = {}) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, argv, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", capture ? "pipe" : "ignore", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ ms: performance.now() - start, code, stdout, stderr }));
  });
}

/** Runs node with a script, measuring its peak RSS with /usr/bin/time -v, or from inside. */
async function timedNode(argv) {
  const result = hasTime
    ? await timed(TIME, ["-f", "bench-max-rss-kib=%M", process.execPath, ...argv])
    : await timed(process.execPath, ["--import", path.join(root, "bench/report-rss.mjs"), ...argv]);
  const match = /bench-max-rss-kib=(\d+)/.exec(result.stderr);
  return { ...result, rssKib: match ? Number(match[1]) : NaN, stderr: result.stderr.replace(/\n?bench-max-rss-kib=\d+\n?/, "") };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
function mb(n) {
  return (n / 1e6).toFixed(1);
}
function secs(ms) {
  return (ms / 1000).toFixed(2);
}
function rate(n, ms) {
  return (n / 1e6 / (ms / 1000)).toFixed(0);
}
