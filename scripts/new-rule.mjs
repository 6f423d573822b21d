// `npm run new-rule -- CATEGORY/ID`: writes the skeleton of a rule, rules/CATEGORY/ID.yml, with
// examples to fill in. Refuses an unknown category, an id that is taken (by any category) and a
// retired id (rules/retired.txt). The skeleton is valid (checked with the loader the build uses),
// and its TODOs fail the catalogue test until they are replaced.
//   --dir DIR   the rules directory (default: this checkout's rules/)
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { importSource } from "./import-source.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
const args = process.argv.slice(2);
let dir = path.join(root, "rules");
const dirFlag = args.indexOf("--dir");
if (dirFlag !== -1) {
  dir = path.resolve(args[dirFlag + 1] ?? "");
  args.splice(dirFlag, 2);
}

function refuse(message) {
  console.error(`new-rule: ${message}`);
  process.exit(2);
}

const target = args[0];
if (args.length !== 1 || !/^[^/]+\/[^/]+$/.test(target)) refuse("usage: npm run new-rule -- CATEGORY/ID (e.g. registry-auth/registry-token-expired)");
const [category, id] = target.replace(/\.ya?ml$/, "").split("/");

const { ruleSchema, parseRule, ruleFiles, parseRetired } = await importSource({
  "src/rules/schema.ts": ["ruleSchema"],
  "src/rules/load.ts": ["parseRule", "ruleFiles"],
  "src/rules/retired.ts": ["parseRetired"],
});
const categories = ruleSchema.shape.category.options;
if (!categories.includes(category)) refuse(`unknown category '${category}' (one of: ${categories.join(", ")})`);
if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(id)) refuse(`'${id}' is not a kebab-case id (lower-case words joined by -, e.g. registry-token-expired)`);

const retiredFile = path.join(dir, "retired.txt");
const retired = existsSync(retiredFile) ? parseRetired(readFileSync(retiredFile, "utf8"), path.relative(process.cwd(), retiredFile)) : new Map();
if (retired.has(id)) refuse(`'${id}' is a retired rule id (${retired.get(id)}): ids are never reused, pick another`);
const taken = (await ruleFiles(dir)).find((file) => path.basename(file).replace(/\.ya?ml$/, "") === id);
if (taken) refuse(`'${id}' is taken: ${path.relative(process.cwd(), taken)}`);

const skeleton = `id: ${id}
# One line: what went wrong, as the reader of the report should read it. {name|fallback} shows a
# capture of the patterns, or the fallback when the log did not give it.
title: TODO what went wrong on {hosts|the server}
category: ${category}
severity: error                   # error (the failure) | warning | info
match:
  any:
    # JavaScript regular expressions (the u flag) for the line that proves this failure; rules see
    # the first 4,096 characters of a line. (?<name>…) captures become {name} placeholders. Say what a
    # repetition must not match ([^:]* rather than .*): patterns that can backtrack badly are refused.
    - 'TODO the words Kamal prints: (?<detail>[^:]+)$'
explanation: >
  TODO why it happens, in plain words ({detail|the detail}).
remediation:
  - "TODO the first thing to do, with the exact command: \`kamal app logs\`."
docs:
  - https://kamal-deploy.org/docs/
# Run by test/rules.test.ts: some pattern must match every line of match, none any line of noMatch.
examples:
  match:
    - ' ERROR TODO the words Kamal prints: something broke'
  noMatch:
    - '  INFO a line that looks alike but is not this failure'
# Every field (context, explains, priority, version-specific remediation): docs/rules-format.md
`;
const file = path.join(dir, category, `${id}.yml`);
const shown = path.relative(process.cwd(), file);
parseRule(shown, skeleton); // a broken skeleton is a bug here, not the author's
await mkdir(path.dirname(file), { recursive: true });
await writeFile(file, skeleton, { flag: "wx" });
console.log(`wrote ${shown}
next: replace its TODOs, try it with \`kamal-doctor rules test ${shown} deploy.log\`, then \`npm run docs:rules\` and \`npm test\``);
