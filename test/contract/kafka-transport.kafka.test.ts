import { KafkaTransport } from "../../services/runtime/kafka/index.ts";
import { kafkaBrokers, quietLog } from "../kafka/env.ts";
import { describeTransportContract } from "./transport-contract.ts";

describeTransportContract("kafka", async () => new KafkaTransport({ brokers: kafkaBrokers(), clientId: "contract" }, quietLog));
