import { SCHEMA_VERSION } from "../../schemas/common.ts";
import type { SelectedPair } from "../../schemas/records.ts";

/** An instruction id that sorts by `n`: curation keeps the smallest id of a duplicate group. */
export const idOf = (n: number) => n.toString(16).padStart(32, "0");

const fence = (code: string, tag = "python") => "```" + tag + "\n" + code.trim() + "\n```";

export interface PairSpec {
  n: number;
  instruction: string;
  /** the prose around the code */
  prose: string;
  code: string;
  tests: string;
  /** the response's code fence tag */
  tag?: string;
  /** what separates the response from the tests in the raw completion */
  separator?: string;
}

/** A selected pair as the selector emits it, with the raw completion the responses stage parsed. */
export function pair(s: PairSpec, opts: { retracted?: boolean; variant?: number } = {}): SelectedPair {
  const id = idOf(s.n);
  const response = `${s.prose.trim()}\n\n${fence(s.code, s.tag ?? "python")}`;
  const raw = `\n${response}\n${s.separator ?? "</response>\n\n<tests>"}\n${fence(s.tests)}\n`;
  const created = new Date(Date.UTC(2026, 0, 1)).toISOString();
  const lineage = { run_id: "curation-test", schema_version: SCHEMA_VERSION, created_at: created };
  return {
    id: idOf(s.n * 1000 + (opts.variant ?? 0)),
    instruction_id: id,
    response_id: idOf(s.n * 1000 + 500 + (opts.variant ?? 0)),
    instruction: s.instruction,
    response,
    tests: s.tests,
    seed_id: idOf(s.n + 1_000_000),
    seed: "def seed(x):\n    return x\n",
    seed_path: "seed.py",
    seed_repo: "test",
    seed_license: "MIT",
    concepts: ["testing"],
    category: "function implementation",
    difficulty: "easy",
    model: "scripted",
    prompt_hash: "ph",
    selection_policy: "pass-random",
    n_samples: 1,
    n_passed: 1,
    created_at: created,
    ...(opts.retracted ? { retracted: true } : {}),
    lineage,
    raw,
  };
}

const words = (text: string) => text.trim().split(/\s+/);

const INSTRUCTION_A =
  "Write a Python function parse_config that reads an INI style configuration text, where sections are written in square brackets and every following line holds a key, an equals sign and a value. Return a dictionary that maps each section name to a dictionary of its keys and values, strip surrounding whitespace from keys and values, ignore blank lines and lines starting with a semicolon, and raise ValueError naming the line number when a line outside any section holds a key.";
const PROSE_A =
  "We walk the lines once, remembering the current section. Blank lines and comment lines are skipped, a bracketed line opens a new section, and any other line is split at its first equals sign. A key seen before the first section is an error, reported with its line number so that the caller can find it.";
const CODE_A = `
def parse_config(text):
    """Parse INI-style text into nested dictionaries."""
    result = {}
    section = None
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = result.setdefault(line[1:-1].strip(), {})
            continue
        if section is None:
            raise ValueError(f"line {number}: key outside a section")
        key, _, value = line.partition("=")
        section[key.strip()] = value.strip()
    return result
`;
const TESTS_A = 'assert parse_config("[a]\\nx = 1") == {"a": {"x": "1"}}';

const INSTRUCTION_B =
  "Implement merge_intervals in Python: given a list of closed integer intervals as pairs of start and end, return the list of merged intervals sorted by their start, where any two intervals that overlap or touch are combined into one covering both of them.";
const PROSE_B =
  "Sorting the intervals by their start means that an interval can only overlap the last merged one. We therefore keep a running list, extend its last interval when the next one starts at or before its end plus one, and append otherwise. The whole procedure costs one sort and a single linear pass over the sorted intervals, so it runs in n log n time with linear extra memory for the output list.";
const CODE_B = `
def merge_intervals(intervals):
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [tuple(i) for i in merged]
`;
const TESTS_B = "assert merge_intervals([(1, 3), (2, 6), (8, 9)]) == [(1, 6), (8, 9)]";

const CODE_C = `
class LruCache:
    """A least-recently-used cache of a fixed capacity."""

    def __init__(self, capacity):
        # an ordered dict keeps the recency order for us
        from collections import OrderedDict
        self.capacity = capacity
        self.items = OrderedDict()

    def get(self, key, default=None):
        if key not in self.items:
            return default
        self.items.move_to_end(key)
        return self.items[key]

    def put(self, key, value):
        self.items[key] = value
        self.items.move_to_end(key)
        while len(self.items) > self.capacity:
            self.items.popitem(last=False)
`;
// The same code under other names, comments and docstrings: the code representation matches.
const CODE_C_RENAMED = CODE_C.replace("class LruCache:", "class RecentItemsStore:")
  .replace("def get(", "def lookup(")
  .replace("def put(", "def insert(")
  .replace('"""A least-recently-used cache of a fixed capacity."""', '"""Keeps the most recently touched entries only."""')
  .replace("# an ordered dict keeps the recency order for us", "# insertion order doubles as the usage order");

const good = (n: number, instruction: string, prose: string, code: string, tests: string): PairSpec => ({ n, instruction, prose, code, tests });

export interface Case {
  spec: PairSpec;
  /** the pair's fate: kept, or the rule that drops it */
  fate: "kept" | string;
  /** the pair it duplicates */
  duplicateOf?: number;
}

/** One pair per rule, each failing only its rule, plus the pairs they duplicate. */
export function fixedCases(): Case[] {
  const longInstruction = `${INSTRUCTION_B} ${Array.from({ length: 170 }, (_, i) => `detail${i}`).join(" ")}`;
  if (words(longInstruction).length <= 200) throw new Error("fixture: the long instruction is not long");
  return [
    { spec: good(1, INSTRUCTION_A, PROSE_A, CODE_A, TESTS_A), fate: "kept" },
    {
      spec: good(
        2,
        "Write a function clamp_value that limits a number to a range given by low and high bounds.",
        "Compare against both bounds.",
        "def clamp_value(x, low, high):\n    # TODO: check that low <= high\n    return max(low, min(x, high))",
        "assert clamp_value(5, 0, 3) == 3",
      ),
      fate: "placeholder",
    },
    {
      spec: good(
        3,
        "Write a function count_vowels that counts the vowels of a string, upper and lower case alike.",
        "Count membership in a set of vowels.",
        "def count_vowels(s):\n    return sum(c in 'aeiouAEIOU' for c in s)",
        "print(count_vowels('Hello'))",
      ),
      fate: "no_assert",
    },
    {
      spec: good(
        4,
        "Write a function is_leap_year that tells whether a Gregorian calendar year is a leap year.",
        "Divisible by four, except centuries not divisible by four hundred.",
        "def is_leap_year(y):\n    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)",
        "def test_leap():\n    assert is_leap_year(2000)\nimport math",
      ),
      fate: "no_assert",
    },
    {
      spec: {
        ...good(
          5,
          "Write a function reverse_words that reverses the order of the words of a sentence.",
          "Split, reverse, join.",
          "def reverse_words(s):\n    return ' '.join(reversed(s.split()))",
          "assert reverse_words('a b') == 'b a'",
        ),
        tag: "",
      },
      fate: "no_python_block",
    },
    {
      spec: {
        ...good(
          6,
          "Write a function flatten_list that flattens a list of lists by one level into a single list.",
          "Use a nested comprehension.",
          "def flatten_list(xs):\n    return [y for x in xs for y in x]",
          "assert flatten_list([[1], [2, 3]]) == [1, 2, 3]",
        ),
        separator: "</response>\n<tests>",
      },
      fate: "bad_separator",
    },
    {
      spec: good(
        7,
        "Write a function safe_divide that divides two numbers and returns None when the divisor is zero.",
        "Guard the zero divisor first.",
        "def safe_divide(a, b:\n    if b == 0\n        return None\n    return a / b",
        "assert safe_divide(1, 0) is None",
      ),
      fate: "unparsable",
    },
    {
      spec: good(8, longInstruction, "Merge after sorting.", "def merge_all(xs):\n    return sorted(xs)", "assert merge_all([2, 1]) == [1, 2]"),
      fate: "too_long",
    },
    {
      // A's instruction up to whitespace, everything else its own.
      spec: good(
        9,
        INSTRUCTION_A.replace(/ /g, "  ").replace("Return", "\nReturn"),
        "Regular expressions do the splitting here, one per line kind, tried in turn.",
        "import re\n\ndef read_ini(text):\n    return dict(re.findall(r'(\\w+)=(\\w+)', text))",
        'assert read_ini("a=1") == {"a": "1"}',
      ),
      fate: "exact_instruction",
      duplicateOf: 1,
    },
    { spec: good(10, INSTRUCTION_B, PROSE_B, CODE_B, TESTS_B), fate: "kept" },
    {
      // B's response (up to whitespace) answering another question.
      spec: good(
        11,
        "Given intervals of integers as start and end pairs, produce their union as a sorted list of disjoint intervals, joining intervals that merely touch as well.",
        PROSE_B.replace(/\. /g, ".  "),
        CODE_B,
        "assert merge_intervals([(1, 2), (3, 4)]) == [(1, 4)]",
      ),
      fate: "exact_response",
      duplicateOf: 10,
    },
    {
      // Defines parse_config again (another spelling of the same name set), otherwise unrelated.
      spec: good(
        12,
        "Create a helper that turns a list of key=value strings into a dictionary, later keys overriding earlier ones.",
        "A dictionary comprehension over the split strings is enough.",
        "def parseConfig(pairs):\n    return dict(p.split('=', 1) for p in pairs)\n\ndef Parse_Config():\n    return {}",
        "assert parseConfig(['a=1']) == {'a': '1'}",
      ),
      fate: "same_names",
      duplicateOf: 1,
    },
    {
      // A's instruction with one word changed: a near-duplicate, not an exact one.
      spec: good(
        13,
        INSTRUCTION_A.replace("ignore blank", "skip blank"),
        "A small state machine reads the text line by line and records where each key belongs.",
        "def load_ini(text):\n    sections = {}\n    current = None\n    for line in text.splitlines():\n        if line.startswith('['):\n            current = sections[line.strip('[]')] = {}\n        elif '=' in line:\n            k, v = line.split('=', 1)\n            current[k.strip()] = v.strip()\n    return sections",
        "assert load_ini('[s]\\na=1') == {'s': {'a': '1'}}",
      ),
      fate: "near_instruction",
      duplicateOf: 1,
    },
    {
      // B's response with its function renamed and one sentence more.
      spec: good(
        14,
        "Combine overlapping ranges: take a list of (start, end) integer ranges and return the minimal list of ranges covering exactly the same integers, in ascending order.",
        `${PROSE_B} Touching ranges count as overlapping.`,
        CODE_B.replace(/merge_intervals/g, "combine_ranges"),
        "assert combine_ranges([(1, 3), (2, 6)]) == [(1, 6)]",
      ),
      fate: "near_response",
      duplicateOf: 10,
    },
    {
      spec: good(
        15,
        "Implement a least recently used cache class with get and put methods and a fixed capacity, evicting the entry used longest ago when it is full.",
        "An ordered dictionary keeps the keys in order of use: moving a key to the end on every access leaves the least recently used key at the front, where eviction takes it. Both operations run in constant time.",
        CODE_C,
        "c = LruCache(1)\nc.put('a', 1)\nc.put('b', 2)\nassert c.get('a') is None",
      ),
      fate: "kept",
    },
    {
      spec: good(
        16,
        "Design a container that remembers only the N most recently accessed key value entries and forgets the stalest one whenever a new entry would exceed N.",
        "Python's OrderedDict remembers insertion order; re-inserting on access turns that into recency order, so the oldest entry is always first in line to be discarded. Lookups of missing keys return a default instead of raising.",
        CODE_C_RENAMED,
        "s = RecentItemsStore(1)\ns.insert('x', 1)\nassert s.lookup('x') == 1",
      ),
      fate: "near_code",
      duplicateOf: 15,
    },
    {
      spec: good(
        17,
        "Sort it.",
        "Use sorted to return a new sorted list from any iterable of comparable values.",
        "def sort_it(xs):\n    return sorted(xs)",
        "assert sort_it([2, 1]) == [1, 2]",
      ),
      fate: "too_short",
    },
  ];
}

/** Pairs unlike each other and unlike the fixed cases: each one is kept. */
export function fillerSpecs(count: number, from: number): PairSpec[] {
  let x = 12345;
  const rand = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x;
  };
  const word = () => `w${rand() % 50_000}`;
  const text = (n: number) => Array.from({ length: n }, word).join(" ");
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return {
      n,
      instruction: `Implement fn_${n}: ${text(30)}.`,
      prose: text(40),
      code: `def fn_${n}(x):\n    return x + ${n}`,
      tests: `assert fn_${n}(1) == ${n + 1}`,
    };
  });
}
