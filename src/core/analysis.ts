// One analysis over one or more sources: normalize → parse → model → rules, line by line,
// then `finish()` ranks the findings (root cause first), picks the unmatched error lines and
// decides the outcome. Pure: lines in, a Report out.

import type { CompiledRule } from "../rules/compile.js";
import { fill } from "../rules/template.js";
import { asKamalVersion, firesOn, ruleWords } from "../rules/wording.js";
import type { KamalVersion } from "../rules/schema.js";
import { RuleEngine, type Hit } from "./engine.js";
import { LineParser, type ParsedLine } from "./parse.js";
import { LineSplitter } from "./lines.js";
import { Normalizer } from "./normalize.js";
import { detach } from "./strings.js";
import { DeployModel } from "./model.js";
import type { Counts, DeploySummary, EvidenceLine, Finding, JobRef, Outcome, Report, SourceSummary, UnmatchedLine } from "./report.js";
import { RulePrefilter } from "../rules/prefilter.js";
import type { Category, CommandKind, LineKind, Phase } from "../vocabulary.js";
import { ProvenanceTracker, commandKind } from "./provenance.js";
import { ERROR_WORDS, KeyLineTracker, isBoilerplate, withoutStreamPrefix, type KeyLine } from "./keyline.js";
import { OutputReader, RawLines, WIDE } from "./triage.js";
import { NO_VERDICT, VerdictReader } from "./verdicts.js";
import { inferredFor, inferredWords, stoppedWords } from "./infer.js";
import { fingerprint } from "./fingerprint.js";
import { withLock } from "./lock.js";

export const MAX_UNMATCHED = 20;
const MAX_UNMATCHED_CANDIDATES = 400;
const SEVERITY_WEIGHT = { error: 300, warning: 200, info: 100 } as const;
export const INTERESTING = /\b(?:error|fatal|failed|failure|exception|denied|refused|cannot|can't|unable|not found|no such|invalid|missing|timed? ?out|unauthorized|forbidden|panic|aborted|killed)\b/i;
/** Lines that read like errors but never are: empty payloads, container ids, docker's login chatter, rescued failures. */
const BORING =
  /^\s*(?:docker|[\w./-]+) (?:stdout|stderr): (?:Nothing written|[0-9a-f]{12,64})$|^\s*$|Finished in .* \(failed\)\.$|WARNING! Using --password via the CLI is insecure|WARNING! Your password will be stored unencrypted|Configure a credential helper to remove this warning|^(?:\S+ (?:stdout|stderr): )?Login Succeeded$/;
const NOT_BLANK = /\S/;
const PAYLOAD_HEADER = /^(?:\S+ (?:exit status|stdout|stderr):|Exceptions? (?:on|while executing))/;

export interface SourceMeta {
  name: string;
  job?: JobRef | null;
  /**
   * Output of a follow-up command run after the deploy failed (`exec --collect`): it is evidence
   * for the deploy before it (as with `attachTo: "previous"`), its findings belong to `phase`, and
   * with `containerOutput` the whole source is the failed container's own output, so a rule's
   * `near` context holds source-wide.
   */
  collected?: { phase: Phase | null; containerOutput: boolean };
  /**
   * "previous": this source is evidence for the deploy read before it (e.g. `kamal app logs`
   * collected after that deploy failed), not a deploy of its own: its findings join that
   * deploy's and are ranked with them. Without a previous deploy it is a deploy of its own.
   */
  attachTo?: "previous" | null;
  /**
   * The host each line (1-based) came from, where the source knows it exactly rather than from
   * the SSHKit command it belongs to: OTLP records carry `server.address`. Null: not known.
   */
  lineHosts?: ((line: number) => string | null) | null;
}

export interface AnalysisOptions {
  rules: readonly CompiledRule[];
  toolVersion: string;
  /** The exit code of the command whose output this is, when known (`exec`). */
  exitCode?: number | null;
  /** The Kamal command, when known from outside the log (`exec -- kamal deploy`). */
  command?: string | null;
  /** The destination (`-d`), when known from outside the log: the lock's commands are for it. */
  destination?: string | null;
  /**
   * false: every line goes the full way (normalize, parse, model, rules), also the lines of
   * command output core/triage.ts would take without reading them. For tests: the report is
   * the same either way.
   */
  triage?: boolean;
  /**
   * The triage's verdicts, computed on another thread from the same text (core/verdicts.ts): a
   * line whose verdict is there is not read here. Only for sources fed with `push`.
   */
  verdicts?: SharedArrayBuffer;
}

interface Candidate extends UnmatchedLine {
  priority: number;
  /** Part of the final error's payload that does not read like an error: context, kept only while nothing explains the failure. */
  context: boolean;
}

/**
 * What one deploy accumulates: each source (file, zip entry, job) is a deploy of its own, with
 * its own model and findings; a source attached to it as evidence adds to its findings only.
 */
class DeployState {
  readonly model = new DeployModel();
  readonly engine: RuleEngine;
  readonly sources: SourceSummary[] = [];
  readonly counts: Counts = { error: 0, warn: 0, info: 0, debug: 0 };
  readonly candidates: Candidate[] = [];
  /** Payload lines since the final error or the last `docker stderr:`-style header. */
  sinceHeader = 0;
  errorText: string | null = null;
  readonly provenance = new ProvenanceTracker();
  readonly keyLines = new KeyLineTracker();
  /** The kind of the command the model holds as failed (classified once, when it is known). */
  failing: CommandKind | null = null;
  /** The deploy's last line, kept as it came: where a log that stops mid-step stops. */
  last: ParsedLine | null = null;
  /** Or that last line kept raw (core/triage.ts took it), read only if it is needed. */
  lastRaw: string | null = null;
  lastRawLine = 0;
  lastRawLines: RawLines | null = null;

  constructor(options: AnalysisOptions, prefilter: RulePrefilter) {
    this.engine = new RuleEngine(options.rules, prefilter);
    if (options.command) this.model.setCommand(options.command);
  }
}

interface DeployResult {
  state: DeployState;
  outcome: Outcome;
  deploy: DeploySummary;
  findings: Finding[];
  unmatched: UnmatchedLine[];
}

const OUTCOME_WEIGHT: Record<Outcome, number> = { failed: 2, unknown: 1, succeeded: 0 };

export class Analysis {
  private readonly prefilter: RulePrefilter;
  private readonly deploys: DeployState[] = [];
  /** The deploy being read (or finished). */
  private active: DeployState;
  private normalizer: Normalizer | null = null;
  private parser: LineParser | null = null;
  private current: SourceSummary | null = null;
  /** The current source is evidence for the deploy before it: it does not feed the deploy's model. */
  private evidence = false;
  private collected: SourceMeta["collected"] | null = null;
  private lineHosts: SourceMeta["lineHosts"] = null;
  private readonly triage: boolean;
  /** The current source's splitter, for text fed with `push`. */
  private splitter: LineSplitter | null = null;
  /** While a chunk is pushed: its characters as Latin-1 bytes (a one-byte chunk), else null. */
  private bytes: Uint8Array | null = null;
  private scratch: Buffer = Buffer.allocUnsafe(0);
  private readonly output: OutputReader;
  private readonly verdicts: VerdictReader | null;
  /** The verdict for the line being read (NO_VERDICT: read it here). */
  private verdict = NO_VERDICT;
  /** The current source's lines kept raw (made with the first one). */
  private rawLines: RawLines | null = null;
  /** The last command id a kept line had, and its command's kind: output comes in runs. */
  private lastId = "";
  private lastIdKind: CommandKind | null = null;

  constructor(private readonly options: AnalysisOptions) {
    this.prefilter = new RulePrefilter(options.rules, ERROR_WORDS);
    this.active = new DeployState(options, this.prefilter);
    this.triage = options.triage !== false;
    this.output = new OutputReader(this.prefilter);
    this.verdicts = options.verdicts && this.triage ? new VerdictReader(options.verdicts) : null;
  }

  private get model(): DeployModel {
    return this.active.model;
  }
  private get engine(): RuleEngine {
    return this.active.engine;
  }
  private get candidates(): Candidate[] {
    return this.active.candidates;
  }
  private get counts(): Counts {
    return this.active.counts;
  }
  private get sources(): SourceSummary[] {
    return this.active.sources;
  }
  private get provenance(): ProvenanceTracker {
    return this.active.provenance;
  }
  private get keyLines(): KeyLineTracker {
    return this.active.keyLines;
  }

  beginSource(meta: SourceMeta): void {
    if (this.current) this.endSource();
    const attach = (meta.attachTo === "previous" || meta.collected !== undefined) && this.deploys.length > 0;
    if (!attach) {
      if (this.deploys.length > 0) this.active = new DeployState(this.options, this.prefilter);
      this.deploys.push(this.active);
    }
    this.evidence = attach;
    this.current = { name: meta.name, job: meta.job ?? null, step: null, lines: 0, attachedTo: attach ? (this.active.sources[0]?.name ?? null) : null };
    this.sources.push(this.current);
    this.normalizer = new Normalizer();
    this.parser = new LineParser(meta.name);
    this.rawLines = null;
    this.lastId = "";
    this.collected = meta.collected ?? null;
    this.lineHosts = meta.lineHosts ?? null;
    this.engine.sourceWideNear = meta.collected?.containerOutput === true;
  }

  /**
   * Feeds the current source's decoded text, in chunks of any size (lines may span chunks): as
   * `line` for each line, but a chunk of one-byte text is also written out as Latin-1 bytes, which
   * the triage reads quicker than the string (the bytes are the characters, one each).
   */
  push(chunk: string): void {
    if (!this.current || !this.normalizer || !this.parser) this.beginSource({ name: "stdin" });
    if (this.splitter === null) {
      const verdicts = this.verdicts;
      this.splitter = new LineSplitter(
        verdicts === null
          ? (line, at) => this.lineAt(line, at)
          : (line, at) => {
              this.verdict = verdicts.next(line.length);
              this.lineAt(line, at);
              this.verdict = NO_VERDICT;
            },
      );
    }
    if (this.triage && !WIDE.test(chunk)) {
      if (this.scratch.length < chunk.length) this.scratch = Buffer.allocUnsafe(chunk.length);
      this.scratch.write(chunk, 0, "latin1");
      this.bytes = this.scratch;
    }
    this.splitter.push(chunk);
    this.bytes = null;
  }

  /** Feeds one raw line (without its line end) of the current source. */
  line(raw: string): void {
    this.lineAt(raw, -1);
  }

  /** `at`: where the line starts in `bytes` (the chunk being pushed), else -1. */
  private lineAt(raw: string, at: number): void {
    if (!this.current || !this.normalizer || !this.parser) this.beginSource({ name: "stdin" });
    // Lines with a host of their own (OTLP records) are read the full way: the host is a fact.
    if (this.triage && !this.evidence && this.lineHosts === null && this.skipped(raw, at)) return;
    // A line read the full way may start a command under any id: the kind remembered is stale.
    this.lastId = "";
    const normalized = (this.normalizer as Normalizer).normalize(raw);
    const parsed = (this.parser as LineParser).parse(normalized);
    const exact = this.lineHosts?.(normalized.line) ?? null;
    if (exact !== null) parsed.host = exact;
    if (this.evidence) {
      // Evidence (logs collected after the deploy) says why, not what the deploy did.
      this.engine.consume(parsed, this.collected?.phase ?? null, this.provenance.observe(parsed, null));
    } else {
      if (exact !== null) this.model.addHost(exact);
      this.model.consume(parsed);
      if (parsed.kind === "error") this.active.failing = this.model.failedCommand ? commandKind(this.model.failedCommand.command) : null;
      const provenance = this.provenance.observe(parsed, this.active.failing);
      this.keyLines.observe(parsed, provenance);
      this.count(parsed);
      this.engine.consume(parsed, this.model.phaseOf(parsed), provenance);
      if (parsed.kind !== "runner" && NOT_BLANK.test(parsed.text)) {
        this.active.last = parsed;
        this.active.lastRaw = null;
      }
    }
    this.maybeCandidate(parsed);
    (this.current as SourceSummary).lines = normalized.line;
  }

  /**
   * A line of command output no rule looks for and that does not read like an error
   * (core/triage.ts): only what the full way would change for it changes, without reading its
   * text — the line number, the last timestamp, the debug count, the recent lines (raw), the
   * command's last output (raw). False: the line goes the full way.
   */
  private skipped(raw: string, at: number): boolean {
    const normalizer = this.normalizer as Normalizer;
    const wrapped = normalizer.skippable;
    if (wrapped === null || !this.engine.idle) return false;
    const out = this.output;
    const verdict = this.verdict;
    if (verdict === NO_VERDICT) {
      if (!out.read(raw, wrapped, at === -1 ? null : this.bytes, at)) return false;
    } else if (!out.accept(verdict)) return false;
    const state = this.active;
    let lines = this.rawLines;
    if (lines === null) {
      lines = new RawLines((this.current as SourceSummary).name, wrapped);
      this.rawLines = lines;
      state.engine.rawLines = lines;
    }
    const stamp = out.stampLength > 0 ? raw.slice(0, out.stampLength) : null;
    const line = normalizer.skipped(stamp);
    (this.parser as LineParser).skippedOutput();
    if (stamp !== null) state.model.noteTime(stamp);
    if (!raw.startsWith(this.lastId, out.idAt) || this.lastId.length === 0) {
      this.lastId = raw.slice(out.idAt, out.idAt + 8);
      this.lastIdKind = state.provenance.kindOf(this.lastId);
    }
    state.keyLines.outputSkipped(raw, line, lines, out.printed, this.lastIdKind);
    state.counts.debug++;
    state.engine.skipped(line, raw);
    state.last = null;
    state.lastRaw = raw;
    state.lastRawLine = line;
    state.lastRawLines = lines;
    (this.current as SourceSummary).lines = line;
    return true;
  }

  endSource(): void {
    if (this.splitter !== null) {
      this.splitter.end();
      this.splitter = null;
    }
    if (this.current !== null) this.verdicts?.endSource();
    this.engine.endSource();
    this.current = null;
    this.normalizer = null;
    this.parser = null;
    this.lineHosts = null;
    this.evidence = false;
  }

  /**
   * Each deploy is finished on its own (its outcome, ranking, root cause, unmatched lines), then
   * combined: the outcome is the worst of them, failed deploys' findings come first, and the
   * top-level `deploy` is the first failed deploy's (else the first's).
   */
  finish(): Report {
    if (this.current) this.endSource();
    this.verdicts?.close();
    const states = this.deploys.length > 0 ? this.deploys : [this.active];
    const results = states.map((state) => {
      this.active = state;
      return this.finishDeploy();
    });
    const outcome = results.reduce<Outcome>((worst, r) => (OUTCOME_WEIGHT[r.outcome] > OUTCOME_WEIGHT[worst] ? r.outcome : worst), "succeeded");
    const lead = results.find((r) => r.outcome === "failed") ?? results[0];
    if (lead === undefined) throw new Error("an analysis always has a deploy");
    const failedFirst = [...results.filter((r) => r.outcome === "failed"), ...results.filter((r) => r.outcome !== "failed")];
    const counts: Counts = { error: 0, warn: 0, info: 0, debug: 0 };
    for (const r of results) for (const key of Object.keys(counts) as (keyof Counts)[]) counts[key] += r.state.counts[key];
    const report: Report = {
      schemaVersion: 1,
      tool: { name: "kamal-doctor", version: this.options.toolVersion },
      outcome,
      sources: results.flatMap((r) => r.state.sources),
      deploy: lead.deploy,
      deploys: this.deploys.map((state, index) => {
        const r = results[index] as DeployResult;
        return {
          source: state.sources[0]?.name ?? "",
          attached: state.sources.slice(1).map((source) => source.name),
          outcome: r.outcome,
          ...r.deploy,
        };
      }),
      findings: failedFirst.flatMap((r) => r.findings),
      unmatched: results.flatMap((r) => r.unmatched),
      counts,
    };
    // A deploy that failed on the lock, or left it held: who holds it and what to do.
    return withLock(report, { destination: this.options.destination ?? null });
  }

  private finishDeploy(): DeployResult {
    const model = this.model;
    const kamalVersion = model.kamalVersion();
    const version = asKamalVersion(kamalVersion);
    // A rule written for another Kamal version does not speak on this log.
    const all = [...this.engine.hits.values()].filter((hit) => firesOn(hit.compiled.rule, version));
    // A catch-all rule ("a command failed") speaks only when nothing more specific did.
    const specific = all.some((hit) => hit.compiled.rule.fallback !== true && hit.compiled.rule.severity !== "info");
    const hits = withoutRereadings(specific ? all.filter((hit) => hit.compiled.rule.fallback !== true) : all);
    const hardFailure =
      model.topError !== null ||
      (model.runnerExitCode !== null && model.runnerExitCode !== 0) ||
      (this.options.exitCode !== undefined && this.options.exitCode !== null && this.options.exitCode !== 0) ||
      hits.some((hit) => hit.compiled.rule.failsDeploy === true);
    const explicitSuccess = this.options.exitCode === 0 || (model.finishedAll && !hardFailure);
    const errorHits = hits.some((hit) => hit.compiled.rule.severity === "error");
    let outcome: Outcome;
    if (hardFailure) outcome = "failed";
    else if (explicitSuccess) outcome = "succeeded";
    else if (errorHits) outcome = "failed";
    else outcome = "unknown";

    const failing = this.failingKind();
    const key = outcome === "failed" ? this.keyLines.pick(model.failedCommand?.id ?? null, failing) : null;
    const findings = this.rank(hits, outcome, failing).map((hit, index) => this.toFinding(hit, index === 0 && outcome === "failed", outcome, version, failing, key));
    // No rule explains the failure: the command that failed still says which step broke.
    const catchAll = new Set(hits.filter((hit) => hit.compiled.rule.fallback === true).map((hit) => hit.compiled.rule.id));
    const explained = findings.some((f) => f.severity === "error" && !catchAll.has(f.ruleId));
    const inferred = outcome === "failed" && !explained ? this.inferred(failing, key, version) : null;
    if (inferred) {
      // It says more than a catch-all ("a command failed") would.
      for (let i = findings.length - 1; i >= 0; i--) if (catchAll.has((findings[i] as Finding).ruleId)) findings.splice(i, 1);
      for (const f of findings) f.rootCause = false;
      findings.unshift(inferred);
    }
    // No outcome in the log, but a step still running where it stops: say which.
    const stopped = outcome === "unknown" ? this.stopped(version) : null;
    if (stopped) findings.unshift(stopped);
    // What stays the same when this failure happens again: the memory across runs is keyed by it
    // (the destination is kept beside it, in what is remembered of the run).
    for (const f of findings) f.fingerprint = fingerprint(f, null, f.basis === "inferred" ? (failing ?? f.origin?.command ?? null) : null);
    const shown = new Set<string>();
    for (const f of findings) for (const e of f.evidenceLines) shown.add(`${f.source}:${e.line}`);

    return {
      state: this.active,
      outcome,
      deploy: {
        kamalVersion,
        command: model.command,
        hosts: [...model.hosts],
        phases: model.phaseSummaries(),
        failedPhase: outcome === "failed" ? (model.failedPhase() ?? findings[0]?.phase ?? null) : null,
        seconds: model.finishedAllSeconds,
        failedCommand: outcome === "failed" && model.failedCommand ? { ...model.failedCommand, kind: failing ?? "other" } : null,
      },
      findings,
      // A deploy that succeeded has no failure to explain: no line is an unexplained error.
      unmatched: outcome === "succeeded" ? [] : this.unmatched(all).filter((u) => !shown.has(`${u.source}:${u.line}`) && !isBoilerplate(u.text)),
    };
  }

  /** Root cause first: a finding another finding explains goes after it; then by score. */
  private rank(hits: Hit[], outcome: Outcome, failing: CommandKind | null): Hit[] {
    // A finding whose lines came from the command that failed, or whose category is that
    // command's, outranks one that only matched text elsewhere.
    const failingCategory = inferredFor(failing)?.category ?? null;
    const agrees = (hit: Hit) => failingCategory !== null && categoryOf(hit, failing) === failingCategory;
    const score = (hit: Hit) =>
      SEVERITY_WEIGHT[hit.compiled.rule.severity] + (hit.inErrorBlock ? 60 : 0) + (hit.compiled.rule.priority ?? 50) + (agrees(hit) ? 40 : 0);
    const explainedBy = (hit: Hit) =>
      hits.some(
        (other) =>
          other !== hit &&
          (other.compiled.rule.explains ?? []).some(
            (target) => target === hit.compiled.rule.id || target === `category:${hit.compiled.rule.category}`,
          ),
      );
    const decorated = hits.map((hit) => ({ hit, explained: explainedBy(hit), score: score(hit) }));
    decorated.sort((a, b) => {
      if (a.explained !== b.explained) return a.explained ? 1 : -1;
      if (a.score !== b.score) return b.score - a.score;
      if (a.hit.source !== b.hit.source) return 0;
      return a.hit.line - b.hit.line;
    });
    void outcome;
    return decorated.map((d) => d.hit);
  }

  /** The kind of the command that failed: the model's failing command, else what the error or a fragment shows. */
  private failingKind(): CommandKind | null {
    return this.active.failing ?? this.provenance.fragmentCommand();
  }

  /** A finding inferred from the failing command when no rule explains the failure. */
  private inferred(failing: CommandKind | null, key: KeyLine | null, version: KamalVersion | null): Finding | null {
    const entry = inferredFor(failing);
    if (!entry) return null;
    const top = this.model.topError;
    const failed = this.model.failedCommand;
    const words = inferredWords(entry, version);
    const vars: Record<string, string> = {};
    if (key) vars["key"] = withoutStreamPrefix(key.message);
    if (failed) vars["command"] = failed.command;
    const host = failed?.host ?? top?.host ?? null;
    if (host) vars["host"] = host;
    const source = key?.source ?? top?.source ?? failed?.source ?? this.sources[0]?.name ?? "stdin";
    const evidenceLines: EvidenceLine[] = [];
    if (key) evidenceLines.push({ line: key.line, text: key.text });
    if (top && top.source === source && top.line !== key?.line && this.active.errorText) evidenceLines.push({ line: top.line, text: this.active.errorText });
    if (failed && failed.source === source && !evidenceLines.some((e) => e.line === failed.line)) evidenceLines.push({ line: failed.line, text: `Running ${failed.command}` });
    const line = key?.line ?? top?.line ?? failed?.line ?? 0;
    return {
      ruleId: `inferred-${entry.command}`,
      basis: "inferred",
      origin: key?.origin ?? (top ? { command: entry.command, text: "kamal" } : null),
      title: fill(words.title, vars),
      category: entry.category,
      severity: "error",
      rootCause: true,
      source,
      line,
      endLine: Math.max(line, ...evidenceLines.map((e) => e.line)),
      host,
      hosts: host ? [host] : [],
      phase: this.model.failedPhase(),
      evidence: evidenceLines.map((e) => e.text),
      evidenceLines,
      captures: {},
      explanation: fill(words.explanation, vars),
      remediation: words.remediation.map((step) => fill(step, vars)),
      docs: words.docs,
      occurrences: 1,
      url: null,
      step: null,
    };
  }

  /**
   * A log with no outcome that stops while a command is still running (a `Running` with no
   * `Finished`: a wait, a retry, a cut-off log; or the command of a pasted prompt or build output
   * in a fragment): the step it was at, inferred from that command's kind. A warning, not an
   * error: nothing in the log says the deploy failed.
   */
  private stopped(version: KamalVersion | null): Finding | null {
    const running = this.model.runningCommand();
    // Only a command the log shows starting: text that merely looks like build output is no step.
    const kind = running ? commandKind(running.command) : this.provenance.pastedCommand();
    const entry = inferredFor(kind);
    if (!entry) return null;
    const key = this.keyLines.pickRunning(running?.id ?? null, entry.command);
    const words = stoppedWords(entry, version);
    const vars: Record<string, string> = {};
    if (running) vars["command"] = running.command;
    if (running?.host) vars["host"] = running.host;
    const source = key?.source ?? running?.source ?? this.sources[0]?.name ?? "stdin";
    const evidenceLines: EvidenceLine[] = [];
    if (key) evidenceLines.push({ line: key.line, text: key.text });
    if (running && running.source === source && !evidenceLines.some((e) => e.line === running.line)) evidenceLines.push({ line: running.line, text: `Running ${running.command}` });
    const state = this.active;
    const last = state.last ?? (state.lastRaw !== null && state.lastRawLines !== null ? state.lastRawLines.parsed(state.lastRaw, state.lastRawLine) : null);
    if (last && last.source === source && !evidenceLines.some((e) => e.line === last.line)) evidenceLines.push({ line: last.line, text: detach(last.text.slice(0, 2000)) });
    const line = evidenceLines[0]?.line ?? 0;
    return {
      ruleId: `stopped-${entry.command}`,
      basis: "inferred",
      origin: key?.origin ?? { command: entry.command, text: "kamal" },
      title: fill(words.title, vars),
      category: entry.category,
      severity: "warning",
      rootCause: false,
      source,
      line,
      endLine: Math.max(line, ...evidenceLines.map((e) => e.line)),
      host: running?.host ?? null,
      hosts: running?.host ? [running.host] : [],
      phase: this.model.phaseNow(),
      evidence: evidenceLines.map((e) => e.text),
      evidenceLines,
      captures: {},
      explanation: fill(words.explanation, vars),
      remediation: words.remediation.map((step) => fill(step, vars)),
      docs: words.docs,
      occurrences: 1,
      url: null,
      step: null,
    };
  }

  private toFinding(hit: Hit, rootCause: boolean, outcome: Outcome, version: KamalVersion | null, failing: CommandKind | null, key: KeyLine | null): Finding {
    const rule = hit.compiled.rule;
    const recategorized = recategorization(hit, failing);
    let worded = rule;
    if (recategorized?.title) worded = { ...worded, title: recategorized.title, variants: worded.variants?.map((v) => ({ ...v, title: undefined })) };
    if (recategorized?.remediation) worded = { ...worded, remediation: recategorized.remediation };
    const words = ruleWords(worded, version);
    const top = this.model.topError;
    const vars: Record<string, string> = { ...hit.captures };
    if (hit.host && vars["host"] === undefined) vars["host"] = hit.host;
    if (hit.hosts.size > 1) vars["hosts"] = [...hit.hosts].join(", ");
    else if (hit.host) vars["hosts"] = hit.host;
    const phase = hit.inErrorBlock ? (this.model.failedPhase() ?? hit.phase) : hit.phase;
    if (phase) vars["phase"] = phase;
    const failed = this.model.failedCommand;
    if (failed) {
      vars["command"] ??= failed.command;
      if (failed.exitCode !== null) vars["exitCode"] ??= String(failed.exitCode);
    }
    const evidenceLines = [...hit.evidence];
    if (hit.inErrorBlock && top && top.source === hit.source && !evidenceLines.some((e) => e.line === top.line)) {
      const errorLine = this.errorLineText();
      if (errorLine) evidenceLines.unshift({ line: top.line, text: errorLine });
    }
    evidenceLines.sort((a, b) => a.line - b.line);
    // The line that explains the failure first: the payload line the rule matched (a
    // rule knows its error better than the generic pick: `No such container: traefik` is expected
    // output of `docker container start traefik || docker run …`, not the failure), or the deploy's
    // key line when the rule matched only elsewhere (context, an earlier warning).
    const matchedOnFailurePath = hit.inErrorBlock && this.model.topError !== null && hit.line > this.model.topError.line;
    const lead = !matchedOnFailurePath && hit.inErrorBlock && key && key.source === hit.source ? key : { line: hit.line, text: "" };
    const at = evidenceLines.findIndex((e) => e.line === lead.line);
    if (at > 0) evidenceLines.unshift(...evidenceLines.splice(at, 1));
    else if (at === -1 && lead.text !== "" && (rootCause || hit.inErrorBlock)) evidenceLines.unshift({ line: lead.line, text: lead.text });
    // A deploy that succeeded in the end has no failure: what matched is only a warning.
    const severity = outcome === "succeeded" && rule.severity === "error" ? "warning" : rule.severity;
    return {
      ruleId: rule.id,
      basis: "rule",
      origin: lead === key ? key.origin : hit.origin,
      title: fill(words.title, vars),
      category: recategorized?.category ?? rule.category,
      severity,
      rootCause,
      source: hit.source,
      line: hit.line,
      endLine: hit.endLine,
      host: hit.host,
      hosts: [...hit.hosts],
      // Kamal prints its final error after releasing the lock: a finding there belongs to the phase that failed.
      phase,
      evidence: evidenceLines.map((e) => e.text),
      evidenceLines,
      captures: hit.captures,
      explanation: fill(words.explanation, vars),
      remediation: words.remediation.map((step) => fill(step, vars)),
      docs: words.docs,
      occurrences: hit.occurrences,
      url: null,
      step: null,
      ...(rule.retryable === true ? { retryable: true as const } : {}),
    };
  }

  private errorLineText(): string | null {
    return this.active.errorText;
  }

  private count(p: ParsedLine): void {
    switch (p.level) {
      case "ERROR":
      case "FATAL":
        this.counts.error++;
        break;
      case "WARN":
        this.counts.warn++;
        break;
      case "INFO":
        this.counts.info++;
        break;
      case "DEBUG":
        this.counts.debug++;
        break;
      default:
        break;
    }
  }

  private maybeCandidate(p: ParsedLine): void {
    if (p.kind === "error") {
      this.active.errorText = p.text;
      // A new final error: the lines of an earlier one are no longer the failure.
      for (const c of this.candidates) if (c.priority === 3) c.priority = 1;
    }
    if (p.kind === "error" || (p.kind === "payload" && PAYLOAD_HEADER.test(p.text))) this.active.sinceHeader = 0;
    else if (p.kind === "payload") this.active.sinceHeader++;
    const priority = candidatePriority(p, this.active.sinceHeader);
    if (priority === 0 || BORING.test(p.text)) return;
    if (this.candidates.length >= MAX_UNMATCHED_CANDIDATES) {
      if (priority < 3) return;
      const index = this.candidates.findIndex((c) => c.priority < 3);
      if (index === -1) return;
      this.candidates.splice(index, 1);
    }
    const context = p.kind === "payload" && !INTERESTING.test(p.text);
    this.candidates.push({ source: p.source, line: p.line, text: detach(p.text.slice(0, 2000)), kind: p.kind, priority, context });
  }

  /** The error lines no reported finding matched or shows as evidence. */
  private unmatched(hits: readonly Hit[]): UnmatchedLine[] {
    const explained = new Set<string>();
    for (const hit of hits) for (const key of hit.lineKeys) explained.add(key);
    const seen = new Set<string>();
    const kept: Candidate[] = [];
    const ordered = [...this.candidates].sort((a, b) => b.priority - a.priority);
    const top = this.model.topError;
    const errorExplained = top !== null && hits.some((hit) => hit.inErrorBlock);
    for (const c of ordered) {
      if (explained.has(`${c.source}:${c.line}`)) continue;
      if (errorExplained && ((top && c.source === top.source && c.line === top.line) || c.context)) continue;
      const key = shape(c.text);
      if (seen.has(key)) continue;
      seen.add(key);
      kept.push(c);
      if (kept.length >= MAX_UNMATCHED) break;
    }
    kept.sort((a, b) => (a.source === b.source ? a.line - b.line : 0));
    return kept.map(({ source, line, text, kind }) => ({ source, line, text, kind }));
  }
}

/** For tests and small inputs: analyse one string as one source. */
export function analyzeText(name: string, text: string, options: AnalysisOptions): Report {
  const analysis = new Analysis(options);
  analysis.beginSource({ name });
  analysis.push(text);
  return analysis.finish();
}

/** The `recategorize` entry that applies: the rule's matched lines, or the failing command it is on the path of, are of its command kinds. */
function recategorization(hit: Hit, failing: CommandKind | null): NonNullable<CompiledRule["rule"]["recategorize"]>[number] | null {
  for (const entry of hit.compiled.rule.recategorize ?? []) {
    if (entry.when.commands.some((kind) => hit.commands.has(kind) || (hit.inErrorBlock && kind === failing))) return entry;
  }
  return null;
}

function categoryOf(hit: Hit, failing: CommandKind | null): Category {
  return recategorization(hit, failing)?.category ?? hit.compiled.rule.category;
}

/** Does `other` say it is the root cause of `hit`? */
function explains(other: Hit, hit: Hit): boolean {
  return other !== hit && (other.compiled.rule.explains ?? []).some((target) => target === hit.compiled.rule.id || target === `category:${hit.compiled.rule.category}`);
}

/**
 * A finding explained by another that matched every one of its lines is the same evidence read
 * two ways ("no lock exists" beside "another deploy holds the lock"): only the explaining one stays.
 */
function withoutRereadings(hits: Hit[]): Hit[] {
  return hits.filter((hit) => !hits.some((other) => explains(other, hit) && [...hit.matchKeys].every((key) => other.matchKeys.has(key))));
}

/** 3: the final error and its payload; 2: ERROR-level lines and runner errors; 1: other lines that read like errors. */
function candidatePriority(p: ParsedLine, sinceHeader: number): number {
  const kind: LineKind = p.kind;
  if (kind === "error") return 3;
  // The payload's headers, the first lines after each and its error-looking lines matter;
  // pages of docker pull progress inside it do not.
  if (kind === "payload") return sinceHeader <= 3 || INTERESTING.test(p.text) ? 3 : 0;
  if (kind === "backtrace" || kind === "step" || kind === "command-start" || kind === "command-text" || kind === "command-finish") return 0;
  if (kind === "runner") return p.text.length > 0 && /^(?:Error|error)/.test(p.text) && p.runnerExitCode === null ? 2 : 0;
  // Container logs Kamal dumps (under ERROR on Kamal 2) matter only where they read like errors.
  if ((p.level === "ERROR" || p.level === "FATAL") && !p.dump) return 2;
  return INTERESTING.test(p.message) ? 1 : 0;
}

/** A line's shape for de-duplication: digits, hex ids and timestamps do not make a line new. */
function shape(text: string): string {
  return text
    .replace(/\d{4}-\d{2}-\d{2}[T ][\d:.]+Z?/g, "T")
    .replace(/\b[0-9a-f]{7,64}\b/gi, "H")
    .replace(/\d+/g, "0")
    .trim();
}
