// `kamal-doctor history [OWNER/REPO]`: the recent runs of a deploy workflow, each with its
// outcome and root cause, and the causes grouped — from the markers kamal-doctor posted, and
// from the logs of failed runs that have none. Octokit and the collector load only here.

import { Option, type Command } from "commander";
import { VERSION } from "../version.js";
import { clientFor, positiveInt } from "./github-connect.js";
import { EXIT, type CliIO } from "./io.js";
import { addCacheOption, loadRules, rulesOption, type CacheOptions } from "./report-options.js";

const HISTORY_FORMATS = ["pretty", "json", "markdown"] as const;
type HistoryFormat = (typeof HISTORY_FORMATS)[number];

interface HistoryOptions extends CacheOptions {
  workflow?: string;
  branch?: string;
  destination?: string;
  limit: number;
  format: HistoryFormat;
  rules?: string[];
  apiUrl?: string;
  quiet?: boolean;
}

const HISTORY_HELP = `
Each run's memory comes from the hidden marker \`kamal-doctor annotate\` posts (its check run,
else its pull request comment); a failed run without one has its failed jobs' logs downloaded
and diagnosed. Finished runs are cached (see --no-cache). The workflow: --workflow, else the
one running (GITHUB_WORKFLOW_REF), else the only workflow named like a deploy.

Exit codes: 0 the newest finished run succeeded (or there is none), 1 it failed, 2 usage,
3 GitHub or network error.

Examples:
  kamal-doctor history
  kamal-doctor history acme/shop --workflow deploy.yml --destination production
  kamal-doctor history --limit 50 --format markdown >> "$GITHUB_STEP_SUMMARY"`;

export function registerHistory(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const command = program
    .command("history")
    .description("the recent runs of a deploy workflow: outcome and root cause of each, and the causes grouped (how often, since when, how long they blocked deploys)")
    .argument("[repository]", "OWNER/NAME (default: GITHUB_REPOSITORY, or the origin git remote)")
    .option("--workflow <file|name>", "the workflow: its file (deploy.yml) or name")
    .option("--branch <branch>", "only runs of this branch")
    .option("-d, --destination <name>", "only this destination's runs (where the marker or the log's kamal command shows it)")
    .option("-n, --limit <n>", "how many runs to look at", positiveInt, 20)
    .addOption(new Option("-f, --format <format>", "output format").choices(HISTORY_FORMATS).default("pretty"))
    .addOption(rulesOption())
    .option("--api-url <url>", "API base (default: GITHUB_API_URL or https://api.github.com)")
    .option("-q, --quiet", "no progress or retry lines on stderr")
    .addHelpText("after", HISTORY_HELP);
  addCacheOption(command).action(async (repository: string | undefined, options: HistoryOptions) => {
    const gh = await import("../github/index.js");
    const memory = await import("../memory/collect.js");
    const { openCache } = await import("../memory/cache.js");
    const { summariseHistory, renderHistoryJson, renderHistoryMarkdown, renderHistoryPretty } = await import("../memory/history.js");
    const where = await gh.resolveRepository({
      repo: repository ?? null,
      repoFrom: repository === undefined ? "OWNER/NAME" : "the repository",
      apiUrl: options.apiUrl ?? null,
      env: io.env,
      cwd: io.cwd,
    });
    const bar = new ProgressBar(io, options.quiet === true);
    const client = clientFor(gh, where, io, (line) => bar.line(line));
    const rules = await loadRules(options.rules);
    const wanted = options.workflow ?? workflowFromEnv(io.env, `${where.owner}/${where.repo}`);
    const workflow = await memory.resolveWorkflow(client, where, wanted);
    let records;
    try {
      records = await memory.collectHistory(client, {
        owner: where.owner,
        repo: where.repo,
        workflow: workflow.id,
        branch: options.branch ?? null,
        destination: options.destination ?? null,
        limit: options.limit,
        analysis: { rules, toolVersion: VERSION },
        cache: openCache(io.env, options.cache !== false),
        onProgress: (event) => {
          if (event.type === "run") bar.update(event.done, event.total);
          else if (event.type === "skipped") bar.line(`run ${event.run} attempt ${event.attempt}: ${event.reason}`);
        },
      });
    } finally {
      bar.done();
    }
    const report = summariseHistory(records, {
      repository: `${where.owner}/${where.repo}`,
      workflow,
      branch: options.branch ?? null,
      destination: options.destination ?? null,
      limit: options.limit,
    });
    const render = { pretty: renderHistoryPretty, json: renderHistoryJson, markdown: renderHistoryMarkdown }[options.format];
    io.stdout.write(render(report));
    const newest = report.runs.find((run) => run.outcome === "succeeded" || run.outcome === "failed");
    setExit(newest?.outcome === "failed" ? EXIT.FAILURE : EXIT.OK);
  });
}

/** Inside Actions: the workflow that is running, when it is of this repository. */
function workflowFromEnv(env: Record<string, string | undefined>, repository: string): string | null {
  const ref = env["GITHUB_WORKFLOW_REF"];
  if (!ref || !ref.toLowerCase().startsWith(`${repository.toLowerCase()}/`)) return null;
  return ref.slice(repository.length + 1).replace(/@.*$/, "") || null;
}

/** `Reading runs [########------------] 8/20` on a terminal's stderr, redrawn in place; nothing elsewhere. */
class ProgressBar {
  private readonly on: boolean;
  private drawn = false;

  constructor(
    private readonly io: CliIO,
    private readonly quiet: boolean,
  ) {
    this.on = !quiet && io.stderr.isTTY === true;
  }

  update(done: number, total: number): void {
    if (!this.on || total === 0) return;
    const width = 20;
    const full = Math.round((done / total) * width);
    this.io.stderr.write(`\r\x1b[2KReading runs [${"#".repeat(full)}${"-".repeat(width - full)}] ${done}/${total}`);
    this.drawn = true;
  }

  /** A retry or a skipped run: one line, whether or not stderr is a terminal (unless --quiet). */
  line(text: string): void {
    if (this.quiet) return;
    this.clear();
    this.io.stderr.write(`kamal-doctor: ${text}\n`);
  }

  done(): void {
    this.clear();
  }

  private clear(): void {
    if (this.drawn) this.io.stderr.write("\r\x1b[2K");
    this.drawn = false;
  }
}
