import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Language, Parser } from "web-tree-sitter";

/**
 * The Python grammar as WebAssembly: the native tree-sitter prebuilds need a newer libstdc++ than
 * Debian 12 has, and building them needs install scripts that `npm ci` blocks; the wasm grammar
 * shipped inside `tree-sitter-python` loads everywhere Node runs.
 */
let loading: Promise<Language> | undefined;

export function pythonLanguage(): Promise<Language> {
  loading ??= (async () => {
    await Parser.init();
    const pkg = createRequire(import.meta.url).resolve("tree-sitter-python/package.json");
    return Language.load(join(dirname(pkg), "tree-sitter-python.wasm"));
  })();
  return loading;
}

export async function pythonParser(): Promise<Parser> {
  const language = await pythonLanguage();
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}
