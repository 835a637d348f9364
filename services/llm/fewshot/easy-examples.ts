/**
 * A second pool, for small local models (SCA_FEWSHOT_POOL=easy): easy function-implementation
 * tasks of one sentence, answered by one short function, checked by plain asserts on literal
 * values. Most are predicates: a model that cannot work out a function's value by itself still
 * writes a True/False expectation a correct function can meet. The main pool's long, multi-function examples leak into a 270M model's answers (it
 * copies their names and their expected outputs into unrelated tasks); these show it the shape it
 * can actually complete. Every response passes its own tests in the sandbox (test/llm/fewshot.sandbox.test.ts).
 */
import type { FewShotExample } from "./schema.ts";

const easyFunction = { category: "function implementation", language: "Python", difficulty: "easy" } as const;

export const EASY_EXAMPLES: FewShotExample[] = [
  {
    name: "count-vowels",
    ...easyFunction,
    snippet: String.raw`def count_spaces(text):
    """Return how many space characters text holds."""
    total = 0
    for ch in text:
        if ch == " ":
            total += 1
    return total`,
    concepts: ["string iteration", "character comparison", "counting"],
    instruction: "Write a Python function count_vowels(text) that returns how many vowels (a, e, i, o, u, in either case) the string text contains.",
    response: {
      approach: "Go through the characters once and count those that are vowels, comparing in lower case.",
      code: String.raw`def count_vowels(text):
    count = 0
    for ch in text.lower():
        if ch in "aeiou":
            count += 1
    return count`,
      explanation: "Lower-casing each character lets one membership test cover both cases.",
    },
    tests: String.raw`assert count_vowels("hello") == 2
assert count_vowels("AEIOU") == 5
assert count_vowels("xyz") == 0`,
  },
  {
    name: "clamp",
    ...easyFunction,
    snippet: String.raw`def limit(value, top):
    """Cap value at top."""
    if value > top:
        return top
    return value`,
    concepts: ["conditional statements", "numeric comparison", "bounds checking"],
    instruction: "Write a Python function clamp(x, low, high) that returns low when x is below low, high when x is above high, and x otherwise.",
    response: {
      approach: "Compare x with each bound in turn and return the bound it crosses, or x itself.",
      code: String.raw`def clamp(x, low, high):
    if x < low:
        return low
    if x > high:
        return high
    return x`,
      explanation: "Two early returns handle the two ways x can leave the range.",
    },
    tests: String.raw`assert clamp(5, 0, 10) == 5
assert clamp(-3, 0, 10) == 0
assert clamp(42, 0, 10) == 10`,
  },
  {
    name: "is-palindrome",
    ...easyFunction,
    snippet: String.raw`def is_blank(text):
    """Tell whether text holds nothing but whitespace."""
    return text.strip() == ""`,
    concepts: ["string slicing", "equality comparison", "boolean return values"],
    instruction: "Write a Python function is_palindrome(text) that returns True if text reads the same forwards and backwards, and False otherwise.",
    response: {
      approach: "A palindrome equals its own reverse, and slicing with a step of -1 reverses a string.",
      code: String.raw`def is_palindrome(text):
    return text == text[::-1]`,
      explanation: "The comparison itself is the answer, so it is returned directly.",
    },
    tests: String.raw`assert is_palindrome("level") == True
assert is_palindrome("hello") == False`,
  },
  {
    name: "has-duplicates",
    ...easyFunction,
    snippet: String.raw`def contains_zero(values):
    """Tell whether any value is 0."""
    for value in values:
        if value == 0:
            return True
    return False`,
    concepts: ["sets", "length comparison", "boolean return values"],
    instruction: "Write a Python function has_duplicates(items) that returns True if some value occurs more than once in the list items, and False otherwise.",
    response: {
      approach: "A set keeps one copy of each value, so it is shorter than the list exactly when the list repeats a value.",
      code: String.raw`def has_duplicates(items):
    return len(set(items)) != len(items)`,
      explanation: "Building the set takes one pass over the list.",
    },
    tests: String.raw`assert has_duplicates([1, 2, 1]) == True
assert has_duplicates([1, 2, 3]) == False
assert has_duplicates([]) == False`,
  },
  {
    name: "is-sorted",
    ...easyFunction,
    snippet: String.raw`def first_drop(values):
    """Return the index of the first value smaller than the one before it, or -1."""
    for i in range(1, len(values)):
        if values[i] < values[i - 1]:
            return i
    return -1`,
    concepts: ["index-based loops", "comparing neighbouring elements", "early return"],
    instruction: "Write a Python function is_sorted(numbers) that returns True if the list numbers is in ascending order, and False otherwise.",
    response: {
      approach: "Compare each number with the one before it and stop at the first that is smaller.",
      code: String.raw`def is_sorted(numbers):
    for i in range(1, len(numbers)):
        if numbers[i] < numbers[i - 1]:
            return False
    return True`,
      explanation: "An empty list or a single number has no pair out of order, so it counts as sorted.",
    },
    tests: String.raw`assert is_sorted([1, 2, 2, 5]) == True
assert is_sorted([3, 1, 2]) == False`,
  },
  {
    name: "is-leap-year",
    ...easyFunction,
    snippet: String.raw`def is_weekend(day_number):
    """Days are numbered 0 (Monday) to 6 (Sunday)."""
    return day_number % 7 in (5, 6)`,
    concepts: ["modulo arithmetic", "boolean operators", "calendar rules"],
    instruction:
      "Write a Python function is_leap_year(year) that returns True if year is a leap year (divisible by 4, except centuries that are not divisible by 400), and False otherwise.",
    response: {
      approach: "Combine the three divisibility rules in one boolean expression.",
      code: String.raw`def is_leap_year(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)`,
      explanation: "The parentheses make the century exception apply only to years divisible by 4.",
    },
    tests: String.raw`assert is_leap_year(2024) == True
assert is_leap_year(1900) == False
assert is_leap_year(2000) == True`,
  },
];
