// `kamal-doctor config` (alias `check`): the checks that need no log, before a deploy — keys the
// Kamal version does not know, Kamal 1 keys under Kamal 2, secrets no secrets file defines, the
// registry versus the image's host, SSL settings Kamal refuses.

import path from "node:path";
import { Option, type Command } from "commander";
import type { LoadedConfig } from "../config/load.js";
import { ConfigReadError, directoryReader, locateConfig, type FileReader } from "../config/locate.js";
import { LogFactsCollector, type LogFacts } from "../config/log-facts.js";
import type { Report, TextSource } from "../core/index.js";
import type { GitHubClient, RunLogs } from "../github/index.js";
import { tapSources } from "../sources/tap.js";
import { FORMAT_NAMES, type FormatName } from "../format/index.js";
import { VERSION } from "../version.js";
import { CliError, EXIT, type CliIO } from "./io.js";
import { render } from "./report-options.js";

interface ConfigOptions {
  config?: string;
  destination?: string;
  format: FormatName;
  color?: boolean;
  verbose?: boolean;
  redact?: boolean;
}

export function registerConfig(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command("config")
    .alias("check")
    .description("check config/deploy.yml before a deploy: unknown and Kamal 1 keys, undefined secrets, registry and SSL settings")
    .option("-c, --config <file>", "the Kamal config file (default: config/deploy.yml)")
    .option("-d, --destination <name>", "the destination: merges config/deploy.NAME.yml and reads .kamal/secrets.NAME")
    .addOption(new Option("-f, --format <format>", "output format").choices(FORMAT_NAMES).default("pretty"))
    .option("--no-color", "no colour (also NO_COLOR=1)")
    .option("--verbose", "show every finding in full")
    .option("--no-redact", "keep secrets in the output (redacted by default inside GitHub Actions and for github/markdown output)")
    .addHelpText("after", "\nExit codes: 0 nothing wrong · 1 problems found · 2 the config cannot be read (missing file, invalid YAML)")
    .action(async (options: ConfigOptions) => {
      const [{ kamalTarget, staticChecks }, { configReport }] = await Promise.all([import("../config/checks.js"), import("../config/report.js")]);
      const config = await readConfig(io, options.config, options.destination);
      const target = kamalTarget(config);
      const findings = staticChecks(config, target);
      const report = configReport(config, target, findings, VERSION);
      if (options.format === "pretty" && findings.length === 0) {
        const version = target.version ? ` for Kamal ${target.version} (${target.from})` : "";
        io.stdout.write(`✔ ${config.files.map((f) => f.path).join(" + ")}: no problems found${version}.\n`);
      } else io.stdout.write(render(report, { ...options, summary: false }, io));
      setExit(findings.length > 0 ? EXIT.FAILURE : EXIT.OK);
    });
}

/** Reads the config under the current directory; any problem is one line and exit 2. */
export async function readConfig(io: CliIO, file: string | undefined, destination: string | undefined, logCommand?: string | null): Promise<LoadedConfig> {
  const relative = file ? path.relative(io.cwd, path.resolve(io.cwd, file)).split(path.sep).join("/") : undefined;
  const location = locateConfig({ file: relative ?? null, destination: destination ?? null, logCommand: logCommand ?? null });
  // The config parser (and YAML) load only when a config is read, not at every start-up.
  const { ConfigSyntaxError, loadConfig } = await import("../config/load.js");
  try {
    return await loadConfig(directoryReader(io.cwd), location);
  } catch (error) {
    if (error instanceof ConfigReadError || error instanceof ConfigSyntaxError) throw new CliError(error.message, EXIT.USAGE);
    throw error;
  }
}

/** Invalid YAML in a config (the loader is in memory by then: only it throws this). */
async function isSyntaxError(error: unknown): Promise<boolean> {
  const { ConfigSyntaxError } = await import("../config/load.js");
  return error instanceof ConfigSyntaxError;
}

export interface AnalyzeConfigOptions {
  /** `--config FILE`; `--no-config` sets false. */
  config?: string | boolean;
  destination?: string;
}

/**
 * `-c/--config FILE`, `-d/--destination` and `--no-config` on a command that analyses logs; for a
 * run (`from: "repository"`), FILE is a path in the repository, read at the run's commit.
 */
export function addConfigOptions(command: Command, from: "directory" | "repository" = "directory"): Command {
  const where = from === "repository" ? " (a path in the repository, read at the run's commit)" : "";
  return command
    .option("-c, --config <file>", `the Kamal config to check the log against${where} (default: the -c of the log's kamal command, else config/deploy.yml if present)`)
    .option("-d, --destination <name>", "the destination (default: the -d of the log's kamal command)")
    .option("--no-config", "do not read the Kamal config");
}

/**
 * The config checks of a GitHub run: facts collected from the logs as they are analysed, then
 * the config read from the repository at the run's head commit through the contents API.
 */
export function runConfig(
  gh: Pick<typeof import("../github/index.js"), "contentsReader">,
  client: GitHubClient,
  options: AnalyzeConfigOptions,
  io: CliIO,
): { tap: (sources: TextSource[]) => AsyncIterable<TextSource>; check: (report: Report, logs: Pick<RunLogs, "target" | "run">) => Promise<Report>; facts: () => LogFacts } {
  const collector = new LogFactsCollector();
  return {
    tap: (sources) => tapSources(sources, collector),
    facts: () => collector.facts(),
    check: async (report, logs) => {
      const sha = logs.run.head_sha;
      if (options.config === false || !sha) return report;
      const reader = gh.contentsReader(client, logs.target, sha);
      return withConfig(report, collector.facts(), options, io, { reader, where: `${logs.target.owner}/${logs.target.repo}@${sha.slice(0, 12)}` });
    },
  };
}

/** Where the config is read from when it is not the current directory: a commit of a repository. */
export interface ConfigSource {
  reader: FileReader;
  /** For messages: `acme/shop@abc123def456`. */
  where: string;
}

/**
 * The report checked against the config, when there is one: under the current directory, or
 * `source` (a run's commit). A config given with -c that cannot be read, or one that cannot be
 * read for another reason than its absence, is said in one line on stderr and the log is still
 * diagnosed; an absent default is silence.
 */
export async function withConfig(report: Report, facts: LogFacts, options: AnalyzeConfigOptions, io: Pick<CliIO, "cwd" | "stderr">, source?: ConfigSource): Promise<Report> {
  if (options.config === false) return report;
  const file = typeof options.config === "string" ? options.config : undefined;
  // -c names a path in the repository for a run, a path from the current directory otherwise.
  const relative = file ? (source ? path.posix.normalize(file).replace(/^\/+/, "") : path.relative(io.cwd, path.resolve(io.cwd, file)).split(path.sep).join("/")) : undefined;
  const location = locateConfig({ file: relative ?? null, destination: options.destination ?? null, logCommand: facts.kamalCommand });
  const reader = source?.reader ?? directoryReader(io.cwd);
  try {
    if (location.from !== "option" && (await reader.read(location.file)) === null) return report;
    const [{ loadConfig }, { crossCheck }] = await Promise.all([import("../config/load.js"), import("../config/cross.js")]);
    return crossCheck(await loadConfig(reader, location), report, facts);
  } catch (error) {
    if (error instanceof ConfigReadError || (await isSyntaxError(error))) {
      io.stderr.write(`kamal-doctor: ${(error as Error).message}${source ? ` (in ${source.where})` : ""}; diagnosed without the config
`);
      return report;
    }
    throw error;
  }
}
