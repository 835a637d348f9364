/**
 * Our own few-shot pool (written for this project, not taken from the reference). Diverse on
 * purpose: functions, classes and small programs; easy to hard; strings, numbers, dates, graphs,
 * data structures. Every response passes its own tests in the sandbox (test/llm/fewshot.sandbox.test.ts).
 */
import type { FewShotExample } from "./schema.ts";

export const EXAMPLES: FewShotExample[] = [
  {
    name: "env-file-parser",
    snippet: String.raw`def load_settings(path):
    """Read NAME=value pairs from a settings file, skipping comments."""
    settings = {}
    with open(path) as handle:
        for raw in handle:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            name, _, value = line.partition("=")
            settings[name.strip()] = value.strip()
    return settings`,
    concepts: ["line-by-line text parsing", "string partitioning", "dictionary construction", "skipping comments and blank lines"],
    category: "function implementation",
    language: "Python",
    difficulty: "easy",
    instruction: String.raw`Write a Python function parse_env(text) that parses the contents of a .env file given as a string and returns a dict. Each meaningful line has the form KEY=VALUE; whitespace around keys and values is ignored, blank lines and lines starting with # are skipped, and when a key repeats the last value wins. A value may itself contain = characters. Raise ValueError for a non-blank, non-comment line without =.`,
    response: {
      approach:
        "Walk the lines once. For each stripped line, skip it when it is empty or a comment; otherwise split on the first `=` only, so values keep any later `=` signs. A line without `=` is malformed and deserves an error that names it.",
      code: String.raw`def parse_env(text):
    result = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"line {number} has no '=': {line!r}")
        result[key.strip()] = value.strip()
    return result`,
      explanation:
        "`str.partition` splits at the first separator and reports whether it was found, which covers both the `=` inside values and the malformed-line check. Assigning into the dict in file order makes the last occurrence of a key win.",
    },
    tests: String.raw`assert parse_env("A=1\nB = two\n") == {"A": "1", "B": "two"}
assert parse_env("# comment\n\nURL=http://x/?a=b\n") == {"URL": "http://x/?a=b"}
assert parse_env("K=1\nK=2") == {"K": "2"}
try:
    parse_env("JUSTAKEY")
    raise AssertionError("expected ValueError")
except ValueError:
    pass`,
  },
  {
    name: "lower-bound-search",
    snippet: String.raw`def find_insert_position(sorted_values, value):
    """Return the index where value would be inserted to keep the list sorted."""
    lo, hi = 0, len(sorted_values)
    while lo < hi:
        mid = (lo + hi) // 2
        if sorted_values[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo`,
    concepts: ["binary search", "half-open intervals", "loop invariants", "integer midpoint arithmetic"],
    category: "function implementation",
    language: "Python",
    difficulty: "medium",
    instruction: String.raw`Implement count_in_range(values, low, high) in Python: given a list of integers sorted in ascending order, return how many elements x satisfy low <= x <= high. It must run in O(log n) time, so do not scan the list; do not use the bisect module either.`,
    response: {
      approach:
        "The count is the distance between two boundaries: the first index holding a value >= low and the first index holding a value > high. Both are found with the same binary search over a half-open range, parameterised by the comparison.",
      code: String.raw`def _first_index(values, predicate):
    lo, hi = 0, len(values)
    while lo < hi:
        mid = (lo + hi) // 2
        if predicate(values[mid]):
            hi = mid
        else:
            lo = mid + 1
    return lo


def count_in_range(values, low, high):
    if low > high:
        return 0
    start = _first_index(values, lambda x: x >= low)
    end = _first_index(values, lambda x: x > high)
    return end - start`,
      explanation:
        "`_first_index` keeps the invariant that every index before `lo` fails the predicate and every index from `hi` on satisfies it, so it returns the first index satisfying a monotone predicate in O(log n). Two calls give both boundaries.",
    },
    tests: String.raw`assert count_in_range([1, 2, 2, 2, 5, 9], 2, 5) == 4
assert count_in_range([1, 3, 5], 6, 10) == 0
assert count_in_range([], 0, 1) == 0
assert count_in_range([4, 4, 4], 4, 4) == 3
assert count_in_range([1, 2, 3], 3, 1) == 0`,
  },
  {
    name: "lru-cache-class",
    snippet: String.raw`from collections import OrderedDict


def remember_recent(items, limit):
    """Keep only the most recently seen "limit" distinct items, oldest first."""
    recent = OrderedDict()
    for item in items:
        recent.pop(item, None)
        recent[item] = True
        if len(recent) > limit:
            recent.popitem(last=False)
    return list(recent)`,
    concepts: ["ordered dictionaries", "recency tracking", "eviction policy", "bounded collections"],
    category: "class implementation",
    language: "Python",
    difficulty: "medium",
    instruction: String.raw`Create a Python class LRUCache with a constructor taking a positive capacity, a get(key, default=None) method and a put(key, value) method. Reading or writing a key makes it the most recently used; when a put would exceed the capacity, the least recently used entry is evicted. Also support len(cache). A capacity below 1 raises ValueError.`,
    response: {
      approach:
        "An `OrderedDict` keeps keys in recency order and can move a key to the end or pop the oldest in O(1), which is exactly the bookkeeping an LRU cache needs.",
      code: String.raw`from collections import OrderedDict


class LRUCache:
    def __init__(self, capacity):
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._entries = OrderedDict()

    def get(self, key, default=None):
        if key not in self._entries:
            return default
        self._entries.move_to_end(key)
        return self._entries[key]

    def put(self, key, value):
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def __len__(self):
        return len(self._entries)`,
      explanation:
        "`get` and `put` both move the key to the most-recent end; `popitem(last=False)` removes the least recently used entry once the capacity is exceeded.",
    },
    tests: String.raw`cache = LRUCache(2)
cache.put("a", 1)
cache.put("b", 2)
assert cache.get("a") == 1
cache.put("c", 3)
assert cache.get("b") is None
assert cache.get("a") == 1 and cache.get("c") == 3
assert len(cache) == 2
try:
    LRUCache(0)
    raise AssertionError("expected ValueError")
except ValueError:
    pass`,
  },
  {
    name: "word-frequency-program",
    snippet: String.raw`import re
from collections import Counter


def most_common_words(text, n=3):
    """Return the n most common lowercase words in text."""
    words = re.findall(r"[a-z']+", text.lower())
    return Counter(words).most_common(n)`,
    concepts: ["tokenization with regular expressions", "frequency counting", "collections.Counter", "sorting with tie-breaking"],
    category: "program implementation",
    language: "Python",
    difficulty: "medium",
    instruction: String.raw`Write a small Python program, organised as functions, that produces a word-frequency report. report(text, top) must return a list of lines "word: count" for the top most frequent words (case-insensitive, words are runs of letters), ordered by count descending and then alphabetically, followed by a final line "total: N" with the number of words. Keep tokenizing, counting and formatting in separate functions.`,
    response: {
      approach:
        "Split the work into three steps: tokenize with a regular expression over the lowercased text, count with `Counter`, and format. Sorting by the key `(-count, word)` gives descending counts with alphabetical tie-breaking.",
      code: String.raw`import re
from collections import Counter


def tokenize(text):
    return re.findall(r"[a-z]+", text.lower())


def count_words(words):
    return sorted(Counter(words).items(), key=lambda item: (-item[1], item[0]))


def report(text, top):
    words = tokenize(text)
    lines = [f"{word}: {count}" for word, count in count_words(words)[:top]]
    lines.append(f"total: {len(words)}")
    return lines`,
      explanation:
        "Each function does one step, so each can be tested alone; `report` composes them and appends the total, which counts every token rather than only the reported ones.",
    },
    tests: String.raw`assert tokenize("It's a Test, a TEST!") == ["it", "s", "a", "test", "a", "test"]
assert report("b a b c a b", 2) == ["b: 3", "a: 2", "total: 6"]
assert report("x y", 5) == ["x: 1", "y: 1", "total: 2"]
assert report("", 3) == ["total: 0"]`,
  },
  {
    name: "flatten-nested",
    snippet: String.raw`def total_size(node):
    """Sum the sizes in a nested structure of lists and integers."""
    if isinstance(node, int):
        return node
    return sum(total_size(child) for child in node)`,
    concepts: ["recursion", "isinstance type checks", "generators with yield from", "nested data structures"],
    category: "function implementation",
    language: "Python",
    difficulty: "easy",
    instruction: String.raw`Write a Python generator function flatten(items) that yields the leaves of an arbitrarily nested structure of lists and tuples, left to right. Strings and bytes count as leaves and must not be split into characters.`,
    response: {
      approach:
        "Recurse into lists and tuples with `yield from`, and yield everything else as it is. Checking for list and tuple explicitly (instead of 'anything iterable') keeps strings whole.",
      code: String.raw`def flatten(items):
    for item in items:
        if isinstance(item, (list, tuple)):
            yield from flatten(item)
        else:
            yield item`,
      explanation: "`yield from` delegates to the recursive generator, so leaves stream out in order without building intermediate lists.",
    },
    tests: String.raw`assert list(flatten([1, [2, (3, [4])], 5])) == [1, 2, 3, 4, 5]
assert list(flatten(["ab", ["cd", b"ef"]])) == ["ab", "cd", b"ef"]
assert list(flatten([])) == []
assert list(flatten([[[]], ()])) == []`,
  },
  {
    name: "rotate-matrix",
    snippet: String.raw`def transpose(grid):
    """Swap rows and columns of a rectangular grid."""
    return [list(column) for column in zip(*grid)]`,
    concepts: ["zip with argument unpacking", "list comprehensions", "two-dimensional lists", "matrix transposition"],
    category: "function implementation",
    language: "Python",
    difficulty: "easy",
    instruction: String.raw`Write a Python function rotate_clockwise(matrix) that returns a new matrix (list of lists) rotated 90 degrees clockwise. The input may be rectangular; the input must not be modified. An empty matrix rotates to an empty list.`,
    response: {
      approach:
        "A clockwise rotation is a transposition of the rows taken bottom to top: reverse the row order, then zip the rows together so each column becomes a row.",
      code: String.raw`def rotate_clockwise(matrix):
    return [list(row) for row in zip(*matrix[::-1])]`,
      explanation:
        "`matrix[::-1]` builds a reversed copy, so the input is untouched, and `zip(*...)` turns its columns into rows. For an empty matrix `zip()` yields nothing.",
    },
    tests: String.raw`assert rotate_clockwise([[1, 2], [3, 4]]) == [[3, 1], [4, 2]]
assert rotate_clockwise([[1, 2, 3]]) == [[1], [2], [3]]
m = [[1, 2], [3, 4], [5, 6]]
assert rotate_clockwise(m) == [[5, 3, 1], [6, 4, 2]]
assert m == [[1, 2], [3, 4], [5, 6]]
assert rotate_clockwise([]) == []`,
  },
  {
    name: "business-days",
    snippet: String.raw`from datetime import date, timedelta


def next_monday(day):
    """Return the first Monday strictly after the given date."""
    ahead = (7 - day.weekday()) % 7 or 7
    return day + timedelta(days=ahead)`,
    concepts: ["datetime.date arithmetic", "weekday computation", "timedelta", "inclusive and exclusive ranges"],
    category: "function implementation",
    language: "Python",
    difficulty: "medium",
    instruction: String.raw`Write a Python function business_days(start, end, holidays=()) that counts the weekdays (Monday to Friday) from start up to but not including end, both datetime.date objects, skipping any date listed in holidays. If end is not after start, return 0. It should not loop over every day of long ranges.`,
    response: {
      approach:
        "Whole weeks contribute exactly five weekdays each, so count full weeks arithmetically and only walk the remaining fewer than seven days. Holidays are then subtracted when they fall on a weekday inside the range.",
      code: String.raw`from datetime import timedelta


def business_days(start, end, holidays=()):
    if end <= start:
        return 0
    total_days = (end - start).days
    weeks, rest = divmod(total_days, 7)
    count = weeks * 5
    for offset in range(rest):
        if (start + timedelta(days=weeks * 7 + offset)).weekday() < 5:
            count += 1
    for holiday in set(holidays):
        if start <= holiday < end and holiday.weekday() < 5:
            count -= 1
    return count`,
      explanation: "The loop runs at most six times whatever the range; `set(holidays)` keeps a duplicated holiday from being subtracted twice.",
    },
    tests: String.raw`from datetime import date
assert business_days(date(2024, 1, 1), date(2024, 1, 8)) == 5
assert business_days(date(2024, 1, 6), date(2024, 1, 8)) == 0
assert business_days(date(2024, 1, 1), date(2024, 1, 1)) == 0
assert business_days(date(2024, 1, 1), date(2024, 12, 31)) == 261
assert business_days(date(2024, 1, 1), date(2024, 1, 8), [date(2024, 1, 1), date(2024, 1, 6)]) == 4`,
  },
  {
    name: "money-value-object",
    snippet: String.raw`from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    """An immutable 2D point supporting addition."""
    x: float
    y: float

    def __add__(self, other):
        return Point(self.x + other.x, self.y + other.y)`,
    concepts: ["frozen dataclasses", "operator overloading", "value objects", "input validation in __post_init__"],
    category: "class implementation",
    language: "Python",
    difficulty: "medium",
    instruction: String.raw`Design an immutable Python class Money holding an integer amount of cents and a three-letter uppercase currency code. Support + and - between Money values of the same currency (a different currency raises ValueError), comparison with < between same-currency values, and str() formatting like "12.05 EUR" (negative amounts as "-0.50 EUR"). Invalid currency codes or non-integer cents raise ValueError at construction.`,
    response: {
      approach:
        "A frozen dataclass gives immutability, equality and hashing for free; `__post_init__` validates the fields, and one helper checks currencies before any arithmetic or comparison.",
      code: String.raw`from dataclasses import dataclass


@dataclass(frozen=True)
class Money:
    cents: int
    currency: str

    def __post_init__(self):
        if not isinstance(self.cents, int) or isinstance(self.cents, bool):
            raise ValueError(f"cents must be an int, got {self.cents!r}")
        if not (len(self.currency) == 3 and self.currency.isalpha() and self.currency.isupper()):
            raise ValueError(f"currency must be three uppercase letters, got {self.currency!r}")

    def _same(self, other):
        if not isinstance(other, Money) or other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other!r}")

    def __add__(self, other):
        self._same(other)
        return Money(self.cents + other.cents, self.currency)

    def __sub__(self, other):
        self._same(other)
        return Money(self.cents - other.cents, self.currency)

    def __lt__(self, other):
        self._same(other)
        return self.cents < other.cents

    def __str__(self):
        sign = "-" if self.cents < 0 else ""
        units, cents = divmod(abs(self.cents), 100)
        return f"{sign}{units}.{cents:02d} {self.currency}"`,
      explanation:
        "Formatting works on the absolute value so that `divmod` never sees a negative number, and the sign is added back in front. `bool` is rejected explicitly because it is a subclass of `int`.",
    },
    tests: String.raw`a = Money(1205, "EUR")
assert str(a) == "12.05 EUR"
assert str(Money(-50, "EUR")) == "-0.50 EUR"
assert a + Money(95, "EUR") == Money(1300, "EUR")
assert Money(1, "EUR") < Money(2, "EUR")
for bad in [lambda: a + Money(1, "USD"), lambda: Money(1.5, "EUR"), lambda: Money(1, "eur")]:
    try:
        bad()
        raise AssertionError("expected ValueError")
    except ValueError:
        pass`,
  },
  {
    name: "dijkstra-path",
    snippet: String.raw`import heapq


def k_smallest(values, k):
    """Return the k smallest values in ascending order using a heap."""
    heap = list(values)
    heapq.heapify(heap)
    return [heapq.heappop(heap) for _ in range(min(k, len(heap)))]`,
    concepts: ["priority queues with heapq", "shortest path search", "weighted graphs as adjacency dicts", "path reconstruction"],
    category: "function implementation",
    language: "Python",
    difficulty: "hard",
    instruction: String.raw`Write a Python function shortest_path(graph, start, goal) for a directed graph given as {node: {neighbour: weight}} with non-negative weights. Return a tuple (cost, path) where path is the list of nodes from start to goal of a cheapest route, or (None, []) when goal is unreachable. start == goal gives (0, [start]).`,
    response: {
      approach:
        "Dijkstra's algorithm with a binary heap: pop the cheapest frontier node, skip it if a cheaper route was already settled, relax its edges, and remember each node's predecessor so the path can be rebuilt backwards from the goal.",
      code: String.raw`import heapq


def shortest_path(graph, start, goal):
    best = {start: 0}
    previous = {}
    heap = [(0, start)]
    while heap:
        cost, node = heapq.heappop(heap)
        if node == goal:
            path = [node]
            while node in previous:
                node = previous[node]
                path.append(node)
            return cost, path[::-1]
        if cost > best.get(node, float("inf")):
            continue
        for neighbour, weight in graph.get(node, {}).items():
            candidate = cost + weight
            if candidate < best.get(neighbour, float("inf")):
                best[neighbour] = candidate
                previous[neighbour] = node
                heapq.heappush(heap, (candidate, neighbour))
    return None, []`,
      explanation:
        "Stale heap entries are skipped instead of decreased in place, the usual heapq idiom. Returning at the first pop of the goal is correct because weights are non-negative.",
    },
    tests: String.raw`g = {"a": {"b": 1, "c": 4}, "b": {"c": 2, "d": 5}, "c": {"d": 1}, "d": {}}
assert shortest_path(g, "a", "d") == (4, ["a", "b", "c", "d"])
assert shortest_path(g, "d", "a") == (None, [])
assert shortest_path(g, "a", "a") == (0, ["a"])
assert shortest_path({"x": {"y": 0}}, "x", "y") == (0, ["x", "y"])`,
  },
  {
    name: "hashtag-extraction",
    snippet: String.raw`import re


def find_mentions(message):
    """Return the @usernames mentioned in a chat message."""
    return re.findall(r"@(\w+)", message)`,
    concepts: ["regular expressions", "re.findall with groups", "case normalisation", "order-preserving deduplication"],
    category: "function implementation",
    language: "Python",
    difficulty: "easy",
    instruction: String.raw`Write a Python function extract_hashtags(text) returning the distinct hashtags in a post, lowercased, in order of first appearance. A hashtag is # followed by a letter and then letters, digits or underscores; a # preceded by a letter or digit (as in "C#9" or "abc#tag") does not start a hashtag.`,
    response: {
      approach:
        "A single regular expression does the matching: a negative lookbehind rejects a `#` glued to a preceding word character, and the group captures the tag. A dict then removes duplicates while keeping first-seen order.",
      code: String.raw`import re

_HASHTAG = re.compile(r"(?<![A-Za-z0-9])#([A-Za-z][A-Za-z0-9_]*)")


def extract_hashtags(text):
    seen = {}
    for tag in _HASHTAG.findall(text):
        seen.setdefault(tag.lower(), None)
    return list(seen)`,
      explanation:
        "Dicts preserve insertion order, so `setdefault` keeps the first occurrence of each lowercased tag; compiling the pattern once avoids re-parsing it per call.",
    },
    tests: String.raw`assert extract_hashtags("Loving #Python and #python3 #PYTHON!") == ["python", "python3"]
assert extract_hashtags("C#9 abc#no #1st #ok_go") == ["ok_go"]
assert extract_hashtags("nothing here") == []`,
  },
  {
    name: "stair-climbing-dp",
    snippet: String.raw`from functools import lru_cache


@lru_cache(maxsize=None)
def binomial(n, k):
    """Compute n choose k with Pascal's rule."""
    if k in (0, n):
        return 1
    return binomial(n - 1, k - 1) + binomial(n - 1, k)`,
    concepts: ["dynamic programming", "memoization", "counting combinations", "bottom-up tabulation"],
    category: "function implementation",
    language: "Python",
    difficulty: "medium",
    instruction: String.raw`Write a Python function count_climbs(n, steps) returning the number of distinct ordered ways to climb a staircase of n stairs when each move climbs one of the sizes in steps (a collection of positive integers). count_climbs(0, steps) is 1. It must handle n in the thousands without recursion limits.`,
    response: {
      approach:
        "Let ways[i] be the number of ways to reach stair i. Every way to reach i ends with one step of size s from stair i - s, so ways[i] is the sum of ways[i - s]. Filling the table bottom-up avoids deep recursion.",
      code: String.raw`def count_climbs(n, steps):
    sizes = sorted(set(steps))
    if any(s <= 0 for s in sizes):
        raise ValueError(f"step sizes must be positive, got {sizes}")
    ways = [0] * (n + 1)
    ways[0] = 1
    for i in range(1, n + 1):
        ways[i] = sum(ways[i - s] for s in sizes if s <= i)
    return ways[n]`,
      explanation: "The table is O(n) in space and O(n * len(steps)) in time, and Python's integers do not overflow, so large n just gives large counts.",
    },
    tests: String.raw`assert count_climbs(0, [1, 2]) == 1
assert count_climbs(4, [1, 2]) == 5
assert count_climbs(5, [2]) == 0
assert count_climbs(7, [1, 3, 5]) == 12
assert count_climbs(3000, [1, 2]) > 0`,
  },
  {
    name: "run-length-codec",
    snippet: String.raw`from itertools import groupby


def squeeze(text):
    """Collapse runs of repeated characters to a single character."""
    return "".join(char for char, _ in groupby(text))`,
    concepts: ["itertools.groupby", "run-length encoding", "round-trip properties", "string building with join"],
    category: "function implementation",
    language: "Python",
    difficulty: "easy",
    instruction: String.raw`Write two Python functions: rle_encode(text) that encodes a string of letters as run-length pairs like "a3b1c2" (each character followed by its run length), and rle_decode(code) that reverses it, supporting run lengths with several digits. decode(encode(s)) must return s for any string of letters.`,
    response: {
      approach:
        "Encoding is a direct use of `groupby`, which yields each run's character and its items. Decoding scans the code with a regular expression pairing one letter with the digits that follow it.",
      code: String.raw`import re
from itertools import groupby


def rle_encode(text):
    return "".join(f"{char}{sum(1 for _ in run)}" for char, run in groupby(text))


def rle_decode(code):
    return "".join(char * int(count) for char, count in re.findall(r"([A-Za-z])(\d+)", code))`,
      explanation: "Counting a run with `sum(1 for _ in run)` avoids materialising it; the pattern `(\\d+)` reads multi-digit lengths such as `a12`.",
    },
    tests: String.raw`assert rle_encode("aaabcc") == "a3b1c2"
assert rle_decode("a3b1c2") == "aaabcc"
assert rle_decode("x12") == "x" * 12
for s in ["", "a", "abba", "zzzzzzzzzzzzq"]:
    assert rle_decode(rle_encode(s)) == s`,
  },
  {
    name: "transactional-dict",
    snippet: String.raw`import time


class Stopwatch:
    """Measure elapsed wall time of a with-block."""

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.elapsed = time.perf_counter() - self.start
        return False`,
    concepts: ["context manager protocol", "exception propagation in __exit__", "snapshot and rollback", "shallow copies"],
    category: "class implementation",
    language: "Python",
    difficulty: "hard",
    instruction: String.raw`Implement a Python class Transaction usable as "with Transaction(store):" where store is a dict. Inside the block the dict may be changed freely; if the block raises, every change (added, modified and removed keys) is rolled back so the same dict object holds its original contents, and the exception still propagates. Transactions may be nested: an inner rollback must not undo the outer block's earlier changes.`,
    response: {
      approach:
        "Take a snapshot of the dict on entry. On an exception, restore it in place (clear, then update) so that other references to the same dict see the rollback, and return False so the exception propagates. Nesting works because each transaction has its own snapshot taken at its own entry.",
      code: String.raw`class Transaction:
    def __init__(self, store):
        self.store = store
        self._snapshot = None

    def __enter__(self):
        self._snapshot = dict(self.store)
        return self.store

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.store.clear()
            self.store.update(self._snapshot)
        self._snapshot = None
        return False`,
      explanation:
        "Restoring with `clear` and `update` keeps the object's identity, which matters to anyone holding the dict. The snapshot is shallow: it restores keys and values, not mutations inside mutable values.",
    },
    tests: String.raw`store = {"a": 1, "b": 2}
alias = store
try:
    with Transaction(store) as s:
        s["a"] = 10
        del s["b"]
        s["c"] = 3
        raise RuntimeError("boom")
except RuntimeError:
    pass
assert alias == {"a": 1, "b": 2}
with Transaction(store) as s:
    s["a"] = 5
    try:
        with Transaction(store) as inner:
            inner["z"] = 0
            raise KeyError("inner")
    except KeyError:
        pass
assert store == {"a": 5, "b": 2}`,
  },
  {
    name: "csv-column-report",
    snippet: String.raw`import csv
import io


def read_rows(text):
    """Parse CSV text with a header row into a list of dicts."""
    return list(csv.DictReader(io.StringIO(text)))`,
    concepts: ["csv.DictReader", "in-memory text streams", "numeric parsing with error handling", "aggregation per column"],
    category: "program implementation",
    language: "Python",
    difficulty: "medium",
    instruction: String.raw`Write a Python program built from functions that summarises CSV data given as text with a header row. summarise(text) returns {column: (count, total, mean)} for every column whose non-empty values all parse as numbers (ints or floats), ignoring empty cells; other columns are left out. render(summary) returns report lines "column: n=COUNT total=TOTAL mean=MEAN" with totals and means rounded to 2 decimals, sorted by column name.`,
    response: {
      approach:
        "Read the rows with `csv.DictReader` over a `StringIO`, collect each column's non-empty cells, and try to convert them all with `float`; a column with any unconvertible value is not numeric and is dropped. Rendering is a separate pure function.",
      code: String.raw`import csv
import io


def _numbers(cells):
    try:
        return [float(c) for c in cells]
    except ValueError:
        return None


def summarise(text):
    rows = list(csv.DictReader(io.StringIO(text)))
    columns = rows[0].keys() if rows else []
    summary = {}
    for column in columns:
        values = _numbers([row[column] for row in rows if row[column].strip()])
        if values:
            total = sum(values)
            summary[column] = (len(values), total, total / len(values))
    return summary


def render(summary):
    return [f"{name}: n={n} total={total:.2f} mean={mean:.2f}" for name, (n, total, mean) in sorted(summary.items())]`,
      explanation:
        "`_numbers` returns None when any cell is not a number, which rules the whole column out; empty columns are dropped too, so no division by zero can happen.",
    },
    tests: String.raw`text = "name,qty,price\napple,3,0.5\npear,,1.25\nfig,2,2\n"
s = summarise(text)
assert set(s) == {"qty", "price"}
assert s["qty"] == (2, 5.0, 2.5)
assert render(s) == ["price: n=3 total=3.75 mean=1.25", "qty: n=2 total=5.00 mean=2.50"]
assert summarise("a,b\n") == {}`,
  },
  {
    name: "merge-intervals",
    snippet: String.raw`def overlaps(first, second):
    """Tell whether two closed intervals (start, end) overlap."""
    return first[0] <= second[1] and second[0] <= first[1]`,
    concepts: ["sorting by key", "interval overlap", "greedy merging", "tuple unpacking"],
    category: "function implementation",
    language: "Python",
    difficulty: "medium",
    instruction: String.raw`Write a Python function free_slots(busy, day_start, day_end) that takes a list of busy (start, end) intervals in minutes, possibly overlapping and unsorted, and returns the free (start, end) intervals within [day_start, day_end], sorted, without zero-length gaps. Busy intervals may extend outside the day.`,
    response: {
      approach:
        "Sort the busy intervals by start and sweep once, keeping a cursor at the end of the time covered so far. Whenever the next busy interval starts after the cursor there is a gap; clamping to the day's bounds handles intervals that stick out.",
      code: String.raw`def free_slots(busy, day_start, day_end):
    free = []
    cursor = day_start
    for start, end in sorted(busy):
        start, end = max(start, day_start), min(end, day_end)
        if start >= end:
            continue
        if start > cursor:
            free.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < day_end:
        free.append((cursor, day_end))
    return free`,
      explanation:
        "Because the cursor only moves forward and intervals are processed by start, overlapping busy periods merge implicitly; the strict comparisons skip zero-length gaps.",
    },
    tests: String.raw`assert free_slots([(60, 120), (90, 150), (200, 240)], 0, 300) == [(0, 60), (150, 200), (240, 300)]
assert free_slots([], 0, 10) == [(0, 10)]
assert free_slots([(-5, 5), (5, 20)], 0, 10) == []
assert free_slots([(3, 4), (1, 2)], 0, 5) == [(0, 1), (2, 3), (4, 5)]`,
  },
  {
    name: "prefix-trie",
    snippet: String.raw`def common_prefix(words):
    """Return the longest prefix shared by all words."""
    if not words:
        return ""
    shortest = min(words, key=len)
    for i, char in enumerate(shortest):
        if any(word[i] != char for word in words):
            return shortest[:i]
    return shortest`,
    concepts: ["prefix trees", "nested dictionaries", "character-by-character traversal", "per-node counters"],
    category: "class implementation",
    language: "Python",
    difficulty: "medium",
    instruction: String.raw`Implement a Python class Trie with insert(word), contains(word) -> bool and count_prefix(prefix) -> int, where count_prefix returns how many inserted words (counting duplicates) start with prefix. The empty prefix counts every word.`,
    response: {
      approach:
        "Each node is a dict of children plus two counters: how many words pass through the node and how many end exactly there. Passing-through counts answer `count_prefix` in O(len(prefix)) without walking the subtree.",
      code: String.raw`class _Node:
    __slots__ = ("children", "passing", "ending")

    def __init__(self):
        self.children = {}
        self.passing = 0
        self.ending = 0


class Trie:
    def __init__(self):
        self._root = _Node()

    def insert(self, word):
        node = self._root
        node.passing += 1
        for char in word:
            node = node.children.setdefault(char, _Node())
            node.passing += 1
        node.ending += 1

    def _find(self, prefix):
        node = self._root
        for char in prefix:
            node = node.children.get(char)
            if node is None:
                return None
        return node

    def contains(self, word):
        node = self._find(word)
        return node is not None and node.ending > 0

    def count_prefix(self, prefix):
        node = self._find(prefix)
        return 0 if node is None else node.passing`,
      explanation:
        "The root's passing counter is the number of inserted words, which is what the empty prefix must return; `__slots__` keeps the many small nodes compact.",
    },
    tests: String.raw`t = Trie()
for w in ["car", "cart", "care", "dog", "car"]:
    t.insert(w)
assert t.contains("car") and not t.contains("ca")
assert t.count_prefix("car") == 4
assert t.count_prefix("") == 5
assert t.count_prefix("x") == 0`,
  },
  {
    name: "build-order",
    snippet: String.raw`from collections import deque


def reachable(graph, start):
    """Return the set of nodes reachable from start by breadth-first search."""
    seen = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in graph.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen`,
    concepts: ["topological sorting", "in-degree counting", "cycle detection", "deterministic ordering with heaps"],
    category: "program implementation",
    language: "Python",
    difficulty: "hard",
    instruction: String.raw`Write a Python program, structured as functions, that plans a build. plan(deps) takes {target: [prerequisites]} (prerequisites may be absent as keys) and returns a list of every target and prerequisite in an order where each comes after all its prerequisites, choosing the alphabetically smallest available item at each step. If there is a cycle, raise ValueError naming the items involved in it.`,
    response: {
      approach:
        "Kahn's algorithm: count each item's unmet prerequisites, start from the items with none, and repeatedly emit one, decrementing the counts of the items waiting on it. A heap makes the choice among ready items alphabetical. Items never emitted are on or behind a cycle.",
      code: String.raw`import heapq


def _graph(deps):
    waiting = {}
    pending = {}
    for target, prerequisites in deps.items():
        pending.setdefault(target, 0)
        for pre in set(prerequisites):
            pending.setdefault(pre, 0)
            pending[target] += 1
            waiting.setdefault(pre, []).append(target)
    return waiting, pending


def plan(deps):
    waiting, pending = _graph(deps)
    ready = [item for item, count in pending.items() if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        item = heapq.heappop(ready)
        order.append(item)
        for nxt in waiting.get(item, []):
            pending[nxt] -= 1
            if pending[nxt] == 0:
                heapq.heappush(ready, nxt)
    if len(order) < len(pending):
        stuck = sorted(item for item, count in pending.items() if count > 0)
        raise ValueError(f"dependency cycle among: {', '.join(stuck)}")
    return order`,
      explanation:
        "Duplicated prerequisites are collapsed with `set` so counts stay right; the error lists every item still blocked, which includes the cycle itself.",
    },
    tests: String.raw`assert plan({"app": ["lib", "cfg"], "lib": ["cfg"]}) == ["cfg", "lib", "app"]
assert plan({"b": [], "a": []}) == ["a", "b"]
try:
    plan({"x": ["y"], "y": ["x"]})
    raise AssertionError("expected ValueError")
except ValueError as e:
    assert "x" in str(e) and "y" in str(e)`,
  },
];
