// What `kamal-doctor FILE…` does before it reports: open the inputs, read them once, and show
// every chunk to the analysis, the config facts and the content key. Shared by the command and by
// the worker thread a long log is analysed in (core/analysis-worker.ts), so both do the same.

import path from "node:path";
import type { Readable } from "node:stream";
import { diagnose, type Report, type TextSource } from "../core/index.js";
import { LogFactsCollector, type LogFacts } from "../config/log-facts.js";
import { ContentKey } from "../memory/local.js";
import type { CompiledRule } from "../rules/compile.js";
import type { DecodedSource, InputProblems } from "../sources/decode.js";
import { InputError } from "../sources/errors.js";
import { openPath, openStream, readOrNote } from "../sources/input.js";
import { tapSources } from "../sources/tap.js";
import { ERROR_WORDS } from "../core/keyline.js";
import { TriageVerdicts } from "../core/triage.js";
import { VerdictWriter } from "../core/verdicts.js";
import { RulePrefilter } from "../rules/prefilter.js";

/** An input that could not be read; name null: it never became a source (missing, binary). */
export interface Unread {
  name: string | null;
  message: string;
}

/** Everything the command needs after reading: plain data, so a worker thread can send it. */
export interface ReadLogs {
  report: Report;
  unread: Unread[];
  inputs: Array<{ name: string; problems: InputProblems }>;
  facts: LogFacts;
  key: { key: string; source: string };
}

export interface ReadLogsOptions {
  cwd: string;
  stdin?: Readable;
  rules: readonly CompiledRule[];
  toolVersion: string;
}

/** What the config facts and the content key make of the inputs: the side of the read that needs no analysis. */
export type SideFacts = Pick<ReadLogs, "facts" | "key">;

/**
 * Reads and diagnoses `files` ('-': `stdin`); one that cannot be read is in `unread`, not an error.
 * With `side: false` the facts and the key are left to `readSide` (another thread reads the same
 * files for them); they come back empty.
 */
export async function readLogs(files: readonly string[], options: ReadLogsOptions & { side?: boolean; verdicts?: SharedArrayBuffer }): Promise<ReadLogs> {
  const unread: Unread[] = [];
  const inputs = await openInputs(files, options, unread);
  const sources: TextSource[] = inputs.map((input) => ({ name: input.name, lineHosts: input.lineHosts ?? null, text: readOrNote(input, (name, message) => unread.push({ name, message })) }));
  const facts = new LogFactsCollector();
  const key = new ContentKey();
  const tapped = options.side === false ? sources : tapSources(tapSources(sources, facts), key);
  const report = await diagnose(tapped, { rules: options.rules, toolVersion: options.toolVersion, ...(options.verdicts ? { verdicts: options.verdicts } : {}) });
  return { report, unread, inputs: inputs.map((input) => ({ name: input.name, problems: input.problems })), facts: facts.facts(), key: key.finish() };
}

/**
 * The config facts and the content key of `files` (regular files only), read on their own: the
 * same opening, decoding and chunks as `readLogs`, so the same facts and key. What cannot be read
 * is `readLogs`'s to report; here it only ends that input. With `verdicts`, the triage of every
 * line too, written there for the analysis on another thread (core/verdicts.ts).
 */
export async function readSide(files: readonly string[], options: Pick<ReadLogsOptions, "cwd"> & { verdicts?: { ring: SharedArrayBuffer; rules: readonly CompiledRule[] } }): Promise<SideFacts> {
  const inputs = await openInputs(files, options, []);
  const facts = new LogFactsCollector();
  const key = new ContentKey();
  const writer = options.verdicts ? new VerdictWriter(options.verdicts.ring) : null;
  let sources: AsyncIterable<{ name: string; text: AsyncIterable<string> }> = tapSources(
    inputs.map((input) => ({ name: input.name, text: readOrNote(input, () => {}) })),
    facts,
  );
  if (writer !== null && options.verdicts) sources = tapSources(sources, new TriageVerdicts(new RulePrefilter(options.verdicts.rules, ERROR_WORDS), writer));
  try {
    for await (const source of tapSources(sources, key)) for await (const _ of source.text);
  } finally {
    writer?.finish();
  }
  return { facts: facts.facts(), key: key.finish() };
}

/** Opens the inputs one after the other; one that cannot be opened is noted (name null: no source). */
async function openInputs(files: readonly string[], options: Pick<ReadLogsOptions, "cwd" | "stdin">, unread: Unread[]): Promise<DecodedSource[]> {
  const opened: DecodedSource[] = [];
  for (const file of files) {
    try {
      if (file === "-") {
        if (!options.stdin) throw new Error("stdin is not readable here");
        opened.push(openStream("stdin", options.stdin));
      } else opened.push(...(await openPath(path.resolve(options.cwd, file), file)));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      unread.push({ name: null, message: error.message });
    }
  }
  return opened;
}
