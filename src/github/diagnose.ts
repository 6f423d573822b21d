// One call from a run target to an attributed Report: fetch the selected jobs' logs, analyse
// them as they stream (segmenting steps on the way), then put steps and deep links on the
// report. Shared by `kamal-doctor run` and `kamal-doctor annotate`.
//
// One job's log that cannot be read (expired, 404 with no archive entry, a download that broke
// off) does not cost the diagnosis of the others: it is reported in `unreadable`. Only when no
// job's log could be read at all does the first such error fail the call.

import { diagnose, type AnalysisOptions, type Report, type TextSource } from "../core/index.js";
import { InputError } from "../sources/errors.js";
import { attributeReport, StepSegmenter, type AttributedSource } from "./attribution.js";
import { GitHubError, type GitHubClient } from "./client.js";
import { fetchRunLogs, type FetchRunLogsOptions, type RunLogs } from "./logs.js";
import type { WorkflowJob } from "./runs.js";
import type { RunTarget } from "./target.js";

export interface UnreadableLog {
  job: WorkflowJob;
  /** One line: which log and why, e.g. `log of job "deploy" (102): the logs have expired …`. */
  message: string;
  /** Part of the log arrived before the error, and that part is in the report. */
  partial: boolean;
}

export interface RunDiagnosis {
  /** Null when no job was selected (e.g. the run has no failed jobs). */
  report: Report | null;
  logs: RunLogs;
  /** Selected jobs whose log could not be read (in full): the report leaves them out. */
  unreadable: UnreadableLog[];
  /** One line each: what could not be read of a log that is diagnosed (unreadable bytes). */
  notes: string[];
}

/** The stderr line for a log the report leaves out. */
export function describeUnreadable(log: UnreadableLog): string {
  return `kamal-doctor: ${log.partial ? `${log.message} (only the part read before that is diagnosed)` : `skipped the ${log.message}`}`;
}

export interface DiagnoseRunOptions extends FetchRunLogsOptions, AnalysisOptions {
  /** Sees the sources as the analysis reads them (the config checks collect facts this way). */
  tap?: (sources: TextSource[]) => Iterable<TextSource> | AsyncIterable<TextSource>;
}

export async function diagnoseRun(client: GitHubClient, target: RunTarget, options: DiagnoseRunOptions): Promise<RunDiagnosis> {
  const logs = await fetchRunLogs(client, target, options);
  try {
    if (logs.sources.length === 0) return { report: null, logs, unreadable: [], notes: [] };
    const attributed = new Map<string, AttributedSource>();
    const failures: Array<UnreadableLog & { name: string; error: Error }> = [];
    const sources: TextSource[] = logs.sources.map((source) => {
      const steps = source.workflowJob.steps ?? [];
      const segmenter = new StepSegmenter(steps);
      attributed.set(source.name, { ref: source.job, steps, segmenter });
      const text: AsyncIterable<string> = {
        async *[Symbol.asyncIterator]() {
          let partial = false;
          try {
            for await (const chunk of segmenter.wrap(source.text)) {
              partial = true;
              yield chunk;
            }
          } catch (error) {
            // GitHub's side (an expired or missing log, a broken download, a corrupt archive): this job only.
            if (!(error instanceof GitHubError || error instanceof InputError)) throw error;
            // One line even if a job name spans several (it is printed and posted).
            failures.push({ job: source.workflowJob, name: source.name, message: error.message.replace(/[\r\n]+/g, " "), partial, error });
            return;
          }
          // A log assembled from the zip's per-step files knows exactly where each step starts.
          const starts = await source.stepStarts;
          if (starts && starts.length > 0) segmenter.useKnownStarts(starts);
        },
      };
      return { name: source.name, job: source.job, text };
    });
    const report = await diagnose(options.tap ? options.tap(sources) : sources, { rules: options.rules, toolVersion: options.toolVersion, exitCode: options.exitCode ?? null, command: options.command ?? null });
    const unread = new Set(failures.filter((failure) => !failure.partial).map((failure) => failure.name));
    if (unread.size === logs.sources.length) {
      const first = (failures[0] as { error: Error }).error;
      // A corrupt archive or an unreadable download is GitHub's side, not the user's input (exit 3).
      throw first instanceof InputError ? new GitHubError(first.message, "invalid") : first;
    }
    const read = unread.size === 0 ? report : { ...report, sources: report.sources.filter((source) => !unread.has(source.name)) };
    // One line each even if a job name spans several (they are printed).
    const notes = logs.sources.flatMap((source) => source.problems.notes.map((note) => note.replace(/[\r\n]+/g, " ")));
    return { report: attributeReport(read, attributed), logs, unreadable: failures.map(({ job, message, partial }) => ({ job, message, partial })), notes };
  } finally {
    await logs.dispose();
  }
}
