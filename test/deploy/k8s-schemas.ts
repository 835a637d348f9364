/**
 * Offline validation of rendered Kubernetes objects against the real API schemas: the OpenAPI
 * schemas of Kubernetes (npm kubernetes-models) and the CRD schemas of KEDA
 * (@kubernetes-models/keda), compiled validators both. Those schemas allow unknown fields (the API
 * server prunes them silently), so a misspelt field would pass: strictValidate also reports every
 * field of a checked object that the validator never looked up.
 */
import * as k8s from "kubernetes-models";
import * as keda from "@kubernetes-models/keda";

interface ModelClass {
  apiVersion: string;
  kind: string;
  prototype: { validate(): void };
}

function isModelClass(v: unknown): v is ModelClass {
  return typeof v === "function" && typeof (v as Partial<ModelClass>).apiVersion === "string" && typeof (v as Partial<ModelClass>).kind === "string";
}

/** Every model class of both packages, by "apiVersion/kind". */
function collectModels(): Map<string, ModelClass> {
  const out = new Map<string, ModelClass>();
  const visit = (ns: unknown, depth: number) => {
    if (!ns || typeof ns !== "object" || depth > 4) return;
    for (const v of Object.values(ns as Record<string, unknown>)) {
      if (isModelClass(v)) out.set(`${v.apiVersion}/${v.kind}`, v);
      else visit(v, depth + 1);
    }
  };
  visit(k8s, 0);
  visit(keda, 0);
  return out;
}

const MODELS = collectModels();

export function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  return MODELS.get(`${apiVersion}/${kind}`);
}

interface Seen {
  path: string;
  target: Record<string, unknown>;
  read: Set<string>;
  enumerated: boolean;
}

/** Wraps a plain object tree so that every property lookup the validator makes is recorded. */
function track(value: unknown, path: string, seen: Seen[]): unknown {
  if (!value || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v, i) => track(v, `${path}[${i}]`, seen));
  const target = value as Record<string, unknown>;
  const s: Seen = { path, target, read: new Set(), enumerated: false };
  seen.push(s);
  const children = new Map<string, unknown>();
  return new Proxy(target, {
    get(t, key, receiver) {
      if (typeof key !== "string") return Reflect.get(t, key, receiver);
      s.read.add(key);
      if (!Object.hasOwn(t, key)) return undefined;
      if (!children.has(key)) children.set(key, track(t[key], `${path}.${key}`, seen));
      return children.get(key);
    },
    ownKeys(t) {
      s.enumerated = true;
      return Reflect.ownKeys(t);
    },
  });
}

/** Problems of one object: schema violations, then fields the schema does not know. Empty = valid. */
export function strictValidate(obj: Record<string, unknown>): string[] {
  const { apiVersion, kind } = obj as { apiVersion?: string; kind?: string };
  const name = `${kind}/${(obj.metadata as { name?: string } | undefined)?.name ?? "?"}`;
  if (!apiVersion || !kind) return [`${name}: no apiVersion or kind`];
  const model = modelFor(apiVersion, kind);
  if (!model) return [`${name}: no schema for ${apiVersion} ${kind} in kubernetes-models or @kubernetes-models/keda`];
  const seen: Seen[] = [];
  try {
    model.prototype.validate.call(track(obj, "", seen));
  } catch (e) {
    return [`${name}: ${(e as Error).message}`];
  }
  const unknown: string[] = [];
  for (const s of seen) {
    // A map (labels, data, limits) is enumerated; an object the schema leaves opaque is never read.
    if (s.enumerated || s.read.size === 0) continue;
    for (const key of Object.keys(s.target))
      if (!s.read.has(key)) unknown.push(`${name}: unknown field ${s.path}.${key}`.replace(": unknown field .", ": unknown field "));
  }
  return unknown;
}
