// The formatter registry: every output format is a pure function (report, options) => string,
// and declares what the CLI must do around it — whether it is redacted outside Actions, how its
// text is kept from being run as workflow commands inside Actions, whether it takes colour. A new
// format cannot leave these out: `satisfies Record<string, FormatEntry>` requires every field.
import type { Report } from "../core/index.js";
import { formatGithub } from "./github.js";
import { formatJson } from "./json.js";
import { formatMarkdown } from "./markdown.js";
import { formatOneline } from "./oneline.js";
import { formatPretty } from "./pretty.js";
import { formatSlack } from "./slack.js";
import type { Style } from "./style.js";

export interface FormatOptions {
  style: Style;
  verbose: boolean;
  width?: number;
}

export type Formatter = (report: Report, options: FormatOptions) => string;

/**
 * What a format's stdout needs inside Actions so that log lines it re-prints are not executed
 * by the runner: nothing (its commands are meant: annotations), JSON defanged losslessly (it
 * stays valid and parses to the same value), a stop-commands wrap with a fresh token always, or
 * only when a line would run.
 */
export type RunnerGuard = "none" | "defang-json" | "stop-commands" | "when-needed";

export interface FormatEntry {
  render: Formatter;
  /** Redacted even outside Actions (unless `--no-redact`): the formats meant for GitHub. Inside Actions every format is. */
  redactOutsideActions: boolean;
  runnerGuard: RunnerGuard;
  /** Takes colour when the terminal (or FORCE_COLOR) wants it. */
  colour: boolean;
}

export const FORMATS = {
  pretty: { render: (report, options) => formatPretty(report, options), redactOutsideActions: false, runnerGuard: "stop-commands", colour: true },
  json: { render: (report) => formatJson(report), redactOutsideActions: false, runnerGuard: "defang-json", colour: false },
  github: { render: (report) => formatGithub(report), redactOutsideActions: true, runnerGuard: "none", colour: false },
  markdown: { render: (report, options) => formatMarkdown(report, { verbose: options.verbose }), redactOutsideActions: true, runnerGuard: "when-needed", colour: false },
  oneline: { render: (report) => formatOneline(report), redactOutsideActions: true, runnerGuard: "when-needed", colour: false },
  // A Block Kit message for an incoming webhook: JSON, so inside Actions it is defanged like json.
  slack: { render: (report) => formatSlack(report), redactOutsideActions: true, runnerGuard: "defang-json", colour: false },
} satisfies Record<string, FormatEntry>;

export type FormatName = keyof typeof FORMATS;
export const FORMAT_NAMES = Object.keys(FORMATS) as FormatName[];
