// Engine and report semantics, with rules defined here so the test pins the mechanism, not the catalogue.
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { analyzeText, deployReports, diagnose } from "../src/core/index.js";
import { compileRules } from "../src/rules/compile.js";
import { ruleSchema, type Rule } from "../src/rules/schema.js";

function rule(partial: Partial<Rule> & Pick<Rule, "id">): Rule {
  return ruleSchema.parse({
    title: `title of ${partial.id}`,
    category: "other",
    severity: "error",
    match: { any: ["never matches anything"] },
    explanation: "why",
    remediation: ["fix"],
    examples: { match: ["x"], noMatch: ["y"] },
    ...partial,
  });
}

const analyze = (text: string, rules: Rule[], extra: { exitCode?: number } = {}) =>
  analyzeText("deploy.log", text, { rules: compileRules(rules), toolVersion: "test", ...extra });

const crash = rule({ id: "app-crash", category: "app-boot", match: { any: ["InvalidMessage"] }, explains: ["category:health-check"] });
const unhealthy = rule({ id: "unhealthy", category: "health-check", match: { any: ["target failed to become healthy"] } });

const HEALTH_LOG = `Start container with version abc (or reboot if already running)...
  INFO [92a3b4c5] Running docker exec kamal-proxy kamal-proxy deploy app-web --target="5c1d:80" on 192.0.2.10
 ERROR Failed to boot web on 192.0.2.10
  INFO [a3b4c5d6] Running docker logs app-web on 192.0.2.10
  INFO [a3b4c5d6] Finished in 0.188 seconds with exit status 0 (successful).
 ERROR 2026-03-02T10:14:01.118204312Z => Booting Puma
2026-03-02T10:14:02.902230144Z ActiveSupport::MessageEncryptor::InvalidMessage: ActiveSupport::MessageEncryptor::InvalidMessage
Releasing the deploy lock...
  Finished all in 41.7 seconds
  ERROR (SSHKit::Command::Failed): Exception while executing on host 192.0.2.10: docker exit status: 1
docker stdout: Nothing written
docker stderr: Error: target failed to become healthy within configured timeout (30s)
`;

describe("ranking", () => {
  it("puts the finding that explains another first, even when the symptom is in the final error", () => {
    const report = analyze(HEALTH_LOG, [unhealthy, crash]);
    expect(report.findings.map((f) => f.ruleId)).toEqual(["app-crash", "unhealthy"]);
    expect(report.findings.map((f) => f.rootCause)).toEqual([true, false]);
  });

  it("without an explanation, prefers what is in the final error block", () => {
    const report = analyze(HEALTH_LOG, [unhealthy, rule({ id: "puma", match: { any: ["Booting Puma"] } })]);
    expect(report.findings[0]?.ruleId).toBe("unhealthy");
  });

  it("breaks ties by priority, then by severity", () => {
    const low = rule({ id: "low", priority: 10, match: { any: ["Booting Puma"] } });
    const high = rule({ id: "high", priority: 90, match: { any: ["InvalidMessage"] } });
    expect(analyze(HEALTH_LOG, [low, high]).findings.map((f) => f.ruleId)).toEqual(["high", "low"]);
    const warning = rule({ id: "warn", severity: "warning", priority: 100, match: { any: ["Booting Puma"] } });
    expect(analyze(HEALTH_LOG, [warning, low]).findings.map((f) => f.ruleId)).toEqual(["low", "warn"]);
  });

  it("leads a finding in the final error block with the key line, then the ERROR line", () => {
    const [finding] = analyze(HEALTH_LOG, [unhealthy]).findings;
    expect(finding?.evidence).toEqual([
      "docker stderr: Error: target failed to become healthy within configured timeout (30s)",
      "  ERROR (SSHKit::Command::Failed): Exception while executing on host 192.0.2.10: docker exit status: 1",
    ]);
    expect(finding?.line).toBe(12);
    expect(finding?.host).toBe("192.0.2.10");
  });
});

describe("deploy model", () => {
  it("finds the failing command, phase, hosts, duration and version", () => {
    const report = analyze(HEALTH_LOG, [unhealthy]);
    expect(report.outcome).toBe("failed");
    expect(report.deploy).toMatchObject({
      kamalVersion: "2.x",
      hosts: ["192.0.2.10"],
      failedPhase: "health-check",
      seconds: 41.7,
      failedCommand: { id: "92a3b4c5", host: "192.0.2.10", exitStatus: 1, exitCode: 1 },
    });
  });

  it("reads a local hook's exit status 256 as exit code 1", () => {
    const log = `Acquiring the deploy lock...
  INFO [cc9046a0] Running /usr/bin/env .kamal/hooks/pre-deploy as deploy@localhost
Releasing the deploy lock...
  Finished all in 1.8 seconds
  ERROR (Kamal::Cli::HookError): Hook \`pre-deploy\` failed:
.kamal/hooks/pre-deploy exit status: 256
.kamal/hooks/pre-deploy stdout: Nothing written
`;
    const report = analyze(log, []);
    expect(report.deploy.failedCommand).toMatchObject({ command: "/usr/bin/env .kamal/hooks/pre-deploy", exitStatus: 256, exitCode: 1 });
    expect(report.deploy.failedPhase).toBe("hook");
  });

  it("does not blame a command whose failure Kamal rescued", () => {
    const log = `Ensure kamal-proxy is running...
  INFO [83a6b416] Running docker network create kamal on 10.0.0.1
  INFO [95a79c85] Running docker login r.example.com -u [REDACTED] -p [REDACTED] on 10.0.0.1
  INFO [95a79c85] Finished in 0.055 seconds with exit status 0 (successful).
  ERROR (RuntimeError): Exception while executing on host 10.0.0.1: kamal-proxy version v0.8.1 is too old
`;
    const report = analyze(log, []);
    expect(report.deploy.failedCommand).toBeNull();
    expect(report.deploy.failedPhase).toBe("proxy-boot");
  });

  it("puts the final error, printed after the lock is released, in the last phase of work or in none", () => {
    const tooOld = rule({ id: "too-old", match: { any: ["kamal-proxy version \\S+ is too old"] } });
    const error = "  ERROR (RuntimeError): Exception while executing on host h1: kamal-proxy version v0.8.1 is too old\n";
    const alone = analyze(`Releasing the deploy lock...\n  Finished all in 69.8 seconds\n${error}`, [tooOld]);
    expect(alone.findings[0]).toMatchObject({ ruleId: "too-old", phase: null });
    expect(alone.deploy.failedPhase).toBeNull();
    const after = analyze(`Ensure kamal-proxy is running...\n  INFO [83a6b416] Running docker network create kamal on h1\nReleasing the deploy lock...\n${error}`, [tooOld]);
    expect(after.findings[0]).toMatchObject({ ruleId: "too-old", phase: "proxy-boot" });
    expect(after.deploy.failedPhase).toBe("proxy-boot");
  });

  it("measures phases from runner timestamps when present, else from command runtimes", () => {
    const plain = analyze("Pull app image...\n  INFO [aaaaaaaa] Running docker pull x on h\n  INFO [aaaaaaaa] Finished in 1.250 seconds with exit status 0 (successful).\nAcquiring the deploy lock...\n", []);
    expect(plain.deploy.phases[0]).toMatchObject({ name: "pull", seconds: 1.3, status: "ok" });
    const stamped = analyze(
      "2026-01-01T00:00:00.0000000Z Pull app image...\n2026-01-01T00:00:04.5000000Z   INFO [aaaaaaaa] Running docker pull x on h\n2026-01-01T00:00:06.0000000Z Acquiring the deploy lock...\n",
      [],
    );
    // The docker pull was still running until the log moved on to the lock: 6 s, not 4.5.
    expect(stamped.deploy.phases[0]).toMatchObject({ name: "pull", seconds: 6 });
  });

  it("counts the command still running when Kamal failed: the rest of \"Finished all in\", never negative", () => {
    const report = analyze(
      `Pull app image...
  INFO [aaaaaaaa] Running docker login r -u u -p p on h
  INFO [aaaaaaaa] Finished in 0.400 seconds with exit status 0 (successful).
  INFO [bbbbbbbb] Running docker pull r/app:1 on h
  Finished all in 14.2 seconds
  ERROR (SSHKit::Command::Failed): Exception while executing on host h: docker exit status: 1
docker stderr: no space left on device
`,
      [],
    );
    expect(report.deploy.phases).toEqual([{ name: "pull", status: "failed", startLine: 1, seconds: 14.2 }]);
    const health = analyze(HEALTH_LOG, [crash, unhealthy]);
    const check = health.deploy.phases.find((phase) => phase.name === "health-check");
    expect(check?.status).toBe("failed");
    expect(check?.seconds).toBeGreaterThan(30);
    for (const phase of health.deploy.phases) expect(phase.seconds ?? 0).toBeGreaterThanOrEqual(0);
  });

  it("knows setup from deploy, and Kamal 1 from Kamal 2", () => {
    const setup = analyze("Acquiring the deploy lock...\nEnsure Docker is installed...\nEnsure Traefik is running...\n  Finished all in 3.0 seconds\n", []);
    expect(setup.deploy).toMatchObject({ command: "setup", kamalVersion: "1.x" });
    expect(setup.outcome).toBe("succeeded");
  });
});

describe("outcome", () => {
  it("is failed with a final ERROR line even when no rule matches, and shows the key lines", () => {
    const report = analyze("Acquiring the deploy lock...\n  Finished all in 1.0 seconds\n  ERROR (Kamal::Whatever): brand new failure\nextra detail line\n", []);
    expect(report.outcome).toBe("failed");
    expect(report.findings).toEqual([]);
    expect(report.unmatched.map((u) => u.text)).toEqual(["  ERROR (Kamal::Whatever): brand new failure", "extra detail line"]);
  });

  it("is failed when a failsDeploy rule fires although Kamal exited 0", () => {
    const gone = rule({ id: "gone", failsDeploy: true, match: { any: ["is not available as a container"] } });
    const report = analyze("The app version 'abc' is not available as a container\n  Finished all in 0.3 seconds\n", [gone]);
    expect(report.outcome).toBe("failed");
    expect(report.findings[0]?.rootCause).toBe(true);
  });

  it("is succeeded when the deploy finished, and what matched is only a warning", () => {
    const report = analyze(" ERROR InvalidMessage in an old log line\nReleasing the deploy lock...\n  Finished all in 2.0 seconds\n", [crash]);
    expect(report.outcome).toBe("succeeded");
    expect(report.findings[0]).toMatchObject({ severity: "warning", rootCause: false });
  });

  it("follows the exit code of the wrapped command when known", () => {
    expect(analyze("  Finished all in 2.0 seconds\n", [], { exitCode: 1 }).outcome).toBe("failed");
    expect(analyze("some output\n", [], { exitCode: 0 }).outcome).toBe("succeeded");
  });

  it("is failed for the runner's non-zero exit and unknown for a fragment with nothing in it", () => {
    expect(analyze("2026-01-01T00:00:00.0000000Z hello\n2026-01-01T00:00:00.0000000Z ##[error]Process completed with exit code 1.\n", []).outcome).toBe("failed");
    expect(analyze("hello\n", []).outcome).toBe("unknown");
  });
});

describe("rule context", () => {
  it("requires a near line within N lines, before or after", () => {
    const r = rule({ id: "near", match: { any: ["permission denied"] }, context: { near: "docker\\.sock", within: 2 } });
    expect(analyze("x docker.sock\npermission denied\n", [r]).findings).toHaveLength(1);
    expect(analyze("permission denied\nx\ndocker.sock here\n", [r]).findings).toHaveLength(1);
    expect(analyze("permission denied\na\nb\nc\ndocker.sock\n", [r]).findings).toHaveLength(0);
  });

  it("can require the near line to be output of the same command", () => {
    const r = rule({ id: "same", match: { any: ["denied"] }, context: { near: "Running docker login", sameCommand: true } });
    const same = "  INFO [aaaaaaaa] Running docker login x on h\n DEBUG [aaaaaaaa] \tdenied\n";
    const other = "  INFO [aaaaaaaa] Running docker login x on h\n DEBUG [bbbbbbbb] \tdenied\n";
    expect(analyze(same, [r]).findings.map((f) => f.ruleId)).toEqual(["same"]);
    // (the login never finished: the log stops while it runs)
    expect(analyze(other, [r]).findings.map((f) => f.ruleId)).toEqual(["stopped-registry-login"]);
  });

  it("restricts matching to line kinds", () => {
    const r = rule({ id: "kinds", match: { any: ["boom"] }, context: { kinds: ["payload"] } });
    expect(analyze("boom\n", [r]).findings).toHaveLength(0);
    expect(analyze("  ERROR (X): y\ndocker stderr: boom\n", [r]).findings).toHaveLength(1);
  });

  it("never matches the runner's echo of the step script", () => {
    const r = rule({ id: "echo", match: { any: ["no space left on device"] } });
    const log = "2026-01-01T00:00:00.0000000Z ##[group]Run echo 'no space left on device'\n2026-01-01T00:00:00.0000000Z echo 'no space left on device'\n2026-01-01T00:00:00.0000000Z ##[endgroup]\n";
    expect(analyze(log, [r]).findings).toHaveLength(0);
  });

  it("collects evidence before and after, fills captures and names every host", () => {
    const r = rule({
      id: "port",
      title: "Port {port} is taken on {hosts}",
      match: { any: ["Bind for [\\d.]+:(?<port>\\d+) failed: port is already allocated"] },
      evidence: { before: 1, after: 0 },
    });
    const log = ` ERROR (SSHKit::Command::Failed): Exceptions on 2 hosts:
Exception while executing on host 10.0.0.1: docker exit status: 125
docker stderr: Bind for 0.0.0.0:3000 failed: port is already allocated.

Exception while executing on host 10.0.0.2: docker exit status: 125
docker stderr: Bind for 0.0.0.0:3000 failed: port is already allocated.
`;
    const [finding] = analyze(log, [r]).findings;
    expect(finding).toMatchObject({ title: "Port 3000 is taken on 10.0.0.1, 10.0.0.2", hosts: ["10.0.0.1", "10.0.0.2"], occurrences: 2, captures: { port: "3000" } });
    expect(finding?.evidence[0]).toBe("docker stderr: Bind for 0.0.0.0:3000 failed: port is already allocated.");
    expect(finding?.evidence.some((e) => e.includes("Exceptions on 2 hosts"))).toBe(true);
  });

  it("uses a placeholder's fallback when the capture is absent", () => {
    const report = analyze("docker stderr: Error: target failed to become healthy\n", [
      rule({ id: "t", match: { any: ["target failed to become healthy(?: within configured timeout \\((?<timeout>\\w+)\\))?"] }, explanation: "within {timeout|the deploy timeout}" }),
    ]);
    expect(report.findings[0]?.explanation).toBe("within the deploy timeout");
  });

  it("chooses remediation by Kamal version", () => {
    const r = rule({ id: "v", match: { any: ["boom"] }, remediation: ["always", { kamal: ["1.x"], text: "one" }, { kamal: ["2.x"], text: "two" }] });
    expect(analyze("Ensure kamal-proxy is running...\nboom\n", [r]).findings[0]?.remediation).toEqual(["always", "two"]);
    expect(analyze("boom\n", [r]).findings[0]?.remediation).toEqual(["always", "(Kamal 1.x) one", "(Kamal 2.x) two"]);
  });
});

describe("unmatched", () => {
  it("de-duplicates by shape, caps the list and skips lines already used as evidence", () => {
    const lines = Array.from({ length: 60 }, (_, i) => ` ERROR worker ${i} crashed with code ${i}`);
    lines.push(...Array.from({ length: 30 }, (_, i) => ` ERROR distinct failure kind ${"x".repeat(i)}`));
    const report = analyze(`${lines.join("\n")}\n`, [rule({ id: "d", match: { any: ["distinct failure kind $"] } })]);
    expect(report.unmatched.filter((u) => u.text.includes("worker"))).toHaveLength(1);
    expect(report.unmatched.length).toBeLessThanOrEqual(20);
    expect(report.unmatched.some((u) => u.text.endsWith("kind "))).toBe(false);
  });
});

describe("default line kinds", () => {
  it("does not match the text of a command Kamal runs unless the rule asks for command lines", () => {
    const label = rule({ id: "label", match: { any: ["is missing the 'service' label"] } });
    const log = `  INFO [3a26265c] Running docker inspect -f '{{ .Config.Labels.service }}' img | grep -x app || (echo "Image img is missing the 'service' label" && exit 1) on 10.0.0.1\n`;
    expect(analyze(log, [label]).findings).toHaveLength(0);
    expect(analyze(`${log}docker stdout: Image img is missing the 'service' label\n`, [label]).findings).toHaveLength(1);
    const commands = rule({ id: "cmd", match: { any: ["docker inspect"] }, context: { kinds: ["command-start"] } });
    expect(analyze(log, [commands]).findings).toHaveLength(1);
  });
});

describe("templates", () => {
  it("shows optional text only when its capture exists", async () => {
    const { fill } = await import("../src/rules/template.js");
    expect(fill("Port{ :port} is taken", { port: "3000" })).toBe("Port 3000 is taken");
    expect(fill("Port{ :port} is taken", {})).toBe("Port is taken");
    expect(fill("{Port :port|A port} is taken", {})).toBe("A port is taken");
    expect(fill("{Port :port|A port} is taken", { port: "80" })).toBe("Port 80 is taken");
    expect(fill("{port|a port} and {missing}", {})).toBe("a port and (unknown)");
    expect(fill("docker inspect --format '{{json .State.Health}}'", {})).toBe("docker inspect --format '{{json .State.Health}}'");
  });
});

describe("fallback rules", () => {
  const catchAll = rule({ id: "catch-all", severity: "info", fallback: true, match: { any: ["exit status: \\d+"] } });
  it("are dropped when a more specific finding exists", () => {
    expect(analyze(HEALTH_LOG, [catchAll, unhealthy]).findings.map((f) => f.ruleId)).toEqual(["unhealthy"]);
  });
  it("give way to a diagnosis inferred from the failing command", () => {
    expect(analyze(HEALTH_LOG, [catchAll]).findings.map((f) => [f.ruleId, f.basis])).toEqual([["inferred-proxy-deploy", "inferred"]]);
  });
  it("speak when nothing else does", () => {
    const log = "  INFO [0a1b2c3d] Running /usr/bin/env true on 192.0.2.10\n  ERROR (SSHKit::Command::Failed): Exception while executing on host 192.0.2.10: true exit status: 1\n";
    expect(analyze(log, [catchAll]).findings.map((f) => [f.ruleId, f.basis])).toEqual([["catch-all", "rule"]]);
  });
});

describe("benign lines", () => {
  it("leaves docker's login chatter out of the unmatched lines", () => {
    const report = analyze("  ERROR (SSHKit::Command::Failed): docker exit status: 256\ndocker stdout: Nothing written\ndocker stderr: WARNING! Using --password via the CLI is insecure. Use --password-stdin.\nError response from daemon: something new\n", []);
    expect(report.unmatched.map((u) => u.text)).toEqual(["  ERROR (SSHKit::Command::Failed): docker exit status: 256", "Error response from daemon: something new"]);
  });
});

describe("payload context", () => {
  const log = `  ERROR (SSHKit::Command::Failed): Exception while executing on host 10.0.0.1: docker exit status: 1
docker stdout: 9a8b7c6: Pulling from ledger
0f3e61aa9d10: Pulling fs layer
docker stderr: write /x/y.so: no space left on device
`;
  it("is shown while nothing explains the failure", () => {
    expect(analyze(log, []).unmatched.map((u) => u.line)).toEqual([1, 2, 3, 4]);
  });
  it("is left out once a rule explains the final error", () => {
    const disk = rule({ id: "disk", match: { any: ["no space left on device"] } });
    expect(analyze(log, [disk]).unmatched).toEqual([]);
  });
});

describe("Kamal version", () => {
  const v2only = rule({ id: "v2-only", kamal: ["2.x"], match: { any: ["No such container: (?:traefik|kamal-proxy)"] } });
  const TRAEFIK_LOG = `Ensure Traefik is running...
  INFO [08dfc0d8] Running docker container start traefik || docker run --name traefik --detach traefik:v2.11 on 192.0.2.10
  Finished all in 3.2 seconds
  ERROR (SSHKit::Command::Failed): Exception while executing on host 192.0.2.10: docker exit status: 125
docker stderr: Error response from daemon: No such container: traefik
Error: failed to start containers: traefik
`;

  it("does not fire a rule on a log of a version it is not for, nor list its lines as unexplained", () => {
    const report = analyze(TRAEFIK_LOG, [v2only]);
    expect(report.deploy.kamalVersion).toBe("1.x");
    // No rule speaks; the diagnosis is inferred from the command that failed, led by its key line.
    expect(report.findings.map((f) => [f.ruleId, f.basis, f.category])).toEqual([["inferred-proxy-boot", "inferred", "proxy"]]);
    expect(report.findings[0]?.evidence[0]).toContain("No such container: traefik");
    expect(report.unmatched.some((u) => u.text.includes("No such container"))).toBe(false);
  });

  it("fires it when the version is unknown and says what it assumes", () => {
    const report = analyze("  ERROR (SSHKit::Command::Failed): docker exit status: 1\ndocker stderr: Error response from daemon: No such container: app-web\n", [rule({ id: "v2-only", kamal: ["2.x"], match: { any: ["No such container"] } })]);
    expect(report.deploy.kamalVersion).toBeNull();
    expect(report.findings[0]?.explanation).toBe("why (The log does not show the Kamal version; this reads it as Kamal 2.x.)");
  });

  it("picks the variant and the steps of the version the log shows", () => {
    const scoped = rule({
      id: "scoped",
      match: { any: ["No such container"] },
      remediation: ["always", { kamal: ["2.x"], text: "`kamal proxy boot`" }, { kamal: ["1.x", "0.x"], text: "`kamal traefik boot`" }],
      docs: ["https://example.com/v2"],
      variants: [{ kamal: ["1.x", "0.x"], explanation: "Traefik why", docs: ["https://example.com/v1"] }],
    });
    const v1 = analyze(TRAEFIK_LOG, [scoped]).findings[0];
    expect([v1?.explanation, v1?.remediation, v1?.docs]).toEqual(["Traefik why", ["always", "`kamal traefik boot`"], ["https://example.com/v1"]]);
    const mrsk = analyze(TRAEFIK_LOG.replace("SSHKit::Command::Failed", "Mrsk::Cli::Error"), [scoped]).findings[0];
    expect(mrsk?.remediation).toEqual(["always", "`mrsk traefik boot`"]);
  });

  it("infers Kamal 2 from a registry login inside the pull step, Kamal 1 from its lock directory", () => {
    const pull = "Pull app image...\n  INFO [a6b9fa4e] Running docker login ghcr.io -u x -p y on 192.0.2.10\n  INFO [a6b9fa4e] Finished in 0.1 seconds with exit status 0 (successful).\n";
    expect(analyze(pull, []).deploy.kamalVersion).toBe("2.x");
    const lock = "Log into image registry...\n  INFO [a6b9fa4e] Running docker login ghcr.io -u x -p y on 192.0.2.10\n  INFO [36c88edf] Running /usr/bin/env mkdir -p .kamal/locks on 192.0.2.10\n";
    expect(analyze(lock, []).deploy.kamalVersion).toBe("1.x");
  });

  it("does not list a line a finding matched as unexplained, even past its evidence", () => {
    const many = rule({ id: "many", match: { any: ["ERROR boom"] } });
    const lines = Array.from({ length: 50 }, (_, i) => ` ERROR boom ${i}`).join("\n");
    const report = analyze(`${lines}\n  ERROR (RuntimeError): boom\n`, [many]);
    expect(report.findings[0]?.occurrences).toBe(50);
    expect(report.unmatched.filter((u) => u.text.includes("ERROR boom"))).toEqual([]);
  });
});

describe("no contradictions", () => {
  it("drops a finding whose lines another finding that explains it matched: the same line read two ways", () => {
    const held = rule({ id: "held", match: { any: ["Deploy lock found"] } });
    const masks = rule({ id: "masks", match: { any: ["Mrsk::Cli::Base::LockError\\): Deploy lock found"] }, explains: ["held"] });
    const one = analyze("ERROR (Mrsk::Cli::Base::LockError): Deploy lock found\n", [held, masks]);
    expect(one.findings.map((f) => f.ruleId)).toEqual(["masks"]);
    // A line of its own keeps the explained finding, after the one that explains it.
    const two = analyze("Deploy lock found elsewhere\nERROR (Mrsk::Cli::Base::LockError): Deploy lock found\n", [held, masks]);
    expect(two.findings.map((f) => f.ruleId)).toEqual(["masks", "held"]);
  });
});

describe("several sources", () => {
  const opts = (rules: Rule[]) => ({ rules: compileRules(rules), toolVersion: "test" });
  const full = rule({ id: "disk", category: "disk-full", match: { any: ["no space left on device"] } });
  const ssh = rule({ id: "ssh", category: "ssh-auth", match: { any: ["AuthenticationFailed"] } });
  const DISK = `Pull app image...
  INFO [aaaaaaaa] Running docker pull r/app:1 on 192.0.2.1
  Finished all in 14.2 seconds
  ERROR (SSHKit::Command::Failed): Exception while executing on host 192.0.2.1: docker exit status: 1
docker stderr: no space left on device
`;
  const SSH = `Log into image registry...
  INFO [bbbbbbbb] Running docker login r -u u -p p on 192.0.2.2
  Finished all in 1.9 seconds
  ERROR (Net::SSH::AuthenticationFailed): Exception while executing on host 192.0.2.2: Authentication failed for user deploy@192.0.2.2
`;
  const OK = `Pull app image...
  INFO [cccccccc] Running docker pull r/app:1 on 192.0.2.3
  INFO [cccccccc] Finished in 3.000 seconds with exit status 0 (successful).
  Finished all in 73.4 seconds
`;
  const read = async (sources: { name: string; text: string; attachTo?: "previous" }[], rules: Rule[]) =>
    diagnose(
      sources.map(({ text, ...meta }) => ({ ...meta, text: Readable.from([text]) })),
      opts(rules),
    );

  it("reads each source as a deploy of its own and combines them: worst outcome, a root cause per failed deploy", async () => {
    for (const order of [["disk", "ssh", "ok"], ["ok", "ssh", "disk"]]) {
      const texts: Record<string, string> = { disk: DISK, ssh: SSH, ok: OK };
      const report = await read(order.map((name) => ({ name: `${name}.log`, text: texts[name] as string })), [full, ssh]);
      expect(report.outcome).toBe("failed");
      const byName = Object.fromEntries(report.deploys.map((d) => [d.source, d]));
      expect(byName["disk.log"]).toMatchObject({ outcome: "failed", failedPhase: "pull", seconds: 14.2, hosts: ["192.0.2.1"], failedCommand: { command: "docker pull r/app:1" } });
      expect(byName["ssh.log"]).toMatchObject({ outcome: "failed", seconds: 1.9, hosts: ["192.0.2.2"], failedCommand: { command: "docker login r -u u -p p" } });
      expect(byName["ok.log"]).toMatchObject({ outcome: "succeeded", failedPhase: null, seconds: 73.4, failedCommand: null });
      expect(report.findings.filter((f) => f.rootCause).map((f) => `${f.source}:${f.ruleId}`).sort()).toEqual(["disk.log:disk", "ssh.log:ssh"]);
      // The top-level deploy is the first failed deploy's.
      const firstFailed = report.deploys.find((d) => d.outcome === "failed");
      expect(report.deploy.seconds).toBe(firstFailed?.seconds);
      expect(report.findings[0]?.source).toBe(firstFailed?.source);
      expect(deployReports(report).map((r) => r.outcome)).toEqual(report.deploys.map((d) => d.outcome));
    }
  });

  it("is succeeded only when every deploy succeeded", async () => {
    const report = await read([{ name: "a.log", text: OK }, { name: "b.log", text: OK }], []);
    expect(report.outcome).toBe("succeeded");
    expect(report.deploys.map((d) => d.outcome)).toEqual(["succeeded", "succeeded"]);
  });

  it("joins a source attached as evidence to the deploy before it: its finding can explain the health-check failure", async () => {
    const deployLog = `Start container with version abc (or reboot if already running)...
  INFO [92a3b4c5] Running docker exec kamal-proxy kamal-proxy deploy app-web --target="5c1d:80" on 192.0.2.10
  Finished all in 40.0 seconds
  ERROR (SSHKit::Command::Failed): Exception while executing on host 192.0.2.10: docker exit status: 1
docker stderr: Error: target failed to become healthy within configured timeout (30s)
`;
    const appLogs = "App Host: 192.0.2.10\n2026-03-02T10:14:02Z ActiveSupport::MessageEncryptor::InvalidMessage\n";
    const attached = await read([{ name: "deploy.log", text: deployLog }, { name: "kamal app logs", text: appLogs, attachTo: "previous" }], [crash, unhealthy]);
    expect(attached.deploys).toHaveLength(1);
    expect(attached.deploys[0]).toMatchObject({ source: "deploy.log", attached: ["kamal app logs"], outcome: "failed", failedPhase: "health-check" });
    expect(attached.sources.map((s) => s.attachedTo)).toEqual([null, "deploy.log"]);
    expect(attached.findings.map((f) => [f.ruleId, f.rootCause, f.source])).toEqual([
      ["app-crash", true, "kamal app logs"],
      ["unhealthy", false, "deploy.log"],
    ]);
    // Without the attachment the app logs are a deploy of their own and explain nothing.
    const separate = await read([{ name: "deploy.log", text: deployLog }, { name: "kamal app logs", text: appLogs }], [crash, unhealthy]);
    expect(separate.deploys).toHaveLength(2);
    expect(separate.findings.find((f) => f.ruleId === "unhealthy")?.rootCause).toBe(true);
    // Evidence with no deploy before it is a deploy of its own.
    const alone = await read([{ name: "kamal app logs", text: appLogs, attachTo: "previous" }], [crash]);
    expect(alone.deploys.map((d) => d.source)).toEqual(["kamal app logs"]);
  });
});
