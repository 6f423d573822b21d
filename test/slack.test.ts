// `--format slack`: a Block Kit message for an incoming webhook — root cause, key lines, fix and a
// button to the log line; log text cannot become a link or a mention; Slack's limits always hold.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { SLACK_LIMITS, slackMessage, type SlackBlock, type SlackMessage } from "../src/format/slack.js";
import { memoryIO } from "./support/io.js";
import { finding, many, report } from "./support/reports.js";

const root = path.resolve(import.meta.dirname, "..");

function texts(block: SlackBlock): string[] {
  if (block.type === "section" || block.type === "header") return [block.text.text];
  if (block.type === "context") return block.elements.map((element) => element.text);
  if (block.type === "actions") return block.elements.map((element) => element.text.text);
  return [];
}

function expectWithinLimits(message: SlackMessage): void {
  expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  for (const block of message.blocks) {
    if (block.type === "header") expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    if (block.type === "section") expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    if (block.type === "context") expect(block.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
    // An entity is never cut in half.
    for (const text of texts(block)) expect(text).not.toMatch(/&(?![a-z]+;)/);
  }
}

describe("--format slack", () => {
  it("prints a webhook payload: header, the root cause with its key lines, the fix and the one-line fallback", async () => {
    const io = memoryIO({ cwd: root, env: {} });
    const code = await run(["fixtures/kamal2/pull-disk-full.log", "--format", "slack"], io);
    expect(io.err()).toBe("");
    expect(code).toBe(1);
    const message = JSON.parse(io.out()) as SlackMessage;
    expect(message.text).toMatch(/^kamal-doctor: failed in pull · Out of disk space on 203\.0\.113\.21 · /);
    expect(message.blocks[0]).toEqual({ type: "header", text: { type: "plain_text", text: "❌ kamal-doctor: kamal deploy failed in pull", emoji: true } });
    const sections = message.blocks.flatMap((block) => (block.type === "section" ? [block.text.text] : []));
    expect(sections[0]).toMatch(/^\*Root cause: Out of disk space on 203\.0\.113\.21\*\n`disk-full` · `[a-z0-9-]+` · `fixtures\/kamal2\/pull-disk-full\.log:\d+` · host `203\.0\.113\.21`$/);
    expect(sections[1]).toMatch(/^```\n[\s\S]*no space left on device[\s\S]*\n```$/);
    expect(sections.find((text) => text.startsWith("*Fix:*"))).toContain("\n1. See what uses the space on the server: `df -h; docker system df`.");
    expectWithinLimits(message);
  });

  it("links the log line and adds a button when the source came from GitHub", () => {
    const url = "https://github.com/acme/shop/actions/runs/42/job/102#step:4:12";
    const message = slackMessage(report([finding({ rootCause: true, url, step: { number: 4, name: "Run kamal deploy" } })]));
    expect(message.blocks.find((block) => block.type === "section")).toMatchObject({ text: { text: expect.stringContaining(`<${url}|deploy.log:10>`) } });
    expect(message.blocks).toContainEqual({ type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Open the log line" }, url }] });
  });

  it("never lets log text become a link, a mention or the end of a code block", () => {
    const hostile = finding({
      rootCause: true,
      title: "Boom <!channel> & <https://evil.example|click>",
      evidence: ["```", "<@U012345> <!here> `x`"],
      remediation: ["Run `kamal lock release` <!everyone>"],
    });
    const message = slackMessage(report([hostile]));
    const all = message.blocks.flatMap(texts).join("\n");
    expect(all).not.toMatch(/<[!@#]/);
    expect(all).not.toContain("<https://evil");
    expect(all).toContain("Boom &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;");
    const evidence = message.blocks.flatMap(texts).find((text) => text.startsWith("```")) as string;
    expect(evidence.match(/```/g)).toHaveLength(2);
    // Rule text keeps its code spans.
    expect(all).toContain("1. Run `kamal lock release` &lt;!everyone&gt;");
  });

  it("stays within Block Kit's limits whatever the report holds", () => {
    const huge = "a & b < c > d ".repeat(2000);
    const findings = [
      finding({ rootCause: true, title: huge, explanation: huge, remediation: Array.from({ length: 40 }, () => huge), evidence: Array.from({ length: 40 }, () => huge) }),
      ...many(200, "warning", 1),
    ];
    const message = slackMessage(report(findings, { sources: Array.from({ length: 30 }, (_, i) => ({ name: `log-${i}.log`, job: null, step: null, lines: 1, attachedTo: null })) }));
    expectWithinLimits(message);
    const others = message.blocks.flatMap(texts).find((text) => text.startsWith("*Also found (200)*")) as string;
    expect(others).toContain("_190 more not shown_");
  });

  it("says when nothing was recognised, with the key lines", () => {
    const message = slackMessage(report([], { unmatched: [{ source: "deploy.log", line: 7, text: "ERROR something odd", kind: "error" }] }));
    const sections = message.blocks.flatMap((block) => (block.type === "section" ? [block.text.text] : []));
    expect(sections).toEqual(["*No rule recognised this failure.* The lines that matter are below.", "*Key lines*\n```\ndeploy.log:7  ERROR something odd\n```"]);
  });
});
