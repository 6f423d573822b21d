// Which step of a GitHub Actions job each line is in, worked out while the log streams past
// (the log is never held whole), and the report post-processing that puts steps and deep links
// (`…/actions/runs/RUN/job/JOB#step:STEP:LINE`) on findings and sources.
//
// A job log has no step boundaries. The runner opens each `run:`/`uses:` step with
// `##[group]Run <title>`; the API lists the steps with names and 1-second time windows. A header
// starts the next step whose name matches it (or, for a step with its own `name:`, the next step
// whose window holds the header's time); a header inside the current step's window that names no
// later step is a composite action's inner step and stays put; and a line stamped after the
// current step's window moves on to the step whose window holds it (post steps, "Complete job").

import { LineSplitter, type JobRef, type Report, type StepRef } from "../core/index.js";
import { isFailed, type WorkflowStep } from "./runs.js";

export interface StepSegment {
  number: number;
  name: string;
  /** The source line (1-based) the step starts at: line 1 of `#step:N:1`. */
  startLine: number;
}

/** Where a step starts when the log is known to be made of per-step files (the run zip's). */
export interface StepStart {
  number: number;
  /** The source line (1-based) of the step's first line. */
  line: number;
}

interface Window {
  number: number;
  name: string;
  /** `YYYY-MM-DDTHH:MM:SS` bounds, one second of slack either side; null when unknown. */
  from: string | null;
  to: string | null;
}

const STAMP = /^\uFEFF?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d{1,9})?Z ?/;
const HEADER = "##[group]Run ";

export class StepSegmenter {
  readonly segments: StepSegment[] = [];
  private readonly steps: Window[];
  private current = -1;
  private line = 0;

  constructor(steps: readonly WorkflowStep[]) {
    this.steps = [...steps]
      .filter((step) => step.conclusion !== "skipped")
      .sort((a, b) => a.number - b.number)
      .map((step) => ({ number: step.number, name: step.name, from: shift(step.started_at, -1), to: shift(step.completed_at, 1) }));
  }

  /** Passes the text through unchanged, watching its lines (same line numbers as the analysis). */
  wrap(text: AsyncIterable<string>): AsyncIterable<string> {
    const observe = (raw: string) => this.observe(raw);
    return {
      async *[Symbol.asyncIterator]() {
        const splitter = new LineSplitter(observe);
        for await (const chunk of text) {
          splitter.push(chunk);
          yield chunk;
        }
        splitter.end();
      },
    };
  }

  /** One raw line of the log, in order. */
  observe(raw: string): void {
    this.line++;
    if (this.steps.length === 0) return;
    const stamp = STAMP.exec(raw);
    const time = stamp ? (stamp[1] as string) : null;
    const text = stamp ? raw.slice(stamp[0].length) : raw.replace(/^\uFEFF/, "");
    if (this.current === -1) {
      // The log opens with the first step ("Set up job"), which has no header.
      this.enter(0);
    }
    if (text.startsWith(HEADER)) {
      const next = this.stepForHeader(text.slice(HEADER.length).trim(), time);
      if (next !== this.current) this.enter(next);
      return;
    }
    if (time !== null) {
      const now = this.steps[this.current] as Window;
      if (now.to !== null && time > now.to) {
        const next = this.steps.findIndex((step, i) => i > this.current && step.to !== null && step.to >= time && (step.from === null || step.from <= time));
        if (next !== -1) this.enter(next);
      }
    }
  }

  /** Replaces what the headers suggested with known step starts (the zip's per-step files). */
  useKnownStarts(starts: readonly StepStart[]): void {
    this.segments.length = 0;
    for (const start of [...starts].sort((a, b) => a.line - b.line)) {
      const name = this.steps.find((step) => step.number === start.number)?.name ?? `step ${start.number}`;
      this.segments.push({ number: start.number, name, startLine: start.line });
    }
  }

  /** The step a line is in, or null when the steps are unknown. */
  at(line: number): StepSegment | null {
    let found: StepSegment | null = null;
    for (const segment of this.segments) {
      if (segment.startLine > line) break;
      found = segment;
    }
    return found;
  }

  private stepForHeader(title: string, time: string | null): number {
    const later = this.steps.map((step, i) => ({ step, i })).filter(({ i }) => i > this.current);
    const within = (step: Window) => time === null || step.from === null || step.to === null || (step.from <= time && time <= step.to);
    const named = later.find(({ step }) => namesMatch(step.name, title) && within(step));
    if (named) return named.i;
    const next = later.find(({ step }) => within(step));
    const now = this.steps[this.current];
    const insideNow = time !== null && now !== undefined && now.from !== null && now.to !== null && now.from <= time && time <= now.to;
    // A step with its own name cannot match a header: the next one in its window is it.
    if (next && !next.step.name.startsWith("Run ")) return next.i;
    if (insideNow) return this.current;
    return next ? next.i : this.current;
  }

  private enter(index: number): void {
    const step = this.steps[index] as Window;
    const last = this.segments[this.segments.length - 1];
    if (last && last.startLine === this.line) this.segments.pop();
    this.segments.push({ number: step.number, name: step.name, startLine: Math.max(1, this.line) });
    this.current = index;
  }
}

/** "Run kamal deploy" names the step of `##[group]Run kamal deploy`; long names may be cut. */
function namesMatch(stepName: string, title: string): boolean {
  const full = `Run ${title}`;
  if (stepName === full || stepName === title) return true;
  return stepName.startsWith("Run ") && stepName.length >= 12 && (full.startsWith(stepName.replace(/…$/, "")) || stepName.startsWith(full));
}

function shift(iso: string | null | undefined, seconds: number): string | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  return new Date(ms + seconds * 1000).toISOString().slice(0, 19);
}

export interface AttributedSource {
  ref: JobRef;
  steps: readonly WorkflowStep[];
  segmenter: StepSegmenter;
}

/** `…/job/JOB#step:N:LINE`, LINE counted within the step as the web UI does. */
export function deepLink(ref: JobRef, segment: StepSegment | null, line: number): string {
  if (!segment) return ref.url;
  return `${ref.url}#step:${segment.number}:${line - segment.startLine + 1}`;
}

/**
 * Fills `step` and `url` on findings from GitHub sources, and `sources[].step`: the step of the
 * source's root cause, else of its first finding, else the step the API says failed.
 */
export function attributeReport(report: Report, sources: ReadonlyMap<string, AttributedSource>): Report {
  for (const finding of report.findings) {
    const source = sources.get(finding.source);
    if (!source) continue;
    const line = finding.evidenceLines[0]?.line ?? finding.line;
    const segment = source.segmenter.at(line);
    finding.step = segment ? { number: segment.number, name: segment.name } : null;
    finding.url = deepLink(source.ref, segment, line);
  }
  for (const summary of report.sources) {
    const source = sources.get(summary.name);
    if (!source) continue;
    summary.job ??= source.ref;
    const own = report.findings.filter((finding) => finding.source === summary.name);
    const lead = own.find((finding) => finding.rootCause) ?? own[0];
    let step: StepRef | null = lead?.step ?? null;
    if (!step) {
      const failed = source.steps.find((s) => isFailed(s));
      step = failed ? { number: failed.number, name: failed.name } : null;
    }
    summary.step = step;
  }
  return report;
}
