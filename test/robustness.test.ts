// Bad input never breaks the analyzer: random bytes and random chunkings of real-shaped logs
// give a report (or one clear refusal), and the same report however the bytes arrive; line
// ends in any mix, split UTF-8, invalid UTF-8, an endless line, hostile zips.
import { spawn } from "node:child_process";
import { readFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diagnose } from "../src/core/index.js";
import { run } from "../src/cli/main.js";
import type { Report } from "../src/core/report.js";
import { InputError } from "../src/sources/errors.js";
import { decodeBytes, LogDecoder, looksBinary } from "../src/sources/decode.js";
import { openStream } from "../src/sources/input.js";
import { Utf8Decoder } from "../src/sources/utf8.js";
import { builtinCompiled, wrapForGitHub } from "./support/analyze.js";
import { memoryIO } from "./support/io.js";
import { makeZip } from "./support/zip.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const fixture = (name: string) => readFileSync(path.join(root, "fixtures", name), "utf8");

/** Real-shaped logs: plain, GitHub-wrapped (BOM, timestamps, ANSI, CRLF), with multi-byte text. */
const LOGS = [
  fixture("kamal2/crash-explains-health-check.log"),
  wrapForGitHub(fixture("kamal2/pull-disk-full.log")),
  `${fixture("kamal1/deploy-lock-held.log")}  INFO [0badcafe] déploiement ✓ 🚀 — ünïcödé\n`,
];

async function analyzeChunks(chunks: Uint8Array[]): Promise<Report> {
  const source = openStream("deploy.log", Readable.from(chunks.map((c) => Buffer.from(c))));
  return diagnose([source], { rules: await builtinCompiled(), toolVersion: "test" });
}

/** Cuts `bytes` at the given points (any order, duplicates give empty chunks). */
function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const sorted = points.map((p) => p % (bytes.length + 1)).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...sorted, bytes.length]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

const stable = (report: Report) => JSON.stringify(report);

describe("chunking", () => {
  it("gives the same report however a real-shaped log is split into chunks", async () => {
    const whole = await Promise.all(LOGS.map((log) => analyzeChunks([Buffer.from(log)])));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: LOGS.length - 1 }), fc.array(fc.nat(), { maxLength: 40 }), async (index, points) => {
        const bytes = Buffer.from(LOGS[index] as string);
        expect(stable(await analyzeChunks(cut(bytes, points)))).toBe(stable(whole[index] as Report));
      }),
      { numRuns: 150 },
    );
  });

  it("gives the same findings with LF, CRLF and CR line ends in any mix", async () => {
    const base = LOGS[0] as string;
    const expected = await analyzeChunks([Buffer.from(base)]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom("\n", "\r\n", "\r"), { minLength: 1, maxLength: 64 }), async (ends) => {
        let i = 0;
        const mixed = base.replace(/\n/g, () => ends[i++ % ends.length] as string);
        const report = await analyzeChunks([Buffer.from(mixed)]);
        expect(report.findings.map((f) => [f.ruleId, f.line, f.evidence])).toEqual(expected.findings.map((f) => [f.ruleId, f.line, f.evidence]));
        expect(report.sources[0]?.lines).toBe(expected.sources[0]?.lines);
      }),
      { numRuns: 60 },
    );
  });

  it("never throws on random bytes: a report, the same for every chunking, or one clear refusal", async () => {
    const text = fc.array(fc.constantFrom("  ERROR (SSHKit::Command::Failed): ", " DEBUG [0a1b2c3d] ", "\r", "\n", "\r\n", "\x1b[31m", "\x1b]8;;", "é", "\u00ff", "##[error]", "2026-01-01T00:00:00.1234567Z ", "no space left on device", "\ufeff"), { maxLength: 40 }).map((parts) => Buffer.from(parts.join("")));
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 400 }), text, fc.tuple(text, fc.uint8Array({ maxLength: 50 })).map(([a, b]) => Buffer.concat([a, b])));
    await fc.assert(
      fc.asyncProperty(bytes, fc.array(fc.nat(), { maxLength: 12 }), async (data, points) => {
        let whole: Report | InputError;
        try {
          whole = await analyzeChunks([data]);
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
          expect((error as Error).message).toMatch(/^deploy\.log: /);
          return;
        }
        const chunked = await analyzeChunks(cut(data, points));
        expect(stable(chunked)).toBe(stable(whole));
      }),
      { numRuns: 300 },
    );
  });
});

describe("encodings", () => {
  it("decodes a UTF-8 character split across reads", async () => {
    const bytes = Buffer.from("  ERROR (RuntimeError): über 🚀\n");
    const at = bytes.indexOf(0xc3) + 1;
    const rocket = bytes.indexOf(0xf0) + 2;
    const report = await analyzeChunks([bytes.subarray(0, at), bytes.subarray(at, rocket), bytes.subarray(rocket)]);
    expect(report.unmatched.map((u) => u.text)).toContain("  ERROR (RuntimeError): über 🚀");
  });

  it("replaces invalid UTF-8 instead of failing", async () => {
    const bytes = Buffer.concat([Buffer.from("  ERROR (RuntimeError): bad "), Buffer.from([0xff, 0xc3]), Buffer.from(" byte\n")]);
    const report = await analyzeChunks([bytes]);
    expect(report.outcome).toBe("failed");
    expect(report.unmatched.map((u) => u.text)).toContain("  ERROR (RuntimeError): bad \ufffd\ufffd byte");
  });

  it("decodes UTF-8 exactly as TextDecoder does, however the bytes are cut, dropping only a leading BOM", () => {
    const pieces = fc.array(fc.oneof(fc.uint8Array({ maxLength: 8 }), fc.constantFrom(Buffer.from("é🚀"), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([0xf0, 0x9f]), Buffer.from([0xed, 0xa0, 0x80]))), { maxLength: 10 });
    fc.assert(
      fc.property(pieces, fc.array(fc.nat(), { maxLength: 8 }), (parts, points) => {
        const bytes = Buffer.concat(parts);
        const decoder = new Utf8Decoder();
        const text = cut(bytes, points).map((chunk) => decoder.write(chunk)).join("") + decoder.end();
        expect(text).toBe(new TextDecoder("utf-8").decode(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it("decides binary on the share of unreadable bytes, not on one of them", () => {
    const text = Buffer.from("  INFO [1a2b3c4d] Running docker ps on 10.0.0.1 — café\n".repeat(150));
    const random = Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919 + 13) % 251));
    expect(looksBinary(text)).toBe(false);
    expect(looksBinary(Buffer.concat([text.subarray(0, 4000), Buffer.from([0]), text.subarray(4000)]))).toBe(false);
    expect(looksBinary(Buffer.concat([text.subarray(0, 4000), random.subarray(0, 300), text.subarray(4000)]))).toBe(false);
    expect(looksBinary(random)).toBe(true);
    expect(looksBinary(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]))).toBe(true);
    expect(looksBinary(Buffer.from("ab\0\0\0\0"))).toBe(true);
  });

  it("one decoder, two ways to start: a log is held back until its first 8 KiB decide binary; live output is decoded at once, never refused", () => {
    const elf = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]);
    const log = new LogDecoder({ name: "deploy.log" });
    expect(log.write(Buffer.from("  INFO ok\n"))).toBe("");
    expect(log.end()).toBe("  INFO ok\n");
    const refusing = new LogDecoder({ name: "a.out" });
    refusing.write(elf);
    expect(() => refusing.end()).toThrow(new InputError("a.out: looks like binary data, not a log"));
    const live = new LogDecoder({ name: "output", binary: "read", utf16: false });
    expect(live.write(Buffer.from("  INFO ok\n"))).toBe("  INFO ok\n");
    expect(live.write(elf) + live.end()).toBe(new TextDecoder().decode(elf));
    expect(live.problems.notes).toEqual(["output: about 5 of 22 bytes could not be read as text (NUL or invalid UTF-8); the rest is diagnosed"]);
  });

  it("keeps nothing of the bytes it is given past the call: a reader may reuse its buffer", () => {
    // A file is read into one buffer, over and over (sources/input.ts): what the decoder holds
    // back (a head shorter than 8 KiB, half a character) must be its own copy.
    const text = `  INFO [1a2b3c4d] Running docker pull app:abc — ünïcödé ✓\n${"  INFO [1a2b3c4d] layer pulled\n".repeat(400)}`;
    const bytes = Buffer.from(text);
    for (const size of [7, 100, 4096, 9000, 65536]) {
      const decoder = new LogDecoder({ name: "deploy.log" });
      const buffer = Buffer.alloc(size);
      let out = "";
      for (let at = 0; at < bytes.length; at += size) {
        const n = bytes.copy(buffer, 0, at, at + size);
        out += decoder.write(buffer.subarray(0, n));
        buffer.fill(0x58);
      }
      expect(out + decoder.end()).toBe(text);
    }
  });

  it("a stream that fails early still gives the text that arrived, then the error", async () => {
    // eslint-disable-next-line @typescript-eslint/require-await -- an async generator is how this test builds a byte stream that fails
    async function* cut(): AsyncGenerator<Uint8Array> {
      yield Buffer.from("  ERROR (RuntimeError): half");
      yield Buffer.concat([Buffer.from(" a line\n"), Buffer.from([0xc3])]);
      throw new Error("connection reset");
    }
    const text: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of decodeBytes(cut(), new LogDecoder({ name: "deploy.log" }))) text.push(chunk);
      })(),
    ).rejects.toThrow("connection reset");
    expect(text.join("")).toBe("  ERROR (RuntimeError): half a line\n");
  });

  it("refuses binary input with one line, exit 2", async () => {
    const io = memoryIO({ stdin: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]) });
    expect(await run(["-"], io)).toBe(2);
    expect(io.err()).toBe("kamal-doctor: stdin: looks like binary data, not a log\n");
  });

  it("says so when the input is empty: exit 0, outcome unknown", async () => {
    const io = memoryIO({ stdin: "" });
    expect(await run(["-", "--no-color"], io)).toBe(0);
    expect(io.out()).toMatch(/empty/i);
    const json = memoryIO({ stdin: "" });
    expect(await run(["-", "-f", "json"], json)).toBe(0);
    expect(JSON.parse(json.out())).toMatchObject({ outcome: "unknown", findings: [], sources: [{ name: "stdin", lines: 0 }] });
  });
});

describe("an endless line", () => {
  it("analyses 100 MB without a line end in bounded memory (a 64 MiB heap)", async () => {
    const child = spawn(process.execPath, ["--max-old-space-size=64", path.join(root, "bin/kamal-doctor.js"), "-", "-f", "json"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    const block = Buffer.alloc(1 << 20, "x");
    const done = new Promise<number | null>((resolve) => child.on("close", resolve));
    for (let i = 0; i < 100; i++) if (!child.stdin.write(block)) await new Promise((resolve) => child.stdin.once("drain", resolve));
    child.stdin.end("\n  ERROR (SSHKit::Command::Failed): docker exit status: 1\n");
    const code = await done;
    expect(err).toBe("");
    expect(code).toBe(1);
    const report = JSON.parse(out) as Report;
    expect(report.sources[0]?.lines).toBe(2);
    expect(report.outcome).toBe("failed");
  }, 60_000);
});

describe("hostile zips", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-zips-"));
  const refuse = async (name: string, zip: Buffer) => {
    writeFileSync(path.join(dir, name), zip);
    const io = memoryIO({ cwd: dir });
    const code = await run([name], io);
    return { code, err: io.err() };
  };

  it("refuses an entry that expands far beyond its compressed size (a bomb), before reading it", async () => {
    const { code, err } = await refuse("bomb.zip", makeZip([{ name: "1_deploy.txt", data: Buffer.alloc(64 << 20) }]));
    expect(code).toBe(2);
    expect(err).toMatch(/^kamal-doctor: bomb\.zip: entry 1_deploy\.txt has a compression ratio above \d+:1 \(a decompression bomb\?\); refusing\n$/);
  });

  it("stops an entry that lies about its size as soon as it passes it", async () => {
    const zip = makeZip([{ name: "1_deploy.txt", data: Buffer.alloc(64 << 20, "a"), declaredSize: 1000 }]);
    const before = process.memoryUsage().rss;
    const { code, err } = await refuse("liar.zip", zip);
    expect(code).toBe(2);
    expect(err).toMatch(/^kamal-doctor: liar\.zip: .*1_deploy\.txt/);
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(process.memoryUsage().rss - before).toBeLessThan(48 << 20);
  });

  it("refuses an entry whose compressed data is corrupt", async () => {
    const zip = makeZip([{ name: "1_deploy.txt", data: "  INFO [0a1b2c3d] Running docker pull app on 10.0.0.1\n".repeat(200) }]);
    const start = zip.indexOf("1_deploy.txt") + "1_deploy.txt".length;
    for (let i = start + 4; i < start + 40; i++) zip[i] = 0xff;
    const { code, err } = await refuse("corrupt.zip", zip);
    expect(code).toBe(2);
    expect(err).toMatch(/^kamal-doctor: corrupt\.zip: .*1_deploy\.txt/);
    expect(err.trim().split("\n")).toHaveLength(1);
  });

  it("refuses an archive with too many entries", async () => {
    const entries = Array.from({ length: 2001 }, (_, i) => ({ name: `${i}.txt`, data: "x\n", compress: false }));
    const { code, err } = await refuse("many.zip", makeZip(entries));
    expect(code).toBe(2);
    expect(err).toBe("kamal-doctor: many.zip: more than 2000 entries; refusing\n");
  });

  it("refuses random garbage after a zip signature", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 300 }), async (tail) => {
        const { code, err } = await refuse("garbage.zip", Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from(tail)]));
        expect(code).toBe(2);
        expect(err).toMatch(/^kamal-doctor: garbage\.zip: .+\n$/);
      }),
      { numRuns: 40 },
    );
  });
});
