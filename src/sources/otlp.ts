// An OTLP/JSON log export (Kamal 2.12 `output: otel:`, saved by a collector or `listen --save`)
// as a source: read whole (it is one JSON document, or one per line), its records turned into
// the lines Kamal prints (src/otlp/records.ts).

import { readFileSync, statSync } from "node:fs";
import { linesWithHosts, looksLikeOtlp, parseOtlpText } from "../otlp/records.js";
import { InputError } from "./errors.js";
import type { DecodedSource } from "./decode.js";

export { looksLikeOtlp };

/** A JSON document is parsed whole: refuse what would not fit comfortably in memory. */
const MAX_OTLP_BYTES = 256 * 1024 * 1024;

export function openOtlp(absolute: string, file: string): DecodedSource {
  if (statSync(absolute).size > MAX_OTLP_BYTES) throw new InputError(`${file}: an OTLP/JSON export over 256 MiB; split it (one request per line)`);
  let records;
  try {
    records = parseOtlpText(readFileSync(absolute, "utf8"));
  } catch (error) {
    throw new InputError(`${file}: not valid OTLP/JSON logs (${(error as Error).message.split("\n")[0] ?? ""})`);
  }
  const { lines, hosts } = linesWithHosts(records);
  const text = lines.join("\n") + "\n";
  return {
    name: file,
    // Each record names its host: the line's host is that, not a guess from its command.
    lineHosts: (line) => hosts[line - 1] ?? null,
    // eslint-disable-next-line @typescript-eslint/require-await -- the whole text is already here: an async iterable of one chunk
    text: (async function* () {
      yield text;
    })(),
    problems: { notes: [], partial: false },
  };
}
