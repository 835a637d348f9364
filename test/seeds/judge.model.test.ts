import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LlmClient } from "../../services/llm/client.ts";
import { llmConfigFromEnv } from "../../services/llm/config.ts";
import { type LocalModelServer, startLocalModelServer } from "../../services/llm/local-model/server.ts";
import { FilterChain } from "../../services/seeds/chain.ts";
import { qualityJudgeFilter } from "../../services/seeds/filters/quality-judge.ts";
import { standaloneFilter } from "../../services/seeds/filters/standalone.ts";
import { Funnel } from "../../services/seeds/funnel.ts";
import { pythonParser } from "../../services/seeds/grammar.ts";
import { JUDGE_EXAMPLES, judgePrompt, judgeSaysYes, splitDocstring } from "../../services/seeds/judge.ts";
import { installedModelPath } from "../llm/local-model/model-env.ts";
import { candidateFrom } from "./helpers.ts";

const SEED =
  'import math\n\n\ndef hypotenuse(a, b):\n    """Length of the hypotenuse of a right triangle\n    with legs a and b.\n    """\n    return math.sqrt(a * a + b * b)\n';

describe("quality judge prompt and answer", () => {
  it("shows the code without its docstring, then the docstring, then asks for the verdict", () => {
    expect(splitDocstring(SEED)).toEqual({
      code: "import math\n\n\ndef hypotenuse(a, b):\n    return math.sqrt(a * a + b * b)",
      description: "Length of the hypotenuse of a right triangle\nwith legs a and b.",
    });
    const p = judgePrompt(SEED);
    expect(p.endsWith("### Description\nLength of the hypotenuse of a right triangle\nwith legs a and b.\n### Verdict\n")).toBe(true);
    expect(p.split("## Example ")).toHaveLength(JUDGE_EXAMPLES.length + 2);
  });

  it("keeps only answers with more yes than no", () => {
    expect(judgeSaysYes(" Yes")).toBe(true);
    expect(judgeSaysYes("YES.")).toBe(true);
    expect(judgeSaysYes(" No")).toBe(false);
    expect(judgeSaysYes("yes or no")).toBe(false);
    expect(judgeSaysYes("")).toBe(false);
  });
});

describe("quality judge on the real small model", () => {
  let server: LocalModelServer;
  beforeAll(async () => {
    server = await startLocalModelServer({ modelPath: await installedModelPath(), sequences: 2, contextSize: 4096, log: pino({ level: "silent" }) });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("asks the model about each function of a batch and drops those it does not answer Yes for", async () => {
    const llm = new LlmClient(llmConfigFromEnv({ LLM_BASE_URL: server.baseURL, LLM_MODEL: server.model }));
    const answers: string[] = [];
    const recording = {
      complete: async (...args: Parameters<LlmClient["complete"]>) => {
        const r = await llm.complete(...args);
        answers.push(r.choices[0].text);
        return r;
      },
    };
    const parser = await pythonParser();
    const filters = [standaloneFilter(parser), qualityJudgeFilter(recording)];
    const funnel = new Funnel(filters);
    const kept: string[] = [];
    const chain = new FilterChain(filters, funnel, 3, async (c) => {
      kept.push(c.fn.name);
    });
    const sources = [
      SEED,
      'def is_even(n):\n    """Return True when n is even."""\n    return n % 2 == 0\n',
      'def first_word(text):\n    """Parse the configuration file and open a network connection."""\n    return text.split()[0]\n',
    ];
    for (const s of sources) await chain.push(await candidateFrom(s));
    await chain.finish();
    expect(answers).toHaveLength(3);
    const judge = funnel.filter("quality_judge");
    expect(judge.in).toBe(3);
    expect(kept.length + judge.dropped).toBe(3);
    expect(kept.length).toBe(answers.filter(judgeSaysYes).length);
  });
});
