// A long log's analysis in a worker thread. The worker reads, decodes and analyses the files
// itself (what the main thread would do: cli/read-logs.ts) and sends back plain data. Its young
// generation is bounded (`resourceLimits`), which no flag can do for the main thread from inside
// a running program: V8 otherwise grows it to 16 MiB semi-spaces on a long log, and that is most
// of the peak RSS above the runtime's own (docs/performance.md).

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The worker's young generation (V8 makes a semi-space a third of it): measured, docs/performance.md. */
const YOUNG_GENERATION_MB = 12;

/** Worker → main. */
export type FromWorker<T> = { t: "done"; result: T } | { t: "error"; message: string; stack: string | null };

/** The worker's script next to this chunk in dist/; null where it is not built (a source checkout's tests). */
export function workerScript(): URL | null {
  const url = new URL("./analysis-worker.js", import.meta.url);
  return url.protocol === "file:" && existsSync(fileURLToPath(url)) ? url : null;
}

/** Runs `script` with `data` in a worker thread of bounded young generation; its one result. */
export async function inWorker<T>(script: URL, data: unknown): Promise<T> {
  const { Worker } = await import("node:worker_threads");
  const worker = new Worker(script, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
  try {
    return await new Promise<T>((resolve, reject) => {
      worker.once("message", (message: FromWorker<T>) => {
        if (message.t === "done") return resolve(message.result);
        const error = new Error(message.message);
        if (message.stack) error.stack = message.stack;
        reject(error);
      });
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`the analysis worker stopped (exit code ${code}) before its result`)));
    });
  } finally {
    await worker.terminate();
  }
}
