// Resolving `run <arg>`: ids and URLs (github.com, GHES, attempts, jobs), git remotes, and the
// repository precedence, with real `git init` repositories.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { apiFromWeb, parseRemote, parseTargetArg, resolveTarget, TargetError, webFromApi } from "../src/github/target.js";

describe("parseTargetArg", () => {
  it("reads a bare run id", () => {
    expect(parseTargetArg("123456789")).toMatchObject({ runId: 123456789, owner: null, attempt: null, jobId: null, apiUrl: null });
  });

  it("reads run, attempt and job URLs on github.com", () => {
    expect(parseTargetArg("https://github.com/acme/shop/actions/runs/42")).toMatchObject({ owner: "acme", repo: "shop", runId: 42, attempt: null, jobId: null, apiUrl: "https://api.github.com", webOrigin: "https://github.com" });
    expect(parseTargetArg("https://github.com/acme/shop/actions/runs/42/attempts/3")).toMatchObject({ runId: 42, attempt: 3 });
    expect(parseTargetArg("https://github.com/acme/shop/actions/runs/42/job/777?pr=5#step:4:12")).toMatchObject({ runId: 42, jobId: 777, legacyJobUrl: false });
    expect(parseTargetArg("https://github.com/acme/shop/actions/runs/42/jobs/9")).toMatchObject({ runId: 42, jobId: 9, legacyJobUrl: true });
    expect(parseTargetArg("https://github.com/acme/shop/runs/777")).toMatchObject({ runId: null, jobId: 777 });
    // From a pull request's or a commit's Checks tab, and a URL copied without its scheme.
    expect(parseTargetArg("https://github.com/acme/shop/pull/3/checks?check_run_id=778")).toMatchObject({ owner: "acme", repo: "shop", runId: null, jobId: 778 });
    expect(parseTargetArg("https://github.com/acme/shop/commit/0f1e2d3c/checks/779/logs")).toMatchObject({ owner: "acme", runId: null, jobId: 779 });
    expect(parseTargetArg("github.com/acme/shop/actions/runs/42/attempts/2")).toMatchObject({ owner: "acme", runId: 42, attempt: 2, webOrigin: "https://github.com" });
  });

  it("reads GitHub Enterprise Server URLs and API URLs", () => {
    expect(parseTargetArg("https://ghe.example.com/ops/app.web/actions/runs/5/job/6")).toMatchObject({ owner: "ops", repo: "app.web", runId: 5, jobId: 6, apiUrl: "https://ghe.example.com/api/v3", webOrigin: "https://ghe.example.com" });
    expect(parseTargetArg("https://api.github.com/repos/acme/shop/actions/runs/42")).toMatchObject({ owner: "acme", runId: 42, apiUrl: "https://api.github.com", webOrigin: "https://github.com" });
    expect(parseTargetArg("https://ghe.example.com/api/v3/repos/acme/shop/actions/jobs/8")).toMatchObject({ jobId: 8, apiUrl: "https://ghe.example.com/api/v3" });
  });

  it("refuses what is not a run", () => {
    for (const bad of ["abc", "0", "-5", "https://github.com/acme/shop/pull/3", "https://github.com/acme/shop/pull/3/checks", "https://github.com/acme/shop/pull/3/checks?check_run_id=x", "https://github.com/acme/shop/commit/abc/checks", "https://github.com/acme/shop/actions/runs/x", "ftp://github.com/a/b/actions/runs/1", "https://github.com/acme", "acme/shop/actions/runs/1"]) {
      expect(() => parseTargetArg(bad), bad).toThrow(TargetError);
    }
  });

  it("maps web and API bases both ways", () => {
    expect(apiFromWeb("https://github.com")).toBe("https://api.github.com");
    expect(apiFromWeb("https://ghe.example.com")).toBe("https://ghe.example.com/api/v3");
    expect(webFromApi("https://api.github.com")).toBe("https://github.com");
    expect(webFromApi("https://ghe.example.com/api/v3")).toBe("https://ghe.example.com");
  });
});

describe("parseRemote", () => {
  it("reads https and ssh forms", () => {
    expect(parseRemote("https://github.com/acme/shop.git")).toEqual({ host: "github.com", owner: "acme", repo: "shop" });
    expect(parseRemote("https://x-access-token:abc@github.com/acme/shop")).toEqual({ host: "github.com", owner: "acme", repo: "shop" });
    expect(parseRemote("git@github.com:acme/shop.git")).toEqual({ host: "github.com", owner: "acme", repo: "shop" });
    expect(parseRemote("ssh://git@ghe.example.com:2222/ops/app.git")).toEqual({ host: "ghe.example.com", owner: "ops", repo: "app" });
    expect(parseRemote("github.com:acme/shop")).toEqual({ host: "github.com", owner: "acme", repo: "shop" });
  });

  it("returns null for what is not a repository remote", () => {
    expect(parseRemote("/srv/git/shop.git")).toBeNull();
    expect(parseRemote("https://github.com/acme")).toBeNull();
  });
});

function gitRepo(remote: string | null): string {
  const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-git-"));
  execFileSync("git", ["init", "-q"], { cwd: dir });
  if (remote) execFileSync("git", ["remote", "add", "origin", remote], { cwd: dir });
  return dir;
}

describe("resolveTarget", () => {
  it("finds the repository from the origin remote (https and ssh), also from a subdirectory", async () => {
    const https = gitRepo("https://github.com/acme/shop.git");
    expect(await resolveTarget("42", { env: {}, cwd: https })).toMatchObject({ owner: "acme", repo: "shop", runId: 42, apiUrl: "https://api.github.com", webUrl: "https://github.com" });
    const ssh = gitRepo("git@github.com:ops/infra.git");
    execFileSync("mkdir", ["-p", "deep/er"], { cwd: ssh });
    expect(await resolveTarget("42", { env: {}, cwd: path.join(ssh, "deep/er") })).toMatchObject({ owner: "ops", repo: "infra" });
  });

  it("prefers the URL, then --repo, then GITHUB_REPOSITORY, then the remote", async () => {
    const dir = gitRepo("git@github.com:from/remote.git");
    const env = { GITHUB_REPOSITORY: "from/env" };
    expect(await resolveTarget("1", { env, cwd: dir, repo: "from/flag" })).toMatchObject({ owner: "from", repo: "flag" });
    expect(await resolveTarget("1", { env, cwd: dir })).toMatchObject({ owner: "from", repo: "env" });
    expect(await resolveTarget("https://github.com/from/url/actions/runs/1", { env, cwd: dir })).toMatchObject({ owner: "from", repo: "url" });
    await expect(resolveTarget("https://github.com/from/url/actions/runs/1", { env, cwd: dir, repo: "other/repo" })).rejects.toThrow(/does not match/);
  });

  it("says how to name the repository when nothing gives it", async () => {
    const dir = gitRepo(null);
    await expect(resolveTarget("1", { env: {}, cwd: dir })).rejects.toThrow(/--repo OWNER\/NAME/);
    await expect(resolveTarget("1", { env: {}, cwd: dir, repo: "not-a-repo" })).rejects.toThrow(/expected OWNER\/NAME/);
  });

  it("takes the API base from --api-url, the URL's host, or GITHUB_API_URL", async () => {
    const env = { GITHUB_REPOSITORY: "a/b", GITHUB_API_URL: "https://ghe.example.com/api/v3", GITHUB_SERVER_URL: "https://ghe.example.com" };
    expect(await resolveTarget("1", { env, cwd: "/" })).toMatchObject({ apiUrl: "https://ghe.example.com/api/v3", webUrl: "https://ghe.example.com" });
    expect(await resolveTarget("https://github.com/a/b/actions/runs/1", { env, cwd: "/" })).toMatchObject({ apiUrl: "https://api.github.com", webUrl: "https://github.com" });
    expect(await resolveTarget("https://ghe.other.org/a/b/actions/runs/1/attempts/2", { env: {}, cwd: "/", apiUrl: "http://127.0.0.1:9/" })).toMatchObject({ apiUrl: "http://127.0.0.1:9", webUrl: "https://ghe.other.org", attempt: 2 });
    await expect(resolveTarget("https://github.com/a/b/actions/runs/1/attempts/2", { env: {}, cwd: "/", attempt: 3 })).rejects.toThrow(/--attempt 3/);
  });
});
