// One call from a run target to an attributed Report: fetch the selected jobs' logs, analyse
// them as they stream (segmenting steps on the way), then put steps and deep links on the
// report. Shared by `kamal-doctor run` and `kamal-doctor annotate`.

import { analyzeSources, type AnalyzableSource } from "../analyze.js";
import type { AnalysisOptions } from "../core/analysis.js";
import type { Report } from "../core/report.js";
import { attributeReport, StepSegmenter, type AttributedSource } from "./attribution.js";
import type { GitHubClient } from "./client.js";
import { fetchRunLogs, type FetchRunLogsOptions, type RunLogs } from "./logs.js";
import type { RunTarget } from "./target.js";

export interface RunDiagnosis {
  /** Null when no job was selected (e.g. the run has no failed jobs). */
  report: Report | null;
  logs: RunLogs;
}

export async function diagnoseRun(client: GitHubClient, target: RunTarget, options: FetchRunLogsOptions & AnalysisOptions): Promise<RunDiagnosis> {
  const logs = await fetchRunLogs(client, target, options);
  try {
    if (logs.sources.length === 0) return { report: null, logs };
    const attributed = new Map<string, AttributedSource>();
    const sources: AnalyzableSource[] = logs.sources.map((source) => {
      const segmenter = new StepSegmenter(source.job.steps ?? []);
      attributed.set(source.name, { ref: source.ref, steps: source.job.steps ?? [], segmenter });
      const text: AsyncIterable<string> = {
        async *[Symbol.asyncIterator]() {
          yield* segmenter.wrap(source.text);
          // A log assembled from the zip's per-step files knows exactly where each step starts.
          if (source.stepStarts && source.stepStarts.length > 0) segmenter.useKnownStarts(source.stepStarts);
        },
      };
      return { name: source.name, job: source.ref, text };
    });
    const report = await analyzeSources(sources, { rules: options.rules, toolVersion: options.toolVersion, exitCode: options.exitCode ?? null, command: options.command ?? null });
    return { report: attributeReport(report, attributed), logs };
  } finally {
    await logs.dispose();
  }
}
