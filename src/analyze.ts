// The pipeline in one call: sources of decoded text → lines → Analysis → Report.
// Adapters (CLI, GitHub, exec) build SourceInputs; everything after that is the pure core.

import { Analysis, type AnalysisOptions, type SourceMeta } from "./core/analysis.js";
import { LineSplitter } from "./core/lines.js";
import type { Report } from "./core/report.js";

export interface AnalyzableSource extends SourceMeta {
  text: AsyncIterable<string>;
}

export async function analyzeSources(sources: Iterable<AnalyzableSource> | AsyncIterable<AnalyzableSource>, options: AnalysisOptions): Promise<Report> {
  const analysis = new Analysis(options);
  for await (const source of sources) {
    analysis.beginSource(source);
    const splitter = new LineSplitter((line) => analysis.line(line));
    for await (const chunk of source.text) splitter.push(chunk);
    splitter.end();
    analysis.endSource();
  }
  return analysis.finish();
}

/** For tests and small inputs: analyse one string as one source. */
export function analyzeText(name: string, text: string, options: AnalysisOptions): Report {
  const analysis = new Analysis(options);
  analysis.beginSource({ name });
  const splitter = new LineSplitter((line) => analysis.line(line));
  splitter.push(text);
  splitter.end();
  return analysis.finish();
}
