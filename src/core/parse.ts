// The Kamal / SSHKit line grammar (v0.x MRSK, 1.x, 2.x): SSHKit's Pretty formatter lines,
// Kamal's step lines, the final `ERROR (Class): message` with its multi-line payload, Ruby
// backtraces. Stateful only for what spans lines: the final error block and the current host.

import type { NormalizedLine } from "./normalize.js";
import { detach } from "./strings.js";
import type { Level, LineKind, Phase } from "../vocabulary.js";

export interface ParsedLine {
  source: string;
  line: number;
  /** The cleaned line as Kamal printed it. */
  text: string;
  timestamp: string | null;
  kind: LineKind;
  level: Level | null;
  /** SSHKit's 8-hex command id. */
  id: string | null;
  host: string | null;
  /** The text after the level and command id (or the whole text). */
  message: string;
  /** For step lines: the phase the step starts. */
  phase: Phase | null;
  /** command-start: the command; command-finish: exit status and seconds. */
  command: string | null;
  exitStatus: number | null;
  seconds: number | null;
  /** error lines: the exception class Kamal printed. */
  errorClass: string | null;
  /** Runner lines: the exit code of "Process completed with exit code N." */
  runnerExitCode: number | null;
  /**
   * The line is output Kamal printed after a command finished — container logs or a health JSON
   * it dumps after a failed boot (under ERROR, on v2) — not a Kamal message of its own.
   */
  dump: boolean;
}

const TOP_ERROR = /^\s*ERROR \(([A-Za-z_][\w:]*)\):\s?(.*)$/;
const SSHKIT = /^\s*(DEBUG|INFO|WARN|ERROR|FATAL)(?: \[([0-9a-f]{8})\])?(?: (.*))?$/;
const RUNNING = /^Running (.*) (?:on|as) (\S+)$/;
const FINISHED = /^Finished in (\d+(?:\.\d+)?) seconds with exit status (\d+) \((successful|failed)\)\.?$/;
const FINISHED_ALL = /^\s*Finished all in (\d+(?:\.\d+)?) seconds/;
const EXCEPTION_ON_HOST = /Exception while executing (?:on host |as [^@\s]+@)([^\s:]+):/;
const PAYLOAD_STATUS = /(?:^|: )(\S+) exit status: (\d+)$/;
const BACKTRACE = /^\s*(?:from )?(?:\/|[A-Za-z]:[\\/]|\.{0,2}\/?[\w.-]+\/)[^:\s]*\.rb:\d+:in /;

/** Kamal's step lines (Thor `say`) and the phase each starts, across versions. */
const STEPS: ReadonlyArray<readonly [RegExp, Phase]> = [
  [/^Ensure Docker is installed\.\.\./, "bootstrap"],
  [/^(?:Evaluate and )?[Pp]ush env files\.\.\./, "env-push"],
  [/^Log into image registry\.\.\./, "registry-login"],
  [/^Build and push app image\.\.\./, "build"],
  [/^Pull app image\.\.\./, "pull"],
  [/^Pulling image on .* to seed the mirror\.\.\.|^Pulling image on remaining hosts\.\.\./, "pull"],
  [/^Acquiring the deploy lock/, "lock"],
  [/^Running the [\w-]+ hook\.\.\./, "hook"],
  [/^Ensure (?:Traefik|kamal-proxy) is running\.\.\./, "proxy-boot"],
  [/^Ensure app can pass healthcheck\.\.\./, "health-check"],
  [/^Detect stale containers\.\.\./, "stale-containers"],
  [/^Get most recent version available as an image\.\.\./, "boot"],
  [/^Start container with version /, "boot"],
  [/^Prune old containers and images\.\.\./, "prune"],
  [/^Releasing the deploy lock\.\.\./, "release-lock"],
  [/^Rolling back to |^Rollback /, "rollback"],
];

/** Commands whose start tells more precisely where the deploy is than the last step line. */
export function phaseOfCommand(command: string): Phase | null {
  if (command.includes(".kamal/hooks/")) return "hook";
  if (command.includes("kamal-proxy deploy") || command.includes("docker inspect --format '{{if .State.Health}}")) return "health-check";
  if (/\bdocker login\b/.test(command)) return "registry-login";
  if (/--env-file \S*\/accessories\//.test(command)) return "accessory";
  if (/\bdocker (?:buildx build|build)\b/.test(command)) return "build";
  if (/\bdocker (?:image )?pull\b/.test(command)) return "pull";
  if (/\bdocker run\b.*--name (?:traefik|kamal-proxy)\b|\bkamal-proxy\b.*\bdocker (?:container )?start\b|docker container start kamal-proxy/.test(command)) return "proxy-boot";
  return null;
}

function blank(source: string, n: NormalizedLine): ParsedLine {
  return {
    source,
    line: n.line,
    text: n.text,
    timestamp: n.timestamp,
    kind: "text",
    level: null,
    id: null,
    host: null,
    message: n.text,
    phase: null,
    command: null,
    exitStatus: null,
    seconds: null,
    errorClass: null,
    runnerExitCode: n.exitCode,
    dump: false,
  };
}

export class LineParser {
  /** Inside the final error's payload (after `ERROR (Class):`). */
  private inErrorBlock = false;
  private errorHost: string | null = null;
  private readonly hostsById = new Map<string, string>();
  /** The host of the command that just finished, while what follows is its dumped output. */
  private dumpHost: string | null = null;
  private dumping = false;

  /** One independent copy of each host name, however many lines name it (see strings.ts). */
  private readonly hosts = new Map<string, string>();

  constructor(private readonly source: string) {}

  private intern(host: string): string {
    const known = this.hosts.get(host);
    if (known !== undefined) return known;
    const copy = detach(host);
    if (this.hosts.size < 1024) this.hosts.set(copy, copy);
    return copy;
  }

  /** A line of SSHKit command output `triage.ts` took (`DEBUG [id] …`): it ends an error block and a dump. */
  skippedOutput(): void {
    this.inErrorBlock = false;
    this.dumping = false;
  }

  parse(n: NormalizedLine): ParsedLine {
    const parsed = blank(this.source, n);
    if (n.marker !== null || n.echo) {
      parsed.kind = "runner";
      if (n.marker === "group" || n.marker === "endgroup") this.inErrorBlock = false;
      return parsed;
    }
    const text = n.text;

    const top = text.includes("ERROR (") ? TOP_ERROR.exec(text) : null;
    if (top) {
      this.dumping = false;
      parsed.kind = "error";
      parsed.level = "ERROR";
      parsed.errorClass = top[1] ?? null;
      parsed.message = top[2] ?? "";
      this.inErrorBlock = true;
      const host = EXCEPTION_ON_HOST.exec(parsed.message)?.[1];
      this.errorHost = host === undefined ? null : this.intern(host);
      parsed.host = this.errorHost;
      return parsed;
    }

    const sshkit = SSHKIT.exec(text);
    if (sshkit) {
      this.inErrorBlock = false;
      const level = sshkit[1] as Level;
      const id = sshkit[2] ?? null;
      const message = sshkit[3] ?? "";
      parsed.level = level;
      parsed.id = id;
      parsed.message = message;
      if (id === null && level === "ERROR" && this.dumping) {
        // Kamal 2 prints the dumped container logs / health JSON under ERROR.
        parsed.kind = "log";
        parsed.dump = true;
        parsed.host = this.dumpHost;
        return parsed;
      }
      this.dumping = false;
      if (id !== null) {
        parsed.host = this.hostsById.get(id) ?? null;
        const running = message.startsWith("Running ") ? RUNNING.exec(message) : null;
        if (running) {
          parsed.kind = "command-start";
          parsed.command = running[1] ?? null;
          parsed.host = this.intern(hostOf(running[2] ?? ""));
          this.hostsById.set(id, parsed.host);
          if (this.hostsById.size > 4096) this.hostsById.delete(this.hostsById.keys().next().value as string);
          return parsed;
        }
        const finished = message.startsWith("Finished in ") ? FINISHED.exec(message) : null;
        if (finished) {
          parsed.kind = "command-finish";
          parsed.seconds = Number(finished[1]);
          parsed.exitStatus = Number(finished[2]);
          this.dumping = true;
          this.dumpHost = parsed.host;
          return parsed;
        }
        if (message.startsWith("Command: ")) {
          parsed.kind = "command-text";
          parsed.message = message.slice(9);
          return parsed;
        }
        if (level === "DEBUG") {
          parsed.kind = "command-output";
          parsed.message = message.trimStart();
          return parsed;
        }
      }
      parsed.kind = "log";
      return parsed;
    }

    const all = text.includes("Finished all in") ? FINISHED_ALL.exec(text) : null;
    if (all) {
      this.dumping = false;
      parsed.kind = "log";
      parsed.seconds = Number(all[1]);
      this.inErrorBlock = false;
      return parsed;
    }

    if (BACKTRACE.test(text)) {
      parsed.kind = "backtrace";
      return parsed;
    }

    if (this.inErrorBlock) {
      parsed.kind = "payload";
      const host = text.includes("Exception while executing") ? EXCEPTION_ON_HOST.exec(text)?.[1] : undefined;
      if (host !== undefined) this.errorHost = this.intern(host);
      parsed.host = this.errorHost;
      const status = PAYLOAD_STATUS.exec(text);
      if (status) parsed.exitStatus = Number(status[2]);
      return parsed;
    }

    const first = text.charCodeAt(0);
    if (first !== 32 && first !== 9 && text.endsWith("...")) {
      for (const [pattern, phase] of STEPS) {
        if (pattern.test(text)) {
          this.dumping = false;
          parsed.kind = "step";
          parsed.phase = phase;
          return parsed;
        }
      }
    }
    if (this.dumping) {
      parsed.dump = true;
      parsed.host = this.dumpHost;
    }
    if (first !== 32 && first !== 9) {
      for (const [pattern, phase] of STEPS) {
        if (phase === "rollback" && pattern.test(text)) {
          parsed.kind = "step";
          parsed.phase = phase;
          return parsed;
        }
      }
    }
    return parsed;
  }
}

/** `user@localhost` → `localhost`; `203.0.113.10` stays. */
function hostOf(target: string): string {
  const at = target.lastIndexOf("@");
  return at === -1 ? target : target.slice(at + 1);
}

/** SSHKit reports local exit statuses as the raw wait status (×256): 256 → 1, 32512 → 127. */
export function exitCodeOf(status: number): number {
  return status >= 256 && status % 256 === 0 ? status / 256 : status;
}
