import { z } from "zod";
import { DlqEnvelope } from "../../../schemas/records.ts";
import { JsonCodec } from "../../../services/runtime/codec.ts";

/** A tiny test-only record: runtime tests never touch the SelfCodeAlign catalogue. */
export const Item = z.object({ id: z.string().min(1), seq: z.number().int().nonnegative(), hops: z.array(z.string()) });
export type Item = z.infer<typeof Item>;

export function itemSchemas(topic: string): z.ZodType {
  return topic.endsWith(".dlq") ? DlqEnvelope : Item;
}

export const itemCodec = () => new JsonCodec(itemSchemas);

export function item(seq: number): Item {
  return { id: `item-${seq}`, seq, hops: [] };
}
