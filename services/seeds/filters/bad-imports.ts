import { standaloneOf } from "../candidate.ts";
import type { Filter } from "./filter.ts";

/** Modules whose use makes a poor self-contained exercise (system access, CLIs, packaging, plotting). */
export const BAD_MODULES = ["argparse", "os", "subprocess", "sys", "setuptools", "distutils", "matplotlib", "seaborn"] as const;

// The reference matches `import X` / `from X` as plain substrings; the word boundary keeps
// `import ossaudiodev` or "from system" from counting as `os` / `sys`.
const PATTERN = new RegExp(`\\b(?:import|from)\\s+(${BAD_MODULES.join("|")})\\b`, "i");

/** Checked on the standalone code, so an import inferred for `os.path.join` counts too. */
export const badImports: Filter = {
  kind: "each",
  name: "bad_imports",
  description: `no import of ${BAD_MODULES.join(", ")}`,
  check: (c) => {
    const m = PATTERN.exec(standaloneOf(c, "bad_imports").code);
    return m ? `imports ${m[1]}` : null;
  },
};
