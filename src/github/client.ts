// The GitHub client: Octokit with retries (transient 5xx, network errors) and throttling
// (primary and secondary rate limits), a token from GITHUB_TOKEN or GH_TOKEN, and errors turned
// into one clear line (GitHubError) that names the token's variable, never its value.
// Loaded only by the commands that talk to GitHub (`run`, `annotate`), with a dynamic import().

import { Octokit } from "@octokit/rest";
import { retry } from "@octokit/plugin-retry";
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
  /** Retries of transient failures (5xx, network). Default 3. */
  retries?: number;
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

const RetryingOctokit = Octokit.plugin(retry, throttling);
const SILENT = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const apiUrl = (options.baseUrl ?? GITHUB_API).replace(/\/+$/, "");
  const webUrl = (options.webUrl ?? webFromApi(apiUrl)).replace(/\/+$/, "");
  const unit = options.retryUnitMs ?? 1000;
  const maxWait = options.maxRateLimitWait ?? 60;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const tokenSource = options.token?.source ?? null;

  const octokit: Octokit = new RetryingOctokit({
    ...(options.token ? { auth: options.token.token } : {}),
    baseUrl: apiUrl,
    userAgent: options.userAgent ?? "kamal-doctor",
    log: SILENT,
    request: { fetch: withHeaderTimeout(timeoutMs) },
    retry: { retries: options.retries ?? 3, retryAfterBaseValue: unit },
    throttle: {
      retryAfterBaseValue: unit,
      fallbackSecondaryRateRetryAfter: 60,
      onRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < 1 && retryAfter <= maxWait,
      onSecondaryRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < 2 && retryAfter <= maxWait,
    },
  });

  const call = async <T>(what: string, fn: (o: Octokit) => Promise<T>, context: { permission?: string } = {}): Promise<T> => {
    try {
      return await fn(octokit);
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
    return fetchSigned(what, new URL(location, apiUrl).href, { unit, retries: options.retries ?? 3, timeoutMs });
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

class HeaderTimeout extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${Math.round(ms / 1000)}s`);
    this.name = "HeaderTimeout";
  }
}

/**
 * The same response, whose body fails when no byte arrives for `ms`: a download that stalls
 * half-way would otherwise hang for minutes (undici's own body timeout is five).
 */
function withStallTimeout(response: Response, ms: number): Response {
  if (!response.body) return response;
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no data for ${Math.round(ms / 1000)}s`)), ms);
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

/** GET a signed download URL: no Authorization header (it belongs to the API host only); 5xx retried. */
async function fetchSigned(what: string, url: string, o: { unit: number; retries: number; timeoutMs: number }): Promise<Response> {
  const get = withHeaderTimeout(o.timeoutMs);
  const host = new URL(url).host;
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await get(url, { redirect: "follow", headers: { "user-agent": "kamal-doctor" } });
    } catch (error) {
      if (attempt < o.retries) {
        await sleep((attempt + 1) ** 2 * o.unit);
        continue;
      }
      throw new GitHubError(`${what}: cannot download from ${host}: ${networkReason(error)}`, "network");
    }
    if (response.ok) return withStallTimeout(response, o.timeoutMs);
    await cancelBody(response.body);
    if (response.status >= 500 && attempt < o.retries) {
      await sleep((attempt + 1) ** 2 * o.unit);
      continue;
    }
    if (response.status === 403 || response.status === 410) {
      throw new GitHubError(`${what}: the download link from GitHub was refused or expired (HTTP ${response.status} from ${host}); try again`, "gone", response.status);
    }
    throw new GitHubError(`${what}: download failed (HTTP ${response.status} from ${host})`, response.status >= 500 ? "server" : "invalid", response.status);
  }
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
  const e = (error ?? {}) as RequestErrorLike;
  const status = typeof e.status === "number" ? e.status : null;
  const headers = e.response?.headers ?? {};
  const apiMessage = messageOf(e.response?.data) ?? "";
  const token = context.tokenSource
    ? `the token in ${context.tokenSource}`
    : "no token (set GITHUB_TOKEN or GH_TOKEN)";

  if (status === null || (status === 500 && !e.response)) return new GitHubError(`${what}: cannot reach ${context.apiUrl}: ${networkReason(error)}`, "network");
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
  if (status >= 500) return new GitHubError(`${what}: GitHub answered ${status} (server error) after retries; try again later`, "server", status);
  return new GitHubError(`${what}: GitHub answered ${status}${apiMessage ? `: ${apiMessage}` : ""}`, "invalid", status);
}

function messageOf(data: unknown): string | null {
  if (data && typeof data === "object" && "message" in data && typeof (data as { message: unknown }).message === "string") {
    return (data as { message: string }).message;
  }
  return null;
}

function networkReason(error: unknown): string {
  if (error instanceof HeaderTimeout) return `timed out (${error.message})`;
  const e = error as { cause?: unknown; message?: string; code?: string };
  const cause = e?.cause as { code?: string; message?: string; cause?: unknown } | undefined;
  if (cause instanceof HeaderTimeout) return `timed out (${cause.message})`;
  const code = cause?.code ?? e?.code ?? (cause?.cause as { code?: string } | undefined)?.code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "host not found";
  if (code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT" || code === "UND_ERR_HEADERS_TIMEOUT") return "timed out";
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") return "connection reset";
  return cause?.message ?? e?.message ?? String(error);
}
