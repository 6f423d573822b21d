// Writes a deterministic, GitHub-Actions-shaped Kamal 2 deploy log of a chosen size: runner
// timestamps, ANSI colours, verbose DEBUG output from many hosts (pulls, builds, app logs), and a
// health-check failure with Kamal's final error block near the end. Same size → same bytes.
//
// Two shapes:
//   default  commands on 48 hosts, each finished, 4–43 output lines each;
//   hard     every SSHKit command id unique and never finished, on 256 hosts; long BuildKit
//            output (200–800 `#N t …` lines per build, one in a hundred of them kilobytes long); and a
//            third of the output lines are decoys: each contains a literal some rule's prefilter
//            looks for (dist/literals.json: the whole literal, or the 16 characters the literal
//            scan keys on) yet matches no rule (checked against dist/rules.json when the decoys
//            are made), so the prefilter passes them to the regexes and every regex fails.
//            Same catalogue and size → same bytes.
//
//   node bench/generate.mjs --size 500MB --out .bench/deploy.log   (MB = 10^6 bytes, MiB = 2^20)
//   node bench/generate.mjs --size 500MB --shape hard --out .bench/deploy-hard.log
//   node bench/generate.mjs --lines 5000 --out .bench/small.log

import { createWriteStream, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { once } from "node:events";

/** "500MB", "2GB", "64KiB", "1048576" → bytes. */
export function parseSize(text) {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|k|mb|mib|m|gb|gib|g)?$/i.exec(String(text).trim());
  if (!match) throw new Error(`not a size: ${text} (try 50MB, 500MB, 2GB)`);
  const unit = (match[2] ?? "b").toLowerCase();
  // MB = 10^6 bytes, MiB = 2^20, as everywhere else.
  const base = unit.includes("i") ? 1024 : 1000;
  const power = { b: 0, k: 1, m: 2, g: 3 }[unit[0]];
  return Math.round(Number(match[1]) * base ** power);
}

/** mulberry32: a tiny seeded PRNG, so every run writes the same file. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ESC = "\x1b";
const colour = (code, text) => `${ESC}[${code}m${text}${ESC}[0m`;
const LEVEL = { INFO: colour("0;34;49", "INFO"), DEBUG: colour("0;30;49", "DEBUG"), ERROR: colour("0;31;49", "ERROR"), WARN: colour("0;33;49", "WARN") };

export const SHAPES = ["default", "hard"];

export class LogWriter {
  constructor(seed = 42, shape = "default") {
    if (!SHAPES.includes(shape)) throw new Error(`unknown shape: ${shape} (${SHAPES.join(", ")})`);
    this.rand = random(seed);
    this.shape = shape;
    this.clock = Date.UTC(2026, 0, 15, 9, 30, 0);
    // 48 hosts 10.0.0.10–10.0.5.17; the hard shape 256 hosts, 10.0.0.10–10.0.31.17.
    this.hosts = Array.from({ length: shape === "hard" ? 256 : 48 }, (_, i) => `10.0.${Math.floor(i / 8)}.${10 + (i % 8)}`);
    this.version = "8f3a2c1d9e0b7a6f5c4d3e2f1a0b9c8d7e6f5a4b";
    this.lines = 0;
    this.commands = 0;
    this.decoys = shape === "hard" ? decoyLines() : [];
  }

  /** A command id never used before in this log: 8 hex digits, a bijection of the counter. */
  uniqueId() {
    const n = Math.imul(++this.commands, 0x9e3779b1) >>> 0;
    return n.toString(16).padStart(8, "0");
  }

  pick(list) {
    return list[Math.floor(this.rand() * list.length)];
  }

  hex(n) {
    let s = "";
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[Math.floor(this.rand() * 16)];
    return s;
  }

  stamp() {
    this.clock += Math.floor(this.rand() * 40);
    const iso = new Date(this.clock).toISOString();
    return `${iso.slice(0, 19)}.${String(Math.floor(this.rand() * 1e7)).padStart(7, "0")}Z `;
  }

  line(text) {
    this.lines++;
    return `${this.stamp()}${text}\n`;
  }

  header() {
    return [
      this.line("##[group]Run kamal deploy"),
      this.line("kamal deploy"),
      this.line("shell: /usr/bin/bash -e {0}"),
      this.line("env:"),
      this.line("  KAMAL_REGISTRY_PASSWORD: ***"),
      this.line("##[endgroup]"),
      this.line(`${colour("1", "Log into image registry...")}`),
    ].join("");
  }

  /**
   * The hard shape's command: a unique id, never finished; a build prints hundreds of BuildKit
   * lines, some of them long; a third of all output lines are decoys.
   */
  hardCommand() {
    const id = this.uniqueId();
    const host = this.pick(this.hosts);
    const out = [];
    const build = this.rand() < 0.4;
    const cmd = build
      ? `docker buildx build --push --platform linux/amd64 -t registry.example.com/acme/storefront:${this.version} .`
      : this.pick([
          `docker pull registry.example.com/acme/storefront:${this.version}`,
          `docker logs --timestamps --tail 500 storefront-web-${this.version}`,
          "docker exec kamal-proxy kamal-proxy list",
        ]);
    out.push(this.line(`  ${LEVEL.INFO} [${colour("0;32;49", id)}] Running ${colour("1;33;49", `/usr/bin/env ${cmd}`)} on ${colour("0;34;49", host)}`));
    out.push(this.line(`  ${LEVEL.DEBUG} [${colour("0;32;49", id)}] Command: ${cmd}`));
    const n = build ? 200 + Math.floor(this.rand() * 600) : 4 + Math.floor(this.rand() * 40);
    let step = 1 + Math.floor(this.rand() * 5);
    let t = this.rand() * 5;
    for (let i = 0; i < n; i++) {
      let text;
      if (this.rand() < 0.33) text = this.pick(this.decoys);
      else if (build) text = this.buildText();
      else text = `${this.hex(12)}: ${this.pick(["Pulling fs layer", "Waiting", "Download complete", "Pull complete", "running  10.0.0.10:3000", 'Started GET "/up" for 172.18.0.2'])}`;
      if (build) {
        if (this.rand() < 0.02) step++;
        t += this.rand() * 0.4;
        text = `#${step} ${t.toFixed(3)} ${text}`;
      }
      out.push(this.line(`  ${LEVEL.DEBUG} [${colour("0;32;49", id)}] \t${text}`));
    }
    if (this.rand() < 0.05) out.push(this.line(this.pick(["Pull app image...", "Build and push app image...", "Detect stale containers...", "Ensure kamal-proxy is running..."])));
    return out.join("");
  }

  /** One line of a build's output; one in a hundred is a long compiler line (0.5–4 KB). */
  buildText() {
    if (this.rand() < 0.01) {
      const parts = [];
      const words = 20 + Math.floor(this.rand() * 160);
      for (let i = 0; i < words; i++) parts.push(this.pick(["-I/usr/local/include", "-O2", "-fPIC", "-Wall", "-DHAVE_CONFIG_H", `vendor/bundle/ruby/3.3.0/gems/nokogiri-1.16.5/ext/nokogiri/${this.hex(6)}.c`, "-o", `${this.hex(8)}.o`]));
      return `gcc ${parts.join(" ")}`;
    }
    return this.pick([
      "Fetching gem metadata from https://rubygems.org/.........",
      "Installing nokogiri 1.16.5 (x86_64-linux)",
      "compiling xml_document.c",
      "yarn install v1.22.19",
      "[2/4] Fetching packages...",
      `writing layer sha256:${this.hex(64)}`,
      "DONE 0.4s",
      "CACHED",
    ]);
  }

  /** One SSHKit command on one host with verbose output. */
  command() {
    if (this.shape === "hard") return this.hardCommand();
    const id = this.hex(8);
    const host = this.pick(this.hosts);
    const out = [];
    const kind = this.rand();
    let cmd;
    let body;
    if (kind < 0.3) {
      cmd = `docker pull registry.example.com/acme/storefront:${this.version}`;
      body = () => `${this.hex(12)}: ${this.pick(["Pulling fs layer", "Waiting", "Verifying Checksum", "Download complete", "Pull complete", "Already exists"])}`;
    } else if (kind < 0.55) {
      cmd = `docker buildx build --push --platform linux/amd64 -t registry.example.com/acme/storefront:${this.version} .`;
      const step = Math.floor(this.rand() * 30) + 1;
      body = () =>
        `#${step} ${(this.rand() * 90).toFixed(3)} ${this.pick([
          "Fetching gem metadata from https://rubygems.org/.........",
          "Installing nokogiri 1.16.5 (x86_64-linux)",
          "Bundle complete! 42 Gemfile dependencies, 118 gems now installed.",
          "yarn install v1.22.19",
          "[1/4] Resolving packages...",
          "warning Resolution field \"glob@10.3.10\" is incompatible with requested version",
          "I, [2026-01-15T09:31:02.123456 #12]  INFO -- : Writing /rails/public/assets/application-3f2a1b.css",
          "sha256:" + this.hex(64),
          "DONE 0.4s",
        ])}`;
    } else if (kind < 0.8) {
      cmd = `docker logs --timestamps --tail 500 storefront-web-${this.version}`;
      body = () =>
        `${new Date(this.clock).toISOString()} I, [2026-01-15T09:31:0${Math.floor(this.rand() * 10)}.${this.hex(3)} #1]  INFO -- : [${this.hex(8)}-${this.hex(4)}] ${this.pick([
          'Started GET "/up" for 172.18.0.2',
          "Completed 200 OK in 3ms (Views: 0.2ms | ActiveRecord: 0.0ms (0 queries, 0 cached) | GC: 0.0ms)",
          'Processing by Rails::HealthController#show as HTML',
          "Rendered layout layouts/application.html.erb (Duration: 4.1ms | GC: 0.0ms)",
          'Started POST "/orders" for 203.0.113.5',
          "Completed 422 Unprocessable Content in 41ms (ActiveRecord: 6.2ms (4 queries, 0 cached))",
          "Retrying job after error: timeout reached (attempt 1 of 5)",
        ])}`;
    } else {
      cmd = `docker exec kamal-proxy kamal-proxy list`;
      body = () => `${this.pick(["storefront-web", "storefront-api", "storefront-admin"])}  ${this.pick(this.hosts)}:3000  running  ${this.hex(12)}`;
    }
    out.push(this.line(`  ${LEVEL.INFO} [${colour("0;32;49", id)}] Running ${colour("1;33;49", `/usr/bin/env ${cmd}`)} on ${colour("0;34;49", host)}`));
    out.push(this.line(`  ${LEVEL.DEBUG} [${colour("0;32;49", id)}] Command: ${cmd}`));
    const n = 4 + Math.floor(this.rand() * 40);
    for (let i = 0; i < n; i++) out.push(this.line(`  ${LEVEL.DEBUG} [${colour("0;32;49", id)}] \t${body()}`));
    out.push(this.line(`  ${LEVEL.INFO} [${colour("0;32;49", id)}] Finished in ${(this.rand() * 5).toFixed(3)} seconds with exit status 0 (${colour("0;32;49", "successful")}).`));
    if (this.rand() < 0.05) out.push(this.line(this.pick(["Pull app image...", "Build and push app image...", "Detect stale containers...", "Ensure kamal-proxy is running..."])));
    return out.join("");
  }

  /** The failure: a health check that never passes, then Kamal's final error. */
  failure() {
    const id = this.hex(8);
    const host = this.hosts[7];
    return [
      this.line(`Start container with version ${this.version} (or reboot if already running)...`),
      this.line(`  ${LEVEL.INFO} [${id}] Running docker exec kamal-proxy kamal-proxy deploy storefront-web --target="${this.hex(12)}:3000" --deploy-timeout="30s" on ${host}`),
      this.line(` ${LEVEL.ERROR} Failed to boot web on ${host}`),
      this.line(`  ${LEVEL.INFO} First web container is unhealthy on ${host}, not booting any other roles`),
      this.line("Releasing the deploy lock..."),
      this.line("  Finished all in 1843.2 seconds"),
      this.line(`  ${LEVEL.ERROR} (SSHKit::Command::Failed): Exception while executing on host ${host}: docker exit status: 1`),
      this.line("docker stdout: Nothing written"),
      this.line("docker stderr: Error: target failed to become healthy within configured timeout (30s)"),
      this.line("##[error]Process completed with exit code 1."),
    ].join("");
  }
}

/**
 * Lines that contain a literal of the catalogue's prefilter (dist/literals.json) yet match none of
 * its patterns (dist/rules.json): for each literal, the first of a few framings (the literal at the
 * end of a line, after a word, in a word; or only its first 16 characters, all the literal scan
 * keys on) that no pattern matches. A literal every framing of which matches is left out.
 */
export function decoyLines(dist = fileURLToPath(new URL("../dist/", import.meta.url))) {
  let table;
  let rules;
  try {
    table = JSON.parse(readFileSync(path.join(dist, "literals.json"), "utf8"));
    rules = JSON.parse(readFileSync(path.join(dist, "rules.json"), "utf8"));
  } catch {
    throw new Error("the hard shape needs the built catalogue (dist/literals.json, dist/rules.json): run `npm run build` first");
  }
  const regexes = rules.flatMap((rule) =>
    [...rule.match.any, ...(rule.context?.near ? [rule.context.near] : [])].map((source) => new RegExp(source, rule.match.ignoreCase ? "i" : "")),
  );
  const matchesNone = (line) => !regexes.some((regex) => regex.test(line));
  const literals = [...new Set(Object.values(table).flat())].sort();
  const decoys = [];
  for (const literal of literals) {
    const head = literal.slice(0, 16);
    const framings = [
      `note: the previous step mentioned ${head}`,
      `checking ${literal}`,
      `x${literal}x`,
      `${literal}`,
      `zz${head.trim()}zz 0`,
    ];
    decoys.push(...framings.filter(matchesNone));
  }
  if (decoys.length === 0) throw new Error("no decoy line matches no rule");
  return decoys;
}

/** Writes the log: `size` bytes (approximately, whole lines) or `lines` lines, failure last. */
export async function generate({ out, size, lines, seed = 42, shape = "default" }) {
  await mkdir(path.dirname(out), { recursive: true });
  const stream = createWriteStream(out);
  const writer = new LogWriter(seed, shape);
  const tail = writer.failure.bind(writer);
  let written = 0;
  const write = async (text) => {
    written += Buffer.byteLength(text);
    if (!stream.write(text)) await once(stream, "drain");
  };
  await write(writer.header());
  let block = "";
  const done = () => (lines !== undefined ? writer.lines >= lines - 10 : written + block.length >= size - 2048);
  while (!done()) {
    block += writer.command();
    if (block.length >= 1 << 20 || done()) {
      await write(block);
      block = "";
    }
  }
  if (block) await write(block);
  await write(tail());
  stream.end();
  await once(stream, "finish");
  return { bytes: written, lines: writer.lines };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const get = (name) => {
    const i = args.indexOf(name);
    return i === -1 ? undefined : args[i + 1];
  };
  const out = get("--out") ?? ".bench/deploy.log";
  const lines = get("--lines") === undefined ? undefined : Number(get("--lines"));
  const size = parseSize(get("--size") ?? "50MB");
  const shape = get("--shape") ?? "default";
  const result = await generate({ out, size, lines, seed: Number(get("--seed") ?? 42), shape });
  console.log(`${out}: ${result.bytes} bytes, ${result.lines} lines (${shape} shape)`);
}
