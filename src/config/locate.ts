// Where a Kamal config is and how its files are read, without parsing them: the config Kamal
// would use (-c / -d given, or on the log's kamal command line, else config/deploy.yml) and a
// reader over a directory. Apart from load.ts so that asking whether a config exists loads no
// YAML parser.

import { readFile } from "node:fs/promises";
import path from "node:path";
import { configArgs } from "../core/command-line.js";

export { configArgs };

/** Reads a file by its path relative to the project root; null when it does not exist. */
export interface FileReader {
  read(file: string): Promise<string | null>;
}

export function directoryReader(root: string): FileReader {
  return {
    async read(file) {
      try {
        return await readFile(path.resolve(root, file), "utf8");
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") return null;
        throw new ConfigReadError(`${file}: cannot be read (${code ?? (error as Error).message})`);
      }
    },
  };
}

export class ConfigReadError extends Error {}

export interface ConfigLocation {
  /** The base config, relative to the project root. */
  file: string;
  destination: string | null;
  /** Where the choice came from, for messages. */
  from: "option" | "log" | "default";
}

export const DEFAULT_CONFIG = "config/deploy.yml";


export function locateConfig(options: { file?: string | null; destination?: string | null; logCommand?: string | null }): ConfigLocation {
  const fromLog = options.logCommand ? configArgs(options.logCommand) : { file: null, destination: null };
  if (options.file) return { file: options.file, destination: options.destination ?? fromLog.destination, from: "option" };
  if (fromLog.file || fromLog.destination) return { file: fromLog.file ?? DEFAULT_CONFIG, destination: options.destination ?? fromLog.destination, from: "log" };
  return { file: DEFAULT_CONFIG, destination: options.destination ?? null, from: "default" };
}

/** The destination file next to the base: config/deploy.yml → config/deploy.staging.yml. */
export function destinationFile(base: string, destination: string): string {
  const ext = path.posix.extname(base);
  return `${ext ? base.slice(0, -ext.length) : base}.${destination}.yml`;
}
