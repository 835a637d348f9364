import { type Command, Option } from "commander";

/**
 * `--state DIR` names the embedded log's folder on every command, as `sca run` does; `--state-dir`
 * is the spelling older scripts use, still accepted but not shown in help.
 */
export function stateOption(cmd: Command, description: string): Command {
  return cmd.option("--state <dir>", description).addOption(new Option("--state-dir <dir>").hideHelp());
}

/** The flags with `--state` folded into `stateDir`, the runtime config's field; `--state` wins. */
export function withStateDir<T extends Record<string, unknown>>(raw: T): Omit<T, "state"> & { stateDir?: string } {
  const { state, ...rest } = raw;
  const stateDir = (state ?? rest.stateDir) as string | undefined;
  return { ...rest, ...(stateDir === undefined ? {} : { stateDir }) };
}
