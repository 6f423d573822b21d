// A config finding: what a check found, anchored to the deploy.yml line to change, with the
// line's text and the one-line edit. Rendered through the ordinary Finding shape so every
// formatter shows it.

import type { Category, Severity } from "../core/vocabulary.js";
import type { LoadedConfig } from "./load.js";
import type { Origin } from "./tree.js";

export interface ConfigRef {
  file: string;
  line: number;
  /** Dotted key path (`proxy.app_port`); for an unset key, where it would go. */
  key: string;
  /** The text of that line. */
  text: string;
}

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

/** The `config` section of the JSON report: what was read (never a secret's value). */
export interface ConfigSummary {
  file: string;
  destination: string | null;
  /** deploy.yml and the destination file, in merge order. */
  files: string[];
  secretsFiles: string[];
  /** The Kamal that Gemfile.lock pins, if any. */
  pinnedKamal: string | null;
  /** The version the checks were made for, and where it came from. */
  checkedFor: { version: string | null; from: "log" | "Gemfile.lock" | null };
  /** EXPOSE ports of the Dockerfile's last stage. */
  exposedPorts: number[];
}
