/**
 * Checks a deployment's `sca` command line against the real CLI: the commands every
 * services/cli/commands/*.ts registers (as services/cli/main.ts loads them), their options, and
 * for `service <stage>` the stage module the service would load.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Command } from "commander";
import { loadStageModule } from "../../services/runtime/stage-loader.ts";
import { ROOT } from "./repo.ts";

let program: Command | undefined;

async function cli(): Promise<Command> {
  if (program) return program;
  const p = new Command("sca");
  const dir = join(ROOT, "services", "cli", "commands");
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .sort()) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { register?: (p: Command) => void };
    mod.register?.(p);
  }
  program = p;
  return p;
}

/** Why `sca <args>` would be rejected, or undefined if the CLI accepts it. */
export async function problemWith(args: string[]): Promise<string | undefined> {
  let cmd = await cli();
  const path: string[] = [];
  let i = 0;
  for (; i < args.length && cmd.commands.length > 0; i++) {
    const next = cmd.commands.find((c) => c.name() === args[i] || c.aliases().includes(args[i]));
    if (!next) return `sca ${[...path, args[i]].join(" ")}: no such command (known: ${cmd.commands.map((c) => c.name()).join(", ")})`;
    cmd = next;
    path.push(args[i]);
  }
  const positional: string[] = [];
  for (; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("-")) {
      positional.push(a);
      continue;
    }
    const flag = a.split("=")[0];
    const opt = cmd.options.find((o) => o.long === flag || o.short === flag);
    if (!opt) return `sca ${path.join(" ")}: no option ${flag}`;
    if ((opt.required || opt.optional) && !a.includes("=")) i++;
  }
  const declared = cmd.registeredArguments;
  const required = declared.filter((a) => a.required).length;
  if (positional.length < required) return `sca ${path.join(" ")}: needs ${required} argument(s), got ${positional.length}`;
  if (positional.length > declared.length && !declared.at(-1)?.variadic) return `sca ${path.join(" ")}: too many arguments (${positional.join(" ")})`;
  if (path.join(" ") === "service") {
    try {
      await loadStageModule(positional[0]);
    } catch (e) {
      return `sca service ${positional[0]}: ${(e as Error).message}`;
    }
  }
  return undefined;
}
