// Config versus the log: crossCheck over (config, report, log facts) and its wiring into
// `kamal-doctor [analyze]` — the configRef and the one-line edit on the finding the config
// explains, silence when a side is unknown (ERB, no announced port), the JSON `config` section,
// annotations on the deploy.yml line, --no-config.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeText } from "../src/core/index.js";
import { run } from "../src/cli/main.js";
import { crossCheck } from "../src/config/cross.js";
import { directoryReader, loadConfig, locateConfig } from "../src/config/load.js";
import { collectLogFacts } from "../src/config/log-facts.js";
import type { Report } from "../src/core/report.js";
import { builtinLiterals, builtinRules } from "../src/rules/builtin.js";
import { compileRules } from "../src/rules/compile.js";
import { memoryIO } from "./support/io.js";

const appPort = path.resolve(import.meta.dirname, "../fixtures/config/app-port");
const log = readFileSync(path.join(appPort, "deploy.log"), "utf8");

function copyTree(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-cross-"));
  cpSync(appPort, dir, { recursive: true });
  return dir;
}

async function cross(dir: string, text = log): Promise<Report> {
  const rules = compileRules(await builtinRules(), builtinLiterals());
  const report = analyzeText("deploy.log", text, { rules, toolVersion: "test" });
  const facts = collectLogFacts("deploy.log", text);
  const config = await loadConfig(directoryReader(dir), locateConfig({ logCommand: facts.kamalCommand }));
  return crossCheck(config, report, facts);
}

describe("crossCheck", () => {
  it("points the health-check failure at proxy.app_port when the app listens elsewhere", async () => {
    const report = await cross(appPort);
    const [first] = report.findings;
    expect(first?.ruleId).toBe("proxy-target-unhealthy");
    expect(first?.configRef).toEqual({ file: "config/deploy.yml", line: 8, key: "proxy.app_port", text: "proxy:" });
    expect(first?.remediation[0]).toBe("Add `proxy.app_port: 3000` (config/deploy.yml:8).");
    expect(first?.explanation).toContain("The app listens on 3000 (deploy.log:22: * Listening on http://0.0.0.0:3000), but kamal-proxy checks port 80");
    expect(first?.evidence).toContain("config/deploy.yml:8: proxy:");
    expect(report.config).toMatchObject({ file: "config/deploy.yml", destination: null, pinnedKamal: "2.5.3", exposedPorts: [3000], secretsFiles: [".kamal/secrets"] });
  });

  it("says Set on the app_port line when it is written", async () => {
    const dir = copyTree();
    writeFileSync(path.join(dir, "config/deploy.yml"), readFileSync(path.join(dir, "config/deploy.yml"), "utf8").replace("  ssl: true\n", "  ssl: true\n  app_port: 8080\n"));
    const [first] = (await cross(dir, log.replace(':80"', ':8080"'))).findings;
    expect(first?.remediation[0]).toBe("Set `proxy.app_port: 3000` (config/deploy.yml:11).");
  });

  it("is silent when app_port comes from ERB, when the app announces no port, and when the config already agrees", async () => {
    const dir = copyTree();
    writeFileSync(path.join(dir, "config/deploy.yml"), readFileSync(path.join(dir, "config/deploy.yml"), "utf8").replace("  ssl: true\n", '  ssl: true\n  app_port: <%= ENV.fetch("PORT", 80) %>\n'));
    expect((await cross(dir)).findings[0]?.configRef).toBeUndefined();
    expect((await cross(appPort, log.replace(/.*Listening on.*\n/, ""))).findings[0]?.configRef).toBeUndefined();
    const agrees = copyTree();
    writeFileSync(path.join(agrees, "config/deploy.yml"), readFileSync(path.join(agrees, "config/deploy.yml"), "utf8").replace("  ssl: true\n", "  ssl: true\n  app_port: 3000\n"));
    expect((await cross(agrees)).findings[0]?.configRef).toBeUndefined();
  });

  it("names a Kamal in CI that is not the one in Gemfile.lock, and checks keys for the one that ran", async () => {
    const dir = copyTree();
    writeFileSync(path.join(dir, "Gemfile.lock"), "GEM\n  specs:\n    kamal (1.9.2)\n");
    writeFileSync(path.join(dir, "config/deploy.yml"), `${readFileSync(path.join(dir, "config/deploy.yml"), "utf8")}\ntraefik:\n  image: traefik:v2.11\n`);
    const report = await cross(dir);
    const skew = report.findings.find((f) => f.ruleId === "kamal-version-skew");
    expect(skew?.configRef).toMatchObject({ file: "Gemfile.lock", line: 3 });
    expect(skew?.remediation[0]).toBe("Run `bundle exec kamal` in CI, or install the pinned one: `gem install kamal -v 1.9.2` (Gemfile.lock:3).");
    expect(report.findings.find((f) => f.ruleId === "config-kamal1-key")?.configRef).toMatchObject({ line: 21, key: "traefik" });
    // The root cause stays the log's.
    expect(report.findings[0]?.rootCause).toBe(true);
  });

  it("sharpens a registry refusal with registry.server versus the image's host", async () => {
    const dir = copyTree();
    writeFileSync(path.join(dir, "config/deploy.yml"), readFileSync(path.join(dir, "config/deploy.yml"), "utf8").replace("image: bakery/web", "image: ghcr.io/bakery/web"));
    const text = "Log into image registry...\n  INFO [aa000001] Running docker login -u [REDACTED] -p [REDACTED] as runner@localhost\n  ERROR (SSHKit::Command::Failed): docker exit status: 256\ndocker stderr: Error response from daemon: Get \"https://registry-1.docker.io/v2/\": unauthorized: incorrect username or password\n";
    const first = (await cross(dir, text)).findings[0];
    expect(first?.category).toBe("registry-auth");
    expect(first?.configRef).toMatchObject({ file: "config/deploy.yml", line: 12, key: "registry.server" });
    expect(first?.remediation[0]).toBe("Set `registry.server: ghcr.io` under `registry:` (config/deploy.yml:12) and `image: bakery/web` (config/deploy.yml:2).");
  });
});

describe("kamal-doctor [analyze] with the config", () => {
  it("reads config/deploy.yml in the current directory; JSON gains the config section and configRef", async () => {
    const io = memoryIO({ cwd: appPort });
    expect(await run(["deploy.log", "-f", "json"], io)).toBe(1);
    const json = JSON.parse(io.out()) as { config?: { file: string }; findings: { configRef?: { line: number } }[] };
    expect(json.config?.file).toBe("config/deploy.yml");
    expect(json.findings[0]?.configRef?.line).toBe(8);
  });

  it("annotates the deploy.yml line with --format github", async () => {
    const io = memoryIO({ cwd: appPort });
    await run(["deploy.log", "-f", "github"], io);
    expect(io.out()).toMatch(/^::error title=kamal-doctor%3A root cause — The new container never became healthy behind kamal-proxy,file=config\/deploy\.yml,line=8::/);
  });

  it("--no-config leaves the report as it was", async () => {
    const io = memoryIO({ cwd: appPort });
    await run(["deploy.log", "-f", "json", "--no-config"], io);
    const json = JSON.parse(io.out()) as { config?: unknown; findings: { configRef?: unknown }[] };
    expect(json.config).toBeUndefined();
    expect(json.findings.every((f) => f.configRef === undefined)).toBe(true);
  });

  it("takes -c and -d from the log's own kamal command line", async () => {
    const dir = copyTree();
    cpSync(path.join(dir, "config/deploy.yml"), path.join(dir, "bakery-deploy.yml"));
    writeFileSync(path.join(dir, "bakery-deploy.staging.yml"), "proxy:\n  app_port: 4000\n");
    writeFileSync(path.join(dir, ".kamal/secrets.staging"), "KAMAL_REGISTRY_PASSWORD=x\nRAILS_MASTER_KEY=y\n");
    writeFileSync(path.join(dir, "deploy.log"), log.replace("$ bundle exec kamal deploy", "$ bundle exec kamal deploy -c bakery-deploy.yml -d staging"));
    const io = memoryIO({ cwd: dir });
    await run(["deploy.log", "-f", "json"], io);
    const json = JSON.parse(io.out()) as { config?: { file: string; destination: string; files: string[] }; findings: { configRef?: { file: string; line: number }; remediation: string[] }[] };
    expect(json.config).toMatchObject({ file: "bakery-deploy.yml", destination: "staging", files: ["bakery-deploy.yml", "bakery-deploy.staging.yml"] });
    expect(json.findings[0]?.configRef).toMatchObject({ file: "bakery-deploy.staging.yml", line: 2 });
    expect(json.findings[0]?.remediation[0]).toBe("Set `proxy.app_port: 3000` (bakery-deploy.staging.yml:2).");
  });

  it("diagnoses the log when a given config cannot be read, saying so in one line", async () => {
    const io = memoryIO({ cwd: appPort });
    expect(await run(["deploy.log", "-c", "missing.yml"], io)).toBe(1);
    expect(io.err()).toBe("kamal-doctor: missing.yml: config file not found; diagnosed without the config\n");
    expect(io.out()).toContain("ROOT CAUSE");
  });
});

describe("the hosts in the log versus the config", () => {
  it("compares nothing when the log ran on other servers, and says so", async () => {
    const report = await cross(appPort, log.replaceAll("203.0.113.7", "198.51.100.99"));
    expect(report.findings[0]?.configRef).toBeUndefined();
    const differ = report.findings.find((f) => f.ruleId === "config-hosts-differ");
    expect(differ?.severity).toBe("warning");
    expect(differ?.configRef).toMatchObject({ file: "config/deploy.yml", line: 4, key: "servers" });
    expect(differ?.title).toBe("The log's hosts are not in config/deploy.yml");
  });

  it("is silent when a host comes from ERB", async () => {
    const dir = copyTree();
    writeFileSync(path.join(dir, "config/deploy.yml"), readFileSync(path.join(dir, "config/deploy.yml"), "utf8").replace("    - 203.0.113.7", '    - <%= ENV["WEB_HOST"] %>'));
    const report = await cross(dir, log.replaceAll("203.0.113.7", "198.51.100.99"));
    expect(report.findings.some((f) => f.ruleId === "config-hosts-differ")).toBe(false);
    expect(report.findings[0]?.configRef?.key).toBe("proxy.app_port");
  });
});

describe("the config line in pretty and markdown output", () => {
  it("shows config/deploy.yml:LINE and its text on the finding", async () => {
    const pretty = memoryIO({ cwd: appPort });
    await run(["deploy.log", "--no-color"], pretty);
    expect(pretty.out()).toContain("  config    config/deploy.yml:8 │ proxy:\n");
    const markdown = memoryIO({ cwd: appPort });
    await run(["deploy.log", "-f", "markdown"], markdown);
    expect(markdown.out()).toContain("**Config:** `config/deploy.yml:8` `proxy:`");
  });
});

describe("crossCheck: a boot slower than deploy_timeout", () => {
  const slowBoot = path.resolve(import.meta.dirname, "../fixtures/config/slow-boot");
  const slowLog = readFileSync(path.join(slowBoot, "deploy.log"), "utf8");
  const variant = (edit: (text: string) => string): string => {
    const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-boot-"));
    cpSync(slowBoot, dir, { recursive: true });
    const file = path.join(dir, "config/deploy.yml");
    writeFileSync(file, edit(readFileSync(file, "utf8")));
    return dir;
  };

  it("measures the boot from the app's own timestamps and gives the deploy_timeout to write", async () => {
    const [first] = (await cross(slowBoot, slowLog)).findings;
    expect(first?.ruleId).toBe("proxy-target-unhealthy");
    expect(first?.configRef).toEqual({ file: "config/deploy.yml", line: 17, key: "deploy_timeout", text: "deploy_timeout: 30" });
    expect(first?.remediation[0]).toBe("Set `deploy_timeout: 50` (config/deploy.yml:17), or make the boot faster (migrations and asset compilation belong before the deploy).");
    expect(first?.explanation).toContain("The app took 43.2 s to listen (its own log's timestamps: deploy.log:19 → deploy.log:23: * Listening on http://0.0.0.0:3000), and the health check gives it 30 s");
    // The rule's generic "raise `deploy_timeout`" is what the first step says exactly; the other steps stay.
    expect(first?.remediation.filter((step) => step.includes("`deploy_timeout`"))).toEqual([]);
    expect(first?.remediation.some((step) => step.includes("`proxy.app_port`"))).toBe(true);
  });

  it("says Add at the top of the file when deploy_timeout is unset (30 s)", async () => {
    const [first] = (await cross(variant((t) => t.replace("deploy_timeout: 30\n", "")), slowLog)).findings;
    expect(first?.remediation[0]).toMatch(/^Add `deploy_timeout: 50` \(config\/deploy\.yml:1\)/);
    expect(first?.explanation).toContain("(`deploy_timeout`, unset → 30)");
  });

  it("says the app was still booting when its log runs to the deadline without listening", async () => {
    const booting = slowLog.replace(/.*Puma starting.*\n.*Listening on.*\n.*Ctrl-C.*\n/, "2026-12-01T09:14:31.500000000Z Warming the product catalogue cache... 80%\n");
    const [first] = (await cross(slowBoot, booting)).findings;
    expect(first?.configRef?.key).toBe("deploy_timeout");
    expect(first?.remediation[0]).toBe("Set `deploy_timeout: 60` (config/deploy.yml:17: twice the 29.4 s seen, as the boot's end is not in the log), or make the boot faster.");
    expect(first?.explanation).toContain("The app was still booting when the health check gave up after 30 s: its own log runs 29.4 s");
  });

  it("measures on the runner's clock when the app's lines come live, before the health check gives up", async () => {
    const stamp = (s: number) => `2026-03-02T10:14:${String(s).padStart(2, "0")}.0000000Z `;
    const live = [
      [0, "$ kamal deploy"],
      [1, '  INFO [1a2b3c04] Running docker run --detach --restart unless-stopped --name bakery-web-4f1e2d3c --network kamal bakery/web:4f1e2d3c on 203.0.113.7'],
      [2, '  INFO [1a2b3c05] Running docker exec kamal-proxy kamal-proxy deploy bakery-web --target="5d6e7f8a9b0c:3000" --deploy-timeout="30s" on 203.0.113.7'],
      [47, "* Listening on http://0.0.0.0:3000"],
      [48, "  ERROR (SSHKit::Command::Failed): Exception while executing on host 203.0.113.7: docker exit status: 1"],
      [48, "docker stderr: Error: target failed to become healthy within configured timeout (30s)"],
    ] as const;
    const [first] = (await cross(slowBoot, `${live.map(([s, text]) => `${stamp(s)}${text}`).join("\n")}\n`)).findings;
    expect(first?.remediation[0]).toMatch(/^Set `deploy_timeout: 60` \(config\/deploy\.yml:17\)/);
    expect(first?.explanation).toContain("The app took 46 s to listen (the runner's timestamps");
  });

  it("is silent without timestamps, on an ERB deploy_timeout, on a restart, and on a boot within the deadline", async () => {
    const unstamped = slowLog.replace(/^( ERROR )?\d{4}-\d\d-\d\dT[\d:.]+Z /gm, "$1");
    expect((await cross(slowBoot, unstamped)).findings[0]?.configRef).toBeUndefined();
    const erb = variant((t) => t.replace("deploy_timeout: 30", 'deploy_timeout: <%= ENV.fetch("DEPLOY_TIMEOUT", 30) %>'));
    expect((await cross(erb, slowLog)).findings[0]?.configRef).toBeUndefined();
    const restart = slowLog.replace("Warming the product catalogue cache...", "=> Booting Puma");
    expect((await cross(slowBoot, restart)).findings[0]?.configRef).toBeUndefined();
    const fast = variant((t) => t.replace("deploy_timeout: 30", "deploy_timeout: 60"));
    expect((await cross(fast, slowLog.replace('--deploy-timeout="30s"', '--deploy-timeout="60s"'))).findings[0]?.configRef).toBeUndefined();
  });
});
