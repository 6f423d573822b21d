// Finding and reading a Kamal config the way Kamal does, without running it: deploy.yml, the
// destination file merged over it, the secrets files' names, the pinned Kamal, the Dockerfile's
// EXPOSE. Files come through an injected FileReader (a directory here, the GitHub contents API
// elsewhere), so everything after the reads is pure.

import { readFile } from "node:fs/promises";
import path from "node:path";
import { exposedPorts, pinnedKamal, type Exposed } from "./project-files.js";
import { secretNames, type SecretName } from "./secrets.js";
import { ConfigSyntaxError, deepMerge, parseConfigFile, type MapNode, type SourceFile } from "./tree.js";

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

export interface SecretsFile {
  file: string;
  names: SecretName[];
}

export interface LoadedConfig {
  location: ConfigLocation;
  /** The merged settings. */
  root: MapNode;
  /** Every file read, with its lines, for quoting evidence. */
  files: SourceFile[];
  /** The secrets files Kamal reads for this destination that exist, in Kamal's order. */
  secrets: SecretsFile[];
  /** The secrets files Kamal would read for this destination. */
  secretsCandidates: string[];
  pinned: { version: string; line: number } | null;
  exposed: Exposed[];
}

export const DEFAULT_CONFIG = "config/deploy.yml";

/** `-c FILE` / `-d DEST` from a kamal command line (`kamal deploy -c x.yml -d staging`). */
export function configArgs(commandLine: string): { file: string | null; destination: string | null } {
  const words = commandLine.trim().split(/\s+/);
  let file: string | null = null;
  let destination: string | null = null;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? "";
    const next = words[i + 1];
    const inline = /^--(config-file|config|destination)=(.+)$/.exec(word);
    if (inline?.[2]) {
      if (inline[1] === "destination") destination = unquote(inline[2]);
      else file = unquote(inline[2]);
    } else if ((word === "-c" || word === "--config-file" || word === "--config") && next) {
      file = unquote(next);
      i++;
    } else if ((word === "-d" || word === "--destination") && next) {
      destination = unquote(next);
      i++;
    } else if (/^-c\S/.test(word)) file = unquote(word.slice(2));
    else if (/^-d\S/.test(word)) destination = unquote(word.slice(2));
  }
  return { file, destination };
}

function unquote(value: string): string {
  return value.replace(/^(['"])(.*)\1$/, "$2");
}

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

/**
 * Reads everything a check needs. A missing base config is a ConfigReadError; invalid YAML is a
 * ConfigSyntaxError (both one line). Missing optional files are simply absent.
 */
export async function loadConfig(reader: FileReader, location: ConfigLocation): Promise<LoadedConfig> {
  const files: SourceFile[] = [];
  const baseText = await reader.read(location.file);
  if (baseText === null) throw new ConfigReadError(`${location.file}: config file not found`);
  const base = parseConfigFile(location.file, baseText);
  files.push(base.source);
  let root = base.root;
  if (location.destination) {
    const destFile = destinationFile(location.file, location.destination);
    const destText = await reader.read(destFile);
    if (destText === null) throw new ConfigReadError(`${destFile}: destination config not found (Kamal needs it for -d ${location.destination})`);
    const dest = parseConfigFile(destFile, destText);
    files.push(dest.source);
    root = deepMerge(root, dest.root);
  }
  const secretsPath = secretsPathOf(root);
  // Kamal reads SECRETS-common, then SECRETS.DEST with a destination or SECRETS without one.
  const secretsCandidates = [`${secretsPath}-common`, location.destination ? `${secretsPath}.${location.destination}` : secretsPath];
  const secrets: SecretsFile[] = [];
  for (const file of secretsCandidates) {
    const text = await reader.read(file);
    if (text !== null) secrets.push({ file, names: secretNames(text) });
  }
  const lock = await reader.read("Gemfile.lock");
  const dockerfile = await reader.read(dockerfileOf(root));
  return { location, root, files, secrets, secretsCandidates, pinned: lock === null ? null : pinnedKamal(lock), exposed: dockerfile === null ? [] : exposedPorts(dockerfile) };
}

function secretsPathOf(root: MapNode): string {
  const entry = root.entries.get("secrets_path");
  if (entry && !entry.node.erb && entry.node.kind === "scalar" && typeof entry.node.value === "string") return entry.node.value;
  return ".kamal/secrets";
}

function dockerfileOf(root: MapNode): string {
  const builder = root.entries.get("builder")?.node;
  const entry = builder?.kind === "map" ? builder.entries.get("dockerfile") : undefined;
  // `docker build --file` is relative to where kamal runs, not to the build context.
  if (entry && !entry.node.erb && entry.node.kind === "scalar" && typeof entry.node.value === "string") return path.posix.normalize(entry.node.value);
  return "Dockerfile";
}

export { ConfigSyntaxError };
