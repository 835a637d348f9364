import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import { crc32 } from "node:zlib";

/**
 * The embedded log's single append-only file. Every change (records, offset commits, topic creation)
 * is one frame, written with one write() and checksummed: a frame is either wholly there after a
 * crash or is a torn tail that recovery cuts off. That is what makes "outputs + input offsets"
 * atomic without a second file.
 *
 * frame   := u32 payloadLength | u32 crc32(payload) | payload
 * payload := u32 headerLength | header (JSON) | record values, back to back
 */

export interface FrameRecord {
  topic: string;
  partition: number;
  key: string | null;
  headers: Record<string, string> | null;
  value: Buffer;
}

export interface FrameCommit {
  group: string;
  topic: string;
  partition: number;
  offset: number;
}

export interface Frame {
  ts: number;
  topics?: { name: string; partitions: number }[];
  records?: FrameRecord[];
  commits?: FrameCommit[];
  deleteGroups?: string[];
}

type RecordHeader = [topic: string, partition: number, key: string | null, valueLength: number, headers: Record<string, string> | null];
interface Header {
  ts: number;
  topics?: Frame["topics"];
  recs?: RecordHeader[];
  commits?: [string, string, number, number][];
  del?: string[];
}

/** Where a record's value sits in the journal, so values need not stay in memory. */
export interface ValueLocation {
  position: number;
  length: number;
}

export class Journal {
  private readonly fd: number;
  private size: number;

  private constructor(
    readonly path: string,
    private readonly sync: boolean,
  ) {
    this.fd = openSync(path, "a+");
    this.size = fstatSync(this.fd).size;
  }

  /**
   * Opens the journal, replays every intact frame through `onFrame` (with the location of each record
   * value) and cuts off a torn tail left by a crash mid-write.
   */
  static open(path: string, sync: boolean, onFrame: (f: Frame, values: ValueLocation[]) => void): Journal {
    const j = new Journal(path, sync);
    const end = j.replay(onFrame);
    if (end < j.size) {
      ftruncateSync(j.fd, end);
      j.size = end;
    }
    return j;
  }

  private replay(onFrame: (f: Frame, values: ValueLocation[]) => void): number {
    const head = Buffer.alloc(8);
    let pos = 0;
    while (pos + 8 <= this.size) {
      readSync(this.fd, head, 0, 8, pos);
      const len = head.readUInt32LE(0);
      if (pos + 8 + len > this.size) break;
      const payload = Buffer.alloc(len);
      readSync(this.fd, payload, 0, len, pos + 8);
      if (crc32(payload) !== head.readUInt32LE(4)) break;
      const { frame, values } = decode(payload, pos + 8);
      onFrame(frame, values);
      pos += 8 + len;
    }
    return pos;
  }

  /** Appends one frame; returns where its record values landed. */
  append(frame: Frame): ValueLocation[] {
    const header: Header = { ts: frame.ts };
    if (frame.topics?.length) header.topics = frame.topics;
    if (frame.records?.length) header.recs = frame.records.map((r) => [r.topic, r.partition, r.key, r.value.length, r.headers]);
    if (frame.commits?.length) header.commits = frame.commits.map((c) => [c.group, c.topic, c.partition, c.offset]);
    if (frame.deleteGroups?.length) header.del = frame.deleteGroups;
    const headerBytes = Buffer.from(JSON.stringify(header));
    const lenBytes = Buffer.alloc(4);
    lenBytes.writeUInt32LE(headerBytes.length);
    const payload = Buffer.concat([lenBytes, headerBytes, ...(frame.records ?? []).map((r) => r.value)]);
    const prefix = Buffer.alloc(8);
    prefix.writeUInt32LE(payload.length, 0);
    prefix.writeUInt32LE(crc32(payload), 4);
    const start = this.size;
    const buf = Buffer.concat([prefix, payload]);
    let written = 0;
    while (written < buf.length) written += writeSync(this.fd, buf, written, buf.length - written, start + written);
    if (this.sync) fdatasyncSync(this.fd);
    this.size += buf.length;
    return valueLocations(header.recs ?? [], start + 8 + 4 + headerBytes.length);
  }

  read(loc: ValueLocation): Buffer {
    const b = Buffer.alloc(loc.length);
    readSync(this.fd, b, 0, loc.length, loc.position);
    return b;
  }

  close(): void {
    closeSync(this.fd);
  }
}

function valueLocations(recs: RecordHeader[], firstValueAt: number): ValueLocation[] {
  let pos = firstValueAt;
  return recs.map(([, , , length]) => {
    const loc = { position: pos, length };
    pos += length;
    return loc;
  });
}

function decode(payload: Buffer, payloadStart: number): { frame: Frame; values: ValueLocation[] } {
  const hl = payload.readUInt32LE(0);
  const header = JSON.parse(payload.subarray(4, 4 + hl).toString("utf8")) as Header;
  const values: ValueLocation[] = [];
  let pos = 4 + hl;
  const records = (header.recs ?? []).map(([topic, partition, key, length, headers]) => {
    values.push({ position: payloadStart + pos, length });
    const value = payload.subarray(pos, pos + length);
    pos += length;
    return { topic, partition, key, headers, value };
  });
  return {
    frame: {
      ts: header.ts,
      topics: header.topics,
      records,
      commits: (header.commits ?? []).map(([group, topic, partition, offset]) => ({ group, topic, partition, offset })),
      deleteGroups: header.del,
    },
    values,
  };
}
