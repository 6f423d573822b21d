// The package ships what runs: dist/ is fully bundled, so bin/, dist/, rules/ and package.json
// in a directory with no node_modules at all diagnose a log, a zip, user rules and a GitHub run;
// the package declares no runtime dependencies, `npm pack` leaves the source maps and tests out and
// ships the pages the README links to, and `npm publish --dry-run` has nothing to warn about.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { githubEnv, startGitHubServer } from "./support/github-server.js";
import { makeZip } from "./support/zip.js";

const root = path.resolve(import.meta.dirname, "..");
const fixture = path.join(root, "fixtures/kamal2/pull-disk-full.log");
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-bare-"));
  for (const part of ["bin", "dist", "rules", "package.json"]) cpSync(path.join(root, part), path.join(dir, part), { recursive: true });
});

/** The copied CLI, run asynchronously (a GitHub test's server answers in this process meanwhile). */
function kd(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(dir, "bin/kamal-doctor.js"), ...args], { cwd: dir, env: { PATH: process.env["PATH"] ?? "", ...env } });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

const rootCause = (out: string) => (JSON.parse(out) as { findings: Array<{ category: string; rootCause: boolean }> }).findings.find((f) => f.rootCause)?.category;

describe("the package as shipped", () => {
  it("has nothing to resolve: no node_modules where the copy runs", () => {
    expect(() => createRequire(path.join(dir, "bin/kamal-doctor.js")).resolve("commander")).toThrow();
  });

  it("diagnoses a log, a run-logs zip and a log with user rules, with no node_modules", async () => {
    const log = await kd([fixture, "--format", "json"]);
    expect(log.err).toBe("");
    expect(log.code).toBe(1);
    expect(rootCause(log.out)).toBe("disk-full");

    const zip = path.join(dir, "logs.zip");
    writeFileSync(zip, makeZip([{ name: "0_deploy.txt", data: readFileSync(fixture) }]));
    const zipped = await kd([zip, "--format", "json"]);
    expect(zipped.code).toBe(1);
    expect(rootCause(zipped.out)).toBe("disk-full");

    // --rules loads the rule-file reader (yaml, zod) on demand.
    const ruled = await kd(["--rules", path.join(dir, "rules"), fixture, "--format", "json"]);
    expect(ruled.err).toBe("");
    expect(rootCause(ruled.out)).toBe("disk-full");
  });

  it("answers --version without loading the program: the same answer commander gives", async () => {
    const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) expect(await kd([flag])).toEqual({ code: 0, out: `${manifest.version}\n`, err: "" });
    // Among other arguments it is the program's option: commander answers, the same way.
    expect(await kd(["--version", "--no-color"])).toMatchObject({ code: 0, out: `${manifest.version}\n` });
    // The entry evaluates the program only outside that one case.
    const entry = readFileSync(path.join(root, "dist", "kamal-doctor.js"), "utf8");
    expect(entry).not.toMatch(/^import[^;]*from\s*"\.\/main-/m);
  });

  it("talks to GitHub (Octokit loaded on demand), with no node_modules", async () => {
    const server = await startGitHubServer();
    try {
      const { code, err } = await kd(["run", "42", "--api-url", server.url], githubEnv("ghp_packageTestToken000"));
      expect(err).toMatch(/^kamal-doctor: run 42 of acme\/shop: not found \(404\)/);
      expect(code).toBe(3);
      expect(server.requests.map((r) => r.path)).toEqual(["/repos/acme/shop/actions/runs/42"]);
    } finally {
      await server.close();
    }
  });

  it("loads neither zod nor yaml to start: they are in no module the entry imports statically", () => {
    // What `kamal-doctor deploy.log` and `--version` evaluate: the entry and the chunks it imports,
    // transitively (a dynamic `import("./…")` loads only when its command runs).
    const loaded = new Set<string>();
    const visit = (file: string) => {
      if (loaded.has(file)) return;
      loaded.add(file);
      const code = readFileSync(path.join(root, "dist", file), "utf8");
      for (const match of code.matchAll(/^(?:import|export)\s[^;]*?from\s*"\.\/([^"]+)";|^import\s*"\.\/([^"]+)";/gm)) visit((match[1] ?? match[2]) as string);
    };
    visit("kamal-doctor.js");
    // `--version` alone stops there; anything else loads the program, which the entry imports.
    const program = /await import\("\.\/(main-[\w-]+\.js)"\)/.exec(readFileSync(path.join(root, "dist", "kamal-doctor.js"), "utf8"))?.[1];
    expect(program).toBeDefined();
    const beforeProgram = loaded.size;
    visit(program as string);
    expect(loaded.size).toBeGreaterThan(beforeProgram);
    const bundled = [...loaded].flatMap((file) => [...readFileSync(path.join(root, "dist", file), "utf8").matchAll(/^\/\/ (?:\S*\/)?node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1]));
    expect(bundled).toContain("commander");
    expect(bundled).not.toContain("zod");
    expect(bundled).not.toContain("yaml");
  });

  it("declares no runtime dependencies, and npm pack ships no source maps", () => {
    const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    expect(manifest.dependencies ?? {}).toEqual({});
    const pack = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8" });
    expect(pack.status).toBe(0);
    const files = (JSON.parse(pack.stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((f) => f.path) ?? [];
    expect(files).toContain("bin/kamal-doctor.js");
    expect(files).toContain("dist/kamal-doctor.js");
    expect(files).toContain("dist/rules.json");
    // The library: its bundle and its declarations.
    expect(files).toContain("dist/lib.js");
    expect(files).toContain("dist/types/src/lib.d.ts");
    expect(files).toContain("schema/report.schema.json");
    expect(files.filter((file) => file.endsWith(".map") || file.startsWith("src/") || file.startsWith("test/") || file.includes("node_modules"))).toEqual([]);
    // What a user reads: the README, the licence, the changelog and every page the README links to.
    for (const file of ["README.md", "LICENSE", "CHANGELOG.md", "docs/api.md"]) expect(files).toContain(file);
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    const links = [...readme.matchAll(/\]\(((?!https?:|#)[^)#\s]+)(?:#[^)]*)?\)/g)].map((match) => match[1] as string).filter((link) => !link.startsWith("src/"));
    expect(links.length).toBeGreaterThan(5);
    for (const link of links) expect(files.some((file) => file === link || (link.endsWith("/") && file.startsWith(link)))).toBe(true);
  });

  it("publishes cleanly: npm publish --dry-run warns of nothing but the missing login", () => {
    const publish = spawnSync("npm", ["publish", "--dry-run", "--ignore-scripts"], { cwd: root, encoding: "utf8" });
    expect(publish.status).toBe(0);
    const warnings = publish.stderr.split("\n").filter((line) => /\bwarn\b/i.test(line) && !/logged in|--force/.test(line));
    expect(warnings).toEqual([]);
  });
});
