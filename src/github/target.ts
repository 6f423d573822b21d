// What `kamal-doctor run|annotate <arg>` points at: a run id, or a run/attempt/job URL on
// github.com or a GitHub Enterprise Server host, plus the repository (from the URL, --repo,
// GITHUB_REPOSITORY or the `origin` git remote) and the API base to ask.

import { execFile } from "node:child_process";
import { TargetError } from "./errors.js";

export const GITHUB_API = "https://api.github.com";
export const GITHUB_WEB = "https://github.com";

export { TargetError };

export interface RunTarget {
  owner: string;
  repo: string;
  /** Null when only a job was named (a check-run URL `/OWNER/REPO/runs/JOB`): read from the job. */
  runId: number | null;
  /** The attempt the URL or `--attempt` named; null means the latest. */
  attempt: number | null;
  /** A job the URL named (`…/job/JOB`). */
  jobId: number | null;
  /** The job number came from an old `…/runs/RUN/jobs/N` URL: match it against each job's html_url. */
  legacyJobUrl: boolean;
  /** API base without a trailing slash, e.g. https://api.github.com or https://HOST/api/v3. */
  apiUrl: string;
  /** Web base for links, e.g. https://github.com or https://HOST. */
  webUrl: string;
}

/** What the argument alone says. */
export interface ParsedTarget {
  owner: string | null;
  repo: string | null;
  runId: number | null;
  attempt: number | null;
  jobId: number | null;
  legacyJobUrl: boolean;
  /** The origin of a web URL (https://github.com, https://ghe.example.com), or null for an id. */
  webOrigin: string | null;
  /** An API base the argument implies (API URLs, or a GHES web URL). */
  apiUrl: string | null;
}

const ID = /^[1-9]\d{0,18}$/;
const NAME = /^[A-Za-z0-9_.-]+$/;

/** Parses `123`, a run/attempt/job web URL, a check-run URL or an API URL. */
export function parseTargetArg(arg: string): ParsedTarget {
  const text = arg.trim();
  const empty: ParsedTarget = { owner: null, repo: null, runId: null, attempt: null, jobId: null, legacyJobUrl: false, webOrigin: null, apiUrl: null };
  if (ID.test(text)) return { ...empty, runId: Number(text) };
  let url: URL;
  try {
    // `github.com/OWNER/REPO/actions/runs/1`, copied without its scheme.
    url = new URL(/^[\w-]+(?:\.[\w-]+)+(?::\d+)?\//.test(text) ? `https://${text}` : text);
  } catch {
    throw new TargetError(`not a run id or a GitHub Actions URL: ${arg}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new TargetError(`not a run id or a GitHub Actions URL: ${arg}`);
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const bad = () => new TargetError(`not a GitHub Actions run or job URL: ${arg} (expected …/OWNER/REPO/actions/runs/RUN_ID[/job/JOB_ID])`);

  // API URLs: https://api.github.com/repos/O/R/actions/runs/1 or https://HOST/api/v3/repos/O/R/…
  const reposAt = parts.indexOf("repos");
  if (reposAt >= 0 && (url.hostname.startsWith("api.") || parts[0] === "api")) {
    const prefix = parts.slice(0, reposAt).map(encodeURIComponent).join("/");
    const apiUrl = `${url.origin}${prefix ? `/${prefix}` : ""}`;
    const parsed = parseActionsPath(parts.slice(reposAt + 1), true);
    if (!parsed) throw bad();
    return { ...parsed, webOrigin: webFromApi(apiUrl), apiUrl };
  }
  const parsed = parseActionsPath(parts, false) ?? parseChecksPath(parts, url.searchParams);
  if (!parsed) throw bad();
  const web = url.origin;
  return { ...parsed, webOrigin: web, apiUrl: apiFromWeb(web) };
}

function parseActionsPath(parts: string[], api: boolean): Omit<ParsedTarget, "webOrigin" | "apiUrl"> | null {
  const [owner, repo, section, ...rest] = parts;
  if (!owner || !repo || !NAME.test(owner) || !NAME.test(repo)) return null;
  const result = { owner, repo, runId: null as number | null, attempt: null as number | null, jobId: null as number | null, legacyJobUrl: false };
  const id = (value: string | undefined) => (value !== undefined && ID.test(value) ? Number(value) : null);
  if (section === "runs" && !api) {
    // A check-run URL: the check run id is the job id.
    result.jobId = id(rest[0]);
    return result.jobId === null ? null : result;
  }
  if (section !== "actions") return null;
  if (rest[0] === "jobs" && api) {
    result.jobId = id(rest[1]);
    return result.jobId === null ? null : result;
  }
  if (rest[0] !== "runs") return null;
  result.runId = id(rest[1]);
  if (result.runId === null) return null;
  for (let i = 2; i < rest.length; i += 2) {
    const key = rest[i];
    const value = id(rest[i + 1]);
    if (key === "attempts" && value !== null) result.attempt = value;
    else if (key === "job" && value !== null) result.jobId = value;
    else if (key === "jobs" && value !== null) {
      result.jobId = value;
      result.legacyJobUrl = !api;
    } else if (key === "logs" || key === undefined) break;
    else return null;
  }
  return result;
}

/**
 * A pull request's or a commit's Checks tab: `…/pull/7/checks?check_run_id=JOB` or
 * `…/commit/SHA/checks/JOB[/logs]`. For a job of GitHub Actions the check run id is the job id.
 */
function parseChecksPath(parts: string[], query: URLSearchParams): Omit<ParsedTarget, "webOrigin" | "apiUrl"> | null {
  const [owner, repo, section, , tab, checkRun] = parts;
  if (!owner || !repo || !NAME.test(owner) || !NAME.test(repo) || tab !== "checks") return null;
  const value = section === "pull" ? query.get("check_run_id") : section === "commit" ? checkRun : undefined;
  if (value === undefined || value === null || !ID.test(value)) return null;
  return { owner, repo, runId: null, attempt: null, jobId: Number(value), legacyJobUrl: false };
}

/** https://github.com → https://api.github.com; https://HOST → https://HOST/api/v3 (GHES). */
export function apiFromWeb(web: string): string {
  const origin = new URL(web).origin;
  if (origin === GITHUB_WEB || origin === "https://www.github.com") return GITHUB_API;
  return `${origin}/api/v3`;
}

/** https://api.github.com → https://github.com; https://HOST/api/v3 → https://HOST. */
export function webFromApi(api: string): string {
  const url = new URL(api);
  if (url.hostname === "api.github.com") return GITHUB_WEB;
  if (url.hostname.startsWith("api.") && !/\/api\/v3\/?$/.test(url.pathname)) return `${url.protocol}//${url.host.slice(4)}`;
  return url.origin;
}

/** `OWNER/NAME` from a remote URL: https, ssh (`git@host:o/r.git`, `ssh://git@host:22/o/r`), git://. */
export function parseRemote(remote: string): { host: string; owner: string; repo: string } | null {
  const text = remote.trim();
  let host: string;
  let path: string;
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.+)$/.exec(text);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return null;
    }
    host = url.hostname;
    path = url.pathname;
  } else if (scp) {
    host = scp[1] as string;
    path = scp[2] as string;
  } else {
    return null;
  }
  const parts = path.replace(/\/+$/, "").replace(/\.git$/, "").split("/").filter(Boolean);
  if (parts.length < 2) return null;
  const owner = parts[parts.length - 2] as string;
  const repo = parts[parts.length - 1] as string;
  if (!NAME.test(owner) || !NAME.test(repo)) return null;
  return { host, owner, repo };
}

/** The `origin` remote of the git repository at (or above) cwd, or null (no git, no repo, no origin). */
export function originRemote(cwd: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile("git", ["config", "--get", "remote.origin.url"], { cwd, timeout: 5000, windowsHide: true }, (error, stdout) => {
      resolve(error ? null : stdout.trim() || null);
    });
  });
}

export interface ResolveOptions {
  /** `--repo OWNER/NAME`. */
  repo?: string | null;
  /** `--attempt N`. */
  attempt?: number | null;
  /** `--api-url`. */
  apiUrl?: string | null;
  env: Record<string, string | undefined>;
  cwd: string;
}

function splitRepo(value: string, from: string): { owner: string; repo: string } {
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?$/.exec(value.trim());
  if (!match) throw new TargetError(`${from}: expected OWNER/NAME, got "${value}"`);
  return { owner: match[1] as string, repo: match[2] as string };
}

/** A repository and the API to ask about it. */
export interface RepoTarget {
  owner: string;
  repo: string;
  apiUrl: string;
  webUrl: string;
}

/**
 * The repository and API base without a run: `repo` (OWNER/NAME, named `repoFrom` in messages),
 * else GITHUB_REPOSITORY, else the `origin` git remote. API base: `apiUrl`, else GITHUB_API_URL,
 * else https://api.github.com; web base: `webOrigin`, else GITHUB_SERVER_URL (unless an API base
 * was given), else derived from the API base.
 */
export async function resolveRepository(options: ResolveOptions & { webOrigin?: string | null; repoFrom?: string }): Promise<RepoTarget> {
  let found: { owner: string; repo: string } | null;
  if (options.repo) found = splitRepo(options.repo, options.repoFrom ?? "--repo");
  else if (options.env["GITHUB_REPOSITORY"]) found = splitRepo(options.env["GITHUB_REPOSITORY"], "GITHUB_REPOSITORY");
  else {
    const remote = await originRemote(options.cwd);
    found = remote ? parseRemote(remote) : null;
  }
  if (!found) throw new TargetError(`which repository? give ${options.repoFrom === undefined ? "a run URL, --repo OWNER/NAME" : options.repoFrom}, or set GITHUB_REPOSITORY (no usable \`origin\` git remote here)`);
  let apiUrl = options.apiUrl ?? options.env["GITHUB_API_URL"] ?? GITHUB_API;
  try {
    apiUrl = new URL(apiUrl).href.replace(/\/+$/, "");
  } catch {
    throw new TargetError(`not a valid API URL: ${apiUrl}`);
  }
  const webUrl = options.webOrigin ?? (options.apiUrl || !options.env["GITHUB_SERVER_URL"] ? webFromApi(apiUrl) : options.env["GITHUB_SERVER_URL"].replace(/\/+$/, ""));
  return { owner: found.owner, repo: found.repo, apiUrl, webUrl };
}

/**
 * Resolves the argument of `run`/`annotate` into a full target. Repository: the URL, else
 * `--repo`, else GITHUB_REPOSITORY, else the `origin` git remote. API base: `--api-url`, else
 * the host of a URL argument, else GITHUB_API_URL, else https://api.github.com.
 */
export async function resolveTarget(arg: string, options: ResolveOptions): Promise<RunTarget> {
  const parsed = parseTargetArg(arg);
  if (parsed.owner && parsed.repo && options.repo) {
    const flag = splitRepo(options.repo, "--repo");
    if (flag.owner.toLowerCase() !== parsed.owner.toLowerCase() || flag.repo.toLowerCase() !== parsed.repo.toLowerCase()) {
      throw new TargetError(`--repo ${options.repo} does not match the URL's repository ${parsed.owner}/${parsed.repo}`);
    }
  }
  const where = await resolveRepository({
    ...options,
    repo: parsed.owner && parsed.repo ? `${parsed.owner}/${parsed.repo}` : options.repo ?? null,
    apiUrl: options.apiUrl ?? parsed.apiUrl,
    webOrigin: parsed.webOrigin,
  });
  const attempt = options.attempt ?? parsed.attempt;
  if (options.attempt != null && parsed.attempt !== null && options.attempt !== parsed.attempt) {
    throw new TargetError(`--attempt ${options.attempt} does not match the URL's attempt ${parsed.attempt}`);
  }
  return { ...where, runId: parsed.runId, attempt, jobId: parsed.jobId, legacyJobUrl: parsed.legacyJobUrl };
}
