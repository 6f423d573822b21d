// The formatter registry: every output format is a pure function (report, options) => string.
import type { Report } from "../core/index.js";
import { formatGithub } from "./github.js";
import { formatJson } from "./json.js";
import { formatMarkdown } from "./markdown.js";
import { formatPretty } from "./pretty.js";
import type { Style } from "./style.js";

export interface FormatOptions {
  style: Style;
  verbose: boolean;
  width?: number;
}

export type Formatter = (report: Report, options: FormatOptions) => string;

export const FORMATTERS = {
  pretty: (report, options) => formatPretty(report, options),
  json: (report) => formatJson(report),
  github: (report) => formatGithub(report),
  markdown: (report, options) => formatMarkdown(report, { verbose: options.verbose }),
} satisfies Record<string, Formatter>;

export type FormatName = keyof typeof FORMATTERS;
export const FORMAT_NAMES = Object.keys(FORMATTERS) as FormatName[];
