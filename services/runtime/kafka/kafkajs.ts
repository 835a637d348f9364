/**
 * kafkajs, with kafkajs-patch.ts applied before any of its producer modules loads: the one module
 * to import kafkajs from (types may come from "kafkajs" directly).
 */
import "./kafkajs-patch.ts";
import kafkajs from "kafkajs";

export default kafkajs;
