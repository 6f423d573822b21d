// Value types as Kamal's validator judges them (lib/kamal/configuration/validator.rb): whether a
// value written in deploy.yml is one Kamal rejects ("proxy/app_port: should be an integer"),
// in Kamal's words, with the value to write instead when it can be told from what was written.
// A value that is unknown (ERB) or empty is never judged.

import type { ValueType } from "./kamal-keys.js";
import type { ConfigNode } from "./tree.js";

export interface TypeProblem {
  /** Kamal's words: "an integer", "an array or a string". */
  expected: string;
  /** What was written, in words: `the string "30s"`. */
  found: string;
  /** The value to write instead, as YAML, when it can be told. */
  suggestion: string | null;
}

const EXPECTED: Record<ValueType, string> = {
  int: "an integer",
  bool: "a boolean",
  str: "a string",
  strs: "an array",
  "str|strs": "an array or a string",
  hosts: "an array",
  secret: "a string or an array with one string (for secret lookup)",
  map: "a hash",
  "list|map": "an array or a hash",
  "bool|map": "a boolean or a hash",
};

/** Stringish, as the validator says: a string, a number or a boolean (not nil, a list or a map). */
function stringish(node: ConfigNode): boolean {
  return node.kind === "scalar" && node.value !== null;
}

function isString(node: ConfigNode): boolean {
  return node.kind === "scalar" && typeof node.value === "string";
}

/** Whether the node is written with ERB anywhere, or is empty: then nothing is asserted. */
function unknown(node: ConfigNode): boolean {
  if (node.erb) return true;
  if (node.kind === "scalar") return node.value === null;
  if (node.kind === "seq") return node.items.some(unknown);
  return false;
}

function accepts(type: ValueType, node: ConfigNode): boolean {
  switch (type) {
    case "int":
      return node.kind === "scalar" && typeof node.value === "number" && Number.isInteger(node.value) && !node.float;
    case "bool":
      return node.kind === "scalar" && typeof node.value === "boolean";
    case "str":
      return stringish(node);
    case "strs":
      return node.kind === "seq" && node.items.every(stringish);
    case "str|strs":
      return stringish(node) || (node.kind === "seq" && node.items.every(stringish));
    case "hosts":
      return node.kind === "seq" && node.items.every((item) => stringish(item) || (item.kind === "map" && item.entries.size === 1 && [...item.entries.values()].every((e) => stringish(e.node) || (e.node.kind === "seq" && e.node.items.every(stringish)))));
    case "secret":
      return isString(node) || (node.kind === "seq" && node.items.length === 1 && node.items.every(isString));
    case "map":
      return node.kind === "map";
    case "list|map":
      return node.kind === "map" || node.kind === "seq";
    case "bool|map":
      return node.kind === "map" || (node.kind === "scalar" && typeof node.value === "boolean");
  }
}

/** Null when Kamal accepts the value, or when it is not known (ERB, empty). */
export function typeProblem(type: ValueType, node: ConfigNode): TypeProblem | null {
  if (unknown(node) || accepts(type, node)) return null;
  return { expected: EXPECTED[type], found: describe(node), suggestion: suggest(type, node) };
}

function describe(node: ConfigNode): string {
  if (node.kind === "map") return "a map";
  if (node.kind === "seq") return node.items.length === 1 ? "a list of one item" : `a list of ${node.items.length} items`;
  const value = node.value;
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "number") return node.float || !Number.isInteger(value) ? `the decimal number ${String(value)}` : `the number ${String(value)}`;
  return `the boolean ${String(value)}`;
}

/** Seconds from "30", "30s", "2m", "1.5": what a timeout written as a duration meant. */
function wholeNumber(value: string | number | boolean | null): number | null {
  if (typeof value === "number" && Number.isFinite(value)) return Math.ceil(value);
  if (typeof value !== "string") return null;
  const duration = /^\s*(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?)?\s*$/i.exec(value);
  if (duration?.[1]) return Math.ceil(Number(duration[1]) * (/^m/i.test(duration[2] ?? "") ? 60 : 1));
  const digits = /^\s*(\d+)/.exec(value);
  return digits?.[1] ? Number(digits[1]) : null;
}

function suggest(type: ValueType, node: ConfigNode): string | null {
  if (node.kind !== "scalar") return null;
  const value = node.value;
  switch (type) {
    case "int": {
      const n = wholeNumber(value);
      return n === null ? null : String(n);
    }
    case "bool":
      if (typeof value === "string" && /^(true|yes|on)$/i.test(value.trim())) return "true";
      if (typeof value === "string" && /^(false|no|off)$/i.test(value.trim())) return "false";
      return null;
    case "strs":
    case "hosts":
    case "list|map":
      return typeof value === "string" ? `[${JSON.stringify(value)}]` : null;
    case "secret":
      // A number written as the value itself: quoted, it is a string.
      return typeof value === "number" ? JSON.stringify(String(value)) : null;
    default:
      return null;
  }
}
