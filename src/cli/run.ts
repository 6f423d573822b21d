// `kamal-doctor run <RUN_ID | RUN_URL | JOB_URL>`: fetch a GitHub Actions run's logs and diagnose
// them with the same engine and formatters as local logs. The GitHub adapter (Octokit) is loaded
// only here, on demand, so a local analysis never pays for it.

import type { Command } from "commander";
import { diagnose, lockDestination } from "../core/index.js";
import { VERSION } from "../version.js";
import { addConfigOptions, runConfig, type AnalyzeConfigOptions } from "./config.js";
import { addTargetOptions, connect, type TargetOptions } from "./github-connect.js";
import { CliError, EXIT, type CliIO } from "./io.js";
import { doctorRunLock } from "./lock.js";
import { historyOption, judge } from "./memory.js";
import { addReportOptions, exitCodeFor, loadRules, printReport, type ReportOptions } from "./report-options.js";

interface RunOptions extends ReportOptions, TargetOptions, AnalyzeConfigOptions {
  job?: string;
  allJobs?: boolean;
  save?: string;
  quiet?: boolean;
  history: number;
  cache?: boolean;
}

const RUN_HELP = `
Token: GITHUB_TOKEN, else GH_TOKEN (needs \`actions: read\`; classic tokens: \`repo\` for private
repositories). API base: --api-url or GITHUB_API_URL (GitHub Enterprise Server: https://HOST/api/v3).
A deploy-lock failure also looks up the run that holds the lock and says (under the root cause;
\`lock\` in JSON) whether it is over (then \`kamal lock release\` is safe) or still running.

Examples:
  kamal-doctor run 123456789 --repo acme/shop
  kamal-doctor run https://github.com/acme/shop/actions/runs/123456789/attempts/2
  kamal-doctor run https://github.com/acme/shop/actions/runs/123456789/job/987654321 --format json
  kamal-doctor run 123456789 --all-jobs --save logs/   # then later: kamal-doctor logs/*`;

export function registerRun(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const command = addTargetOptions(
    program
      .command("run")
      .description("fetch a GitHub Actions run's logs and diagnose them (default: the failed jobs of the latest attempt)")
      .argument("<run>", "run id, or a run, attempt, job or check URL (github.com or GitHub Enterprise Server)"),
  )
    .option("--job <id|name>", "only this job (id or name)")
    .option("--all-jobs", "every finished job, not only the failed ones")
    .option("--save <dir>", "keep the downloaded logs in DIR (re-analyse later with kamal-doctor DIR/*)")
    .option("-q, --quiet", "no progress or retry lines on stderr")
    .addOption(historyOption())
    .option("--no-cache", "do not read or write the cache of earlier runs (~/.cache/kamal-doctor)")
    .addHelpText("after", RUN_HELP);
  addConfigOptions(addReportOptions(command), "repository").action(async (arg: string, options: RunOptions) => {
    if (options.job && options.allJobs) throw new CliError("--job and --all-jobs cannot be combined", EXIT.USAGE);
    const rules = await loadRules(options.rules);
    const progress = new Progress(io, options.quiet === true, options.allJobs || options.job ? "" : "failed ");
    const { gh, target, client } = await connect(arg, options, io, { onRetry: (line) => progress.retry(line) });
    const config = runConfig(gh, client, options, io);
    try {
      const { report: analysed, logs, unreadable, notes } = await gh.diagnoseRun(client, target, {
        rules,
        toolVersion: VERSION,
        job: options.job ?? null,
        allJobs: options.allJobs === true,
        saveDir: options.save ? resolvePath(io.cwd, options.save) : null,
        onProgress: (event) => progress.event(event),
        tap: config.tap,
      });
      progress.done();
      const checked = analysed && (await config.check(analysed, logs));
      const destination = checked && lockDestination(options.destination, checked, config.facts().kamalCommand);
      const locked = checked && (await doctorRunLock(client, logs.target, logs.run, checked, destination, io));
      const report = locked && (await judge(client, target, logs.run, locked, options, io, { rules, toolVersion: VERSION }, destination));
      // Not progress: what the report leaves out is said even with --quiet.
      for (const log of unreadable) io.stderr.write(`${gh.describeUnreadable(log)}\n`);
      for (const note of notes) io.stderr.write(`kamal-doctor: ${note}\n`);
      for (const job of logs.unfinished) progress.note(`skipped job "${job.name}" (${job.id}): still ${job.status.replace("_", " ")}`);
      const runName = `run ${logs.target.runId} (attempt ${logs.attempt}) of ${logs.target.owner}/${logs.target.repo}`;
      if (report === null) {
        if (logs.run.status !== null && logs.run.status !== "completed") {
          throw new CliError(`${runName} is still ${logs.run.status.replace("_", " ")} and no job has failed yet: nothing to diagnose`, EXIT.GITHUB);
        }
        const what = options.allJobs || options.job ? "no finished jobs to diagnose" : `no failed jobs${logs.run.conclusion ? ` (conclusion: ${logs.run.conclusion})` : ""}`;
        const message = `${runName} has ${what}: nothing to diagnose.`;
        if (options.format === "pretty") io.stdout.write(`${message}\n`);
        else {
          io.stderr.write(`kamal-doctor: ${message}\n`);
          printReport(await diagnose([], { rules, toolVersion: VERSION }), options, io);
        }
        setExit(EXIT.OK);
        return;
      }
      printReport(report, options, io);
      // A log that could not be read may hold the failure: "no failure found" would not be true.
      const code = exitCodeFor(report);
      setExit(unreadable.length > 0 && code === EXIT.OK ? EXIT.GITHUB : code);
    } catch (error) {
      progress.fail();
      throw error;
    }
  });
}

function resolvePath(cwd: string, dir: string): string {
  return dir.startsWith("/") ? dir : `${cwd}/${dir}`;
}

type ProgressEventLike =
  | { type: "jobs"; run: { id: number }; attempt: number; selected: unknown[]; all: unknown[] }
  | { type: "zip" }
  | { type: "job-done" };

/**
 * "Fetching 2 failed jobs of run 123… done" on stderr, only on a terminal and without --quiet.
 * A retry is one line on stderr without --quiet, terminal or not: a wait should never be silent.
 */
class Progress {
  private readonly on: boolean;
  private open = false;

  constructor(
    private readonly io: CliIO,
    private readonly quiet: boolean,
    private readonly kind: string,
  ) {
    this.on = !quiet && io.stderr.isTTY === true;
  }

  retry(line: string): void {
    if (this.quiet) return;
    if (this.open) this.io.stderr.write("\n");
    this.open = false;
    this.io.stderr.write(`kamal-doctor: ${line}\n`);
  }

  event(event: ProgressEventLike): void {
    if (!this.on) return;
    if (event.type === "jobs") {
      const n = event.selected.length;
      if (n === 0) return;
      this.io.stderr.write(`Fetching ${n} ${this.kind}job${n === 1 ? "" : "s"} of run ${event.run.id} (attempt ${event.attempt})…`);
      this.open = true;
    } else if (event.type === "zip") {
      this.write(" (from the run's logs archive)");
    } else {
      this.write(".");
    }
  }

  note(text: string): void {
    if (this.on) this.io.stderr.write(`kamal-doctor: ${text}\n`);
  }

  done(): void {
    this.finish(" done\n");
  }

  fail(): void {
    this.finish("\n");
  }

  private write(text: string): void {
    if (this.open) this.io.stderr.write(text);
  }

  private finish(text: string): void {
    if (this.open) this.io.stderr.write(text);
    this.open = false;
  }
}
