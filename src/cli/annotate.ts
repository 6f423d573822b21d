// `kamal-doctor annotate <RUN_ID|URL> --check-run|--comment [--dry-run]`: diagnose a run
// the way `run` does (same fetching), then post the redacted diagnosis to GitHub — a check run
// on the run's head commit and/or one sticky comment per pull request (a commit comment when
// there is none). Meant for a `workflow_run` workflow that reacts to failed deploys. Exits 0
// once everything is posted (the listener's job stays green), 3 when GitHub refuses.

import type { Command } from "commander";
import type { AnnotatedRun, CommentPlan } from "../github/annotate.js";
import type { GitHubClient, RunTarget } from "../github/index.js";
import { lockDestination, type Report } from "../core/index.js";
import { VERSION } from "../version.js";
import { guardForActions, reportsForOutput, writeStepSummary } from "./actions-output.js";
import { addConfigOptions, runConfig, type AnalyzeConfigOptions } from "./config.js";
import { addTargetOptions, connect, type TargetOptions } from "./github-connect.js";
import { CliError, EXIT, type CliIO } from "./io.js";
import { cancelledLockReport, doctorRunLock } from "./lock.js";
import { historyOption, judge } from "./memory.js";
import { loadRules, rulesOption } from "./report-options.js";

interface AnnotateOptions extends TargetOptions, AnalyzeConfigOptions {
  checkRun?: boolean;
  comment?: boolean;
  dryRun?: boolean;
  rules?: string[];
  redact?: boolean;
  summary?: boolean;
  verbose?: boolean;
  history: number;
  cache?: boolean;
}

const ANNOTATE_HELP = `
Token: GITHUB_TOKEN, else GH_TOKEN. It needs \`actions: read\` to read the run, and
  --check-run  \`checks: write\` (a workflow's GITHUB_TOKEN or a GitHub App token; personal
               access tokens cannot create check runs)
  --comment    \`pull-requests: write\` (a commit comment when the run has no PR: \`contents: write\`)
Given a run that succeeded, --comment marks an earlier failure comment on its pull requests
resolved (and posts nothing where there is none).
A deploy-lock failure also looks up the run that holds the lock (still running, or over: then the
lock is stale) and posts that under the root cause. Given a cancelled run whose deploy took the
lock and never released it, posts that the lock was probably left held (a neutral check run with
a notice, and/or the comment).
Exits 0 once everything is posted (a listener workflow stays green), 3 when GitHub refuses.

Examples:
  kamal-doctor annotate 123456789 --check-run --comment
  kamal-doctor annotate https://github.com/acme/shop/actions/runs/123456789 --comment --dry-run`;

export function registerAnnotate(program: Command, io: CliIO, setExit: (code: number) => void): void {
  addConfigOptions(addTargetOptions(
    program
      .command("annotate")
      .description("post a run's diagnosis to GitHub: a check run on its commit and/or a comment on its pull request")
      .argument("<run>", "run id, or a run, attempt, job or check URL")
      // What to post is required: one of the two, or both.
      .usage("<run> --check-run|--comment [options]")
      .option("--check-run", "create a completed `kamal-doctor` check run with annotations on the run's head commit")
      .option("--comment", "comment on each pull request of the run (updated in place next time), or on the commit")
      .option("--dry-run", "print what would be posted, post nothing"),
  ), "repository")
    .addOption(rulesOption())
    .option("--no-redact", "post secrets as they appear in the log (not recommended)")
    .option("--no-summary", "do not append the report to $GITHUB_STEP_SUMMARY")
    .option("--verbose", "every evidence line in the posted report")
    .addOption(historyOption())
    .option("--no-cache", "do not read or write the cache of earlier runs (~/.cache/kamal-doctor)")
    .addHelpText("after", ANNOTATE_HELP)
    .action(async (arg: string, options: AnnotateOptions) => {
      if (!options.checkRun && !options.comment) throw new CliError("annotate: nothing to post — give --check-run, --comment or both", EXIT.USAGE);
      const rules = await loadRules(options.rules);
      const post = await import("../github/annotate.js");
      const { gh, target, client } = await connect(arg, options, io, { requireToken: !options.dryRun });

      const lines: string[] = [];
      const say = (line: string) => lines.push(line);
      // The check run and the comment are posted independently: GitHub refusing one (a token
      // without `checks: write`) does not keep the other from being tried.
      const refused: Error[] = [];
      const attempt = async (post: () => Promise<void>) => {
        try {
          await post();
        } catch (error) {
          if (!(error instanceof gh.GitHubError)) throw error;
          refused.push(error);
        }
      };
      try {
        const config = runConfig(gh, client, options, io);
        const diagnosis = await gh.diagnoseRun(client, target, { rules, toolVersion: VERSION, tap: config.tap });
        const { logs, unreadable, notes } = diagnosis;
        const checked = diagnosis.report && (await config.check(diagnosis.report, logs));
        // The destination (-d, the config's, else the log's kamal command's): the lock's commands and the history are its.
        const destination = checked ? lockDestination(options.destination, checked, config.facts().kamalCommand) : (options.destination ?? null);
        const locked = checked && (await doctorRunLock(client, logs.target, logs.run, checked, destination, io));
        let report: Report | null = locked && (await judge(client, logs.target, logs.run, locked, options, io, { rules, toolVersion: VERSION }, destination));
        for (const log of unreadable) io.stderr.write(`${gh.describeUnreadable(log)}\n`);
        for (const note of notes) io.stderr.write(`kamal-doctor: ${note}\n`);
        const runName = `run ${logs.target.runId} (attempt ${logs.attempt}) of ${logs.target.owner}/${logs.target.repo}`;
        // A cancelled run whose deploy took the lock and never released it: that is what gets posted.
        // What is posted then is not a failure's diagnosis: no memory marker, history does not count it.
        let remember = true;
        if (report === null && logs.run.conclusion === "cancelled") {
          const left = await cancelledLockReport(client, logs.target, rules, VERSION, options.destination ?? null);
          if (left) {
            report = left.report;
            remember = false;
            const jobs = left.jobs.length > 0 ? `job ${left.jobs.map((name) => `"${name}"`).join(", ")}` : "the run";
            say(`${runName}: ${jobs} was cancelled after "Acquiring the deploy lock..." and before "Releasing the deploy lock...": the deploy lock was probably left held.`);
          }
        }
        if (report === null) {
          // A green run after a red one: the sticky comment should not go on describing a failure.
          if (options.comment && logs.run.conclusion === "success") await resolveComments(post, client, logs.target, logs.run, options.dryRun === true, say);
          if (lines.length === 0) say(`${runName} has no failed jobs${logs.run.conclusion ? ` (conclusion: ${logs.run.conclusion})` : ""}: nothing to annotate.`);
          io.stdout.write(`${lines.join("\n")}\n`);
          setExit(EXIT.OK);
          return;
        }
        const planned = { memory: remember, destination };
        // Everything posted is redacted: what reaches GitHub is public to everyone who can read the repository.
        const { posted } = reportsForOutput(report, { redact: options.redact }, io.env);
        const shown = posted();
        writeStepSummary(posted, { summary: options.summary, verbose: options.verbose }, io);
        const run = logs.run as AnnotatedRun;
        const where = logs.target;

        if (options.checkRun) await attempt(async () => {
          const plan = post.planCheckRun(shown, run, unreadable, planned);
          const requests = Math.max(1, Math.ceil(plan.annotations.length / post.ANNOTATIONS_PER_REQUEST));
          const what = `check run "${plan.name}" on ${plan.head_sha.slice(0, 12)} (conclusion ${plan.conclusion}, ${plan.annotations.length} annotation${plan.annotations.length === 1 ? "" : "s"}`;
          if (options.dryRun) {
            say(`Would create ${what} in ${requests} request${requests === 1 ? "" : "s"})`);
            say(`  title: ${plan.title}`);
            for (const a of plan.annotations) say(`  ${a.annotation_level}: ${a.title}`);
            say("--- check run summary ---");
            say(plan.summary);
          } else {
            const result = await post.postCheckRun(client, where, plan);
            say(`${result.action === "updated" ? "Updated" : "Created"} ${what})${result.url ? `: ${result.url}` : ""}`);
          }
        });

        if (options.comment) await attempt(async () => {
          const prs = await post.pullRequestsOf(client, where, run);
          const body = post.commentBody(shown, run, unreadable, planned);
          const marker = post.commentMarker(run);
          const plans: CommentPlan[] =
            prs.length > 0 ? prs.map((number) => ({ kind: "pull-request", target: number, body })) : [{ kind: "commit", target: run.head_sha, body }];
          for (const plan of plans) {
            const place = plan.kind === "pull-request" ? `pull request #${plan.target}` : `commit ${String(plan.target).slice(0, 12)}`;
            const existing = await post.findComment(client, where, plan, marker);
            if (options.dryRun) say(existing ? `Would update comment ${existing.id} on ${place}` : `Would comment on ${place}`);
            else {
              const result = await post.postComment(client, where, plan, existing);
              say(`${result.action === "updated" ? "Updated the comment" : "Commented"} on ${place}${result.url ? `: ${result.url}` : ""}`);
            }
          }
          if (options.dryRun) {
            say("--- comment ---");
            say(body);
          }
        });
        // Each refusal is one line; the last one ends the command (exit 3) after what was posted is said.
        for (const error of refused.slice(0, -1)) io.stderr.write(`kamal-doctor: ${error.message}\n`);
        if (refused.length > 0) throw refused[refused.length - 1] as Error;
      } catch (error) {
        // What was posted before GitHub refused is still said.
        if (lines.length > 0) io.stdout.write(`${lines.join("\n")}\n`);
        throw error;
      }
      const text = `${lines.join("\n")}\n`;
      io.stdout.write(options.dryRun ? guardForActions(text, "pretty", io.env) : text);
      setExit(EXIT.OK);
    });
}

/**
 * After a successful run, each of its pull requests' kamal-doctor comment (for this workflow) is
 * edited to say the failure it described is resolved. Nothing is posted where there is none, and
 * a comment already marked resolved is left alone.
 */
async function resolveComments(
  post: typeof import("../github/annotate.js"),
  client: GitHubClient,
  where: RunTarget,
  run: AnnotatedRun,
  dryRun: boolean,
  say: (line: string) => void,
): Promise<void> {
  const marker = post.commentMarker(run);
  for (const number of await post.pullRequestsOf(client, where, run)) {
    const plan: CommentPlan = { kind: "pull-request", target: number, body: post.resolvedBody(run) };
    const existing = await post.findComment(client, where, plan, marker);
    if (!existing || existing.body.includes(post.RESOLVED_MARKER)) continue;
    if (dryRun) say(`Would mark comment ${existing.id} on pull request #${number} resolved`);
    else {
      const result = await post.postComment(client, where, plan, existing);
      say(`Marked the comment on pull request #${number} resolved${result.url ? `: ${result.url}` : ""}`);
    }
  }
}
