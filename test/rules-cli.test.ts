// `kamal-doctor rules list|show|test` and the `--rules DIR` override, called in-process.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { memoryIO } from "./support/io.js";

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-rules-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const USER_RULE = `id: no-space-left
title: Our disk is full again on {hosts|a box}
category: disk-full
severity: error
match:
  any:
    - 'no space left on (?<what>device)'
explanation: Call the on-call person.
remediation:
  - Page ops.
examples:
  match: ['write /x: no space left on device']
  noMatch: ['all good']
`;

const DISK_FULL_LOG = [
  "  INFO [1a2b3c4d] Running docker pull ghcr.io/acme/shop:abc on 203.0.113.7",
  "  Finished all in 3.1 seconds",
  "  ERROR (SSHKit::Command::Failed): Exception while executing on host 203.0.113.7: docker exit status: 1",
  "docker stdout: Nothing written",
  "docker stderr: failed to register layer: write /var/lib/x: no space left on device",
  "",
].join("\n");

describe("rules list", () => {
  it("lists the rules of one category", async () => {
    const io = memoryIO();
    expect(await run(["rules", "list", "--category", "secrets"], io)).toBe(0);
    expect(io.out()).toContain("secret-not-found");
    expect(io.out()).not.toContain("no-space-left");
    expect(io.out()).toMatch(/\n\d+ rules\n$/);
  });

  it("shows titles as a reader reads them: fallbacks in place of captures, never raw placeholders", async () => {
    const io = memoryIO();
    expect(await run(["rules", "list"], io)).toBe(0);
    expect(io.out()).toContain("The remote builder (builder.remote) could not be reached");
    expect(io.out()).toContain("The image is missing Kamal's service label");
    expect(io.out()).not.toMatch(/\{[A-Za-z_][\w]*(?:\|[^{}]*)?\}|\{[^{}:|]+:\w+/);
  });

  it("a capture without fallback reads as ‹name›", async () => {
    const rules = tempDir({ "disk.yml": USER_RULE.replace("{hosts|a box}", "{what}") });
    const io = memoryIO();
    expect(await run(["rules", "list", "--category", "disk-full", "--rules", rules], io)).toBe(0);
    expect(io.out()).toContain("Our disk is full again on ‹what›\n");
  });

  it("rejects an unknown category with exit 2", async () => {
    const io = memoryIO();
    expect(await run(["rules", "list", "--category", "nope"], io)).toBe(2);
    expect(io.err()).toContain("unknown category 'nope'");
  });
});

describe("rules show", () => {
  it("shows a rule's patterns, fix and examples", async () => {
    const io = memoryIO();
    expect(await run(["rules", "show", "deploy-lock-held"], io)).toBe(0);
    expect(io.out()).toContain("deploy-lock-held — Another deploy holds the deploy lock");
    expect(io.out()).toContain("kamal lock release");
    expect(io.out()).toContain("examples that match:");
  });

  it("shows the title as it reads, and its template", async () => {
    const io = memoryIO();
    expect(await run(["rules", "show", "remote-builder-unreachable"], io)).toBe(0);
    expect(io.out()).toMatch(/^remote-builder-unreachable — The remote builder \(builder\.remote\) could not be reached\ntitle template: The remote builder \(\{builder\|builder\.remote\}\) could not be reached\n/);
  });

  it("fails with exit 2 on an unknown id", async () => {
    const io = memoryIO();
    expect(await run(["rules", "show", "no-such-rule"], io)).toBe(2);
    expect(io.err()).toContain("no rule with id 'no-such-rule'");
  });
});

describe("rules test", () => {
  it("prints the matching lines with captures and exits 0 when the rule fires", async () => {
    const dir = tempDir({ "disk.yml": USER_RULE, "deploy.log": DISK_FULL_LOG });
    const io = memoryIO({ cwd: dir });
    expect(await run(["rules", "test", "disk.yml", "deploy.log"], io)).toBe(0);
    expect(io.out()).toContain("deploy.log:5 [payload] docker stderr: failed to register layer");
    expect(io.out()).toContain('captures: what="device"');
    expect(io.out()).toContain("no-space-left fires: Our disk is full again on 203.0.113.7");
  });

  it("without a log, runs the rule's examples through the analysis and exits 0 when they hold", async () => {
    const dir = tempDir({ "disk.yml": USER_RULE });
    const io = memoryIO({ cwd: dir });
    expect(await run(["rules", "test", "disk.yml"], io)).toBe(0);
    expect(io.out()).toContain("ok   fires on: write /x: no space left on device\n");
    expect(io.out()).toContain("ok   does not fire on: all good\n");
  });

  it("fails an example the analysis does not fire on: a rule scoped to a command needs that command's line", async () => {
    const scoped = USER_RULE.replace("examples:", "context:\n  commands: [pull]\nexamples:");
    const dir = tempDir({ "disk.yml": scoped });
    const io = memoryIO({ cwd: dir });
    expect(await run(["rules", "test", "disk.yml"], io)).toBe(1);
    expect(io.out()).toContain("FAIL does not fire on: write /x: no space left on device\n");
    expect(io.out()).toContain("1 example does not hold");

    const withContext = scoped.replace(
      "match: ['write /x: no space left on device']",
      "match:\n    - |-\n      INFO [1a2b3c4d] Running docker pull ghcr.io/acme/shop:abc on 203.0.113.7\n      DEBUG [1a2b3c4d] \twrite /x: no space left on device",
    );
    writeFileSync(path.join(dir, "disk.yml"), withContext);
    const again = memoryIO({ cwd: dir });
    expect(await run(["rules", "test", "disk.yml"], again)).toBe(0);
    expect(again.out()).toContain("ok   fires on: INFO [1a2b3c4d] Running docker pull ghcr.io/acme/shop:abc on 203.0.113.7 (+1 line)\n");
  });

  it("with a log, exits 1 when the examples do not hold even if the rule fires on the log", async () => {
    const dir = tempDir({ "disk.yml": USER_RULE.replace("noMatch: ['all good']", "noMatch: ['no space left on device']"), "deploy.log": DISK_FULL_LOG });
    const io = memoryIO({ cwd: dir });
    expect(await run(["rules", "test", "disk.yml", "deploy.log"], io)).toBe(1);
    expect(io.out()).toContain("FAIL fires on: no space left on device\n");
    expect(io.out()).toContain("no-space-left fires: Our disk is full again on 203.0.113.7");
  });

  it("exits 1 when no line matches", async () => {
    const dir = tempDir({ "disk.yml": USER_RULE, "deploy.log": "  Finished all in 3.1 seconds\n" });
    const io = memoryIO({ cwd: dir });
    expect(await run(["rules", "test", "disk.yml", "deploy.log"], io)).toBe(1);
    expect(io.out()).toContain("does not fire: no line matches");
  });

  it("reports an invalid rule file as path: field: problem with exit 2", async () => {
    const dir = tempDir({ "bad.yml": USER_RULE.replace("severity: error", "severity: fatal"), "deploy.log": DISK_FULL_LOG });
    const io = memoryIO({ cwd: dir });
    expect(await run(["rules", "test", "bad.yml", "deploy.log"], io)).toBe(2);
    expect(io.err()).toMatch(/^kamal-doctor: bad\.yml: severity: .+\n$/);
  });
});

describe("rule-file problems", () => {
  const problemsOf = async (text: string) => {
    const dir = tempDir({ "x.yml": text, "deploy.log": DISK_FULL_LOG });
    const io = memoryIO({ cwd: dir });
    expect(await run(["rules", "test", "x.yml", "deploy.log"], io)).toBe(2);
    expect(io.err().split("\n")).toHaveLength(2); // one line and its newline
    return io.err().replace(/^kamal-doctor: /, "").trim();
  };

  it("are one line per file, in the words of the rule format", async () => {
    const text = USER_RULE.replace(/match:\n {2}any:\n.*\n/, "").replace("match: ['write /x: no space left on device']", "match: [1]");
    expect(await problemsOf(text)).toBe("x.yml: match: required (a rule needs match.any, the patterns that fire it); examples.match.0: expected a string, found a number (1); quote it");
  });

  it.each([
    ["severity: error", "severity: fatal", 'severity: "fatal" is not one of: error, warning, info'],
    ["category: disk-full\n", "", "category: required (one of: ssh-auth,"],
    ["  any:", "  ignorecase: true\n  any:", "match: unknown key ignorecase (did you mean ignoreCase?); match takes any, ignoreCase"],
    ["- Page ops.", "- kamal: [3.x]\n    text: x", "remediation.0: expected a string, or a mapping with kamal (a list of 0.x, 1.x, 2.x) and text"],
    ["(?<what>device)", "(?<what>device", "match.any.0: not a valid regular expression: unterminated group"],
    ["title: Our disk", "titel: Our disk", "title: required (one line saying what went wrong); (root): unknown key titel; a rule takes id, title,"],
  ])("%s → %s", async (from, to, expected) => {
    const problems = await problemsOf(USER_RULE.replace(from, to));
    expect(problems).toContain(expected);
    expect(problems).not.toMatch(/Invalid input|Invalid option|Unrecognized|Too small|received/);
  });

  it("an empty file, or a list, is not a rule", async () => {
    expect(await problemsOf("")).toBe("x.yml: (root): the file is empty: a rule is a mapping of id, title, category, match, …");
    expect(await problemsOf("- a\n")).toBe("x.yml: (root): expected a rule (a mapping of id, title, category, match, …), found a list");
  });
});

describe("--rules DIR", () => {
  it("lets a user rule with a built-in's id replace the built-in", async () => {
    const dir = tempDir({ "deploy.log": DISK_FULL_LOG });
    const rules = tempDir({ "disk.yml": USER_RULE });
    const io = memoryIO({ cwd: dir });
    expect(await run(["deploy.log", "--format", "json", "--rules", rules], io)).toBe(1);
    const report = JSON.parse(io.out()) as { findings: Array<{ ruleId: string; title: string; remediation: string[] }> };
    const finding = report.findings.find((f) => f.ruleId === "no-space-left");
    expect(finding?.title).toBe("Our disk is full again on 203.0.113.7");
    expect(finding?.remediation).toEqual(["Page ops."]);
    expect(report.findings.filter((f) => f.ruleId === "no-space-left")).toHaveLength(1);
  });

  it("an empty capture without fallback reads (unknown), not {what}", async () => {
    const rule = USER_RULE.replace("{hosts|a box}", "{what}").replace("(?<what>device)", "(?<what>d?)evice");
    const dir = tempDir({ "disk.yml": rule, "deploy.log": DISK_FULL_LOG.replace("on device", "on evice") });
    const io = memoryIO({ cwd: dir });
    expect(await run(["deploy.log", "--rules", path.join(dir, "disk.yml"), "--format", "json"], io)).toBe(1);
    const report = JSON.parse(io.out()) as { findings: Array<{ ruleId: string; title: string }> };
    expect(report.findings.find((f) => f.ruleId === "no-space-left")?.title).toBe("Our disk is full again on (unknown)");
  });

  it("is listed by rules list --rules", async () => {
    const rules = tempDir({ "disk.yml": USER_RULE });
    const io = memoryIO();
    expect(await run(["rules", "list", "--category", "disk-full", "--rules", rules], io)).toBe(0);
    expect(io.out()).toContain("Our disk is full again");
  });

  it("fails on an invalid user rule file with path: field: problem and exit 2", async () => {
    const rules = tempDir({ "broken.yml": USER_RULE.replace("category: disk-full", "category: disks") });
    const io = memoryIO();
    expect(await run(["-", "--rules", rules], { ...io, stdin: io.stdin })).toBe(2);
    expect(io.err()).toContain(`${path.join(rules, "broken.yml")}: category: `);
    expect(io.err().trim().split("\n")).toHaveLength(1);
  });
});
