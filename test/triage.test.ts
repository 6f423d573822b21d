// Lines of command output that no rule looks for are taken without being read (core/triage.ts):
// the report is the same as when every line goes the full way, on every fixture and corpus log,
// on both bench shapes, and on random lines made of the pieces that decide the fast path.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Analysis } from "../src/core/analysis.js";
import { INTERESTING } from "../src/core/analysis.js";
import { ERRORISH, ERROR_WORDS } from "../src/core/keyline.js";
import { LineSplitter } from "../src/core/lines.js";
import type { Report } from "../src/core/report.js";
import { stampLength, stampLengthBytes, TriageVerdicts } from "../src/core/triage.js";
import { VerdictWriter, verdictRing } from "../src/core/verdicts.js";
import { RulePrefilter } from "../src/rules/prefilter.js";
import { builtinCompiled } from "./support/analyze.js";
import { logsUnder } from "./support/logs.js";

const root = path.resolve(import.meta.dirname, "..");
const logs = [...logsUnder(path.join(root, "fixtures")), ...logsUnder(path.join(root, "../shared/corpus"))];

/**
 * false: every line the full way; true: the triage, lines fed one by one (it reads strings);
 * "bytes": the triage, text fed in chunks (`push`: one-byte chunks are read as Latin-1 bytes);
 * "verdicts": the same, the triage's verdicts written by `TriageVerdicts` as another thread would
 * (core/verdicts.ts), each chunk's before the analysis reads it, or for every other chunk only
 * after (then the analysis reads those lines itself and passes over their verdicts).
 */
async function report(text: string, triage: boolean | "bytes" | "verdicts", chunk = text.length + 1, late = false): Promise<Report> {
  const rules = await builtinCompiled();
  const ring = triage === "verdicts" ? verdictRing() : null;
  const analysis = new Analysis({ rules, toolVersion: "0.0.0-test", triage: triage !== false, ...(ring ? { verdicts: ring } : {}) });
  analysis.beginSource({ name: "deploy.log" });
  if (ring !== null) {
    const writer = new VerdictWriter(ring);
    const side = new TriageVerdicts(new RulePrefilter(rules, ERROR_WORDS), writer);
    side.beginSource();
    for (let at = 0, n = 0; at < text.length; at += chunk, n++) {
      const piece = text.slice(at, at + chunk);
      if (late && n % 2 === 1) {
        analysis.push(piece);
        side.push(piece);
      } else {
        side.push(piece);
        analysis.push(piece);
      }
    }
    side.endSource();
    writer.finish();
    return analysis.finish();
  }
  if (triage === "bytes") {
    for (let at = 0; at < text.length; at += chunk) analysis.push(text.slice(at, at + chunk));
    return analysis.finish();
  }
  const splitter = new LineSplitter((line) => analysis.line(line));
  for (let at = 0; at < text.length; at += chunk) splitter.push(text.slice(at, at + chunk));
  splitter.end();
  return analysis.finish();
}

describe("triage of command output", () => {
  it("reads the bundled fixtures", () => {
    expect(logs.length).toBeGreaterThan(30);
  });

  it.each(logs.map((file) => [path.relative(root, file), file]))("gives the full way's report on %s", async (_name, file) => {
    const text = readFileSync(file, "utf8");
    const reference = await report(text, false);
    expect(await report(text, true)).toEqual(reference);
    expect(await report(text, true, 97)).toEqual(reference);
    expect(await report(text, "bytes")).toEqual(reference);
    expect(await report(text, "bytes", 97)).toEqual(reference);
    expect(await report(text, "verdicts")).toEqual(reference);
    expect(await report(text, "verdicts", 97, true)).toEqual(reference);
  });

  it.each(["default", "hard"])("gives the full way's report on the bench's %s shape", async (shape) => {
    // @ts-expect-error: a plain ES module without types
    const { generate } = (await import("../bench/generate.mjs")) as { generate: (options: object) => Promise<unknown> };
    const out = path.join(mkdtempSync(path.join(tmpdir(), "kd-triage-")), `${shape}.log`);
    await generate({ out, lines: 30_000, shape });
    const text = readFileSync(out, "utf8");
    const reference = await report(text, false);
    expect(await report(text, true)).toEqual(reference);
    expect(await report(text, "bytes", 65_536)).toEqual(reference);
    expect(await report(text, "verdicts", 65_536)).toEqual(reference);
    expect(await report(text, "verdicts", 4096, true)).toEqual(reference);
    // Cut off before the failure: a log that stops while commands still run.
    const cut = text.slice(0, text.lastIndexOf("\n", Math.floor(text.length * 0.6)) + 1);
    const cutReference = await report(cut, false);
    expect(await report(cut, true)).toEqual(cutReference);
    expect(await report(cut, "bytes", 4096)).toEqual(cutReference);
  });

  it("gives the full way's report on random lines of the shapes it decides on", async () => {
    const ESC = "\x1b";
    const piece = fc.constantFrom(
      "2026-01-15T09:30:00.4482905Z ",
      "2026-01-15T09:30:00Z ",
      "2026-01-15T09:30:00.1234567890Z ",
      "2026-01-15T09:30:00.Z ",
      "2026-01-15T09:30:00.123Z",
      "\uFEFF",
      "  ",
      "\t",
      "\u00a0",
      "\u2028",
      "\x9b",
      `${ESC}[0;30;49m`,
      `${ESC}[0m`,
      `${ESC}[1;33;49m`,
      `${ESC}[2K`,
      `${ESC}]8;;`,
      "DEBUG",
      "DEBUG [",
      "INFO",
      "ERROR",
      " [",
      "38a907d0",
      "5e6f7a8b",
      "38A907D0",
      "] ",
      "]",
      "Running /usr/bin/env docker pull registry/app:1 on 10.0.0.1",
      "Running ",
      "Finished in 1.2 seconds with exit status 1 (failed).",
      "Command: docker pull",
      "\tDownload complete",
      "Pulling fs layer",
      "Error",
      "err",
      "or",
      "timed out",
      "time",
      " out",
      "not found",
      "manifest for ",
      "no space left on device",
      "Listening on http://0.0.0.0:3000",
      "ERROR (SSHKit::Command::Failed): docker exit status: 1",
      "##[group]Run kamal deploy",
      "##[endgroup]",
      "##[error]Process completed with exit code 1.",
      "Ensure app can pass healthcheck...",
      "Releasing the deploy lock...",
      "Finished all in 12.3 seconds",
      "x",
      " ",
      "é",
    );
    const sgr = fc.oneof({ weight: 30, arbitrary: fc.constantFrom("", "", "", `${ESC}[0;30;49m`, `${ESC}[0m`, `${ESC}[m`) }, { weight: 1, arbitrary: piece });
    // Mostly the shape of SSHKit's output lines, each part now and then replaced by any piece.
    const part = (...choices: string[]) => fc.oneof({ weight: 20, arbitrary: fc.constantFrom(...choices) }, { weight: 1, arbitrary: piece });
    const output = fc
      .tuple(
        part("2026-01-15T09:30:00.4482905Z ", "2026-01-15T09:30:01.5Z "),
        sgr,
        part("  ", "", "	 "),
        sgr,
        part("DEBUG"),
        sgr,
        part(" ["),
        sgr,
        part("38a907d0", "5e6f7a8b", "0badcafe"),
        sgr,
        part("] "),
        fc.array(fc.tuple(sgr, part("	Download complete", "x", " ", "Pulling fs layer", "#7 44.350 Installing nokogiri", "", 'Started GET "/up" for 10.0.0.1', "Completed 200 OK in 3ms", "Processing by Rails::HealthController#show", "manifest for ")), { maxLength: 4 }),
      )
      .map(([stamp, a, space, b, level, c, open, d, id, e, close, message]) => `${stamp}${a}${space}${b}${level}${c}${open}${d}${id}${e}${close}${message.flat().join("")}`);
    const line = fc.oneof({ weight: 6, arbitrary: output }, { weight: 1, arbitrary: fc.array(piece, { minLength: 0, maxLength: 9 }).map((parts) => parts.join("")) });
    const start = fc.constantFrom("", "2026-01-15T09:30:00.0000000Z ##[group]Run kamal deploy\n2026-01-15T09:30:00.0000000Z kamal deploy\n2026-01-15T09:30:00.0000000Z ##[endgroup]\n", "  INFO [38a907d0] Running docker pull app on 10.0.0.1\n");
    await fc.assert(
      fc.asyncProperty(start, fc.array(line, { minLength: 1, maxLength: 60 }), async (head, lines) => {
        const text = head + lines.join("\n");
        const reference = await report(text, false);
        expect(await report(text, true)).toEqual(reference);
        expect(await report(text, "bytes")).toEqual(reference);
        expect(await report(text, "bytes", 61)).toEqual(reference);
        expect(await report(text, "verdicts", 61, true)).toEqual(reference);
      }),
      { numRuns: 400 },
    );
  });

  it("reads runner timestamps as the normalizer's regex does", () => {
    const RUNNER_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z)/;
    const text = fc.array(fc.constantFrom(..."0123456789-T:.Z x".split("")), { maxLength: 34 }).map((chars) => chars.join(""));
    const stamped = fc.tuple(fc.integer({ min: 0, max: 12 }), text).map(([digits, rest]) => `2026-01-15T09:30:00${digits > 0 ? "." + "7".repeat(digits - 1) : ""}${rest}`);
    fc.assert(
      fc.property(fc.oneof(text, stamped), (raw) => {
        const expected = RUNNER_TIMESTAMP.exec(raw)?.[1]?.length ?? -1;
        expect(stampLength(raw)).toBe(expected);
        // As bytes: somewhere in a chunk, followed by the line's end.
        const bytes = Buffer.from(`xyz${raw}\n2026`, "latin1");
        expect(stampLengthBytes(bytes, 3, raw.length)).toBe(expected);
        expect(stampLengthBytes(Buffer.from(`${raw}\r`, "latin1"), 0, raw.length)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it("knows a word of every line that reads like an error", () => {
    const words = fc.constantFrom("error", "Timed Out", "timeout", "time out", "CAN'T", "already in use", "permission", "x", " ", "-", "é", "out", "timed", "no", " such");
    fc.assert(
      fc.property(fc.array(words, { maxLength: 8 }), (parts) => {
        const text = parts.join("");
        const listed = ERROR_WORDS.some((word) => text.toLowerCase().includes(word));
        if (ERRORISH.test(text) || INTERESTING.test(text)) expect(listed).toBe(true);
      }),
      { numRuns: 3000 },
    );
    for (const regex of [ERRORISH, INTERESTING]) {
      expect(regex.source.startsWith("\\b(?:") && regex.source.endsWith(")\\b")).toBe(true);
      for (const branch of regex.source.slice(5, -3).split("|")) {
        // Each branch, or for `timed? ?out` each spelling of it, is a listed word.
        const spellings = branch === "timed? ?out" ? ["timed out", "timedout", "time out", "timeout"] : [branch];
        for (const spelling of spellings) expect(ERROR_WORDS).toContain(spelling);
      }
    }
  });
});
