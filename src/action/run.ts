// The GitHub Action (action.yml, `runs.using: node24`): reads the step's inputs as the runner
// passes them (INPUT_<NAME>), runs the CLI in-process and sets the step's outputs. With
// log-file or run-id: the report as JSON for the outputs (and the job summary), the annotations
// (or the report) on stdout, then the check run / comment; a run's logs are downloaded once for
// all of them (SharedRuns). With command: `kamal-doctor exec`, and the step keeps its exit code.
import { appendFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { run } from "../cli/main.js";
import type { CliIO, OutputStream } from "../cli/io.js";
import type { JsonReport } from "../format/json.js";
import { workflowCommand } from "../format/workflow-commands.js";
import { SharedRuns } from "./shared-runs.js";

type Env = Record<string, string | undefined>;

/** An input as the runner passes it: `INPUT_` and the name upper-cased, spaces as `_`. */
export function actionInput(env: Env, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
}

/**
 * The step outputs of a report: the root cause's id, category, title, first fix and deep link,
 * and the deploy lock's state. Where the lock is in question its advice is the fix (what the
 * reports show too: the rule's steps made true for this holder, run and destination).
 */
export function reportOutputs(report: JsonReport): Record<string, string> {
  const root = report.findings.find((finding) => finding.rootCause) ?? null;
  const flat = (text: string | null | undefined) => (text ?? "").replace(/[\r\n]+/g, " ");
  const lock = report.lock ?? null;
  return {
    outcome: report.outcome,
    "root-cause": root?.ruleId ?? "",
    category: root?.category ?? "",
    title: flat(root?.title),
    fix: flat((lock && root ? lock.advice[0] : undefined) ?? root?.remediation[0]),
    "log-url": root?.url ?? "",
    "lock-state": lock?.state ?? "",
  };
}

/** `$GITHUB_OUTPUT` lines as the Actions toolkit writes them: `name<<delimiter`, the value, the delimiter. */
export function outputFileText(outputs: Record<string, string>, delimiter = `ghadelimiter_${randomUUID()}`): string {
  return Object.entries(outputs)
    .map(([name, value]) => {
      if (name.includes(delimiter) || value.includes(delimiter)) throw new Error(`unexpected delimiter in output ${name}`);
      return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
    })
    .join("");
}

export interface ActionIO {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Env;
  cwd: string;
  stdin: CliIO["stdin"];
}

export async function runAction(io: ActionIO): Promise<number> {
  const input = (name: string) => actionInput(io.env, name);
  const outputs = `,${input("outputs").replace(/\s+/g, "")},`;
  const want = (what: string) => outputs.includes(`,${what},`);
  const common = [...(input("rules") ? ["--rules", input("rules")] : []), ...(input("redact") === "false" ? ["--no-redact"] : [])];
  const summary = want("summary") ? [] : ["--no-summary"];

  const modes = ["command", "log-file", "run-id"].filter((name) => input(name) !== "");
  if (modes.length !== 1) {
    io.stdout.write(`${workflowCommand("error", { title: "kamal-doctor" }, "give exactly one of the inputs command, log-file or run-id")}\n`);
    return 2;
  }
  const token = input("token");
  const cli = (argv: string[], stdout: OutputStream = io.stdout) =>
    run(argv, { stdin: io.stdin, stdout, stderr: once(io.stderr), env: { ...io.env, ...(token ? { GITHUB_TOKEN: token } : {}) }, cwd: io.cwd, runs: shared });
  const shared = new SharedRuns();
  const seen = new Set<string>();
  // Each command says what it could not read; said once is enough.
  const once = (stream: OutputStream): OutputStream => ({
    isTTY: false,
    write: (chunk: string) => {
      const fresh = chunk.split(/(?<=\n)/).filter((line) => !seen.has(line));
      for (const line of fresh) seen.add(line);
      return stream.write(fresh.join(""));
    },
  });

  if (input("command")) {
    const command = input("command").split(/\s+/);
    return cli(["exec", ...common, ...summary, ...(input("collect") === "true" ? ["--collect"] : []), "--", ...command]);
  }
  const source = input("log-file") ? input("log-file").split(/\s+/) : ["run", input("run-id")];
  let json = "";
  const code = await cli([...source, "--format", "json", ...common, ...summary], { write: (chunk: string) => (json += chunk) });
  if (code >= 2) {
    io.stdout.write(json);
    return code;
  }
  await cli([...source, ...(want("annotations") ? ["--format", "github"] : []), ...common, "--no-summary"]);
  const file = io.env["GITHUB_OUTPUT"];
  if (file) appendFileSync(file, outputFileText(reportOutputs(JSON.parse(json) as JsonReport)));
  if (input("run-id") && (want("check-run") || want("comment"))) {
    const post = [...(want("check-run") ? ["--check-run"] : []), ...(want("comment") ? ["--comment"] : [])];
    const posted = await cli(["annotate", input("run-id"), ...post, ...common, "--no-summary"]);
    if (posted !== 0) return posted;
  }
  return input("fail-on-failure") === "true" && code === 1 ? 1 : 0;
}
