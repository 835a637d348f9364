import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EmbeddedLog } from "../../services/runtime/embedded/index.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "sca-log-"));
const out = (topic: string, key: string | null, v: string) => ({ topic, key, value: Buffer.from(v) });

describe("embedded log durability", () => {
  it("reopens with every intact frame and cuts a torn tail", () => {
    const dir = tmp();
    let log = new EmbeddedLog(dir, { fsync: false });
    log.createTopics([{ name: "t", partitions: 1 }]);
    log.append([out("t", "a", "one")], []);
    log.append([out("t", "a", "two")], []);
    const intact = statSync(join(dir, "journal.log")).size;
    log.append([out("t", "a", "three")], [{ group: "g", topic: "t", partition: 0, offset: "2" }]);
    log.close();
    // A crash mid-write leaves part of the last frame: neither its record nor its commit may survive.
    truncateSync(join(dir, "journal.log"), intact + 7);
    log = new EmbeddedLog(dir, { fsync: false });
    expect(log.read("t", 0, 0, 10).map((r) => r.value.toString())).toEqual(["one", "two"]);
    expect(log.committed("g", "t", 0)).toBeUndefined();
    expect(statSync(join(dir, "journal.log")).size).toBe(intact);
    log.append([out("t", "a", "three again")], []);
    log.close();
    log = new EmbeddedLog(dir, { fsync: false });
    expect(log.read("t", 0, 2, 10).map((r) => r.value.toString())).toEqual(["three again"]);
    log.close();
  });

  it("treats a corrupted frame as the end of the log", () => {
    const dir = tmp();
    let log = new EmbeddedLog(dir, { fsync: false });
    log.createTopics([{ name: "t", partitions: 1 }]);
    log.append([out("t", null, "x")], []);
    log.close();
    appendFileSync(join(dir, "journal.log"), Buffer.from([5, 0, 0, 0, 1, 2, 3, 4, 9, 9, 9, 9, 9]));
    log = new EmbeddedLog(dir, { fsync: false });
    expect(log.high("t", 0)).toBe(1);
    log.close();
  });

  it("refuses a second owner of a state directory and takes over a dead owner's lock", async () => {
    const dir = tmp();
    const log = new EmbeddedLog(dir, { fsync: false });
    expect(() => new EmbeddedLog(dir, { fsync: false })).toThrow(/already open/);
    log.close();
    // A child that opens the log and is SIGKILLed leaves its lock behind; its records stay.
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "-e",
        `
      const { EmbeddedLog } = await import(${JSON.stringify(join(process.cwd(), "services/runtime/embedded/index.ts"))});
      const log = new EmbeddedLog(${JSON.stringify(dir)}, { fsync: false });
      log.createTopics([{ name: "k", partitions: 2 }]);
      log.append([{ topic: "k", key: "a", value: Buffer.from("from child") }], []);
      console.log("ready");
      setInterval(() => {}, 1000);
    `,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve) => child.stdout.on("data", (d) => String(d).includes("ready") && resolve()));
    expect(() => new EmbeddedLog(dir, { fsync: false })).toThrow(/in use by process/);
    child.kill("SIGKILL");
    await new Promise((r) => child.on("exit", r));
    const again = new EmbeddedLog(dir, { fsync: false });
    const all = [0, 1].flatMap((p) => again.read("k", p, 0, 10));
    expect(all.map((r) => r.value.toString())).toEqual(["from child"]);
    again.close();
  });
});
