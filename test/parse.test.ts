import { describe, expect, it } from "vitest";
import { Normalizer } from "../src/core/normalize.js";
import { exitCodeOf, LineParser, phaseOfCommand } from "../src/core/parse.js";

const parse = (lines: string[]) => {
  const n = new Normalizer();
  const p = new LineParser("deploy.log");
  return lines.map((line) => p.parse(n.normalize(line)));
};

describe("LineParser", () => {
  it("parses SSHKit command lifecycle lines with ids and hosts", () => {
    const [start, text, out, end] = parse([
      "  INFO [1f0c2b7a] Running docker pull ghcr.io/acme/app:abc on 203.0.113.10",
      " DEBUG [1f0c2b7a] Command: docker pull ghcr.io/acme/app:abc",
      " DEBUG [1f0c2b7a] \tabc: Pulling from acme/app",
      "  INFO [1f0c2b7a] Finished in 0.512 seconds with exit status 0 (successful).",
    ]);
    expect(start).toMatchObject({ kind: "command-start", level: "INFO", id: "1f0c2b7a", host: "203.0.113.10", command: "docker pull ghcr.io/acme/app:abc" });
    expect(text).toMatchObject({ kind: "command-text", message: "docker pull ghcr.io/acme/app:abc", host: "203.0.113.10" });
    expect(out).toMatchObject({ kind: "command-output", message: "abc: Pulling from acme/app", host: "203.0.113.10" });
    expect(end).toMatchObject({ kind: "command-finish", exitStatus: 0, seconds: 0.512 });
  });

  it("reads local commands run as user@localhost", () => {
    const [start] = parse(["  INFO [9b53ce42] Running docker login ghcr.io -u [REDACTED] -p [REDACTED] as alice@localhost"]);
    expect(start).toMatchObject({ kind: "command-start", host: "localhost" });
  });

  it("tolerates pasted lines that lost their indentation", () => {
    const [start] = parse(["INFO [8aef63cd] Running /usr/bin/env mkdir -p .kamal on 172.31.23.194"]);
    expect(start).toMatchObject({ kind: "command-start", host: "172.31.23.194" });
  });

  it("parses log lines without an id, step lines and Finished all", () => {
    const [log, step, all] = parse([" ERROR Failed to boot web on 10.0.0.1", "Acquiring the deploy lock...", "  Finished all in 13.1 seconds"]);
    expect(log).toMatchObject({ kind: "log", level: "ERROR", message: "Failed to boot web on 10.0.0.1" });
    expect(step).toMatchObject({ kind: "step", phase: "lock" });
    expect(all).toMatchObject({ kind: "log", seconds: 13.1 });
  });

  it("maps the step lines of each Kamal version to phases", () => {
    const steps = parse([
      "Ensure Docker is installed...",
      "Log into image registry...",
      "Build and push app image...",
      "Running the pre-deploy hook...",
      "Ensure Traefik is running...",
      "Ensure kamal-proxy is running...",
      "Ensure app can pass healthcheck...",
      "Start container with version abc using a 7s readiness delay (or reboot if already running)...",
      "Prune old containers and images...",
      "Releasing the deploy lock...",
    ]);
    expect(steps.map((s) => s.phase)).toEqual([
      "bootstrap",
      "registry-login",
      "build",
      "hook",
      "proxy-boot",
      "proxy-boot",
      "health-check",
      "boot",
      "prune",
      "release-lock",
    ]);
  });

  it("parses the final error, its multi-line payload and several hosts", () => {
    const lines = parse([
      " ERROR (SSHKit::Command::Failed): Exceptions on 2 hosts:",
      "Exception while executing on host 10.0.0.1: docker exit status: 125",
      "docker stdout: Nothing written",
      "docker stderr: Bind for 0.0.0.0:3000 failed: port is already allocated.",
      "",
      "Exception while executing on host 10.0.0.2: docker exit status: 125",
      "docker stderr: Bind for 0.0.0.0:3000 failed: port is already allocated.",
    ]);
    expect(lines[0]).toMatchObject({ kind: "error", errorClass: "SSHKit::Command::Failed", message: "Exceptions on 2 hosts:" });
    expect(lines[1]).toMatchObject({ kind: "payload", host: "10.0.0.1", exitStatus: 125 });
    expect(lines[3]).toMatchObject({ kind: "payload", host: "10.0.0.1" });
    expect(lines[6]).toMatchObject({ kind: "payload", host: "10.0.0.2" });
  });

  it("reads the host from a single-host error line and MRSK-era classes", () => {
    const [one] = parse(["  ERROR (Net::SSH::AuthenticationFailed): Exception while executing on host 10.0.0.9: Authentication failed for user deploy@10.0.0.9"]);
    expect(one).toMatchObject({ kind: "error", host: "10.0.0.9", errorClass: "Net::SSH::AuthenticationFailed" });
    const [mrsk] = parse(["ERROR (Mrsk::Cli::Base::LockError): Deploy lock found"]);
    expect(mrsk).toMatchObject({ kind: "error", errorClass: "Mrsk::Cli::Base::LockError" });
  });

  it("marks Ruby backtraces", () => {
    const lines = parse([
      "  ERROR (Errno::ENOENT): No such file or directory - docker",
      "/Users/me/.rvm/rubies/ruby-3.2.0/lib/ruby/3.2.0/open3.rb:222:in `spawn'",
      "/usr/local/bundle/gems/kamal-2.4.0/lib/kamal/cli/main.rb:19:in `block in deploy'",
    ]);
    expect(lines.map((l) => l.kind)).toEqual(["error", "backtrace", "backtrace"]);
  });

  it("does not take the runner's script echo for output", () => {
    const lines = parse(["2025-01-01T00:00:00.0000000Z ##[group]Run kamal deploy", "2025-01-01T00:00:00.0000000Z kamal deploy 2>&1 | tee deploy.log"]);
    expect(lines.map((l) => l.kind)).toEqual(["runner", "runner"]);
  });
});

describe("exit statuses", () => {
  it("reads SSHKit's raw wait statuses", () => {
    expect(exitCodeOf(256)).toBe(1);
    expect(exitCodeOf(32512)).toBe(127);
    expect(exitCodeOf(125)).toBe(125);
    expect(exitCodeOf(0)).toBe(0);
  });
});

describe("phaseOfCommand", () => {
  it.each([
    ["/usr/bin/env .kamal/hooks/pre-deploy", "hook"],
    ['docker exec kamal-proxy kamal-proxy deploy app-web --target="abc:80"', "health-check"],
    ["docker login ghcr.io -u [REDACTED] -p [REDACTED]", "registry-login"],
    ["docker buildx build --push --platform linux/amd64 .", "build"],
    ["docker pull ghcr.io/acme/app:abc", "pull"],
    ["docker run --name app-db --env-file .kamal/apps/app/env/accessories/db.env postgres:16", "accessory"],
    ["/usr/bin/env mkdir -p .kamal", null],
  ])("%s → %s", (command, phase) => {
    expect(phaseOfCommand(command)).toBe(phase);
  });
});

describe("dumped container output", () => {
  it("marks what Kamal prints after a finished command as a dump of that host, until Kamal speaks again", () => {
    const lines = parse([
      "  INFO [a3b4c5d6] Running docker logs app-web on 192.0.2.10",
      "  INFO [a3b4c5d6] Finished in 0.188 seconds with exit status 0 (successful).",
      " ERROR 2026-03-02T10:14:01.118204312Z => Booting Puma",
      "2026-03-02T10:14:02.902230144Z bin/rails aborted!",
      "  INFO [b4c5d6e7] Running docker stop app-web on 192.0.2.10",
      " ERROR Failed to boot web on 192.0.2.10",
    ]);
    expect(lines.map((l) => [l.dump, l.host])).toEqual([
      [false, "192.0.2.10"],
      [false, "192.0.2.10"],
      [true, "192.0.2.10"],
      [true, "192.0.2.10"],
      [false, "192.0.2.10"],
      [false, null],
    ]);
  });
});
