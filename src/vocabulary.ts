// The fixed vocabularies every other module agrees on: failure categories (DESIGN.md), deploy
// phases, severities and SSHKit log levels. It imports nothing, so core/ and rules/ (and the
// formats) all stand on it and no import runs from rules/ back up into core/.

export const CATEGORIES = [
  "ssh-auth",
  "ssh-connect",
  "deploy-lock",
  "registry-auth",
  "image-not-found",
  "build",
  "disk-full",
  "health-check",
  "app-boot",
  "hook",
  "port-in-use",
  "secrets",
  "config",
  "docker-unavailable",
  "docker-permission",
  "proxy",
  "accessory",
  "other",
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Deploy phases, in the order a `kamal deploy` normally walks through them. */
export const PHASES = [
  "config",
  "connect",
  "bootstrap",
  "env-push",
  "registry-login",
  "build",
  "pull",
  "lock",
  "hook",
  "proxy-boot",
  "stale-containers",
  "boot",
  "health-check",
  "prune",
  "release-lock",
  "accessory",
  "rollback",
] as const;
export type Phase = (typeof PHASES)[number];

export const SEVERITIES = ["error", "warning", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const LEVELS = ["DEBUG", "INFO", "WARN", "ERROR", "FATAL"] as const;
export type Level = (typeof LEVELS)[number];

/**
 * What a parsed line is. Rules may restrict themselves to some kinds (`context.kinds`).
 * - step: Kamal's own step line ("Acquiring the deploy lock...")
 * - command-start / command-text / command-output / command-finish: SSHKit command lifecycle
 * - log: an SSHKit line without a command id ("  INFO First web container is healthy…")
 * - error: the final `ERROR (Class): message` line Kamal prints before exiting
 * - payload: lines belonging to that final error (exception wrappers, `docker stderr:` …)
 * - backtrace: Ruby backtrace lines
 * - runner: GitHub Actions runner markers (##[error] …)
 * - text: anything else (container logs, build output, free text)
 */
export const LINE_KINDS = [
  "step",
  "command-start",
  "command-text",
  "command-output",
  "command-finish",
  "log",
  "error",
  "payload",
  "backtrace",
  "runner",
  "text",
] as const;
export type LineKind = (typeof LINE_KINDS)[number];

/** What an SSHKit command (or a command typed at a pasted shell prompt) is, from its text (core/provenance.ts). */
export const COMMAND_KINDS = [
  "build",
  "registry-login",
  "pull",
  "proxy-boot",
  "proxy-deploy",
  "app-run",
  "accessory",
  "hook",
  "app-exec",
  "secrets",
  "lock",
  "docker-install",
  "prune",
  "health-poll",
  "other",
] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

/**
 * - kamal: Kamal's own steps, SSHKit lines, the final error and its payload
 * - build: BuildKit / `docker build` progress and errors
 * - container: a container's log Kamal dumped after a failed boot
 * - proxy-log: kamal-proxy's JSON log lines or Traefik's text log lines
 * - backtrace: a Ruby backtrace
 * - shell: a shell prompt, or what a command typed at it printed (`docker ps`, `docker logs`)
 * - text: anything else
 */
export const ORIGINS = ["kamal", "build", "container", "proxy-log", "backtrace", "shell", "text"] as const;
export type Origin = (typeof ORIGINS)[number];

