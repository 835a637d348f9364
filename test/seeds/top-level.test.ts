import { writeFileSync } from "node:fs";
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
});
