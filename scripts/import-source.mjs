// Imports exports of the TypeScript sources from a plain Node script (the build, the docs
// generator): esbuild bundles them to a temporary file in dist/, which is imported and removed.
import { mkdir, rm } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../", import.meta.url));

/** `exports`: module path (from the project root) → the names to take from it. */
export async function importSource(exports) {
  await mkdir(`${root}dist`, { recursive: true });
  const file = `${root}dist/.import-source-${process.pid}-${Date.now()}.mjs`; // several builds may run at once
  const contents = Object.entries(exports)
    .map(([module, names]) => `export { ${names.join(", ")} } from "./${module}";`)
    .join("\n");
  await build({ stdin: { contents, resolveDir: root, loader: "ts" }, outfile: file, bundle: true, packages: "external", platform: "node", format: "esm", logLevel: "warning" });
  try {
    return await import(pathToFileURL(file).href);
  } finally {
    await rm(file, { force: true });
  }
}
