// `kamal-doctor config` on the project trees under fixtures/config: every static check fires on
// its line with the one-line edit, stays silent on ERB values and on a clean config, exit codes
// 0/1/2, annotations on the deploy.yml line — and no secret's value in any output.
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { memoryIO } from "./support/io.js";

const fixtures = path.resolve(import.meta.dirname, "../fixtures/config");
const tree = (name: string) => path.join(fixtures, name);

async function check(cwd: string, args: string[] = []): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIO({ cwd });
  const code = await run(["config", ...args], io);
  return { code, out: io.out(), err: io.err() };
}

interface JsonFinding {
  ruleId: string;
  severity: string;
  configRef: { file: string; line: number; key: string };
  evidence: string[];
  remediation: string[];
}

async function findings(cwd: string, args: string[] = []): Promise<JsonFinding[]> {
  const { out } = await check(cwd, [...args, "-f", "json"]);
  return (JSON.parse(out) as { findings: JsonFinding[] }).findings;
}

describe("kamal-doctor config", () => {
  it("finds nothing wrong in a clean Kamal 2 project, ERB values included, and exits 0", async () => {
    const { code, out, err } = await check(tree("clean"));
    expect(err).toBe("");
    expect(out).toBe("✔ config/deploy.yml: no problems found for Kamal 2.4.0 (Gemfile.lock).\n");
    expect(code).toBe(0);
  });

  it("names each problem's line, the line's text and the edit, and exits 1", async () => {
    const list = await findings(tree("problems"));
    const byId = list.map((f) => `${f.ruleId} ${f.configRef.file}:${f.configRef.line} ${f.configRef.key}`);
    expect(byId).toEqual([
      "config-kamal1-key config/deploy.yml:9 traefik",
      "proxy-ssl-several-hosts config/deploy.yml:15 proxy.ssl",
      "proxy-ssl-no-host config/deploy.yml:15 proxy.ssl",
      "config-unknown-key config/deploy.yml:17 proxy.healtcheck",
      "config-key-too-new config/deploy.yml:19 proxy.run",
      "config-kamal1-key config/deploy.yml:22 stop_wait_time",
      "registry-server-missing config/deploy.yml:24 registry.server",
      "secret-not-defined config/deploy.yml:32 env.secret",
    ]);
    const typo = list.find((f) => f.ruleId === "config-unknown-key");
    expect(typo?.evidence).toEqual(["config/deploy.yml:17: healtcheck:"]);
    expect(typo?.remediation[0]).toBe("Rename `healtcheck:` to `healthcheck:` (config/deploy.yml:17).");
    expect(list.find((f) => f.ruleId === "registry-server-missing")?.remediation[0]).toBe(
      "Set `registry.server: ghcr.io` under `registry:` (config/deploy.yml:24) and `image: acme/shop` (config/deploy.yml:2).",
    );
    expect(list.find((f) => f.ruleId === "secret-not-defined")?.remediation[0]).toContain("Add `DATABASE_URL=$DATABASE_URL`");
    expect((await check(tree("problems"))).code).toBe(1);
  });

  it("merges the destination file and reads that destination's secrets files", async () => {
    const list = await findings(tree("problems"), ["-d", "staging"]);
    const ids = list.map((f) => `${f.ruleId} ${f.configRef.file}:${f.configRef.line}`);
    // One server and a host in staging: the SSL checks are silent; the list of secrets is replaced.
    expect(ids).not.toContain("proxy-ssl-several-hosts config/deploy.yml:15");
    expect(ids.filter((id) => id.startsWith("proxy-ssl"))).toEqual([]);
    expect(ids).toContain("secret-not-defined config/deploy.staging.yml:11");
    expect(ids).not.toContain("secret-not-defined config/deploy.yml:32");
  });

  it("asserts nothing on values written with ERB", async () => {
    const { code, out } = await check(tree("erb"));
    expect(out).toBe("✔ config/deploy.yml: no problems found.\n");
    expect(code).toBe(0);
  });

  it("annotates the deploy.yml line itself with --format github", async () => {
    const { out } = await check(tree("problems"), ["-f", "github"]);
    expect(out).toContain("::error title=kamal-doctor%3A `proxy.healtcheck` is not a Kamal 2 key,file=config/deploy.yml,line=17::");
  });

  it("checks Kamal 1 keys against a pinned Kamal 1, and Kamal 2 keys under it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-config-"));
    cpSync(tree("problems"), dir, { recursive: true });
    writeFileSync(path.join(dir, "Gemfile.lock"), "GEM\n  specs:\n    kamal (1.9.2)\n");
    const list = await findings(dir);
    expect(list.map((f) => `${f.ruleId} ${f.configRef.key}`)).toEqual(["config-kamal2-key proxy", "registry-server-missing registry.server"]);
  });

  it("without a Gemfile.lock, warns about Kamal 1 keys instead of asserting", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-config-"));
    cpSync(tree("problems"), dir, { recursive: true });
    writeFileSync(path.join(dir, "Gemfile.lock"), "");
    const list = await findings(dir);
    expect(list.find((f) => f.configRef.key === "traefik")?.severity).toBe("warning");
    expect(list.some((f) => f.ruleId === "config-key-too-new")).toBe(false);
  });

  it("is one line and exit 2 for a missing config, a missing destination, or invalid YAML", async () => {
    const empty = mkdtempSync(path.join(tmpdir(), "kamal-doctor-config-"));
    expect(await check(empty)).toEqual({ code: 2, out: "", err: "kamal-doctor: config/deploy.yml: config file not found\n" });
    expect((await check(tree("clean"), ["-d", "nowhere"])).err).toBe(
      "kamal-doctor: config/deploy.nowhere.yml: destination config not found (Kamal needs it for -d nowhere)\n",
    );
    writeFileSync(path.join(empty, "bad.yml"), "service: shop\nproxy:\n  host: [a\n");
    const bad = await check(empty, ["-c", "bad.yml"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^kamal-doctor: bad\.yml:\d+: not valid YAML: [^\n]+\n$/);
  });

  it("never prints a secret's value, in any format, with or without redaction", async () => {
    const values = readdirSync(tree("problems/.kamal")).flatMap((file) =>
      readFileSync(path.join(tree("problems/.kamal"), file), "utf8")
        .split("\n")
        .map((line) => /[=:]\s*(.+)$/.exec(line)?.[1])
        .filter((value): value is string => value !== undefined),
    );
    expect(values.length).toBeGreaterThan(3);
    for (const format of ["pretty", "json", "github", "markdown"]) {
      for (const extra of [[], ["-d", "staging"], ["--no-redact", "--verbose"]]) {
        const { out, err } = await check(tree("problems"), ["-f", format, ...extra]);
        for (const value of values) {
          expect(out).not.toContain(value);
          expect(err).not.toContain(value);
        }
        expect(out).not.toContain("SUPERSECRET");
      }
    }
  });
});

describe("kamal-doctor config: value types, as Kamal's validator judges them", () => {
  const types = tree("types");
  const write = (text: string, lock = "2.5.3"): string => {
    const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-types-"));
    cpSync(types, dir, { recursive: true });
    writeFileSync(path.join(dir, "config/deploy.yml"), text);
    writeFileSync(path.join(dir, "Gemfile.lock"), `GEM\n  specs:\n    kamal (${lock})\n`);
    return dir;
  };
  const base = "service: bakery\nimage: bakery/web\nservers:\n  - 203.0.113.7\nregistry:\n  username: bakery\n  password:\n    - KAMAL_REGISTRY_PASSWORD\n";

  it("reports each value Kamal rejects on its line, with Kamal's words and the value to write", async () => {
    const found = await findings(types);
    expect(found.map((f) => [f.ruleId, f.configRef.key, f.configRef.line, f.remediation[0]])).toEqual([
      ["config-value-type", "servers.workers", 7, 'Write `workers: ["203.0.113.8"]` (config/deploy.yml:7).'],
      ["config-value-type", "proxy.app_port", 12, "Write `app_port: 3000` (config/deploy.yml:12)."],
      ["config-value-type", "deploy_timeout", 25, "Write `deploy_timeout: 30` (config/deploy.yml:25)."],
      ["config-value-type", "volumes", 28, 'Write `volumes: ["/data:/data"]` (config/deploy.yml:28).'],
      ["config-value-type", "builder.local", 32, "Write `local: true` (config/deploy.yml:32)."],
    ]);
    const { out, code } = await check(types, ["--verbose"]);
    expect(code).toBe(1);
    expect(out.replace(/\s+/g, " ")).toContain('"proxy/app_port: should be an integer"');
    expect(out).toContain('`deploy_timeout` should be an integer, not the string "30s"');
  });

  it("stays silent on ERB values, on YAML 1.1 values Ruby reads right (on, 1_0), and on a simple env", async () => {
    const keys = (await findings(types)).map((f) => f.configRef.key);
    for (const key of ["proxy.healthcheck.interval", "drain_timeout", "proxy.ssl", "readiness_delay", "env.RAILS_ENV", "env.WEB_CONCURRENCY"]) expect(keys).not.toContain(key);
  });

  it("rejects servers as a number, a quoted port, a decimal timeout, a map where a string goes", async () => {
    const dir = write("service: bakery\nimage: bakery/web\nservers: 3\nproxy:\n  app_port: \"3000\"\ndeploy_timeout: 30.0\nenv:\n  clear:\n    NESTED:\n      a: b\nregistry:\n  username: bakery\n  password:\n    - KAMAL_REGISTRY_PASSWORD\n");
    const found = await findings(dir);
    expect(found.map((f) => [f.configRef.key, f.remediation[0]])).toEqual([
      ["servers", "Write `servers:` as an array or a hash (config/deploy.yml:3)."],
      ["proxy.app_port", "Write `app_port: 3000` (config/deploy.yml:5)."],
      ["deploy_timeout", "Write `deploy_timeout: 30` (config/deploy.yml:6)."],
    ]);
  });

  it("checks the registry credentials as Kamal does: a string, or a list of one secret's name", async () => {
    const dir = write("service: bakery\nimage: bakery/web\nservers:\n  - 203.0.113.7\nregistry:\n  username: 12345\n  password:\n    - KAMAL_REGISTRY_PASSWORD\n    - OTHER\n");
    const found = await findings(dir);
    expect(found.map((f) => [f.configRef.key, f.remediation[0]])).toEqual([
      ["registry.username", 'Write `username: "12345"` (config/deploy.yml:6).'],
      ["registry.password", "Write `password:` as a string or an array with one string (for secret lookup) (config/deploy.yml:7)."],
    ]);
  });

  it("judges Kamal 1 by Kamal 1's types, warns without a known version, and says nothing before 1.7 (no validation)", async () => {
    const v1 = write(`${base}healthcheck:\n  max_attempts: "7"\n`, "1.9.3");
    expect((await findings(v1)).map((f) => [f.configRef.key, f.severity])).toEqual([["healthcheck.max_attempts", "error"]]);
    const old = write(`${base}healthcheck:\n  max_attempts: "7"\n`, "1.6.0");
    expect(await findings(old)).toEqual([]);
    const unpinned = write(`${base}deploy_timeout: "30s"\n`);
    writeFileSync(path.join(unpinned, "Gemfile.lock"), "");
    expect((await findings(unpinned)).map((f) => [f.configRef.key, f.severity])).toEqual([["deploy_timeout", "warning"]]);
  });
});
