import { EventEmitter } from "node:events";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { partitionFor } from "../partitioner.ts";
import type { LogRecord, OffsetCommit, OutRecord, TopicConfig } from "../transport.ts";
import { type Frame, type FrameCommit, Journal, type ValueLocation } from "./journal.ts";
import { isAlive } from "../../shared/pid.ts";

interface Entry {
  loc: ValueLocation;
  ts: number;
  key: string | null;
  headers: Record<string, string> | null;
}

/**
 * The embedded log's state: topics, partitions, records and consumer-group offsets, rebuilt from the
 * journal on open. One process owns a state directory at a time (a lock file with its pid); a lock
 * left by a killed process is taken over.
 */
export class EmbeddedLog {
  readonly appended = new EventEmitter();
  private readonly topics = new Map<string, Entry[][]>();
  private readonly groups = new Map<string, Map<string, number>>();
  private readonly roundRobin = { next: 0 };
  private readonly journal: Journal;
  private lastTs = 0;
  private closed = false;

  constructor(
    readonly dir: string,
    opts: { fsync?: boolean } = {},
  ) {
    mkdirSync(dir, { recursive: true });
    if (openDirs.has(resolve(dir))) throw new Error(`the embedded log at ${dir} is already open in this process`);
    takeLock(join(dir, "LOCK"));
    openDirs.add(resolve(dir));
    this.appended.setMaxListeners(0);
    this.journal = Journal.open(join(dir, "journal.log"), opts.fsync ?? true, (f, values) => this.apply(f, values));
  }

  private apply(f: Frame, values: ValueLocation[]): void {
    this.lastTs = Math.max(this.lastTs, f.ts);
    for (const t of f.topics ?? []) {
      const parts = this.topics.get(t.name) ?? [];
      while (parts.length < t.partitions) parts.push([]);
      this.topics.set(t.name, parts);
    }
    (f.records ?? []).forEach((r, i) => {
      this.partitionsOf(r.topic)[r.partition].push({ loc: values[i], ts: f.ts, key: r.key, headers: r.headers });
    });
    for (const c of f.commits ?? []) this.groupMap(c.group).set(`${c.topic}\0${c.partition}`, c.offset);
    for (const g of f.deleteGroups ?? []) this.groups.delete(g);
  }

  private write(f: Omit<Frame, "ts">): void {
    if (this.closed) throw new Error(`embedded log at ${this.dir} is closed`);
    // Timestamps never go backwards within the log, so seeking by time can binary-search.
    const frame = { ...f, ts: Math.max(Date.now(), this.lastTs) };
    const values = this.journal.append(frame);
    this.apply(frame, values);
    if (f.records?.length) this.appended.emit("append");
  }

  private groupMap(group: string): Map<string, number> {
    let m = this.groups.get(group);
    if (!m) this.groups.set(group, (m = new Map()));
    return m;
  }

  partitionsOf(topic: string): Entry[][] {
    const p = this.topics.get(topic);
    if (!p) throw new Error(`topic "${topic}" does not exist in the embedded log at ${this.dir} (create it first: sca topics create)`);
    return p;
  }

  hasTopic(topic: string): boolean {
    return this.topics.has(topic);
  }

  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  createTopics(configs: TopicConfig[]): void {
    const fresh = configs.filter((c) => (this.topics.get(c.name)?.length ?? 0) < c.partitions);
    if (fresh.length) this.write({ topics: fresh.map((c) => ({ name: c.name, partitions: c.partitions })) });
  }

  /** Appends records and commits offsets in one frame: both or neither survive a crash. Returns where the records began in each partition written. */
  append(records: OutRecord[], commits: (OffsetCommit & { group: string })[] = []): OffsetCommit[] {
    const frameRecords = records.map((r) => {
      const n = this.partitionsOf(r.topic).length;
      return { topic: r.topic, partition: partitionFor(r.topic, r.key, n, this.roundRobin), key: r.key, headers: r.headers ?? null, value: r.value };
    });
    const frameCommits: FrameCommit[] = commits.map((c) => {
      const high = this.high(c.topic, c.partition);
      const offset = Number(c.offset);
      if (!Number.isSafeInteger(offset) || offset < 0 || offset > high)
        throw new Error(`cannot commit offset ${c.offset} for ${c.topic}[${c.partition}]: the log ends at ${high}`);
      return { group: c.group, topic: c.topic, partition: c.partition, offset };
    });
    const starts = new Map<string, OffsetCommit>();
    for (const r of frameRecords) {
      const k = `${r.topic}\0${r.partition}`;
      if (!starts.has(k)) starts.set(k, { topic: r.topic, partition: r.partition, offset: String(this.high(r.topic, r.partition)) });
    }
    if (frameRecords.length || frameCommits.length) this.write({ records: frameRecords, commits: frameCommits });
    return [...starts.values()];
  }

  read(topic: string, partition: number, from: number, max: number): LogRecord[] {
    const entries = this.partitionsOf(topic)[partition];
    const out: LogRecord[] = [];
    for (let o = from; o < entries.length && out.length < max; o++) {
      const e = entries[o];
      out.push({ topic, partition, offset: String(o), key: e.key, value: this.journal.read(e.loc), timestamp: e.ts, headers: e.headers ?? {} });
    }
    return out;
  }

  high(topic: string, partition: number): number {
    const p = this.partitionsOf(topic)[partition];
    if (!p) throw new Error(`topic "${topic}" has no partition ${partition}`);
    return p.length;
  }

  committed(group: string, topic: string, partition: number): number | undefined {
    return this.groups.get(group)?.get(`${topic}\0${partition}`);
  }

  deleteGroup(group: string): void {
    this.write({ deleteGroups: [group] });
  }

  offsetForTime(topic: string, partition: number, ts: number): number {
    const entries = this.partitionsOf(topic)[partition];
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (entries[mid].ts < ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.journal.close();
    rmSync(join(this.dir, "LOCK"), { force: true });
    openDirs.delete(resolve(this.dir));
  }
}

const openDirs = new Set<string>();

function takeLock(path: string): void {
  if (existsSync(path)) {
    const pid = Number(readFileSync(path, "utf8"));
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new Error(`the embedded log at ${path.replace(/\/LOCK$/, "")} is in use by process ${pid}; one process owns a state directory at a time`);
    }
  }
  writeFileSync(path, String(process.pid));
}
