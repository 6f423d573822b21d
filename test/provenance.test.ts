// Provenance (which command a line belongs to, what kind of text it is), rules scoped to or
// re-categorised by it, diagnoses inferred from the failing command, and the key line.
import { describe, expect, it } from "vitest";
import { analyzeText } from "../src/core/index.js";
import { commandKind, ProvenanceTracker } from "../src/core/provenance.js";
import { LineParser } from "../src/core/parse.js";
import { Normalizer } from "../src/core/normalize.js";
import { compileRules } from "../src/rules/compile.js";
import { ruleSchema, type Rule } from "../src/rules/schema.js";
import { analyze as analyzeWithCatalogue } from "./support/analyze.js";

function rule(partial: Partial<Rule> & Pick<Rule, "id">): Rule {
  return ruleSchema.parse({
    title: partial.id,
    category: "other",
    severity: "error",
    match: { any: ["never-matches-anything"] },
    explanation: "x",
    remediation: ["x"],
    examples: { match: ["x"], noMatch: ["y"] },
    ...partial,
  });
}
const analyze = (text: string, rules: Rule[]) => analyzeText("deploy.log", text, { rules: compileRules(rules), toolVersion: "test" });

function origins(text: string): Array<[string, string | null]> {
  const normalizer = new Normalizer();
  const parser = new LineParser("x");
  const tracker = new ProvenanceTracker();
  return text.split("\n").map((line) => {
    const p = tracker.observe(parser.parse(normalizer.normalize(line)), null);
    return [p.origin, p.command];
  });
}

describe("command kinds", () => {
  it.each([
    ["docker buildx build --push --platform linux/amd64 -t app:abc .", "build"],
    ["docker login ghcr.io -u [REDACTED] -p [REDACTED]", "registry-login"],
    ["docker image pull ghcr.io/acme/app:abc", "pull"],
    ["docker container start kamal-proxy || docker run --name kamal-proxy --network kamal --detach basecamp/kamal-proxy:v0.8.7", "proxy-boot"],
    ["docker exec kamal-proxy kamal-proxy deploy app-web --target=\"abc:80\"", "proxy-deploy"],
    ["docker run --detach --restart unless-stopped --name app-web-abc --env-file .kamal/apps/app/env/roles/web.env ghcr.io/acme/app:abc", "app-run"],
    ["docker run --name app-redis --detach --restart unless-stopped --env-file .kamal/apps/app/env/accessories/redis.env redis:7", "accessory"],
    ["sh -c 'mkdir -p .kamal/locks && mkdir .kamal/locks/app'", "lock"],
    ["apt-get update -y && apt-get install docker.io -y", "docker-install"],
    ["docker image prune --all --force --filter label=service=app", "prune"],
    [".kamal/hooks/pre-deploy", "hook"],
    ["kamal secrets fetch --adapter 1password --from Vault/Item KEY", "secrets"],
    ["kamal app exec 'bin/rails db:migrate'", "app-exec"],
    ["ls -la", "other"],
  ])("%s is %s", (command, kind) => {
    expect(commandKind(command)).toBe(kind);
  });
});

describe("line origins", () => {
  it("names build output, a shell paste, proxy logs and a Kamal step", () => {
    expect(
      origins(
        [
          "#12 [stage 3/7] RUN bundle install",
          "ERROR: failed to solve: process did not complete successfully",
          "deploy@web-1:~$ docker logs kamal-proxy",
          '{"time":"2026-01-01T00:00:00Z","level":"ERROR","msg":"Unable to start","error":"bind"}',
          'time="2026-01-01T00:00:00Z" level=error msg="Error while starting server"',
          "Acquiring the deploy lock...",
        ].join("\n"),
      ),
    ).toEqual([
      ["build", "build"],
      ["build", "build"],
      ["shell", "other"],
      ["proxy-log", "other"],
      ["proxy-log", "other"],
      ["kamal", null],
    ]);
  });
});

const ACCESSORY_CONFLICT = `  INFO [1a2b3c4d] Running docker run --name app-redis --detach --restart unless-stopped --env-file .kamal/apps/app/env/accessories/redis.env redis:7 on 192.0.2.10
  Finished all in 1.2 seconds
  ERROR (SSHKit::Command::Failed): Exception while executing on host 192.0.2.10: docker exit status: 125
docker stdout: Nothing written
docker stderr: docker: Error response from daemon: Conflict. The container name "/app-redis" is already in use by container "0a1b". You have to remove (or rename) that container to be able to reuse that name.
See 'docker run --help'.
`;

describe("rules that know their context", () => {
  const conflict = rule({
    id: "conflict",
    category: "proxy",
    match: { any: ["Conflict\\. The container name"] },
    recategorize: [{ when: { commands: ["accessory"] }, category: "accessory", title: "accessory conflict" }],
  });
  it("re-categorises a finding by the command it is about", () => {
    const [finding] = analyze(ACCESSORY_CONFLICT, [conflict]).findings;
    expect(finding).toMatchObject({ ruleId: "conflict", basis: "rule", category: "accessory", title: "accessory conflict" });
  });
  it("leads with the key line, not docker's usage hint", () => {
    const report = analyze(ACCESSORY_CONFLICT, [conflict]);
    expect(report.findings[0]?.evidence[0]).toContain("Conflict. The container name");
    expect(report.unmatched.map((u) => u.text)).not.toContain("See 'docker run --help'.");
    expect(report.deploy.failedCommand?.kind).toBe("accessory");
  });
  it("says where its key line came from: the command it belongs to and the kind of text", () => {
    expect(analyze(ACCESSORY_CONFLICT, [conflict]).findings[0]?.origin).toEqual({ command: "accessory", text: "kamal" });
    const proxyLog = rule({ id: "proxy-log", match: { any: ['"msg":"Unable to bind'] } });
    const paste = '$ docker logs kamal-proxy\n{"time":"2026-01-01T00:00:00Z","level":"ERROR","msg":"Unable to bind","port":443}\n';
    expect(analyze(paste, [proxyLog]).findings[0]?.origin).toEqual({ command: "other", text: "proxy-log" });
  });
  it("says the context's own steps when the recategorisation has them", () => {
    const steps = rule({
      id: "conflict-steps",
      category: "proxy",
      match: { any: ["Conflict\\. The container name"] },
      remediation: ["reboot the proxy"],
      recategorize: [{ when: { commands: ["accessory"] }, category: "accessory", remediation: ["reboot the accessory"] }],
    });
    expect(analyze(ACCESSORY_CONFLICT, [steps]).findings[0]?.remediation).toEqual(["reboot the accessory"]);
    const proxy = ACCESSORY_CONFLICT.replace("--name app-redis", "--name kamal-proxy").replace(" --env-file .kamal/apps/app/env/accessories/redis.env", "");
    expect(analyze(proxy, [steps]).findings[0]?.remediation).toEqual(["reboot the proxy"]);
  });
  it("keeps its own category elsewhere", () => {
    const proxy = ACCESSORY_CONFLICT.replace("--name app-redis", "--name kamal-proxy").replace(" --env-file .kamal/apps/app/env/accessories/redis.env", "");
    expect(analyze(proxy, [conflict]).findings[0]?.category).toBe("proxy");
  });
  it("scopes a rule to command kinds and origins", () => {
    const onlyBuild = rule({ id: "only-build", match: { any: ["Conflict\\. The container name"] }, context: { commands: ["build"] } });
    expect(analyze(ACCESSORY_CONFLICT, [onlyBuild]).findings.map((f) => f.ruleId)).not.toContain("only-build");
    const buildOrigin = rule({ id: "build-origin", match: { any: ["rails aborted!"] }, context: { origins: ["build"] } });
    const log = "#9 [build 4/5] RUN bin/rails assets:precompile\n#9 2.1 rails aborted!\n#9 ERROR: process \"/bin/sh -c bin/rails assets:precompile\" did not complete successfully: exit code: 1\n";
    expect(analyze(log, [buildOrigin]).findings.map((f) => f.ruleId)).toEqual(["build-origin"]);
    expect(analyze("2026-01-01T00:00:00Z rails aborted!\n", [buildOrigin]).findings).toEqual([]);
  });
  it("ranks the finding that agrees with the failing command first", () => {
    const a = rule({ id: "elsewhere", priority: 60, match: { any: ["Nothing written"] }, context: { kinds: ["payload"] }, category: "build" });
    const b = rule({ id: "agrees", priority: 50, match: { any: ["Conflict\\. The container name"] }, category: "accessory" });
    expect(analyze(ACCESSORY_CONFLICT, [a, b]).findings.map((f) => f.ruleId)).toEqual(["agrees", "elsewhere"]);
  });
});

describe("inferred findings", () => {
  it("name the failing step when no rule matches, with its key line", () => {
    const log = `Build and push app image...
  INFO [aa11bb22] Running docker buildx build --push -t app:abc . as me@localhost
 DEBUG [aa11bb22] 	#7 [build 3/4] RUN yarn build
 DEBUG [aa11bb22] 	#7 1.2 error Command failed with exit code 1.
 DEBUG [aa11bb22] 	ERROR: failed to solve: process "/bin/sh -c yarn build" did not complete successfully: exit code: 1
  Finished all in 3.0 seconds
  ERROR (SSHKit::Command::Failed): docker exit status: 256
`;
    const report = analyze(log, []);
    expect(report.findings.map((f) => [f.ruleId, f.basis, f.category, f.rootCause])).toEqual([["inferred-build", "inferred", "build", true]]);
    expect(report.findings[0]?.title).toBe('The image build failed: ERROR: failed to solve: process "/bin/sh -c yarn build" did not complete successfully: exit code: 1');
    expect(report.findings[0]?.remediation.join(" ")).toContain("docker build");
    expect(report.unmatched.map((u) => u.line)).not.toContain(5);
    expect(report.findings[0]?.origin).toEqual({ command: "build", text: "build" });
  });
  it("speak the log's Kamal version, and say when it is unknown", () => {
    const log = `  ERROR (SSHKit::Command::Failed): apt-get update -y && apt-get install docker.io -y exit status: 100
apt-get update -y && apt-get install docker.io -y stderr: E: Could not open lock file /var/lib/apt/lists/lock - open (13: Permission denied)
`;
    const unknown = analyze(log, []).findings[0];
    expect(unknown).toMatchObject({ basis: "inferred", category: "docker-unavailable" });
    expect(unknown?.remediation.some((step) => step.startsWith("(Kamal 2.x/1.x)"))).toBe(true);
    const mrsk = analyze(`$ mrsk deploy\n${log}  from /gems/mrsk-0.12.0/lib/mrsk/cli/main.rb:10:in \`deploy'\n`, []).findings[0];
    expect(mrsk?.remediation.join(" ")).toContain("mrsk server bootstrap");
  });
  it("lead with what the failing command printed last when none of it reads like an error", () => {
    const log = '$ kamal secrets fetch --adapter passbolt --from shared DB_HOST\n{"shared/DB_HOST":""}\n##[error]Process completed with exit code 1.\n';
    const [finding] = analyze(log, []).findings;
    expect(finding).toMatchObject({ ruleId: "inferred-secrets", line: 2, origin: { command: "secrets", text: "shell" } });
    expect(finding?.evidence[0]).toBe('{"shared/DB_HOST":""}');
    // Output of another command than the one that failed explains nothing.
    const other = '$ docker ps\nCONTAINER ID   IMAGE\n##[error]Process completed with exit code 1.\n';
    expect(analyze(other, []).findings).toEqual([]);
  });
  it("are not made for a command of no known kind", () => {
    expect(analyze("  ERROR (SSHKit::Command::Failed): Exception while executing on host 192.0.2.10: ls exit status: 2\n", []).findings).toEqual([]);
  });
});

describe("a log that stops while a step is still running", () => {
  const PROXY_WAIT = [
    "Start container with version 5e6f7a8 (or reboot if already running)...",
    "  INFO [93c4d5e6] Running docker run --detach --name ledger-web-5e6f7a8 --network kamal registry.example.org/ledger:5e6f7a8 on 198.51.100.23",
    "  INFO [93c4d5e6] Finished in 0.744 seconds with exit status 0 (successful).",
    '  INFO [a4d5e6f7] Running docker exec kamal-proxy kamal-proxy deploy ledger-web --target="4b5c6d7e8f90:3000" --deploy-timeout="600s" on 198.51.100.23',
    "",
  ].join("\n");

  it("names the step of the command that never finished, as an inferred warning", () => {
    const report = analyze(PROXY_WAIT, []);
    expect(report.outcome).toBe("unknown");
    expect(report.findings.map((f) => [f.ruleId, f.basis, f.category, f.severity, f.rootCause])).toEqual([["stopped-proxy-deploy", "inferred", "health-check", "warning", false]]);
    expect(report.findings[0]?.title).toBe("The log stops while Kamal was still waiting for the proxy to take the new container");
    expect(report.findings[0]?.evidence[0]).toContain("Running docker exec kamal-proxy kamal-proxy deploy");
    expect(report.findings[0]?.host).toBe("198.51.100.23");
  });

  it("leads with what the running command printed last", () => {
    const log = "  INFO [aa11bb22] Running docker pull registry.example.org/ledger:5e6f7a8 on 198.51.100.23\n DEBUG [aa11bb22] \t5e6f7a8: Pulling from ledger\n DEBUG [aa11bb22] \tb1c2d3e4f5a6: Downloading  41.2MB/98.1MB\n";
    const [finding] = analyze(log, []).findings;
    expect(finding).toMatchObject({ ruleId: "stopped-pull", category: "image-not-found", line: 3 });
    expect(finding?.evidence.slice(0, 2)).toEqual([" DEBUG [aa11bb22] \tb1c2d3e4f5a6: Downloading  41.2MB/98.1MB", "Running docker pull registry.example.org/ledger:5e6f7a8"]);
  });

  it("says nothing when every command finished, the deploy succeeded, or the command is of no known kind", () => {
    expect(analyze(PROXY_WAIT.replace(/ {2}INFO \[a4d5e6f7\].*\n/, ""), []).findings).toEqual([]);
    const done = `${PROXY_WAIT}  INFO [a4d5e6f7] Finished in 4.1 seconds with exit status 0 (successful).\n  Finished all in 12.0 seconds\n`;
    expect(analyze(done, []).outcome).toBe("succeeded");
    expect(analyze(done, []).findings).toEqual([]);
    expect(analyze("  INFO [aa11bb22] Running docker logs --follow ledger-web on 198.51.100.23\n", []).findings).toEqual([]);
    // Text that only looks like build output (Puma's `=> Booting`) is no step the log shows.
    expect(analyze("=> Booting Puma\n=> Rails 8.0.1 application starting in production\n", []).findings).toEqual([]);
  });

  it("gives way to the failure when the log goes on to one", () => {
    const failed = `${PROXY_WAIT}  Finished all in 612.0 seconds\n  ERROR (SSHKit::Command::Failed): Exception while executing on host 198.51.100.23: docker exit status: 1\ndocker stderr: Error: target failed to become healthy within configured timeout (600s)\n`;
    const report = analyze(failed, []);
    expect(report.outcome).toBe("failed");
    expect(report.findings.map((f) => f.ruleId)).toEqual(["inferred-proxy-deploy"]);
  });
});

describe("the lead evidence line of a rule's finding", () => {
  it("is the line the rule matched on the failure path, not expected output of a `start || run` fallback", async () => {
    const log = [
      "Ensure Traefik is running...",
      "  INFO [08dfc0d8] Running docker container start traefik || docker run --name traefik --detach --publish 80:80 traefik:v2.11 on 192.0.2.4",
      "  Finished all in 3.2 seconds",
      "  ERROR (SSHKit::Command::Failed): Exception while executing on host 192.0.2.4: docker exit status: 125",
      "docker stderr: Error response from daemon: No such container: traefik",
      "Error: failed to start containers: traefik",
      "docker: Error response from daemon: driver failed programming external connectivity on endpoint traefik (0f1e2d): Bind for 0.0.0.0:80 failed: port is already allocated.",
    ].join("\n");
    const report = await analyzeWithCatalogue(`${log}\n`);
    expect(report.findings[0]?.category).toBe("port-in-use");
    expect(report.findings[0]?.evidence[0]).toContain("port is already allocated");
  });
});
