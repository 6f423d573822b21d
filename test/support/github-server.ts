// A real HTTP server on 127.0.0.1 that tests program with GitHub's REST shapes: an "api" origin
// (the API base) and a second "blob" origin (another port) standing in for the signed log-download
// host. Routes are registered per test; every request is recorded with its origin and headers.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Handler = (req: IncomingMessage & { body: string }, res: ServerResponse, match: RegExpMatchArray | null) => void | Promise<void>;

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  origin: "api" | "blob";
}

export interface GitHubServer {
  /** API base, e.g. http://127.0.0.1:PORT */
  url: string;
  /** A second origin (another port) for signed log URLs. */
  blobUrl: string;
  route(method: string, path: string | RegExp, handler: Handler): void;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

interface Route {
  method: string;
  path: string | RegExp;
  handler: Handler;
}

export async function startGitHubServer(): Promise<GitHubServer> {
  const routes: Route[] = [];
  // A workflow with no earlier runs unless a test says otherwise: `run` and `annotate` look back.
  routes.push({
    method: "GET",
    path: /^\/repos\/[^/]+\/[^/]+\/actions\/workflows\/[^/]+\/runs(?:\?|$)/,
    handler: (_req, res) => sendJson(res, 200, { total_count: 0, workflow_runs: [] }),
  });
  const requests: RecordedRequest[] = [];

  const listener = (origin: "api" | "blob") => async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    requests.push({ method, path, headers: req.headers, body, origin });
    const pathname = path.split("?")[0] ?? path;
    // Later routes win, so a test can override a default registered earlier.
    for (let i = routes.length - 1; i >= 0; i--) {
      const route = routes[i] as Route;
      if (route.method !== method) continue;
      let match: RegExpMatchArray | null = null;
      if (typeof route.path === "string") {
        if (route.path !== pathname && route.path !== path) continue;
      } else {
        match = path.match(route.path) ?? pathname.match(route.path);
        if (!match) continue;
      }
      try {
        await route.handler(Object.assign(req, { body }), res, match);
      } catch (error) {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(String(error));
      }
      return;
    }
    res.writeHead(404, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify({ message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" }));
  };

  const api = createServer((req, res) => void listener("api")(req, res));
  const blob = createServer((req, res) => void listener("blob")(req, res));
  const listen = (server: Server) =>
    new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
  const [apiPort, blobPort] = await Promise.all([listen(api), listen(blob)]);
  const shut = (server: Server) =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });

  return {
    url: `http://127.0.0.1:${apiPort}`,
    blobUrl: `http://127.0.0.1:${blobPort}`,
    route(method, path, handler) {
      routes.push({ method: method.toUpperCase(), path, handler });
    },
    requests,
    close: async () => {
      await Promise.all([shut(api), shut(blob)]);
    },
  };
}

/** Sends JSON the way the API does (content type, a rate-limit budget, optional extra headers). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "4999",
    "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
    "x-ratelimit-used": "1",
    "x-ratelimit-resource": "core",
    "x-github-api-version-selected": "2022-11-28",
    ...headers,
  });
  res.end(JSON.stringify(body));
}

/** The environment a GitHub command runs with in tests: a token, the repository, 1 ms retry steps. */
export function githubEnv(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { GITHUB_TOKEN: token, GITHUB_REPOSITORY: "acme/shop", KAMAL_DOCTOR_RETRY_UNIT_MS: "1", ...extra };
}

/**
 * The contents API for one commit: GET /repos/{o}/{r}/contents/{path}?ref=SHA answers a file of
 * `files` base64-encoded as GitHub does (wrapped at 60 characters), a directory as a list, and
 * 404 for anything else or another ref. `status` makes every answer that status instead.
 */
export function routeContents(server: GitHubServer, repo: string, ref: string, files: Record<string, string>, options: { status?: number } = {}): void {
  server.route("GET", new RegExp(`^/repos/${repo}/contents/([^?]+)`), (req, res, m) => {
    if (options.status) return sendJson(res, options.status, { message: options.status === 403 ? "Resource not accessible by integration" : "Server Error" });
    const path = decodeURIComponent(m?.[1] ?? "");
    const asked = new URL(req.url ?? "", "http://x").searchParams.get("ref");
    const content = files[path];
    if (asked !== ref) return sendJson(res, 404, { message: "No commit found for the ref", status: "404" });
    if (content !== undefined) {
      const base64 = Buffer.from(content, "utf8").toString("base64").replace(/.{60}/g, "$&\n");
      return sendJson(res, 200, { type: "file", encoding: "base64", size: Buffer.byteLength(content), name: path.split("/").pop(), path, content: base64, sha: "0".repeat(40) });
    }
    const entries = Object.keys(files).filter((file) => file.startsWith(`${path}/`));
    if (entries.length > 0) return sendJson(res, 200, entries.map((file) => ({ type: "file", name: file.slice(path.length + 1), path: file })));
    sendJson(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest/repos/contents#get-repository-content", status: "404" });
  });
}
