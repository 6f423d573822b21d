// Where a line comes from: which SSHKit command it belongs to and what that command is (its
// `commandKind`), and what kind of text it is (its `origin`). Commands are classified once, when
// they start; a line's origin is decided from its parsed kind and, for free text only, from its
// first characters, so the hot path adds no regex pass to most lines.

import type { ParsedLine } from "./parse.js";
import type { CommandKind, Origin } from "../vocabulary.js";

export { COMMAND_KINDS, ORIGINS, type CommandKind, type Origin } from "../vocabulary.js";

export interface LineProvenance {
  command: CommandKind | null;
  origin: Origin;
}

/** What a command Kamal (or a user at a prompt) ran is, from its text. Called once per command. */
export function commandKind(command: string): CommandKind {
  const c = command;
  if (c.includes(".kamal/hooks/") || c.includes(".mrsk/hooks/")) return "hook";
  if (/\b(?:kamal|mrsk) secrets\b|\bkamal-secrets\b|^(?:op|bw|lpass|aws secretsmanager|doppler|bws|passbolt|gcloud secrets|az keyvault)\b/.test(c)) return "secrets";
  if (/\b(?:kamal|mrsk) app exec\b/.test(c)) return "app-exec";
  if (/\b(?:kamal|mrsk) accessory\b|--env-file \S*\/accessories\/|--label service=\S*-(?!web\b)[\w-]+\b.*--label accessory|--name [\w.-]+-(?:db|redis|postgres|mysql|mariadb|memcached|valkey|sidekiq-redis)\b/.test(c)) return "accessory";
  if (/\b(?:kamal|mrsk) (?:proxy|traefik)\b/.test(c)) return "proxy-boot";
  if (/\b(?:kamal|mrsk) (?:build|deploy|setup|redeploy)\b/.test(c) && !/\bdocker\b/.test(c)) return "other";
  if (/\bdocker (?:buildx (?:build|create|use|inspect|rm)|build|buildx\b)/.test(c)) return "build";
  if (/\bdocker login\b/.test(c)) return "registry-login";
  if (/\bkamal-proxy deploy\b|docker exec kamal-proxy kamal-proxy (?:deploy|remove)/.test(c)) return "proxy-deploy";
  if (/\bdocker inspect --format '\{\{if \.State\.Health\}\}|\bcurl\b.*\/up\b|docker container ls .*--filter health/.test(c)) return "health-poll";
  if (/\bdocker (?:image )?pull\b/.test(c)) return "pull";
  if (/--name (?:traefik|kamal-proxy)\b|\b(?:traefik|kamal-proxy)\b.*\bdocker (?:container )?start\b|docker container start (?:kamal-proxy|traefik)|--label org\.opencontainers\.image\.title=Traefik/.test(c)) return "proxy-boot";
  if (/\.kamal\/(?:locks?|lock-)|\.mrsk\/lock|mkdir -p \.(?:kamal|mrsk)\/lock|rm -r \.(?:kamal|mrsk)\/lock/.test(c)) return "lock";
  if (/\bapt-get\b|get\.docker\.com|\bdnf install\b|\byum install\b|\bpacman\b.*docker|\bwhich docker\b|\bwhich curl\b/.test(c)) return "docker-install";
  if (/\bdocker (?:image|container|system) prune\b|\bdocker rmi\b/.test(c)) return "prune";
  if (/\bdocker (?:run|container (?:create|start))\b/.test(c)) return "app-run";
  return "other";
}

const SHELL_PROMPT = /^(?:\$:? |[\w.-]+@[\w.-]+:\S*[$#] |[#>] (?=(?:kamal|mrsk|docker|bin\/)))(.+)$/;
const TRAEFIK_TEXT = /^time="[^"]+" level=\w+ msg=/;
const BUILD_TEXT = /^#\d+ |^ ?=> |^ERROR: failed to (?:solve|build|compute cache key)|^Step \d+\/\d+ : |^ -{3}> |^\[\+\] Building|^Dockerfile:\d+$|^-{8,}$|^ {1,2}\d+ \| /;

/** Follows the commands of a log and names each line's provenance. */
export class ProvenanceTracker {
  private readonly kinds = new Map<string, CommandKind>();
  /** The command kind of the command that just finished, while its output is being dumped. */
  private lastFinished: CommandKind | null = null;
  /** A command typed at a shell prompt pasted into the log, while its output follows. */
  private shellCommand: CommandKind | null = null;
  /** Inside build output (a build command running, or BuildKit lines seen in a fragment). */
  private inBuild = false;
  /** The command kind of the final error's payload. */
  private errorCommand: CommandKind | null = null;
  private readonly current: LineProvenance = { command: null, origin: "text" };

  /**
   * The provenance of one parsed line. The object returned is reused: read it before the next
   * call. `failing` is the kind of the command the model holds as failed, when known.
   */
  observe(p: ParsedLine, failing: CommandKind | null): LineProvenance {
    const out = this.current;
    out.command = null;
    out.origin = "kamal";
    switch (p.kind) {
      case "command-start": {
        const kind = commandKind(p.command ?? "");
        if (p.id) {
          this.kinds.set(p.id, kind);
          if (this.kinds.size > 4096) this.kinds.delete(this.kinds.keys().next().value as string);
        }
        this.inBuild = kind === "build";
        this.shellCommand = null;
        out.command = kind;
        return out;
      }
      case "command-text":
      case "command-output":
      case "command-finish": {
        const kind = p.id ? (this.kinds.get(p.id) ?? null) : null;
        out.command = kind;
        if (p.kind === "command-finish") this.lastFinished = kind;
        else if (p.kind === "command-output" && kind === "build") out.origin = "build";
        return out;
      }
      case "error":
        this.errorCommand = failing ?? commandKind(p.message);
        if (failing === null && this.errorCommand === "other" && this.shellCommand !== null) this.errorCommand = this.shellCommand;
        out.command = this.errorCommand;
        return out;
      case "payload":
        out.command = this.errorCommand;
        if (p.text.startsWith("#") || p.text.startsWith("ERROR: failed to") || p.text.startsWith(" => ")) out.origin = "build";
        return out;
      case "backtrace":
        out.origin = "backtrace";
        out.command = this.errorCommand;
        return out;
      case "step":
        this.shellCommand = null;
        this.inBuild = false;
        return out;
      case "runner":
        out.origin = "text";
        return out;
      case "log":
        if (p.dump) {
          out.origin = "container";
          out.command = this.lastFinished;
        }
        return out;
      default:
        break;
    }
    // Free text: decided by its first characters, a regex only behind a cheap gate.
    const text = p.text;
    const first = text.charCodeAt(0);
    out.origin = "text";
    if (first === 36 /* $ */ || (first !== 32 && text.includes("@") && (text.includes("$ ") || text.includes("# "))) || first === 35 || first === 62) {
      const prompt = SHELL_PROMPT.exec(text);
      if (prompt?.[1]) {
        this.shellCommand = commandKind(prompt[1]);
        this.inBuild = this.shellCommand === "build";
        out.origin = "shell";
        out.command = this.shellCommand;
        return out;
      }
    }
    if (first === 123 /* { */ && text.includes('"msg"')) {
      out.origin = "proxy-log";
      out.command = this.shellCommand ?? this.lastFinished;
      return out;
    }
    if (first === 116 /* t */ && text.startsWith('time="') && TRAEFIK_TEXT.test(text)) {
      out.origin = "proxy-log";
      out.command = this.shellCommand ?? this.lastFinished;
      return out;
    }
    if (first === 35 /* # */ || first === 61 || first === 32 || first === 69 /* E */ || first === 83 /* S */ || first === 91 || first === 68 || first === 45) {
      if (BUILD_TEXT.test(text)) {
        this.inBuild = true;
        out.origin = "build";
        out.command = "build";
        return out;
      }
    }
    if (p.dump) {
      out.origin = "container";
      out.command = this.lastFinished;
      return out;
    }
    if (this.inBuild) {
      out.origin = "build";
      out.command = "build";
      return out;
    }
    if (this.shellCommand !== null) {
      out.origin = "shell";
      out.command = this.shellCommand;
    }
    return out;
  }

  /** The kind of the command with this SSHKit id (what `observe` gives its output lines). */
  kindOf(id: string): CommandKind | null {
    return this.kinds.get(id) ?? null;
  }

  /** The kind of the command typed at the last pasted shell prompt, while its output lasts. */
  pastedCommand(): CommandKind | null {
    return this.shellCommand;
  }

  /** The command kind of the build output or the shell command seen last, for a fragment with no failing command. */
  fragmentCommand(): CommandKind | null {
    return this.errorCommand ?? (this.inBuild ? "build" : this.shellCommand);
  }
}
