// Where Kamal writes its per-command logs: `output.file.path` in config/deploy.yml (a
// destination's config/deploy.DEST.yml wins when it sets one). Only this key is read; the ERB
// Kamal would evaluate is not, so a path written with `<%= … %>` needs `--dir`.

import { readFile } from "node:fs/promises";
import path from "node:path";

export class LastError extends Error {}

export async function outputFilePath(configFile: string, destination: string | null, cwd: string): Promise<string> {
  const base = path.resolve(cwd, configFile);
  const files = destination ? [base.replace(/\.ya?ml$/, `.${destination}.yml`), base] : [base];
  for (const file of files) {
    const found = await readOutputPath(file, file === base);
    if (found !== null) {
      if (found.includes("<%")) throw new LastError(`${relative(cwd, file)}: output.file.path is computed by ERB (${found}); give the directory with --dir`);
      return path.resolve(cwd, found.replace(/^~(?=\/|$)/, process.env["HOME"] ?? "~"));
    }
  }
  throw new LastError(`${relative(cwd, base)} has no output.file.path (Kamal >= 2.12 \`output: file: path:\`); give the directory with --dir`);
}

async function readOutputPath(file: string, required: boolean): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new LastError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; give the log directory with --dir`);
  }
  // The YAML parser loads only for `last`, not at every start-up.
  const { parse } = await import("yaml");
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: false });
  } catch (error) {
    throw new LastError(`${file}: not YAML (${(error as Error).message.split("\n")[0] ?? ""}); give the log directory with --dir`);
  }
  const output = (doc as { output?: { file?: { path?: unknown } } } | null)?.output;
  const value = output?.file?.path;
  return typeof value === "string" && value.length > 0 ? value : null;
}

function relative(cwd: string, file: string): string {
  const rel = path.relative(cwd, file);
  return rel.startsWith("..") ? file : rel;
}
