import { z } from "zod";
import { Category, Difficulty } from "../../../schemas/records.ts";

/**
 * One worked example for the few-shot prompts: a seed snippet and its concepts (S→C), the task
 * properties and the task (C→I), and a response with its own tests (I→R). Code is stored without
 * markdown fences; the prompt renders them.
 */
export const FewShotExample = z.object({
  name: z.string().regex(/^[a-z0-9-]+$/),
  snippet: z.string().min(1),
  concepts: z.array(z.string().min(1)).min(2),
  category: Category,
  language: z.literal("Python"),
  difficulty: Difficulty,
  instruction: z.string().min(1),
  response: z.object({
    approach: z.string().min(1).describe("the reasoning before the code"),
    code: z.string().min(1),
    explanation: z.string().min(1).describe("what the code does and why, after it"),
  }),
  tests: z.string().min(1).describe("plain Python asserts that exercise the response's code"),
});
export type FewShotExample = z.infer<typeof FewShotExample>;
