// A config finding: what a check found, anchored to the deploy.yml line to change, with the
// line's text and the one-line edit. Rendered through the ordinary Finding shape so every
// formatter shows it.

import type { ConfigRef, ConfigSummary } from "../core/index.js";
import type { Category, Severity } from "../vocabulary.js";

export type { ConfigRef, ConfigSummary };
import type { LoadedConfig } from "./load.js";
import type { Origin } from "./tree.js";


export interface ConfigFinding {
  checkId: string;
  title: string;
  severity: Severity;
  category: Category;
  ref: ConfigRef;
  /** The text of the line the ref points at. */
  lineText: string;
  explanation: string;
  /** The one-line edit, naming file:line. */
  fix: string;
  /** Further steps, if any. */
  more: string[];
  docs: string[];
}

export function refAt(config: LoadedConfig, origin: Origin, key: string): { ref: ConfigRef; lineText: string } {
  const file = config.files.find((f) => f.path === origin.file);
  const lineText = (file?.lines[origin.line - 1] ?? "").trimEnd();
  return { ref: { file: origin.file, line: origin.line, key, text: lineText.trim() }, lineText };
}

export function at(ref: ConfigRef): string {
  return `${ref.file}:${ref.line}`;
}

