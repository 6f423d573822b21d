// A long log's analysis in a worker thread. The worker reads, decodes and analyses the files
// itself (what the main thread would do: cli/read-logs.ts) and sends back plain data. Its young
// generation is bounded (`resourceLimits`), which no flag can do for the main thread from inside
// a running program: V8 otherwise grows it to 16 MiB semi-spaces on a long log, and that is most
// of the peak RSS above the runtime's own (docs/performance.md).

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** A worker's heap bounds, in MiB (`resourceLimits`): measured, docs/performance.md. */
export interface HeapBounds {
  /** The young generation (V8 makes a semi-space a third of it). */
  young: number;
  /**
   * The old generation. Below 2 GiB V8 also lets the heap grow less past what a full collection
   * left alive (its heap controller's largest factor, 4, falls towards 1.3 with the bound): at
   * 1 GiB a long log's workers hold 12–15 MiB less garbage between collections, at no cost in
   * time, while what a log's analysis keeps alive (under 60 MiB at 2 GB) stays far below it.
   */
  old: number;
}

/** The bounds of the analysis worker and of the side worker, which keeps nothing from line to line. */
export const HEAP_BOUNDS = { analyse: { young: 12, old: 1024 }, side: { young: 6, old: 1024 } } as const satisfies Record<string, HeapBounds>;

/** Worker → main. */
export type FromWorker<T> = { t: "done"; result: T } | { t: "error"; message: string; stack: string | null };

/** The worker's script next to this chunk in dist/; null where it is not built (a source checkout's tests). */
export function workerScript(): URL | null {
  const url = new URL("./analysis-worker.js", import.meta.url);
  return url.protocol === "file:" && existsSync(fileURLToPath(url)) ? url : null;
}

/**
 * Runs `script` with `data` in a worker thread of bounded heap; its one result. A worker that runs
 * out of memory rejects with an error whose `code` is `ERR_WORKER_OUT_OF_MEMORY`.
 */
export async function inWorker<T>(script: URL, data: unknown, bounds: HeapBounds): Promise<T> {
  const { Worker } = await import("node:worker_threads");
  const resourceLimits = { maxYoungGenerationSizeMb: bounds.young, maxOldGenerationSizeMb: bounds.old };
  const worker = new Worker(script, { workerData: data, resourceLimits });
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
