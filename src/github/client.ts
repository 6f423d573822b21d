// The GitHub client: Octokit with retries (transient 5xx, network errors, no answer in time) and
// throttling (primary and secondary rate limits), a token from GITHUB_TOKEN or GH_TOKEN, and errors
// turned into one clear line (GitHubError) that names the token's variable, never its value. Every
// retry is reported (one line each, through `onRetry`), and the final error says how many tries
// it took and how long, so the time spent and the message agree.
// Loaded only by the commands that talk to GitHub (`run`, `annotate`), with a dynamic import().

import { Octokit } from "@octokit/rest";
import { throttling } from "@octokit/plugin-throttling";
import { GitHubError, type GitHubErrorKind } from "./errors.js";
import { GITHUB_API, webFromApi } from "./target.js";

export { GitHubError, type GitHubErrorKind };

export interface TokenInfo {
  token: string;
  /** The environment variable it came from, for messages ("GITHUB_TOKEN"). */
  source: string;
}

/** GITHUB_TOKEN, else GH_TOKEN (the gh CLI's name). Empty values count as unset. */
export function tokenFromEnv(env: Record<string, string | undefined>): TokenInfo | null {
  for (const source of ["GITHUB_TOKEN", "GH_TOKEN"]) {
    const token = env[source]?.trim();
    if (token) return { token, source };
  }
  return null;
}

export interface GitHubClientOptions {
  /** Null for anonymous requests (public repositories only, 60 requests an hour). */
  token: TokenInfo | null;
  /** API base: https://api.github.com (default) or https://HOST/api/v3. */
  baseUrl?: string;
  /** Web base for links; derived from baseUrl when absent. */
  webUrl?: string;
  userAgent?: string;
  /** Milliseconds one "second" of retry backoff lasts (tests make it 1). Default 1000. */
  retryUnitMs?: number;
  /** Retries of transient failures (5xx, network, no answer in time). Default 3. */
  retries?: number;
  /** Told about every retry, before its wait: one line ("run 42 of acme/shop: connection refused; retry 1 of 3 in 1s"). */
  onRetry?: (line: string) => void;
  /** Longest rate-limit wait (seconds) worth sleeping through before giving up. Default 60. */
  maxRateLimitWait?: number;
  /** Time to wait for response headers of one request, and for the next data of a download, in ms. Default 30 000. */
  timeoutMs?: number;
}

export interface GitHubClient {
  readonly octokit: Octokit;
  readonly apiUrl: string;
  readonly webUrl: string;
  /** Where the token came from ("GITHUB_TOKEN", "GH_TOKEN"), or null without one. */
  readonly tokenSource: string | null;
  /**
   * Runs one API call and turns a failure into a GitHubError: `what` names the thing
   * ("run 123 of acme/shop"), `permission` the token permission it needs ("actions: read").
   */
  call<T>(what: string, fn: (octokit: Octokit) => Promise<T>, context?: { permission?: string }): Promise<T>;
  /**
   * GETs a download route that answers 302 to a signed URL on another host, then fetches that
   * URL without the Authorization header, returning the streaming response (status 200).
   */
  download(what: string, route: string, params: Record<string, unknown>, context?: { permission?: string }): Promise<Response>;
}

const ThrottledOctokit = Octokit.plugin(throttling);
const SILENT = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const apiUrl = (options.baseUrl ?? GITHUB_API).replace(/\/+$/, "");
  const webUrl = (options.webUrl ?? webFromApi(apiUrl)).replace(/\/+$/, "");
  const unit = options.retryUnitMs ?? 1000;
  const maxWait = options.maxRateLimitWait ?? 60;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const tokenSource = options.token?.source ?? null;
  const policy: RetryPolicy = { retries: options.retries ?? 3, unit, onRetry: options.onRetry ?? (() => {}) };
  const waitLine = (kind: string, retryAfter: number, retryCount: number, most: number) =>
    policy.onRetry(`GitHub's ${kind} rate limit: retry ${retryCount + 1} of ${most} in ${duration(retryAfter * unit)}`);

  const octokit: Octokit = new ThrottledOctokit({
    ...(options.token ? { auth: options.token.token } : {}),
    baseUrl: apiUrl,
    userAgent: options.userAgent ?? "kamal-doctor",
    log: SILENT,
    request: { fetch: withHeaderTimeout(timeoutMs) },
    throttle: {
      retryAfterBaseValue: unit,
      fallbackSecondaryRateRetryAfter: 60,
      onRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => {
        const again = retryCount < 1 && retryAfter <= maxWait;
        if (again) waitLine("primary", retryAfter, retryCount, 1);
        return again;
      },
      onSecondaryRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => {
        const again = retryCount < 2 && retryAfter <= maxWait;
        if (again) waitLine("secondary", retryAfter, retryCount, 2);
        return again;
      },
    },
  });
  // A success that is not JSON (an HTML login page of a proxy, a captive portal) is not the API.
  octokit.hook.after("request", (response, request) => {
    const parsed = (request.request as { parseSuccessResponseBody?: boolean } | undefined)?.parseSuccessResponseBody !== false;
    if (parsed && response.status >= 200 && response.status < 300 && response.status !== 204 && response.status !== 205) {
      if (response.data === null || typeof response.data !== "object" || response.data instanceof ArrayBuffer) {
        throw new NotTheApi(response.status, response.headers["content-type"] ?? null);
      }
    }
  });

  const call = async <T>(what: string, fn: (o: Octokit) => Promise<T>, context: { permission?: string } = {}): Promise<T> => {
    try {
      return await retrying(what, policy, () => fn(octokit), apiTransient);
    } catch (error) {
      throw toGitHubError(error, what, { tokenSource, apiUrl, permission: context.permission ?? "actions: read" });
    }
  };

  const download = async (what: string, route: string, params: Record<string, unknown>, context: { permission?: string } = {}): Promise<Response> => {
    const first = await call(
      what,
      (o) => o.request(route, { ...params, request: { redirect: "manual", parseSuccessResponseBody: false } }) as Promise<{ status: number; headers: Record<string, string | undefined>; data: unknown }>,
      context,
    );
    if (first.status === 200 && first.data instanceof ReadableStream) {
      // Some servers answer with the file itself.
      return new Response(first.data, { status: 200, headers: cleanHeaders(first.headers) });
    }
    await cancelBody(first.data);
    const location = first.headers["location"];
    if (first.status < 300 || first.status >= 400 || !location) {
      throw new GitHubError(`${what}: unexpected answer from ${apiUrl} (HTTP ${first.status} without a download location)`, "invalid", first.status);
    }
    return fetchSigned(what, new URL(location, apiUrl).href, { policy, timeoutMs });
  };

  return { octokit, apiUrl, webUrl, tokenSource, call, download };
}

/** A fetch that gives up when no response headers arrive in time (the body may take longer). */
function withHeaderTimeout(timeoutMs: number): typeof fetch {
  return async (input, init = {}) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new HeaderTimeout(timeoutMs)), timeoutMs);
    const outer = init.signal;
    outer?.addEventListener("abort", () => controller.abort(outer.reason), { once: true });
    try {
      return await fetch(input, { ...init, signal: controller.signal });
    } catch (error) {
      if (controller.signal.reason instanceof HeaderTimeout) throw controller.signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };
}

/** A 2xx answer whose body is not the JSON the API sends. */
class NotTheApi extends Error {
  constructor(
    readonly status: number,
    readonly contentType: string | null,
  ) {
    super(`HTTP ${status} with ${contentType ? `content-type ${contentType.split(";")[0]}` : "no content-type"}, not JSON`);
    this.name = "NotTheApi";
  }
}

interface RetryPolicy {
  retries: number;
  /** Milliseconds of one backoff "second": waits are 1, 4, 9 … units. */
  unit: number;
  onRetry: (line: string) => void;
}

/** How many tries an error that was given up on took, and over how long. */
const gaveUp = new WeakMap<object, { tries: number; ms: number }>();

/**
 * Runs `once` until it succeeds, fails for good (`transient` says null) or the retries are spent;
 * each retry is reported first. The error given up on remembers its tries for the final message.
 */
async function retrying<T>(label: string, policy: RetryPolicy, once: () => Promise<T>, transient: (error: unknown) => string | null): Promise<T> {
  const started = Date.now();
  for (let retry = 0; ; retry++) {
    try {
      return await once();
    } catch (error) {
      const reason = transient(error);
      if (reason === null) throw error;
      if (retry >= policy.retries) {
        if (error !== null && typeof error === "object") gaveUp.set(error, { tries: retry + 1, ms: Date.now() - started });
        throw error;
      }
      const wait = (retry + 1) ** 2 * policy.unit;
      policy.onRetry(`${label}: ${reason}; retry ${retry + 1} of ${policy.retries} in ${duration(wait)}`);
      await sleep(wait);
    }
  }
}

/** Why an API call is worth another try (no answer, a network error, a 5xx), or null. */
function apiTransient(error: unknown): string | null {
  if (error instanceof NotTheApi) return null;
  const e = (error ?? {}) as RequestErrorLike;
  const status = typeof e.status === "number" ? e.status : null;
  if (status === null || (status === 500 && !e.response)) return networkReason(error);
  if (status >= 500) return `GitHub answered ${status}`;
  return null;
}

/** ", gave up after 4 tries in 14s" for an error retried to the end; "" otherwise. */
function triesNote(error: unknown): string {
  const spent = error !== null && typeof error === "object" ? gaveUp.get(error) : undefined;
  return spent && spent.tries > 1 ? `; gave up after ${spent.tries} tries in ${duration(spent.ms)}` : "";
}

/** 250ms, 14s, 2m14s. */
function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
}

class HeaderTimeout extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${duration(ms)}`);
    this.name = "HeaderTimeout";
  }
}

/**
 * The same response, whose body fails when no byte arrives for `ms`: a download that stalls
 * half-way would otherwise hang for minutes (undici's own body timeout is five).
 */
function withStallTimeout(response: Response, ms: number): Response {
  if (!response.body) return response;
  const reader = response.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no data for ${duration(ms)}`)), ms);
      });
      try {
        const next = await Promise.race([reader.read(), stalled]);
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (error) {
        await reader.cancel().catch(() => {});
        controller.error(error);
      } finally {
        clearTimeout(timer);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** A 5xx answer of the download host, thrown so that it is retried like a network error. */
class DownloadStatus extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/**
 * GET a signed download URL: no Authorization header (it belongs to the API host only); network
 * errors and 5xx retried. Messages name the host only: the URL's query is a credential.
 */
async function fetchSigned(what: string, url: string, o: { policy: RetryPolicy; timeoutMs: number }): Promise<Response> {
  const get = withHeaderTimeout(o.timeoutMs);
  const host = new URL(url).host;
  let response: Response;
  try {
    response = await retrying(`${what}: download from ${host}`, o.policy, async () => {
      const answer = await get(url, { redirect: "follow", headers: { "user-agent": "kamal-doctor" } });
      if (answer.status >= 500) {
        await cancelBody(answer.body);
        throw new DownloadStatus(answer.status);
      }
      return answer;
    }, (error) => (error instanceof DownloadStatus ? error.message : networkReason(error)));
  } catch (error) {
    if (error instanceof DownloadStatus) throw new GitHubError(`${what}: download failed (HTTP ${error.status} from ${host})${triesNote(error)}`, "server", error.status);
    throw new GitHubError(`${what}: cannot download from ${host}: ${networkReason(error)}${triesNote(error)}`, "network");
  }
  if (response.ok) return withStallTimeout(response, o.timeoutMs);
  await cancelBody(response.body);
  if (response.status === 403 || response.status === 410) {
    throw new GitHubError(`${what}: the download link from GitHub was refused or expired (HTTP ${response.status} from ${host}); try again`, "gone", response.status);
  }
  throw new GitHubError(`${what}: download failed (HTTP ${response.status} from ${host})`, "invalid", response.status);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function cancelBody(body: unknown): Promise<void> {
  if (body instanceof ReadableStream) await body.cancel().catch(() => {});
}

function cleanHeaders(headers: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

interface ErrorContext {
  tokenSource: string | null;
  apiUrl: string;
  permission: string;
}

interface RequestErrorLike {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | undefined>; data?: unknown };
}

/** One line a person can act on, for any failure of an Octokit call. */
export function toGitHubError(error: unknown, what: string, context: ErrorContext): GitHubError {
  if (error instanceof GitHubError) return error;
  if (error instanceof NotTheApi) {
    return new GitHubError(`${what}: ${context.apiUrl} answered something that is not the GitHub API (${error.message}); check --api-url or GITHUB_API_URL, and any proxy in between`, "invalid", error.status);
  }
  const e = (error ?? {}) as RequestErrorLike;
  const status = typeof e.status === "number" ? e.status : null;
  const headers = e.response?.headers ?? {};
  const apiMessage = messageOf(e.response?.data) ?? "";
  const token = context.tokenSource
    ? `the token in ${context.tokenSource}`
    : "no token (set GITHUB_TOKEN or GH_TOKEN)";

  if (status === null || (status === 500 && !e.response)) return new GitHubError(`${what}: cannot reach ${context.apiUrl}: ${networkReason(error)}${triesNote(error)}`, "network");
  if (status === 401) {
    return new GitHubError(
      context.tokenSource
        ? `${what}: GitHub refused ${token} (401 Bad credentials): it is invalid or expired`
        : `${what}: GitHub requires authentication (401): set GITHUB_TOKEN or GH_TOKEN`,
      "auth",
      status,
    );
  }
  if (status === 403 || status === 429) {
    if (headers["x-ratelimit-remaining"] === "0") {
      const reset = Number(headers["x-ratelimit-reset"]);
      const when = Number.isFinite(reset) && reset > 0 ? ` (resets at ${new Date(reset * 1000).toISOString().replace(/\.\d{3}Z$/, "Z")})` : "";
      return new GitHubError(`${what}: GitHub API rate limit exceeded for ${token}${when}`, "rate-limit", status);
    }
    if (/secondary rate limit|abuse/i.test(apiMessage) || status === 429) {
      const after = headers["retry-after"] ? ` (retry after ${headers["retry-after"]}s)` : "";
      return new GitHubError(`${what}: GitHub secondary rate limit hit${after}; wait a minute and try again`, "rate-limit", status);
    }
    return new GitHubError(
      `${what}: forbidden (403) with ${token}: it needs the \`${context.permission}\` permission (classic tokens: \`repo\` scope for private repositories)${apiMessage ? ` — GitHub says: ${apiMessage}` : ""}`,
      "permission",
      status,
    );
  }
  if (status === 404) {
    return new GitHubError(
      `${what}: not found (404) — check the id and repository, and that ${token} can read it${context.tokenSource ? "" : ""}`,
      "not-found",
      status,
    );
  }
  if (status === 410) return new GitHubError(`${what}: the logs have expired or were deleted (410 Gone; GitHub keeps logs 90 days by default)`, "gone", status);
  if (status >= 500) return new GitHubError(`${what}: GitHub answered ${status} (server error)${triesNote(error)}; try again later`, "server", status);
  return new GitHubError(`${what}: GitHub answered ${status}${apiMessage ? `: ${apiMessage}` : ""}`, "invalid", status);
}

function messageOf(data: unknown): string | null {
  if (data && typeof data === "object" && "message" in data && typeof data.message === "string") {
    return (data as { message: string }).message;
  }
  return null;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  ETIMEDOUT: "timed out connecting",
  UND_ERR_CONNECT_TIMEOUT: "timed out connecting",
  UND_ERR_HEADERS_TIMEOUT: "no answer in time",
  ECONNRESET: "connection reset",
  UND_ERR_SOCKET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EPIPE: "connection closed",
  ECONNABORTED: "connection aborted",
};

/**
 * Words for a failure to get an answer, from the deepest cause that says something: fetch wraps
 * everything in "fetch failed", and a host with several addresses fails with an AggregateError.
 */
function networkReason(error: unknown): string {
  const chain: Array<{ code?: unknown; message?: unknown; cause?: unknown; errors?: unknown }> = [];
  for (let e = error as (typeof chain)[number] | undefined, depth = 0; e && typeof e === "object" && depth < 6; depth++) {
    chain.push(e);
    e = (e.cause ?? (Array.isArray(e.errors) ? e.errors[0] : undefined)) as (typeof chain)[number] | undefined;
  }
  const timeout = chain.find((e) => e instanceof HeaderTimeout);
  if (timeout) return timeout.message;
  for (const e of chain) {
    const reason = typeof e.code === "string" ? NETWORK_REASONS[e.code] : undefined;
    if (reason) return reason;
  }
  const code = chain.map((e) => e.code).find((c): c is string => typeof c === "string");
  const words = chain
    .map((e) => (typeof e.message === "string" ? e.message : ""))
    .reverse()
    .find((m) => m !== "" && m !== "fetch failed");
  return words ?? code ?? String(error);
}
