// The core's one front door: what the CLI, the GitHub adapter, the formats and the report
// helpers import from the core, and what a library user will import (`import { diagnose } from
// "kamal-doctor"`). The pipeline in one call: sources of decoded text → lines → Analysis → Report.
// Adapters (CLI, GitHub, exec) build the sources; everything after that is the pure core.

import { Analysis, type AnalysisOptions, type SourceMeta } from "./analysis.js";
import type { Report } from "./report.js";

export { Analysis, analyzeText, type AnalysisOptions, type SourceMeta } from "./analysis.js";
export { checkExamples, ruleFinding, type ExampleCheck } from "./examples.js";
export { LineSplitter } from "./lines.js";
export { Normalizer, type NormalizedLine } from "./normalize.js";
export { LineParser, type ParsedLine } from "./parse.js";
export type * from "./report.js";
export { deployReports } from "./report.js";
export { AUTOMATIC_LOCK, lockDestination, lockSummary, withLock, type LockContext } from "./lock.js";
export { fingerprint } from "./fingerprint.js";
export * from "../vocabulary.js";

/**
 * A named stream of decoded text: what `diagnose` reads, and what every adapter hands it — files
 * and stdin (`sources/`), GitHub job logs (`github/`). Adapters extend it only with what they
 * know besides the text (what could not be read, the job's steps); the core reads these fields.
 */
export interface TextSource extends SourceMeta {
  /** The text, in chunks of any size (lines may span chunks). Read once. */
  text: AsyncIterable<string>;
}

/**
 * Diagnoses a deploy's output: each source is read in turn (its text may arrive in chunks of
 * any size) and the report says what failed, where, and how to fix it.
 */
export async function diagnose(sources: Iterable<TextSource> | AsyncIterable<TextSource>, options: AnalysisOptions): Promise<Report> {
  const analysis = new Analysis(options);
  for await (const source of sources) {
    analysis.beginSource(source);
    for await (const chunk of source.text) analysis.push(chunk);
    analysis.endSource();
  }
  return analysis.finish();
}
export { configArgs } from "./command-line.js";
