// `--format github`: one annotation per finding, root cause first, within GitHub's caps, the
// rest folded into one notice; checked by reading the output the way the runner does.
import { describe, expect, it } from "vitest";
import { annotationsFor, capAnnotations, formatGithub, MAX_MESSAGE, STEP_CAPS } from "../src/format/github.js";
import { runnerCommands } from "./support/actions-runner.js";
import { finding, many, report } from "./support/reports.js";

const levels = (output: string) => runnerCommands(output).map((c) => c.name);
const count = (output: string, name: string) => levels(output).filter((n) => n === name).length;

describe("formatGithub", () => {
  it("prints one ::error per finding with title, explanation, evidence and fix", () => {
    const root = finding({
      ruleId: "proxy-target-unhealthy",
      title: "Container unhealthy: 30s, again",
      rootCause: true,
      explanation: "It never answered 2xx.\nSecond line with 100%.",
      evidenceLines: [
        { line: 38, text: "ERROR (SSHKit::Command::Failed): boom" },
        { line: 40, text: "docker stderr: Error: target failed to become healthy" },
      ],
      line: 40,
      remediation: ["Run `kamal app logs`.", "Raise deploy_timeout."],
    });
    const output = formatGithub(report([root, finding({ severity: "warning", title: "A warning" }), finding({ severity: "info", title: "An info" })]));
    const lines = output.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      "::error title=kamal-doctor%3A root cause — Container unhealthy%3A 30s%2C again::It never answered 2xx.%0ASecond line with 100%25.%0A%0AEvidence (deploy.log:40, host 192.0.2.10, phase boot):%0A  38 │ ERROR (SSHKit::Command::Failed): boom%0A  40 │ docker stderr: Error: target failed to become healthy%0A%0AFix:%0A1. Run `kamal app logs`.%0A2. Raise deploy_timeout.%0A%0ADocs: https://kamal-deploy.org/docs/",
    );
    expect(levels(output)).toEqual(["error", "warning", "notice"]);
    const [first] = runnerCommands(output);
    expect(first?.properties["title"]).toBe("kamal-doctor: root cause — Container unhealthy: 30s, again");
    expect(first?.data.split("\n")[1]).toBe("Second line with 100%.");
  });

  it("says so when the deploy failed and no rule knows why", () => {
    const output = formatGithub(report([], { unmatched: [{ source: "deploy.log", line: 7, text: "ERROR something odd", kind: "log" }] }));
    const [only, ...rest] = runnerCommands(output);
    expect(rest).toEqual([]);
    expect(only?.name).toBe("error");
    expect(only?.properties["title"]).toBe("kamal-doctor: failure not recognised");
    expect(only?.data).toContain("deploy.log:7  ERROR something odd");
  });

  it("prints nothing when there is nothing to report", () => {
    expect(formatGithub(report([], { outcome: "succeeded" }))).toBe("");
  });

  it("keeps a message under the runner's 4096-character cut", () => {
    const long = finding({ explanation: "x".repeat(10_000) });
    const [a] = annotationsFor(report([long]));
    expect(a?.message.length).toBe(MAX_MESSAGE);
    expect(a?.message.endsWith("…")).toBe(true);
  });
});

describe("caps and folding", () => {
  it("keeps 10 errors and folds the rest into one notice naming them", () => {
    const output = formatGithub(report(many(14, "error", 0, true)));
    expect(count(output, "error")).toBe(10);
    expect(count(output, "notice")).toBe(1);
    const fold = runnerCommands(output).at(-1);
    expect(fold?.properties["title"]).toBe("kamal-doctor: 4 more findings in the job summary");
    expect(fold?.data).toContain("job summary");
    for (const i of [10, 11, 12, 13]) expect(fold?.data).toContain(`error: error number ${i}`);
    expect(fold?.data).not.toContain("error number 9\n");
    // Root cause first.
    expect(runnerCommands(output)[0]?.properties["title"]).toContain("root cause — error number 0");
  });

  it("caps each level at 10 per step; the fold notice takes a notice slot", () => {
    const output = formatGithub(report([...many(12, "error"), ...many(11, "warning", 100), ...many(13, "info", 200)]));
    expect(count(output, "error")).toBe(10);
    expect(count(output, "warning")).toBe(10);
    expect(count(output, "notice")).toBe(10);
    const fold = runnerCommands(output).at(-1);
    // 2 errors + 1 warning + 3 notices over the cap, and the 10th notice gave its slot up.
    expect(fold?.properties["title"]).toBe("kamal-doctor: 7 more findings in the job summary");
    expect(fold?.data).toContain("notice: info number 209");
  });

  it("stays within exactly the caps it is given, 50 per job included", () => {
    const caps = { error: 40, warning: 40, notice: 40, total: 50 };
    const kept = capAnnotations(annotationsFor(report([...many(40, "error"), ...many(30, "warning", 100)])), caps);
    expect(kept).toHaveLength(50);
    expect(kept.filter((a) => a.level === "error")).toHaveLength(40);
    expect(kept.filter((a) => a.level === "warning")).toHaveLength(9);
    expect(kept.at(-1)?.title).toBe("kamal-doctor: 21 more findings in the job summary");
  });

  it("does not fold when everything fits", () => {
    const kept = capAnnotations(annotationsFor(report([...many(10, "error"), ...many(10, "warning", 50), ...many(10, "info", 80)])), STEP_CAPS);
    expect(kept).toHaveLength(30);
    expect(kept.some((a) => a.finding === null)).toBe(false);
  });
});
