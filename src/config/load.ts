// Finding and reading a Kamal config the way Kamal does, without running it: deploy.yml, the
// destination file merged over it, the secrets files' names, the pinned Kamal, the Dockerfile's
// EXPOSE. Files come through an injected FileReader (a directory here, the GitHub contents API
// elsewhere), so everything after the reads is pure.

import path from "node:path";
import { exposedPorts, pinnedKamal, type Exposed } from "./project-files.js";
import { secretNames, type SecretName } from "./secrets.js";
import { ConfigSyntaxError, deepMerge, parseConfigFile, type MapNode, type SourceFile } from "./tree.js";
import { ConfigReadError, destinationFile, type ConfigLocation, type FileReader } from "./locate.js";

export { ConfigReadError, DEFAULT_CONFIG, configArgs, destinationFile, directoryReader, locateConfig, type ConfigLocation, type FileReader } from "./locate.js";

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
