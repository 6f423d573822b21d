// Lists the docs repeat by hand are checked against the code they describe.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CATEGORIES, LINE_KINDS, PHASES } from "../src/vocabulary.js";

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), "utf8");
const readme = read("README.md");
const rulesFormat = read("docs/rules-format.md");
const ticked = (text: string) => [...text.matchAll(/`([a-z0-9-]+)`/g)].map((m) => m[1] ?? "");
const tableRow = (field: string) => rulesFormat.split("\n").find((line) => line.startsWith(`| \`${field}\` |`)) ?? "";

describe("docs", () => {
  it("the README layout lists every folder of src/", () => {
    const layout = readme.slice(readme.indexOf("Layout"), readme.indexOf("## License"));
    const folders = readdirSync(new URL("../src/", import.meta.url), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(folders.filter((name) => !layout.includes(`\`src/${name}/\``))).toEqual([]);
  });

  it("the README lists the categories of src/vocabulary.ts", () => {
    const paragraph = readme.slice(readme.indexOf("Categories (one per rule):"), readme.indexOf("## Adding a rule"));
    expect(ticked(paragraph)).toEqual([...CATEGORIES]);
  });

  it("docs/rules-format.md lists the categories, phases and line kinds of src/vocabulary.ts", () => {
    expect(ticked(tableRow("category"))).toEqual(["category", ...CATEGORIES]);
    expect(ticked(tableRow("phase"))).toEqual(["phase", ...PHASES]);
    expect(ticked(tableRow("context.kinds")).filter((word) => (LINE_KINDS as readonly string[]).includes(word))).toEqual([...LINE_KINDS]);
  });
});
