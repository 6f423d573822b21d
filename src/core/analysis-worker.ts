// The worker thread of core/parallel.ts: reads and diagnoses the files it is given, as the main
// thread would (cli/read-logs.ts), and posts the result back once. Built to dist/analysis-worker.js.

import { parentPort, workerData } from "node:worker_threads";
import { readLogs, readSide, type ReadLogs, type SideFacts } from "../cli/read-logs.js";
import { loadRules } from "../rules/builtin.js";
import type { FromWorker } from "./parallel.js";

/** What the main thread sends: the files (regular files, no stdin), where they are, the rules' folders. */
export interface WorkerJob {
  files: string[];
  cwd: string;
  ruleDirs: string[];
  toolVersion: string;
  /**
   * "analyse": the report (the facts and the key left out); "side": only the config facts and the
   * content key (cli/read-logs.ts `readSide`), in a second worker beside the first.
   */
  task: "analyse" | "side";
  /** The triage's verdicts, written by "side" and taken by "analyse" (core/verdicts.ts). */
  verdicts?: SharedArrayBuffer;
}

const port = parentPort;
if (port === null) throw new Error("core/analysis-worker runs as a worker thread");
const job = workerData as WorkerJob;
let message: FromWorker<ReadLogs | SideFacts>;
try {
  const rules = await loadRules(job.ruleDirs);
  const ring = job.verdicts;
  const result =
    job.task === "side"
      ? await readSide(job.files, { cwd: job.cwd, ...(ring ? { verdicts: { ring, rules } } : {}) })
      : await readLogs(job.files, { cwd: job.cwd, rules, toolVersion: job.toolVersion, side: false, ...(ring ? { verdicts: ring } : {}) });
  message = { t: "done", result };
} catch (error) {
  message = { t: "error", message: error instanceof Error ? error.message : String(error), stack: error instanceof Error ? (error.stack ?? null) : null };
}
port.postMessage(message);
