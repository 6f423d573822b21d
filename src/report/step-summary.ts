// The job summary: GitHub uploads the `$GITHUB_STEP_SUMMARY` file of each step and refuses one
// over 1 MiB ("upload aborted", and an error annotation instead of the summary). The file may
// already hold what earlier commands of the same step wrote, so the room left is measured first
// and the report is fitted into it.

import { appendFileSync, statSync } from "node:fs";

/** The runner's limit for one step's summary file (`AttachmentSizeLimit`). */
export const STEP_SUMMARY_LIMIT = 1024 * 1024;
/** Kept free below the limit, so a line appended after us by the workflow still fits. */
const MARGIN = 16 * 1024;
/** Below this there is no room for a useful report. */
export const MIN_ROOM = 2 * 1024;

/** Bytes that may still be appended to the summary file without crossing the limit. */
export function stepSummaryRoom(path: string): number {
  let used: number;
  try {
    used = statSync(path).size;
  } catch {
    used = 0;
  }
  return Math.max(0, STEP_SUMMARY_LIMIT - MARGIN - used);
}

/**
 * Appends markdown (already fitted with `stepSummaryRoom`) to the summary file. Returns false,
 * writing nothing, when it would not fit.
 */
export function appendStepSummary(path: string, markdown: string): boolean {
  let text = markdown.endsWith("\n") ? markdown : `${markdown}\n`;
  // Earlier content of the step stays a separate block.
  if (stepSummaryRoom(path) < STEP_SUMMARY_LIMIT - MARGIN) text = `\n${text}`;
  if (Buffer.byteLength(text, "utf8") > stepSummaryRoom(path)) return false;
  appendFileSync(path, text, "utf8");
  return true;
}
