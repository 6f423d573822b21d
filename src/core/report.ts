// The report: the one data structure every formatter and sink renders. Its JSON form is the
// public `--format json` contract (schemaVersion 1, see DESIGN.md and README "JSON schema").
import type { Category, CommandKind, LineKind, Origin, Phase, Severity } from "../vocabulary.js";

export type Outcome = "failed" | "succeeded" | "unknown";

/** Where a source came from when it was fetched from GitHub Actions. */
export interface JobRef {
  id: number;
  name: string;
  url: string;
  runId: number;
  attempt: number | null;
  repo: string;
}

/** A step of a GitHub Actions job: its number (1-based, as in `#step:N:LINE`) and name. */
export interface StepRef {
  number: number;
  name: string;
}

export interface SourceSummary {
  name: string;
  job: JobRef | null;
  /** The step the root cause (or else the first failure) of this source is in. */
  step: StepRef | null;
  lines: number;
  /** The source of the deploy this one is evidence for (`attachTo: "previous"`), else null: a deploy of its own. */
  attachedTo: string | null;
}

export interface PhaseSummary {
  name: Phase;
  status: "ok" | "failed" | "unknown";
  startLine: number;
  /** Seconds spent in the phase: from timestamps when present, else the sum of command runtimes. */
  seconds: number | null;
}

export interface DeploySummary {
  kamalVersion: string | null;
  command: string | null;
  hosts: string[];
  phases: PhaseSummary[];
  /** The phase the deploy failed in, if it failed. */
  failedPhase: Phase | null;
  /** Total duration from "Finished all in N seconds", if printed. */
  seconds: number | null;
  /** The command that failed (a `Running` with no `Finished` followed by the error), if known. */
  failedCommand: FailedCommand | null;
}

/** One deploy: a source read on its own, with the sources attached to it as evidence. */
export interface DeployEntry extends DeploySummary {
  /** The source this deploy was read from. */
  source: string;
  /** Sources read as evidence for this deploy (e.g. `kamal app logs` collected after it failed). */
  attached: string[];
  outcome: Outcome;
}

export interface FailedCommand {
  id: string | null;
  host: string | null;
  command: string;
  line: number;
  source: string;
  /** The exit status as printed (SSHKit prints local statuses ×256) and as the shell meant it. */
  exitStatus: number | null;
  exitCode: number | null;
  /** What the command is (image build, pull, accessory, …; see COMMAND_KINDS). */
  kind?: CommandKind;
}

export interface EvidenceLine {
  line: number;
  text: string;
}

/** Where a finding's key line (its first evidence line) came from: see provenance.ts. */
export interface FindingOrigin {
  /** The kind of the SSHKit (or pasted shell) command the line belongs to. */
  command: CommandKind | null;
  /** What kind of text the line is. */
  text: Origin;
}

export interface Finding {
  ruleId: string;
  /** "rule": a rule of the catalogue matched; "inferred": no rule did, the failing command names the category. */
  basis: "rule" | "inferred";
  title: string;
  category: Category;
  severity: Severity;
  rootCause: boolean;
  source: string;
  line: number;
  endLine: number;
  host: string | null;
  /** Every host the rule matched on (multi-host failures name them all). */
  hosts: string[];
  phase: Phase | null;
  /** The provenance of the key line; null for a finding that is not about a log line (config). */
  origin: FindingOrigin | null;
  /** The exact lines (ANSI and runner timestamps removed) that prove the finding. */
  evidence: string[];
  /** The same evidence with line numbers, for deep links and pretty output. */
  evidenceLines: EvidenceLine[];
  captures: Record<string, string>;
  explanation: string;
  remediation: string[];
  docs: string[];
  /** How many lines matched (the finding is reported once). */
  occurrences: number;
  /** GitHub deep link to the first evidence line, when the source came from GitHub. */
  url: string | null;
  /** The GitHub Actions step the finding is in, when known. */
  step: StepRef | null;
  /** The deploy.yml line to change, when the config was read (additive to schema 1). */
  configRef?: ConfigRef;
  /**
   * What stays the same when the same failure happens again (docs/memory.md): the rule id, or
   * `inferred-<category>`, and a hash of the captures that name what failed (additive to schema 1).
   */
  fingerprint?: string;
  /** The rule marks this failure as often transient: a re-run may pass (additive to schema 1). */
  retryable?: true;
}

export interface UnmatchedLine {
  source: string;
  line: number;
  text: string;
  kind: LineKind;
}

export interface Counts {
  error: number;
  warn: number;
  info: number;
  debug: number;
}

export interface Report {
  schemaVersion: 1;
  tool: { name: "kamal-doctor"; version: string };
  outcome: Outcome;
  sources: SourceSummary[];
  /** One deploy's summary: the first failed deploy's when there are several, else the first's. */
  deploy: DeploySummary;
  /** Every deploy, in the order their sources were read (empty when nothing was read). */
  deploys: DeployEntry[];
  /** Every deploy's findings, failed deploys first; each failed deploy's first one is its root cause. */
  findings: Finding[];
  unmatched: UnmatchedLine[];
  counts: Counts;
  /** What was read of the Kamal config, when it was (additive to schema 1). */
  config?: ConfigSummary;
  /** The root cause judged against earlier runs, when they were looked at (additive to schema 1). */
  memory?: MemoryClass & { fingerprint: string };
  /** The deploy lock, when the deploy failed on it or left it held (additive to schema 1; docs/github.md). */
  lock?: LockSummary;
}

/**
 * What the deploy lock's state is, as far as it is known:
 * - `held`: the run that took it is still running (wait for it);
 * - `stale`: the run that took it is over (the lock can be released);
 * - `left-held`: this deploy took it and did not release it (cancelled, or Kamal said so);
 * - `unknown`: it is held, and whether the deploy that took it still runs is not known.
 */
export type LockState = "held" | "stale" | "left-held" | "unknown";

/** The lock's details as Kamal printed them (`Locked by: NAME at TIME`, `Version:`, `Message:`). */
export interface LockHolder {
  name: string | null;
  /** ISO 8601, as printed. */
  lockedAt: string | null;
  /** The version (commit) being deployed when the lock was taken. */
  version: string | null;
  /** "Automatic deploy lock" for one a deploy took; else what `kamal lock acquire -m` was given. */
  message: string | null;
}

/** The GitHub Actions run that took the lock (run and annotate look it up). */
export interface LockRun {
  id: number;
  url: string;
  status: string | null;
  conclusion: string | null;
  headSha: string;
  startedAt: string | null;
  /** About when it ended: for a finished run, when it last changed; null while it runs. */
  endedAt: string | null;
  /** "version": its commit is the holder's version; "time": only the time fits; "log": the run whose log this is. */
  matchedBy: "version" | "time" | "log";
}

/** The `lock` section of the JSON report. */
export interface LockSummary {
  state: LockState;
  /** The deploy it is about (the source it was read from): the root cause's. */
  source: string;
  /** What Kamal printed of the holder; null when it printed none of it. */
  holder: LockHolder | null;
  /** The deploy waited for the lock (Kamal 2.12 `--lock-wait`). */
  waited: boolean;
  /** The destination the commands are for (`-d`), when known. */
  destination: string | null;
  /** The run that took the lock, when GitHub was asked (null: no run fits); absent when it was not. */
  run?: LockRun | null;
  /** One line for a person. */
  summary: string;
  /** The read-only check and the release, for this Kamal (`mrsk` for 0.x) and destination. */
  commands: { status: string; release: string };
  /** What to do, one line each, true for the Kamal version of the log. */
  advice: string[];
}

/** The class of a root cause, judged against the runs before it. */
export type MemoryClassKind = "new" | "recurring" | "transient" | "stale-lock";

export interface RunLink {
  id: number;
  number: number;
  url: string;
  sha: string;
  createdAt: string;
}

/** A root cause judged against the runs before it (docs/memory.md). */
export interface MemoryClass {
  kind: MemoryClassKind;
  /** One line for a person: "not your change: the same failure in 4 of the last 5 production deploys, since Nov 2". */
  summary: string;
  /** The runs that are the evidence (same fingerprint; for `new`, the last green one). */
  runs: RunLink[];
  /** How many earlier runs were looked at. */
  looked: number;
}

/** Where in deploy.yml (or a file beside it) a finding points. */
export interface ConfigRef {
  file: string;
  line: number;
  /** Dotted key path (`proxy.app_port`); for an unset key, where it would go. */
  key: string;
  /** The text of that line. */
  text: string;
}

/** The `config` section of the JSON report: what was read (never a secret's value). */
export interface ConfigSummary {
  file: string;
  destination: string | null;
  /** deploy.yml and the destination file, in merge order. */
  files: string[];
  secretsFiles: string[];
  /** The Kamal that Gemfile.lock pins, if any. */
  pinnedKamal: string | null;
  /** The version the checks were made for, and where it came from. */
  checkedFor: { version: string | null; from: "log" | "Gemfile.lock" | null };
  /** EXPOSE ports of the Dockerfile's last stage. */
  exposedPorts: number[];
}

/**
 * The report of each deploy on its own, as if it had been read alone: its sources, its summary,
 * its findings and unmatched lines. One deploy (or none): the report itself.
 */
export function deployReports(report: Report): Report[] {
  if (report.deploys.length <= 1) return [report];
  return report.deploys.map((entry) => {
    const names = new Set([entry.source, ...entry.attached]);
    const { source: _source, attached: _attached, outcome, ...deploy } = entry;
    const sources = report.sources.filter((source) => names.has(source.name));
    return {
      ...report,
      outcome,
      sources,
      deploy,
      deploys: [entry],
      findings: report.findings.filter((finding) => names.has(finding.source)),
      unmatched: report.unmatched.filter((line) => names.has(line.source)),
    };
  });
}
