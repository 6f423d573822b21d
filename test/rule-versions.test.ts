// Every rule's words hold for each Kamal version it can fire on: no kamal-proxy advice on a
// Traefik log, no Traefik or `healthcheck:` advice on a kamal-proxy log, `mrsk` commands on MRSK;
// and where the log does not show the version, the finding says what it assumes.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RULES_DIR } from "../src/rules/builtin.js";
import { parseRule, ruleFiles } from "../src/rules/load.js";
import { ruleVersions, type KamalVersion, type Rule } from "../src/rules/schema.js";
import { defaultVersions, ruleWords } from "../src/rules/wording.js";

const catalogue: Rule[] = (await ruleFiles(RULES_DIR)).map((file) => parseRule(file, readFileSync(file, "utf8")));

/** What names the other generation's proxy and config; a sentence about upgrading may name it. */
const FOREIGN: Record<KamalVersion, { words: RegExp; docs: RegExp; upgrade: RegExp }> = {
  "2.x": { words: /\btraefik\b(?!-)|`healthcheck:|(?<![\w.])healthcheck\.(?:port|path|cmd|max_attempts|interval)|kamal env push|kamal envify/i, docs: /\/traefik\//, upgrade: /Kamal [12]\b|MRSK|upgrad/i },
  "1.x": { words: /kamal-proxy|kamal proxy|proxy\.(?:app_port|healthcheck|host|run|ssl)|\.kamal\/secrets/i, docs: /\/(?:configuration|commands)\/proxy\//, upgrade: /Kamal 2/ },
  "0.x": { words: /kamal-proxy|kamal proxy|proxy\.(?:app_port|healthcheck|host|run|ssl)|\.kamal\/secrets|`kamal /i, docs: /\/(?:configuration|commands)\/proxy\//, upgrade: /Kamal 2/ },
};

function sentences(text: string): string[] {
  return text.split(/(?<=[.:;!?])\s+(?=[A-Z`(])/);
}

const cases = catalogue.flatMap((rule) => ruleVersions(rule).map((version) => [rule.id, version, rule] as const));

describe("rule words per Kamal version", () => {
  it.each(cases)("%s on Kamal %s", (_id, version, rule) => {
    const words = ruleWords(rule, version);
    const foreign = FOREIGN[version];
    const texts = [words.title, words.explanation, ...words.remediation];
    const wrong = texts.flatMap(sentences).filter((sentence) => foreign.words.test(sentence) && !foreign.upgrade.test(sentence));
    expect(wrong).toEqual([]);
    expect(words.docs.filter((url) => foreign.docs.test(url))).toEqual([]);
    expect(words.remediation.length).toBeGreaterThan(0);
  });

  it("says which version it assumes when the log does not show it", () => {
    for (const rule of catalogue) {
      const words = ruleWords(rule, null);
      const assumed = defaultVersions(rule);
      if (assumed.length < 3) expect(words.explanation, rule.id).toContain(`this reads it as Kamal ${assumed.join("/")}`);
      else expect(words.explanation, rule.id).not.toContain("does not show the Kamal version");
      const scoped = rule.remediation.filter((step) => typeof step !== "string");
      for (const step of scoped) expect(words.remediation, rule.id).toContain(`(Kamal ${step.kamal.join("/")}) ${step.text}`);
    }
  });

  it("fires version-scoped rules only on their versions", () => {
    const proxy = catalogue.find((rule) => rule.id === "proxy-not-running") as Rule;
    expect(ruleVersions(proxy)).toEqual(["2.x"]);
    const traefik = catalogue.find((rule) => rule.id === "traefik-failed-to-start") as Rule;
    expect(ruleVersions(traefik)).not.toContain("2.x");
  });
});
