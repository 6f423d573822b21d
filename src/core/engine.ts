// The rule engine: every parsed line is tested against every compiled rule in one streaming
// pass. A match becomes (or adds to) a finding accumulator; `near` conditions are checked
// against a short memory of recent matches and, for forward conditions, a pending list.
// A one-pass literal scan (rules/prefilter.ts) picks the few rules a line could match first.

import { execPattern, type CompiledPattern, type CompiledRule } from "../rules/compile.js";
import { RulePrefilter, type RuleGates } from "../rules/prefilter.js";
import type { ParsedLine } from "./parse.js";
import { detach } from "./strings.js";
import type { EvidenceLine, FindingOrigin } from "./report.js";
import { LINE_KINDS, type CommandKind, type LineKind, type Phase } from "../vocabulary.js";
import type { LineProvenance } from "./provenance.js";
import type { RawLines } from "./triage.js";

/** Evidence lines a finding keeps (pretty and markdown show fewer unless --verbose). */
const MAX_EVIDENCE = 40;
/** Matched and evidence lines a finding remembers, so they are not also listed as unexplained. */
const MAX_LINE_KEYS = 1000;
/**
 * What a rule without `context.kinds` looks at: what Kamal, Docker and the app printed — not the
 * text of the commands Kamal runs (a command can carry an error message it would echo, e.g. the
 * image label check), nor the runner's markers and script echo.
 */
const DEFAULT_KINDS: ReadonlySet<LineKind> = new Set<LineKind>(LINE_KINDS.filter((kind) => kind !== "command-start" && kind !== "command-text" && kind !== "runner"));
const RECENT_LINES = 20;
/**
 * Rules see at most this many characters of a line (evidence keeps the whole line). Bounds the
 * cost of a pattern that backtracks polynomially on a hostile line: ~10 ms per line, not seconds.
 */
export const MAX_MATCH_LENGTH = 4096;

/** The part of a line that rules look at. */
function matchText(text: string): string {
  return text.length > MAX_MATCH_LENGTH ? text.slice(0, MAX_MATCH_LENGTH) : text;
}

export interface Hit {
  compiled: CompiledRule;
  source: string;
  line: number;
  endLine: number;
  host: string | null;
  hosts: Set<string>;
  phase: Phase | null;
  captures: Record<string, string>;
  evidence: EvidenceLine[];
  occurrences: number;
  /** Some evidence is in the final error block or the failing command: on the failure path. */
  inErrorBlock: boolean;
  commandIds: Set<string>;
  /** The command kinds of the lines the rule matched (see provenance.ts). */
  commands: Set<CommandKind>;
  /** The provenance of the line at `line`. */
  origin: FindingOrigin;
  /** Lines still to be collected after the match (`evidence.after`). */
  afterRemaining: number;
  /** `source:line` of every line the finding matched or keeps as evidence (bounded). */
  lineKeys: Set<string>;
  /** `source:line` of the lines the rule's patterns matched (bounded). */
  matchKeys: Set<string>;
}

interface NearMemory {
  line: number;
  id: string | null;
  host: string | null;
  source: string;
}

interface Pending {
  compiled: CompiledRule;
  origin: FindingOrigin;
  line: ParsedLine;
  match: RegExpExecArray;
  phase: Phase | null;
  recent: EvidenceLine[];
}

export class RuleEngine {
  /** Findings by rule id, in order of first match. */
  readonly hits = new Map<string, Hit>();
  /** The last RECENT_LINES lines, as a ring (no allocation per line): numbers and texts. */
  private readonly recentLines = new Int32Array(RECENT_LINES);
  private readonly recentTexts: string[] = new Array<string>(RECENT_LINES).fill("");
  /** 1 where the ring holds a raw line (`skipped`), read through `rawLines` only when needed. */
  private readonly recentRaw = new Uint8Array(RECENT_LINES);
  private recentCount = 0;
  /** The current source's raw lines (set with the first line kept raw). */
  rawLines: RawLines | null = null;
  private readonly nearSeen = new Map<string, NearMemory[]>();
  private pending: Pending[] = [];
  private readonly collecting: Hit[] = [];
  /** The current source is one container's output: a `near` line anywhere in it is context enough. */
  sourceWideNear = false;

  private readonly prefilter: RulePrefilter;
  /** The provenance of the line being consumed. */
  private provenance: LineProvenance | null = null;

  /** `prefilter`: one built for the same rules, shared by engines (one per deploy). */
  constructor(
    private readonly rules: readonly CompiledRule[],
    prefilter?: RulePrefilter,
  ) {
    this.prefilter = prefilter ?? new RulePrefilter(rules);
  }

  consume(p: ParsedLine, phase: Phase | null, provenance: LineProvenance | null = null): void {
    this.provenance = provenance;
    if (this.collecting.length > 0) this.collectAfter(p);
    if (this.pending.length > 0) this.resolvePending(p);

    if (p.kind !== "runner" || p.runnerExitCode === null) {
      const prefilter = this.prefilter;
      const text = matchText(p.text);
      for (const index of prefilter.select(text)) {
        const compiled = this.rules[index] as CompiledRule;
        const gates = prefilter.gates[index] as RuleGates;
        // A `near` line is context: any line can be it, including the command Kamal ran.
        if (compiled.near !== null && prefilter.mayMatch(gates.near) && compiled.near.regex.exec(text)) this.rememberNear(compiled, p);
        if (compiled.kinds !== null ? !compiled.kinds.has(p.kind) : !DEFAULT_KINDS.has(p.kind)) continue;
        if (compiled.commands !== null && (provenance?.command == null || !compiled.commands.has(provenance.command))) continue;
        if (compiled.origins !== null && (provenance === null || !compiled.origins.has(provenance.origin))) continue;
        for (let k = 0; k < compiled.patterns.length; k++) {
          if (!prefilter.mayMatch(gates.patterns[k] ?? null)) continue;
          const match = (compiled.patterns[k] as CompiledPattern).regex.exec(text);
          if (match === null) continue;
          this.onMatch(compiled, p, match, phase);
          break;
        }
      }
    }

    const slot = this.recentCount % RECENT_LINES;
    this.recentLines[slot] = p.line;
    this.recentTexts[slot] = p.text;
    this.recentRaw[slot] = 0;
    this.recentCount++;
  }

  /**
   * Nothing here can look at the next line unless a rule's literal is in it: no rule without a
   * literal, no forward `near` condition waiting, no evidence being collected after a match.
   */
  get idle(): boolean {
    return this.pending.length === 0 && this.collecting.length === 0 && this.prefilter.ungated === 0;
  }

  /** A line that core/triage.ts took while `idle`: no rule can match it; it joins the recent lines raw. */
  skipped(line: number, raw: string): void {
    const slot = this.recentCount % RECENT_LINES;
    this.recentLines[slot] = line;
    this.recentTexts[slot] = raw;
    this.recentRaw[slot] = 1;
    this.recentCount++;
  }

  /** Drops pending forward conditions at the end of a source. */
  endSource(): void {
    this.pending = [];
    this.collecting.length = 0;
    this.recentCount = 0;
    this.rawLines = null;
    this.nearSeen.clear();
    this.sourceWideNear = false;
  }

  private onMatch(compiled: CompiledRule, p: ParsedLine, match: RegExpExecArray, phase: Phase | null): void {
    if (compiled.near !== null) {
      if (!this.nearBefore(compiled, p)) {
        this.pending.push({ compiled, origin: this.origin(), line: p, match, phase, recent: this.recent() });
        return;
      }
    }
    this.record(compiled, p, match, phase, this.recent(), this.origin());
  }

  /** A copy of the current line's provenance (the tracker reuses its object). */
  private origin(): FindingOrigin {
    return { command: this.provenance?.command ?? null, text: this.provenance?.origin ?? "text" };
  }

  private nearBefore(compiled: CompiledRule, p: ParsedLine): boolean {
    const memory = this.nearSeen.get(compiled.rule.id);
    if (!memory) return false;
    return memory.some((m) => this.nearFits(compiled, m, p));
  }

  private nearFits(compiled: CompiledRule, m: NearMemory, p: ParsedLine): boolean {
    if (m.source !== p.source || (!this.sourceWideNear && Math.abs(p.line - m.line) > compiled.within)) return false;
    if (compiled.rule.context?.sameCommand && (m.id === null || m.id !== p.id)) return false;
    if (compiled.rule.context?.sameHost && m.host !== p.host) return false;
    return true;
  }

  private rememberNear(compiled: CompiledRule, p: ParsedLine): void {
    const memory = this.nearSeen.get(compiled.rule.id) ?? [];
    memory.push({ line: p.line, id: p.id, host: p.host, source: p.source });
    while (!this.sourceWideNear && memory.length > 0 && (memory[0] as NearMemory).line < p.line - compiled.within) memory.shift();
    if (memory.length > 64) memory.shift();
    this.nearSeen.set(compiled.rule.id, memory);
  }

  private resolvePending(p: ParsedLine): void {
    const still: Pending[] = [];
    for (const pending of this.pending) {
      const near = pending.compiled.near;
      if (!this.sourceWideNear && p.line - pending.line.line > pending.compiled.within) continue;
      const text = matchText(p.text);
      const low = pending.compiled.ignoreCase ? text.toLowerCase() : null;
      if (near !== null && execPattern(near, text, low) && this.nearFits(pending.compiled, { line: p.line, id: p.id, host: p.host, source: p.source }, pending.line)) {
        this.record(pending.compiled, pending.line, pending.match, pending.phase, pending.recent, pending.origin);
        continue;
      }
      still.push(pending);
    }
    this.pending = still;
  }

  /** The recent lines, oldest first (only built when a rule matches). */
  private recent(): EvidenceLine[] {
    const count = Math.min(this.recentCount, RECENT_LINES);
    const out: EvidenceLine[] = [];
    for (let i = this.recentCount - count; i < this.recentCount; i++) {
      const slot = i % RECENT_LINES;
      let text = this.recentTexts[slot] as string;
      if (this.recentRaw[slot] === 1) {
        text = (this.rawLines as RawLines).text(text);
        this.recentTexts[slot] = text;
        this.recentRaw[slot] = 0;
      }
      out.push({ line: this.recentLines[slot] as number, text });
    }
    return out;
  }

  private record(compiled: CompiledRule, p: ParsedLine, match: RegExpExecArray, phase: Phase | null, recent: readonly EvidenceLine[], origin: FindingOrigin): void {
    const command = origin.command;
    const id = compiled.rule.id;
    const captures: Record<string, string> = {};
    if (match.groups) for (const [key, value] of Object.entries(match.groups)) if (value !== undefined) captures[key] = detach(value);
    const host = captures["host"] ?? p.host;
    const onFailurePath = p.kind === "error" || p.kind === "payload";
    let hit = this.hits.get(id);
    if (!hit) {
      hit = {
        compiled,
        source: p.source,
        line: p.line,
        endLine: p.line,
        host: host ?? null,
        hosts: new Set(),
        phase,
        captures,
        evidence: [],
        occurrences: 0,
        inErrorBlock: false,
        commandIds: new Set(),
        commands: new Set(),
        origin,
        afterRemaining: 0,
        lineKeys: new Set(),
        matchKeys: new Set(),
      };
      this.hits.set(id, hit);
      const before = compiled.rule.evidence?.before ?? 0;
      for (const line of recent.slice(Math.max(0, recent.length - before))) this.addEvidence(hit, p.source, line);
    } else {
      for (const [key, value] of Object.entries(captures)) if (!(key in hit.captures)) hit.captures[key] = value;
      if (hit.host === null && host) hit.host = host;
    }
    hit.occurrences++;
    if (hit.lineKeys.size < MAX_LINE_KEYS) hit.lineKeys.add(`${p.source}:${p.line}`);
    if (hit.matchKeys.size < MAX_LINE_KEYS) hit.matchKeys.add(`${p.source}:${p.line}`);
    if (host) hit.hosts.add(host);
    if (p.id) hit.commandIds.add(p.id);
    if (command !== null) hit.commands.add(command);
    if (onFailurePath && !hit.inErrorBlock) {
      hit.inErrorBlock = true;
      // The evidence that matters most is the failure itself: lead with it.
      if (hit.source !== p.source) hit.evidence = [];
      hit.source = p.source;
      hit.line = p.line;
      hit.endLine = p.line;
      hit.origin = origin;
      if (phase) hit.phase = phase;
    }
    if (p.source === hit.source) hit.endLine = Math.max(hit.endLine, p.line);
    this.addEvidence(hit, p.source, { line: p.line, text: p.text });
    const after = compiled.rule.evidence?.after ?? 0;
    if (after > 0 && hit.afterRemaining === 0 && hit.evidence.length < MAX_EVIDENCE) {
      hit.afterRemaining = after;
      this.collecting.push(hit);
    }
  }

  private collectAfter(p: ParsedLine): void {
    for (let i = this.collecting.length - 1; i >= 0; i--) {
      const hit = this.collecting[i] as Hit;
      if (p.source === hit.source && p.kind !== "backtrace" && p.kind !== "runner") {
        this.addEvidence(hit, p.source, { line: p.line, text: p.text });
        hit.endLine = Math.max(hit.endLine, p.line);
      }
      hit.afterRemaining--;
      if (hit.afterRemaining <= 0) this.collecting.splice(i, 1);
    }
  }

  private addEvidence(hit: Hit, source: string, line: EvidenceLine): void {
    if (source !== hit.source) return;
    if (hit.evidence.some((e) => e.line === line.line)) return;
    if (hit.evidence.length >= MAX_EVIDENCE) return;
    hit.evidence.push({ line: line.line, text: detach(line.text) });
    if (hit.lineKeys.size < MAX_LINE_KEYS) hit.lineKeys.add(`${source}:${line.line}`);
  }
}
