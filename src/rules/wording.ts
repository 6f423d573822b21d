// What a rule says on a given Kamal major version: its title, explanation, remediation and docs,
// with the version's variant and version-specific steps picked. When the log does not show the
// version, the rule's own text is used and the finding says which version it assumes.

import type { Rule } from "./schema.js";
import { KAMAL_VERSIONS, ruleVersions, type KamalVersion } from "./versions.js";

export interface RuleWords {
  title: string;
  explanation: string;
  remediation: string[];
  docs: string[];
}

/** `2.x` → `2.x`; an exact or unknown major (`3.x`) → null. */
export function asKamalVersion(version: string | null): KamalVersion | null {
  return (KAMAL_VERSIONS as readonly string[]).includes(version ?? "") ? (version as KamalVersion) : null;
}

/** Can the rule fire on a log of this version (an unknown version fires every rule)? */
export function firesOn(rule: Rule, version: KamalVersion | null): boolean {
  return version === null || ruleVersions(rule).includes(version);
}

/** Does what the rule says depend on the version? */
export function versionSpecific(rule: Rule): boolean {
  return rule.kamal !== undefined || rule.variants !== undefined || rule.remediation.some((step) => typeof step !== "string");
}

/** The versions the rule's own title and explanation speak for (those no variant takes). */
export function defaultVersions(rule: Rule): KamalVersion[] {
  const taken = new Set((rule.variants ?? []).flatMap((v) => v.kamal));
  return ruleVersions(rule).filter((version) => !taken.has(version));
}

/** MRSK (Kamal 0.x) is the same tool under its old name: commands in code spans are `mrsk …`. */
function asMrsk(text: string): string {
  return text.replace(/`kamal(?= |`)/g, "`mrsk").replace(/`\.kamal\//g, "`.mrsk/");
}

export function ruleWords(rule: Rule, version: KamalVersion | null): RuleWords {
  const explanation = rule.explanation.trim();
  if (version !== null) {
    const variant = rule.variants?.find((v) => v.kamal.includes(version));
    const words = {
      title: variant?.title ?? rule.title,
      explanation: variant?.explanation?.trim() ?? explanation,
      remediation: rule.remediation.flatMap((step) => (typeof step === "string" ? [step] : step.kamal.includes(version) ? [step.text] : [])),
      docs: variant?.docs ?? rule.docs ?? [],
    };
    if (version !== "0.x") return words;
    return { ...words, title: asMrsk(words.title), explanation: asMrsk(words.explanation), remediation: words.remediation.map(asMrsk) };
  }
  const remediation = rule.remediation.map((step) => (typeof step === "string" ? step : `(Kamal ${step.kamal.join("/")}) ${step.text}`));
  if (!versionSpecific(rule)) return { title: rule.title, explanation, remediation, docs: rule.docs ?? [] };
  const assumed = defaultVersions(rule);
  const note = assumed.length > 0 && assumed.length < KAMAL_VERSIONS.length ? ` (The log does not show the Kamal version; this reads it as Kamal ${assumed.join("/")}.)` : "";
  const docs = [...new Set([...(rule.docs ?? []), ...(rule.variants ?? []).flatMap((v) => v.docs ?? [])])];
  return { title: rule.title, explanation: `${explanation}${note}`, remediation, docs };
}
