// `--format markdown`: safe fences, no HTML or mentions from the log, links, the phase gantt,
// and a size budget that drops whole sections.
import { describe, expect, it } from "vitest";
import { code, fence, formatMarkdown, text } from "../src/format/markdown.js";
import { analyze, analyzeMany } from "./support/analyze.js";
import { finding, many, report } from "./support/reports.js";
import { readFileSync } from "node:fs";
import path from "node:path";

const sample = readFileSync(path.resolve(import.meta.dirname, "../fixtures/sample/kamal2-healthcheck-failed.log"), "utf8");

/** The fenced blocks of a markdown text, as CommonMark reads them (backtick fences only). */
function fencedBlocks(markdown: string): string[][] {
  const blocks: string[][] = [];
  let open: { ticks: number; lines: string[] } | null = null;
  for (const line of markdown.split("\n")) {
    const m = /^ {0,3}(`{3,})(.*)$/.exec(line);
    if (open) {
      if (m && (m[1] as string).length >= open.ticks && (m[2] as string).trim() === "") {
        blocks.push(open.lines);
        open = null;
      } else open.lines.push(line);
    } else if (m) open = { ticks: (m[1] as string).length, lines: [] };
  }
  expect(open).toBeNull();
  return blocks;
}

describe("fences", () => {
  it("uses a fence longer than any backtick run inside", () => {
    expect(fence("plain")).toBe("```\nplain\n```");
    expect(fence("a ``` b\n`````", "text")).toBe("``````text\na ``` b\n`````\n``````");
    const body = "```\nnot a closer\n````\nstill inside";
    expect(fencedBlocks(fence(body))).toEqual([body.split("\n")]);
  });

  it("keeps hostile evidence inside its block", () => {
    const evil = finding({
      rootCause: true,
      evidenceLines: [
        { line: 1, text: "```" },
        { line: 2, text: "</details><img src=x onerror=alert(1)> @octocat" },
        { line: 3, text: "`````` closing?" },
      ],
    });
    const md = formatMarkdown(report([evil, finding({ title: "second" })]));
    const blocks = fencedBlocks(md);
    expect(blocks[0]).toEqual(["1 │ ```", "2 │ </details><img src=x onerror=alert(1)> @octocat", "3 │ `````` closing?"]);
    // Outside the fences, the only HTML is ours.
    const outside = md.split(/^`{3,}.*$/m).filter((_, i) => i % 2 === 0).join("");
    expect(outside).not.toContain("<img");
    expect(outside.match(/<details>/g)?.length).toBe(outside.match(/<\/details>/g)?.length);
  });

  it("code spans hold any text", () => {
    expect(code("a`b")).toBe("``a`b``");
    expect(code("`x`")).toBe("`` `x` ``");
    expect(code("two\nlines")).toBe("`two lines`");
  });

  it("prose from the log cannot inject HTML or mention people, code spans stay code", () => {
    expect(text("fix <b>this</b> & tell @team/devs")).toBe("fix &lt;b&gt;this&lt;/b&gt; &amp; tell @&#8203;team/devs");
    expect(text("add `LABEL service=<name>` to it <x>")).toBe("add `LABEL service=<name>` to it &lt;x&gt;");
  });
});

describe("formatMarkdown", () => {
  it("puts the root cause first with evidence, why, fix and docs, others in <details>", async () => {
    const analysed = await analyze(sample);
    const [root, ...others] = analysed.findings;
    expect(root?.rootCause).toBe(true);
    const md = formatMarkdown(analysed);
    expect(md.startsWith("## ❌ kamal-doctor: `kamal deploy` failed in health-check\n")).toBe(true);
    const at = md.indexOf(`#### 🔴 Root cause: ${text(root?.title ?? "")}`);
    expect(at).toBeGreaterThan(0);
    expect(md.indexOf(`${root?.evidenceLines[0]?.line} │ ${root?.evidenceLines[0]?.text}`)).toBeGreaterThan(at);
    expect(md).toContain(`**Why:** ${text(root?.explanation ?? "").split("\n")[0]}`);
    expect(md).toMatch(/\*\*Fix:\*\*\n\n1\. /);
    expect(md).toContain(`**Docs:** <${root?.docs[0]}>`);
    expect(others.length).toBeGreaterThan(0);
    expect(md).toContain(`<details><summary>Also found (${others.length})</summary>`);
    if (analysed.unmatched.length > 0) expect(md).toContain(`<details><summary>Error lines no rule explains (${analysed.unmatched.length})</summary>`);
    else expect(md).not.toContain("Error lines no rule explains");
  });

  it("links the finding to its log line when it came from GitHub", () => {
    const url = "https://github.com/acme/shop/actions/runs/1/job/2#step:4:97";
    const md = formatMarkdown(report([finding({ rootCause: true, url, line: 97, step: { number: 4, name: "Deploy" } })]));
    expect(md).toContain(`[deploy.log:97](${url})`);
    expect(md).toContain("step 4 “Deploy”");
  });

  it("draws the phases as a mermaid gantt with the failed one marked crit", () => {
    const md = formatMarkdown(
      report([finding({ rootCause: true })], {
        deploy: {
          kamalVersion: "2.x",
          command: "deploy",
          hosts: [],
          failedPhase: "health-check",
          seconds: 40,
          failedCommand: null,
          phases: [
            { name: "build", status: "ok", startLine: 1, seconds: 5.4 },
            { name: "boot", status: "ok", startLine: 9, seconds: null },
            { name: "health-check", status: "failed", startLine: 20, seconds: 31.2 },
          ],
        },
      }),
    );
    const gantt = fencedBlocks(md).find((block) => block[0] === "gantt");
    expect(md).toContain("```mermaid\ngantt\n");
    expect(gantt).toEqual([
      "gantt",
      "  title Deploy phases",
      "  dateFormat HH:mm:ss",
      "  axisFormat %M:%S",
      "  section deploy",
      "  build 5.4s :done, p0, 00:00:00, 5s",
      "  boot :done, p1, after p0, 1s",
      "  health-check 31.2s ✖ failed :crit, p2, after p1, 31s",
    ]);
  });

  it("fits a budget by leaving whole sections out, never half a fence", () => {
    const big = report([finding({ rootCause: true }), ...many(200, "warning", 1).map((f) => ({ ...f, explanation: "y".repeat(400) }))], {
      unmatched: Array.from({ length: 20 }, (_, i) => ({ source: "deploy.log", line: i, text: `ERROR ${"x".repeat(400)} ${i}`, kind: "log" as const })),
    });
    const full = formatMarkdown(big);
    expect(full.length).toBeGreaterThan(60_000);
    for (const limit of [65_535, 20_000, 5_000]) {
      const md = formatMarkdown(big, { maxLength: limit });
      expect(md.length).toBeLessThanOrEqual(limit);
      fencedBlocks(md);
      expect(md.match(/<details>/g)?.length ?? 0).toBe(md.match(/<\/details>/g)?.length ?? 0);
      expect(md).toContain("Root cause:");
      expect(md).toMatch(/\d+ more findings? not shown here/);
    }
    const bytes = formatMarkdown(report([finding({ rootCause: true }), ...many(50, "warning", 1).map((f) => ({ ...f, explanation: "é".repeat(500) }))]), { maxLength: 20_000, measure: "bytes" });
    expect(Buffer.byteLength(bytes)).toBeLessThanOrEqual(20_000);
  });
});

describe("several deploys", () => {
  const fixture = (name: string) => ({ name, text: readFileSync(path.resolve(import.meta.dirname, "../fixtures/kamal2", name), "utf8") });

  it("one section per failed deploy, each with its own header and root cause, a line per other deploy, within the budget", async () => {
    const report = await analyzeMany([fixture("pull-disk-full.log"), fixture("deploy-success.log"), fixture("ssh-auth-failed.log")]);
    const md = formatMarkdown(report);
    const headings = md.split("\n").filter((line) => /^#{2,3} /.test(line));
    expect(headings).toEqual([
      "## ❌ kamal-doctor: 3 deploys — 2 failed, 1 succeeded",
      "### ❌ kamal-doctor: `kamal deploy` failed in pull",
      expect.stringMatching(/^### ❌ kamal-doctor: `kamal deploy` failed/),
    ]);
    expect(md.match(/Root cause: /g)).toHaveLength(2);
    expect(md).not.toContain("Also found");
    expect(md).toContain("- `deploy-success.log`: `kamal deploy` succeeded");
    expect(md.match(/<sub>kamal-doctor/g)).toHaveLength(1);
    const small = formatMarkdown(report, { maxLength: 3000 });
    expect(small.length).toBeLessThanOrEqual(3000);
    expect(small.match(/Root cause: /g)).toHaveLength(2);
  });
});
