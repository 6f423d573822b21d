// The benchmark (`npm run bench [-- --size 500MB] [--shape default|hard|both] [--runs N] [--keep]
// [--file LOG] [--node PATH] [--locale-grep] [--startup-only]`).
//
// Throughput: on each shape's generated log (bench/generate.mjs) it times the full analysis
// (`kamal-doctor FILE --format json`) against ripgrep, `rg -c -f PATTERNS FILE`, with PATTERNS the
// catalogue's own regexes in Rust syntax (bench/export-patterns.mjs), and `LC_ALL=C grep -E -c -f`
// with them as ERE; runs are interleaved (rg, grep, kamal-doctor, rg, …) and the medians printed
// with MB/s and each program's peak RSS. rg is used when it is on PATH; the bench says when not.
//
// Start-up: interleaved runs of `node -e 0`, the libraries' floor (bench/floor.mjs: an ES module
// that imports commander and chalk and parses its argv), `kamal-doctor --version` and a 5,000-line
// log end to end, each against the floor given the same arguments. On a Node with a module compile
// cache it also times the log with the cache turned off. --node PATH runs the CLI, the floor and
// `node -e 0` with another Node binary (e.g. a newer one, to see what its compile cache buys).
//
// Every figure is printed next to the load average at the time. Generated files live in .bench/
// and are removed afterwards unless --keep.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { SHAPES, generate, parseSize } from "./generate.mjs";
import { exportPatterns } from "./export-patterns.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);

const dir = path.join(root, ".bench");
const bin = path.join(root, "bin/kamal-doctor.js");
const floor = path.join(root, "bench/floor.mjs");
const node = option("--node", process.execPath);
const size = parseSize(option("--size", "50MB"));
const keep = flag("--keep");
const runs = Number(option("--runs", "1"));
const startupRuns = Number(option("--startup-runs", "15"));
const shapeOption = option("--shape", "both");
const shapes = option("--file") !== undefined ? ["file"] : shapeOption === "both" ? SHAPES : [shapeOption];
for (const shape of shapes) if (shape !== "file" && !SHAPES.includes(shape)) throw new Error(`unknown shape: ${shape} (${SHAPES.join(", ")}, both)`);
const TIME = "/usr/bin/time";
const hasTime = existsSync(TIME);
const rg = onPath("rg");
const localeGrep = flag("--locale-grep");

mkdirSync(dir, { recursive: true });
if (!flag("--no-build")) run("npm", ["run", "build", "--silent"]);

// The references: the catalogue's regexes in Rust syntax (rg) and as ERE (grep).
const rules = JSON.parse(readFileSync(path.join(root, "dist/rules.json"), "utf8"));
const rust = exportPatterns(rules, "rust");
const ere = exportPatterns(rules, "ere");
const rustPatterns = path.join(dir, "patterns.rust.txt");
const erePatterns = path.join(dir, "patterns.ere.txt");
writeFileSync(rustPatterns, `${rust.patterns.join("\n")}\n`);
writeFileSync(erePatterns, `${ere.patterns.join("\n")}\n`);
const nodeVersion = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
console.log(`\n${rules.length} rules · rg: ${rust.patterns.length} patterns (${rust.notes.length} approximated, ${rust.skipped.length} skipped) · grep: ${ere.patterns.length} patterns (${ere.notes.length} approximated, ${ere.skipped.length} skipped) · node ${nodeVersion} · ${hasTime ? "peak RSS from /usr/bin/time" : "kamal-doctor's peak RSS from process.resourceUsage (no /usr/bin/time)"}`);
for (const note of [...rust.notes, ...rust.skipped.map((s) => `skipped ${s}`)]) console.log(`  rg:   ${note}`);
for (const note of [...ere.notes, ...ere.skipped.map((s) => `skipped ${s}`)]) console.log(`  grep: ${note}`);
if (rg === undefined) console.log("  rg (ripgrep) is not on PATH: no rg reference (Debian/Ubuntu: apt-get install ripgrep)");
else console.log(`  ${spawnSync(rg, ["--version"], { encoding: "utf8" }).stdout.split("\n")[0]} (${rg})`);

if (!flag("--startup-only")) for (const shape of shapes) await throughput(shape);
await startup();

async function throughput(shape) {
  const file = shape === "file" ? option("--file") : path.join(dir, `deploy-${shape}-${size}.log`);
  const generatedHere = shape !== "file" && !existsSync(file);
  if (generatedHere) {
    const t = performance.now();
    const made = await generate({ out: file, size, shape });
    console.log(`\ngenerated ${path.relative(root, file)}: ${mb(made.bytes)} MB, ${made.lines} lines in ${secs(performance.now() - t)} s`);
  }
  const bytes = statSync(file).size;
  const tools = [];
  if (rg) tools.push({ name: "rg -c -f", command: rg, argv: ["--no-config", "-c", "-f", rustPatterns, file] });
  tools.push({ name: "LC_ALL=C grep -E -c -f", command: "grep", argv: ["-E", "-c", "-f", erePatterns, file], env: { LC_ALL: "C" } });
  if (localeGrep) tools.push({ name: `grep -E -c -f (${locale()})`, command: "grep", argv: ["-E", "-c", "-f", erePatterns, file] });
  tools.push({ name: "kamal-doctor json", command: node, argv: [bin, file, "--format", "json"], doctor: true });
  for (const tool of tools) Object.assign(tool, { ms: [], rssKib: 0, loads: [] });
  let summary = "";
  for (let i = 0; i < runs; i++) {
    for (const tool of tools) {
      tool.loads.push(loadavg()[0]);
      const result = await measured(tool.command, tool.argv, tool.env, tool.doctor);
      if (tool.doctor ? result.code !== 0 && result.code !== 1 : result.code > 1) throw new Error(`${tool.name} exited ${result.code}: ${result.stderr}`);
      tool.ms.push(result.ms);
      tool.rssKib = Math.max(tool.rssKib, result.rssKib);
      if (tool.doctor) {
        const report = JSON.parse(result.stdout);
        summary = `kamal-doctor: outcome ${report.outcome}, root cause ${report.findings[0]?.ruleId ?? "none"}, ${report.sources[0]?.lines} lines`;
      } else tool.count = result.stdout.trim();
    }
  }
  const at = new Date().toISOString().slice(11, 16);
  console.log(`\n${shape} shape: ${mb(bytes)} MB · median of ${runs} interleaved run${runs === 1 ? "" : "s"} · ${at} UTC`);
  const reference = tools[0];
  for (const tool of tools) {
    const ms = median(tool.ms);
    const ratio = tool === reference ? "" : `${(ms / median(reference.ms)).toFixed(2)}× ${reference.name.split(" ")[0]}`;
    const rss = Number.isNaN(tool.rssKib) ? "" : `peak RSS ${(tool.rssKib / 1024).toFixed(0)} MiB`;
    console.log(`  ${tool.name.padEnd(24)} ${secs(ms).padStart(7)} s ${rate(bytes, ms).padStart(5)} MB/s  ${ratio.padEnd(16)} ${rss.padEnd(18)} load ${tool.loads.map((l) => l.toFixed(2)).join(" ")}`);
  }
  const doctorMs = median(tools.at(-1).ms);
  const vs = tools.filter((t) => !t.doctor).map((t) => `${(doctorMs / median(t.ms)).toFixed(2)}× ${t.name.startsWith("rg") ? "rg" : t.name.startsWith("LC_ALL") ? "grep (C)" : "grep (locale)"}`);
  console.log(`  kamal-doctor: ${vs.join(", ")} (target ≤ 2.0× rg, peak RSS ≤ 128 MB)`);
  console.log(`  check: ${summary}; lines matched: ${tools.filter((t) => !t.doctor).map((t) => `${t.name.split(" ")[0]} ${t.count}`).join(", ")}`);
  if (generatedHere && !keep) rmSync(file, { force: true });
}

async function startup() {
  const small = path.join(dir, "small-5000.log");
  await generate({ out: small, lines: 5000 });
  const cases = [
    { name: "node -e 0", argv: ["-e", "0"] },
    { name: "floor --version", argv: [floor, "--version"] },
    { name: "kamal-doctor --version", argv: [bin, "--version"], floor: "floor --version", target: 1.05 },
    { name: "floor LOG --format json", argv: [floor, small, "--format", "json"] },
    { name: "kamal-doctor LOG (5,000 lines)", argv: [bin, small, "--format", "json"], floor: "floor LOG --format json", target: 1.3 },
  ];
  const compileCache = spawnSync(node, ["-p", "typeof require('node:module').enableCompileCache"], { encoding: "utf8" }).stdout.trim() === "function";
  if (compileCache) {
    // Warm the cache once, then time the log with the cache turned off alongside the cached runs.
    spawnSync(node, [bin, small, "--format", "json"], { stdio: "ignore" });
    cases.push({ name: "  … without compile cache", argv: [bin, small, "--format", "json"], env: { NODE_DISABLE_COMPILE_CACHE: "1" }, floor: "floor LOG --format json" });
  }
  for (const c of cases) c.ms = [];
  const loads = [];
  for (let i = 0; i < startupRuns; i++) {
    loads.push(loadavg()[0]);
    for (const c of cases) c.ms.push((await timed(node, c.argv, false, c.env)).ms);
  }
  const byName = Object.fromEntries(cases.map((c) => [c.name, median(c.ms)]));
  console.log(`\nstart-up: median of ${startupRuns} interleaved runs · node ${nodeVersion}${compileCache ? " (module compile cache: on in kamal-doctor, warm)" : " (no module compile cache in this Node)"} · load ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}`);
  for (const c of cases) {
    const ms = byName[c.name];
    const vs = [`${(ms / byName["node -e 0"]).toFixed(2)}× node -e 0`];
    if (c.floor) vs.push(`${(ms / byName[c.floor]).toFixed(2)}× floor${c.target ? ` (target ≤ ${c.target}×)` : ""}`);
    console.log(`  ${c.name.padEnd(31)} ${ms.toFixed(1).padStart(6)} ms   ${c.name === "node -e 0" ? "" : vs.join(", ")}`);
  }
  if (!keep) rmSync(small, { force: true });
}

function run(command, argv) {
  const result = spawnSync(command, argv, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function onPath(name) {
  for (const d of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(d, name);
    if (d && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function locale() {
  return process.env.LC_ALL || process.env.LC_CTYPE || process.env.LANG || "C";
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

/**
 * Runs a command and measures its peak RSS with /usr/bin/time; without it, only a node script's
 * (isNode), from inside (bench/report-rss.mjs).
 */
async function measured(command, argv, env, isNode) {
  const result = hasTime
    ? await timed(TIME, ["-f", "bench-max-rss-kib=%M", command, ...argv], true, env)
    : isNode
      ? await timed(command, ["--import", path.join(root, "bench/report-rss.mjs"), ...argv], true, env)
      : await timed(command, argv, true, env);
  const match = /bench-max-rss-kib=(\d+)/.exec(result.stderr);
  return { ...result, rssKib: match ? Number(match[1]) : NaN, stderr: result.stderr.replace(/\n?(Command exited with non-zero status \d+\n)?bench-max-rss-kib=\d+\n?/, "") };
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
