// What `run` and `annotate` share: the options that say which run to read, and turning them
// into a resolved target and a client (Octokit loaded here, on demand, never for a local log).

import { InvalidArgumentError, type Command } from "commander";
import type * as GitHubModule from "../github/index.js";
import { VERSION } from "../version.js";
import { CliError, EXIT, type CliIO } from "./io.js";

export interface TargetOptions {
  repo?: string;
  attempt?: number;
  apiUrl?: string;
}

export function addTargetOptions(command: Command): Command {
  return command
    .option("--repo <owner/name>", "repository (default: from the URL, GITHUB_REPOSITORY, or the origin git remote)")
    .option("--attempt <n>", "run attempt (default: the latest)", positiveInt)
    .option("--api-url <url>", "API base (default: GITHUB_API_URL or https://api.github.com)");
}

/**
 * Resolves what to read and builds the client. A target that cannot be resolved is a usage error.
 * Each retry of a request is one line on stderr (whether or not it is a terminal), unless `onRetry` says otherwise.
 */
export async function connect(
  arg: string,
  options: TargetOptions,
  io: CliIO,
  { requireToken = false, onRetry = (line: string) => io.stderr.write(`kamal-doctor: ${line}\n`) }: { requireToken?: boolean; onRetry?: (line: string) => void } = {},
) {
  const adapter = await import("../github/index.js");
  const gh = io.runs ? io.runs.share(adapter) : adapter;
  const target = await gh.resolveTarget(arg, { repo: options.repo ?? null, attempt: options.attempt ?? null, apiUrl: options.apiUrl ?? null, env: io.env, cwd: io.cwd });
  const token = gh.tokenFromEnv(io.env);
  if (requireToken && !token) throw new CliError("annotate: set GITHUB_TOKEN (or GH_TOKEN) to post to GitHub, or use --dry-run", EXIT.USAGE);
  const client = clientFor(gh, target, io, onRetry);
  return { gh, target, client };
}

/** The client for a resolved target: the token from the environment, retries told to `onRetry`. */
export function clientFor(gh: typeof GitHubModule, target: { apiUrl: string; webUrl: string }, io: CliIO, onRetry: (line: string) => void) {
  // A documented knob for tests and impatient users: the backoff unit of retries, in ms.
  const unit = io.env["KAMAL_DOCTOR_RETRY_UNIT_MS"];
  const retryUnit = unit ? Number(unit) : NaN;
  return gh.createGitHubClient({
    token: gh.tokenFromEnv(io.env),
    baseUrl: target.apiUrl,
    webUrl: target.webUrl,
    userAgent: `kamal-doctor/${VERSION}`,
    onRetry,
    ...(Number.isFinite(retryUnit) && retryUnit >= 0 ? { retryUnitMs: retryUnit } : {}),
  });
}

export function positiveInt(value: string): number {
  if (!/^[1-9]\d{0,6}$/.test(value)) throw new InvalidArgumentError("expected a positive whole number");
  return Number(value);
}
