// Where Kamal writes its per-command logs: `output.file.path` of the config, read by the
// project's one config reader (src/config: the destination file merged over deploy.yml as Kamal
// merges it, anchors resolved, ERB never evaluated), so a path written with `<%= … %>` is
// unknown and needs `--dir`.

import path from "node:path";

export class LastError extends Error {}

export async function outputFilePath(configFile: string, destination: string | null, cwd: string, home: string | undefined): Promise<string> {
  // The config reader loads YAML: only for `last`, not at every start-up.
  const [{ loadConfig, directoryReader, destinationFile, ConfigReadError, ConfigSyntaxError }, { entryAt }] = await Promise.all([import("../config/load.js"), import("../config/tree.js")]);
  const root = path.resolve(cwd, configFile);
  const file = relative(cwd, root);
  const reader = directoryReader(path.dirname(root));
  const base = path.basename(root);
  // -d here picks the destination's logs; its config file, when there is one, may move them.
  const merged = destination && (await reader.read(destinationFile(base, destination))) !== null ? destination : null;
  let config;
  try {
    config = await loadConfig(reader, { file: base, destination: merged, from: "option" });
  } catch (error) {
    if (error instanceof ConfigReadError || error instanceof ConfigSyntaxError) throw new LastError(`${file}: ${error.message.replace(/^[^:]+: /, "")}; give the log directory with --dir`);
    throw error;
  }
  const entry = entryAt(config.root, "output.file.path");
  if (entry?.node.erb) throw new LastError(`${file}: output.file.path is computed by ERB; give the directory with --dir`);
  const value = entry?.node.kind === "scalar" ? entry.node.value : null;
  if (typeof value !== "string" || value.length === 0) throw new LastError(`${file} has no output.file.path (Kamal >= 2.12 \`output: file: path:\`); give the directory with --dir`);
  return path.resolve(cwd, value.replace(/^~(?=\/|$)/, home ?? "~"));
}

function relative(cwd: string, file: string): string {
  const rel = path.relative(cwd, file);
  return rel.startsWith("..") ? file : rel;
}
