// The GitHub Action: action.yml's inputs reach the script, and scripts/action.sh run the way the
// composite step runs it (built CLI, inputs as KD_* variables) annotates, summarises and sets outputs.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runnerCommands } from "./support/actions-runner.js";

const root = path.resolve(import.meta.dirname, "..");
const script = path.join(root, "scripts/action.sh");
const sample = "fixtures/sample/kamal2-healthcheck-failed.log";

interface Action {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Array<{ id?: string; env?: Record<string, string>; run?: string }> };
}
const action = parse(readFileSync(path.join(root, "action.yml"), "utf8")) as Action;

function runAction(env: Record<string, string>) {
  const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-action-"));
  const files = { GITHUB_OUTPUT: path.join(dir, "output"), GITHUB_STEP_SUMMARY: path.join(dir, "summary.md"), RUNNER_TEMP: dir };
  const result = spawnSync("bash", [script], { cwd: root, encoding: "utf8", env: { PATH: process.env["PATH"], GITHUB_ACTIONS: "true", ...files, ...env } });
  const read = (file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return "";
    }
  };
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, output: read(files.GITHUB_OUTPUT), summary: read(files.GITHUB_STEP_SUMMARY) };
}

describe("action.yml", () => {
  it("is a composite action whose every input reaches the script, and whose outputs the script sets", () => {
    expect(action.runs.using).toBe("composite");
    const step = action.runs.steps.find((s) => s.id === "doctor");
    expect(step?.run).toBe('bash "$GITHUB_ACTION_PATH/scripts/action.sh"');
    const env = step?.env ?? {};
    for (const name of Object.keys(action.inputs)) {
      expect(Object.values(env)).toContain(`\${{ inputs.${name} }}`);
    }
    const source = readFileSync(script, "utf8");
    for (const variable of Object.keys(env).filter((key) => key.startsWith("KD_"))) expect(source).toContain(variable);
    for (const [name, output] of Object.entries(action.outputs)) {
      expect(output.value).toBe(`\${{ steps.doctor.outputs.${name} }}`);
      expect(source).toMatch(new RegExp(`\`${name}(=|<<)`));
    }
  });
});

describe("scripts/action.sh", () => {
  it("log-file: annotations on stdout, the job summary, and the step outputs", () => {
    const r = runAction({ KD_LOG_FILE: sample, KD_OUTPUTS: "annotations, summary" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const commands = runnerCommands(r.stdout);
    expect(commands[0]?.name).toBe("error");
    expect(commands[0]?.properties["title"]).toMatch(/^kamal-doctor: root cause — /);
    expect(r.summary).toContain("## ❌ kamal-doctor: `kamal deploy` failed in health-check");
    const outputs = r.output.split("\n");
    expect(outputs[0]).toBe("outcome=failed");
    expect(outputs[1]).toMatch(/^root-cause=[a-z0-9-]+$/);
    expect(outputs[2]).toMatch(/^category=[a-z-]+$/);
    expect(outputs[3]).toMatch(/^title<<EOF_[0-9a-f]{24}$/);
    expect(outputs[5]).toBe(outputs[3]?.slice("title<<".length));
  });

  it("log-file without annotations or summary prints the guarded report; fail-on-failure fails the step", () => {
    const r = runAction({ KD_LOG_FILE: sample, KD_OUTPUTS: "", KD_FAIL: "true" });
    expect(r.code).toBe(1);
    expect(r.summary).toBe("");
    expect(runnerCommands(r.stdout).map((c) => c.name)).toEqual(["stop-commands"]);
    expect(r.stdout).toContain("ROOT CAUSE");
  });

  it("command: runs it under exec and keeps its exit code", () => {
    const r = runAction({ KD_COMMAND: `${process.execPath} -e process.exit(7)` });
    expect(r.code).toBe(7);
    expect(r.summary).toContain("kamal-doctor");
  });

  it("collect: true runs the read-only Kamal follow-ups of a failed deploy", async () => {
    const { fakeKamalDir } = await import("./support/fake-kamal.js");
    const bin = fakeKamalDir();
    const r = runAction({ KD_COMMAND: "kamal deploy -d staging", KD_COLLECT: "true", PATH: `${bin}${path.delimiter}${process.env["PATH"] ?? ""}` });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("kamal-doctor: collect: kamal app logs --container-id 4f9c2d1e8a7b --lines 200 -d staging\n");
    expect(r.summary).toContain("kamal app logs");
    const plain = runAction({ KD_COMMAND: "kamal deploy -d staging", PATH: `${bin}${path.delimiter}${process.env["PATH"] ?? ""}` });
    expect(plain.stderr).not.toContain("collect:");
  });

  it("wants exactly one of command, log-file and run-id", () => {
    const none = runAction({});
    expect(none.code).toBe(2);
    expect(runnerCommands(none.stdout)[0]?.data).toBe("give exactly one of the inputs command, log-file or run-id");
    expect(runAction({ KD_LOG_FILE: sample, KD_RUN_ID: "42" }).code).toBe(2);
  });
});
