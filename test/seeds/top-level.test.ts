import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runIngest, tempDir } from "./helpers.ts";

const SOURCE = `
def top_level_total(values):
    """Return the sum of the values."""
    result = 0
    for v in values:
        result += v
    return result


@staticmethod
def decorated_scale(values, factor):
    """Return every value multiplied by factor."""
    return [v * factor for v in values]


class Account:
    def method_balance(self, entries):
        """Return the balance of the entries."""
        return sum(e.amount for e in entries)


def outer_counter(items):
    """Return a counter of the items."""

    def nested_key(item):
        """Return the key an item is counted under."""
        return str(item).lower()

    counts = {}
    for item in items:
        counts[nested_key(item)] = counts.get(nested_key(item), 0) + 1
    return counts
`;

describe("seed mining: which functions are seeds", () => {
  it("takes only module-level functions by default, as the reference does; --methods adds methods and nested functions", async () => {
    const dir = tempDir("top-level");
    writeFileSync(join(dir, "mixed.py"), SOURCE);
    const byDefault = await runIngest([dir], { dedupDir: tempDir("top-level-dedup") });
    expect(byDefault.seeds.map((s) => s.name).sort()).toEqual(["decorated_scale", "outer_counter", "top_level_total"]);
    expect(byDefault.funnel.functions).toBe(3);
    const withMethods = await runIngest([dir], { dedupDir: tempDir("top-level-dedup2"), methods: true });
    expect(withMethods.funnel.functions).toBe(5);
    expect(withMethods.seeds.map((s) => s.name)).toEqual(expect.arrayContaining(["method_balance", "nested_key"]));
  });

  it("spreads a short run's seeds: public functions only, one per file, files in an order the seed fixes", async () => {
    const dir = tempDir("spread");
    // Each file holds two public seeds and a private one; in path order the first three seeds would come from a.py and b.py.
    for (const f of ["a", "b", "c", "d", "e", "f"])
      writeFileSync(
        join(dir, `${f}.py`),
        [`${f}_one`, `${f}_two`, `_${f}_private`]
          .map(
            (n, i) =>
              `def ${n}(values):\n    """Return the values scaled by ${i + 2} (${n})."""\n    return [v * ${i + 2} + ${f.charCodeAt(0)} for v in values]\n`,
          )
          .join("\n\n"),
      );
    mkdirSync(join(dir, "tests"));
    writeFileSync(join(dir, "tests", "helpers.py"), 'def a_fixture(values):\n    """Return the values doubled."""\n    return [v * 2 for v in values]\n');
    const inPathOrder = await runIngest([dir], { dedupDir: tempDir("spread-dedup0"), limit: 3 });
    expect(inPathOrder.seeds.map((s) => s.name)).toEqual(["a_one", "a_two", "_a_private"]);
    const spread = await runIngest([dir], { dedupDir: tempDir("spread-dedup1"), limit: 3, spreadSeed: 7 });
    const files = spread.seeds.map((s) => s.path);
    expect(new Set(files).size).toBe(3);
    expect(spread.seeds.every((s) => /^[a-f]_(one|two)$/.test(s.name))).toBe(true);
    // every file spread can take from: a-f.py, not the test folder's
    const all = await runIngest([dir], { dedupDir: tempDir("spread-dedup-all"), spreadSeed: 7 });
    expect(all.seeds.map((s) => s.path).sort()).toEqual(["a.py", "b.py", "c.py", "d.py", "e.py", "f.py"]);
    expect(all.seeds.every((s) => /^[a-f]_(one|two)$/.test(s.name))).toBe(true);
    expect(spread.funnel.filter("public_function").dropped).toBeGreaterThan(0);
    const again = await runIngest([dir], { dedupDir: tempDir("spread-dedup2"), limit: 3, spreadSeed: 7 });
    expect(again.seeds.map((s) => s.path)).toEqual(files);
    const other = await Promise.all([1, 2, 3].map((seed) => runIngest([dir], { dedupDir: tempDir(`spread-dedup-s${seed}`), limit: 3, spreadSeed: seed })));
    expect(other.some((r) => r.seeds.map((s) => s.path).join() !== files.join())).toBe(true);
  });
});
