// The deploy model: what happened, built line by line in bounded memory — commands by id,
// hosts, phases with durations, the command that failed, the final error and the outcome
// markers. Keeps tails and small maps, never the log itself.

import type { FailedCommand, PhaseSummary } from "./report.js";
import { exitCodeOf, phaseOfCommand, type ParsedLine } from "./parse.js";
import { detach } from "./strings.js";
import type { Phase } from "../vocabulary.js";

const MAX_OPEN_COMMANDS = 2048;
const MAX_HOSTS = 256;
const MAX_PHASES = 256;
const MAX_COMMAND_TEXT = 400;
/** Log lines that show Kamal polling the new container's health (v1 poller, v2 non-proxy roles). */
const HEALTH_LOG = /^container not ready|^Container is (?:healthy|running, waiting)|^First \w+ container is (?:un)?healthy|^Waiting for the first healthy/;
/** Error classes raised by a command that ran (so the open command is the one that failed). */
const COMMAND_ERRORS = /Command::Failed|ExecuteError|Net::SSH|Errno::|HookError|SocketError|IOError|Timeout/;

interface OpenCommand {
  id: string;
  host: string | null;
  command: string;
  line: number;
  source: string;
  phase: Phase | null;
  superseded: boolean;
  erroredAfter: boolean;
}

interface PhaseRecord {
  name: Phase;
  startLine: number;
  source: string;
  /** Runner timestamps in ms, parsed only at phase boundaries (not on every line). */
  startTime: number | null;
  endTime: number | null;
  commandSeconds: number;
  failed: boolean;
}

export interface TopError {
  source: string;
  line: number;
  errorClass: string;
  message: string;
  host: string | null;
  exitStatus: number | null;
}

export class DeployModel {
  readonly hosts = new Set<string>();
  private readonly open = new Map<string, OpenCommand>();
  private readonly phases: PhaseRecord[] = [];
  private currentPhase: PhaseRecord | null = null;
  private lastStamp: string | null = null;
  /** The phase a line belongs to: the running command's phase, else the last step's. */
  private commandPhase: Phase | null = null;

  topError: TopError | null = null;
  failedCommand: FailedCommand | null = null;
  finishedAllSeconds: number | null = null;
  /** "Finished all in" seen with no error after it (yet). */
  finishedAll = false;
  runnerExitCode: number | null = null;
  versionHint: "0.x" | "1.x" | "2.x" | null = null;
  exactVersion: string | null = null;
  command: string | null = null;
  firstErrorLogPhase: Phase | null = null;
  /** The phase of the command that was still running when Kamal failed. */
  private runningPhase: Phase | null = null;

  /** The phase the given line happens in. Call after `consume`. */
  phaseNow(): Phase | null {
    return this.commandPhase ?? this.currentPhase?.name ?? null;
  }

  /**
   * The phase a line belongs to. Kamal prints its final error after releasing the deploy lock
   * (in an `ensure`): the error and its payload belong to the last phase of real work, or to
   * none known — not to "release-lock".
   */
  phaseOf(p: ParsedLine): Phase | null {
    const now = this.phaseNow();
    if (now !== "release-lock" || (p.kind !== "error" && p.kind !== "payload")) return now;
    return this.lastWorkPhase();
  }

  consume(p: ParsedLine): void {
    const time = p.timestamp;
    switch (p.kind) {
      case "step":
        if (p.phase) this.startPhase(p.phase, p, time);
        this.commandPhase = null;
        this.noteVersion(p.text);
        this.noteCommand(p.phase);
        break;
      case "command-start": {
        const command = detach((p.command ?? "").slice(0, MAX_COMMAND_TEXT));
        const phase = phaseOfCommand(command);
        this.commandPhase = phase;
        // The health check runs inside "Start container": its phase starts with the command that waits for it.
        if (phase === "health-check" && this.currentPhase !== null && this.currentPhase.name !== "health-check") this.startPhase("health-check", p, time);
        if (p.host) this.addHost(p.host);
        // SSHKit runs one command at a time per host: an earlier command on this host that never
        // printed "Finished" failed and Kamal rescued it. It stays a suspect only if Kamal logged
        // an ERROR right after it (e.g. "Failed to boot web", re-raised after the logs are shown).
        for (const [id, open] of this.open) {
          if (open.host !== p.host || open.source !== p.source || open.superseded) continue;
          if (open.erroredAfter) open.superseded = true;
          else this.open.delete(id);
        }
        if (p.id) {
          if (this.open.size >= MAX_OPEN_COMMANDS) this.open.delete(this.open.keys().next().value as string);
          this.open.set(p.id, {
            id: p.id,
            host: p.host,
            command,
            line: p.line,
            source: p.source,
            phase: phase ?? this.currentPhase?.name ?? null,
            superseded: false,
            erroredAfter: false,
          });
        }
        this.noteVersion(p.command ?? "");
        // Kamal 2 logs into the registry as part of "Pull app image..."; Kamal 1 has a step of its own for it.
        if (/\bdocker login\b/.test(command) && this.currentPhase?.name === "pull" && this.versionHint === null) this.versionHint = "2.x";
        break;
      }
      case "command-finish":
        if (p.id) this.open.delete(p.id);
        if (this.currentPhase && p.seconds !== null) this.currentPhase.commandSeconds += p.seconds;
        this.commandPhase = null;
        break;
      case "log":
        if (p.seconds !== null && /Finished all in/.test(p.text)) {
          this.finishedAllSeconds = p.seconds;
          this.finishedAll = true;
        } else if (p.level === "ERROR" || p.level === "FATAL") {
          if (this.firstErrorLogPhase === null) this.firstErrorLogPhase = this.phaseNow();
          for (const open of this.open.values()) if (!open.superseded && open.source === p.source) open.erroredAfter = true;
        }
        if (HEALTH_LOG.test(p.message) && this.currentPhase?.name !== "health-check") this.startPhase("health-check", p, time);
        this.noteVersion(p.text);
        break;
      case "error":
        this.onTopError(p);
        break;
      case "payload":
        this.noteVersion(p.text);
        if (this.topError && p.exitStatus !== null && this.topError.exitStatus === null) this.topError.exitStatus = p.exitStatus;
        if (this.failedCommand && p.exitStatus !== null && this.failedCommand.exitStatus === null) {
          this.failedCommand.exitStatus = p.exitStatus;
          this.failedCommand.exitCode = exitCodeOf(p.exitStatus);
        }
        break;
      case "backtrace":
        if (this.exactVersion === null) {
          const gem = /gems\/(kamal|mrsk)-(\d+\.\d+\.\d+)/.exec(p.text);
          if (gem) this.exactVersion = `${gem[1] === "mrsk" ? "mrsk " : ""}${gem[2]}`;
        }
        break;
      case "runner":
        if (p.runnerExitCode !== null) this.runnerExitCode = p.runnerExitCode;
        this.noteCommandFromScript(p.text);
        break;
      default:
        if (p.runnerExitCode !== null) this.runnerExitCode = p.runnerExitCode;
        break;
    }
    if (time !== null) this.noteTime(time);
  }

  /** A line's runner timestamp; all a line of plain command output changes here (core/triage.ts). */
  noteTime(time: string): void {
    if (this.currentPhase && this.currentPhase.startTime === null) this.currentPhase.startTime = Date.parse(time);
    // One reference, not one per phase: a timestamp is a slice of a whole read chunk.
    this.lastStamp = time;
  }

  private onTopError(p: ParsedLine): void {
    this.finishedAll = false;
    const errorClass = p.errorClass ?? "";
    this.topError = { source: p.source, line: p.line, errorClass, message: detach(p.message), host: p.host, exitStatus: null };
    if (errorClass.startsWith("Mrsk::")) this.versionHint = "0.x";
    // Only Kamal 2 has a `proxy:` section and a `kamal proxy` command, and does not know Kamal 1's `traefik:`.
    else if (/ConfigurationError|Kamal::Cli::Proxy/.test(errorClass) && /^proxy\/|kamal proxy |unknown keys?: [\w, -]*\b(?:traefik|stop_wait_time)\b/.test(p.message) && this.versionHint !== "0.x") this.versionHint = "2.x";
    if (p.host) this.addHost(p.host);
    // The fatal command: the latest command that started and never finished, on the failing host.
    let candidate: OpenCommand | null = null;
    const byCommand = COMMAND_ERRORS.test(errorClass);
    for (const command of byCommand ? this.open.values() : []) {
      if (command.source !== p.source) continue;
      if (p.host && command.host !== p.host && command.host !== "localhost") continue;
      if (!candidate) candidate = command;
      else if (candidate.superseded !== command.superseded) candidate = command.superseded ? candidate : command;
      else if (command.line > candidate.line) candidate = command;
    }
    if (candidate) {
      this.failedCommand = {
        id: candidate.id,
        host: candidate.host,
        command: candidate.command,
        line: candidate.line,
        source: candidate.source,
        exitStatus: null,
        exitCode: null,
      };
      const phase = candidate.phase;
      this.runningPhase = phase;
      if (phase) this.markFailed(phase);
    } else {
      const phase = this.firstErrorLogPhase ?? this.commandPhase ?? this.lastWorkPhase();
      if (phase) this.markFailed(phase);
    }
    const exit = /exit status: (\d+)/.exec(p.message);
    if (exit) {
      this.topError.exitStatus = Number(exit[1]);
      if (this.failedCommand) {
        this.failedCommand.exitStatus = this.topError.exitStatus;
        this.failedCommand.exitCode = exitCodeOf(this.topError.exitStatus);
      }
    }
  }

  /**
   * The command still running where the log stops: the latest that started and never printed
   * `Finished` (a wait, a retry loop, a log cut off). Only meaningful once the log has ended.
   */
  runningCommand(): Omit<FailedCommand, "exitStatus" | "exitCode"> | null {
    let latest: OpenCommand | null = null;
    for (const command of this.open.values()) if (!command.superseded && (latest === null || command.line > latest.line || command.source !== latest.source)) latest = command;
    return latest === null ? null : { id: latest.id, host: latest.host, command: latest.command, line: latest.line, source: latest.source };
  }

  /** The last phase before Kamal started cleaning up (releasing the lock runs in an ensure). */
  private lastWorkPhase(): Phase | null {
    for (let i = this.phases.length - 1; i >= 0; i--) {
      const phase = this.phases[i];
      if (phase && phase.name !== "release-lock") return phase.name;
    }
    return null;
  }

  private markFailed(name: Phase): void {
    for (let i = this.phases.length - 1; i >= 0; i--) {
      const phase = this.phases[i];
      if (phase && phase.name === name) {
        phase.failed = true;
        return;
      }
    }
    // A phase known only from the failing command (e.g. the health check inside "Start container").
    const record: PhaseRecord = {
      name,
      startLine: this.failedCommand?.line ?? this.topError?.line ?? 0,
      source: this.topError?.source ?? "",
      startTime: null,
      endTime: null,
      commandSeconds: 0,
      failed: true,
    };
    const index = this.phases.findIndex((phase) => phase.startLine > record.startLine && phase.source === record.source);
    if (index === -1) this.phases.push(record);
    else this.phases.splice(index, 0, record);
  }

  private startPhase(name: Phase, p: ParsedLine, time: string | null): void {
    // A phase lasts until the log moves on to the next one: a command still running counts.
    if (time !== null) this.lastStamp = time;
    this.closePhase();
    if (this.phases.length >= MAX_PHASES) this.phases.shift();
    const record: PhaseRecord = {
      name,
      startLine: p.line,
      source: p.source,
      startTime: time === null ? null : Date.parse(time),
      endTime: null,
      commandSeconds: 0,
      failed: false,
    };
    this.phases.push(record);
    this.currentPhase = record;
  }

  /** The current phase ends at the last timestamp seen before the next one starts. */
  private closePhase(): void {
    if (this.currentPhase && this.currentPhase.startTime !== null && this.lastStamp !== null) this.currentPhase.endTime = Date.parse(this.lastStamp);
  }

  /** A host the deploy ran on: from its commands, or named exactly by the source (OTLP). */
  addHost(host: string): void {
    if (this.hosts.size < MAX_HOSTS && host !== "localhost") this.hosts.add(host);
  }

  private noteVersion(text: string): void {
    if (this.versionHint === "0.x") return;
    if (/kamal-proxy|\.kamal\/apps\/|Container is running, waiting for readiness|target failed to become healthy|host settings conflict with another service|docker logs --timestamps/.test(text)) this.versionHint = "2.x";
    else if (this.versionHint === null && /\btraefik\b|Ensure app can pass healthcheck|container not ready \(|\.kamal\/(?:env|locks|cords)\b|--health-cmd|readiness delay/i.test(text)) this.versionHint = "1.x";
    else if (/\bmrsk\b|Mrsk::/.test(text)) this.versionHint = "0.x";
  }

  private noteCommand(phase: Phase | null): void {
    if (phase === "bootstrap" && (this.command === null || this.command === "deploy")) {
      this.command = "setup";
      return;
    }
    if (this.command !== null) return;
    if (phase === "bootstrap") this.command = "setup";
    else if (phase === "rollback") this.command = "rollback";
    else if (phase === "build" || phase === "pull" || phase === "registry-login" || phase === "lock") this.command = "deploy";
  }

  private noteCommandFromScript(text: string): void {
    const match = /\b(?:kamal|mrsk)\s+([a-z][\w:-]*)/.exec(text);
    if (match?.[1] && this.command === null) this.command = match[1];
  }

  setCommand(command: string): void {
    this.command = command;
  }

  /**
   * Phases with durations, for the report: from timestamps when the log has them, else the sum
   * of the commands' own "Finished in" seconds. Without timestamps, the command that was still
   * running when Kamal gave up has no "Finished in": the part of "Finished all in N seconds" no
   * phase accounts for is the time its phase spent on it.
   */
  phaseSummaries(): PhaseSummary[] {
    this.closePhase();
    const summaries = this.phases.map((phase) => {
      let seconds: number | null = null;
      const elapsed = phase.startTime !== null && phase.endTime !== null ? phase.endTime - phase.startTime : NaN;
      if (!Number.isNaN(elapsed)) seconds = Math.max(0, Math.round(elapsed / 100) / 10);
      else if (phase.commandSeconds > 0) seconds = Math.round(phase.commandSeconds * 10) / 10;
      return { name: phase.name, status: phase.failed ? ("failed" as const) : ("ok" as const), startLine: phase.startLine, seconds, timed: !Number.isNaN(elapsed) };
    });
    const running = this.failedCommand ? this.runningPhase : null;
    const target = running === null ? undefined : summaries.find((phase) => phase.name === running && phase.status === "failed" && !phase.timed);
    if (target && this.finishedAllSeconds !== null) {
      const accounted = summaries.reduce((sum, phase) => sum + (phase.seconds ?? 0), 0);
      const rest = this.finishedAllSeconds - accounted;
      if (rest > 0) target.seconds = Math.round(((target.seconds ?? 0) + rest) * 10) / 10;
    }
    return summaries.map(({ timed: _timed, ...phase }) => phase);
  }

  failedPhase(): Phase | null {
    for (const phase of this.phases) if (phase.failed) return phase.name;
    return null;
  }

  kamalVersion(): string | null {
    if (this.exactVersion) return this.exactVersion.startsWith("mrsk") ? "0.x" : `${this.exactVersion.split(".")[0]}.x`;
    return this.versionHint;
  }
}
