import { closeSync, openSync, readdirSync, readSync } from "node:fs";
import { join } from "node:path";

const LICENSE_FILE = /^(licen[cs]e|copying)(\.(txt|md|rst))?$/i;

/** Recognisable openings of common licence texts, most specific first. */
const KNOWN: Array<[RegExp, string]> = [
  [/PYTHON SOFTWARE FOUNDATION LICENSE/i, "PSF-2.0"],
  [/Apache License,?\s+Version 2\.0/i, "Apache-2.0"],
  [/GNU AFFERO GENERAL PUBLIC LICENSE\s+Version 3/i, "AGPL-3.0"],
  [/GNU LESSER GENERAL PUBLIC LICENSE\s+Version 3/i, "LGPL-3.0"],
  [/GNU LESSER GENERAL PUBLIC LICENSE\s+Version 2\.1/i, "LGPL-2.1"],
  [/GNU GENERAL PUBLIC LICENSE\s+Version 3/i, "GPL-3.0"],
  [/GNU GENERAL PUBLIC LICENSE\s+Version 2/i, "GPL-2.0"],
  [/Mozilla Public License,?\s+(Version|v\.?)\s*2\.0/i, "MPL-2.0"],
  [/Permission is hereby granted, free of charge/i, "MIT"],
  [/Redistribution and use in source and binary forms[\s\S]*Neither the name/i, "BSD-3-Clause"],
  [/Redistribution and use in source and binary forms/i, "BSD-2-Clause"],
  [/This is free and unencumbered software released into the public domain/i, "Unlicense"],
  [/ISC License/i, "ISC"],
];

/** The SPDX id of the licence file at the root of a repository, "unknown" when there is none we recognise. */
export function detectLicense(dir: string): string {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => LICENSE_FILE.test(n))
      .sort();
  } catch {
    return "unknown";
  }
  for (const n of names) {
    const head = readHead(join(dir, n), 16_384);
    for (const [re, id] of KNOWN) if (re.test(head)) return id;
  }
  return "unknown";
}

function readHead(path: string, bytes: number): string {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n).toString("utf8");
  } finally {
    closeSync(fd);
  }
}
