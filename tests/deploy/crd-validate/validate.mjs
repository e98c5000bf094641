// Reads a JSON array of Kubernetes resources on stdin; validates each custom resource against its CRD's
// schema (Strimzi, Prometheus Operator) and prints a JSON array of {kind, name, ok, error}. A kind without
// a schema here is an error, never a pass.
import * as strimzi from "@kubernetes-models/strimzi-kafka-operator";
import * as monitoring from "@kubernetes-models/prometheus-operator";

const models = {};
const collect = (node, depth) => {
  for (const value of Object.values(node)) {
    if (typeof value === "function" && value.apiVersion && value.kind) {
      models[`${value.apiVersion}/${value.kind}`] = value;
    } else if (value && typeof value === "object" && depth < 3) {
      collect(value, depth + 1); // package -> API group -> version -> model
    }
  }
};
collect({ strimzi, monitoring }, 0);

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = JSON.parse(input).map((doc) => {
  const id = `${doc.apiVersion}/${doc.kind}`;
  const result = { kind: id, name: doc.metadata?.name, ok: false, error: null };
  const Model = models[id];
  if (!Model) {
    result.error = `no schema for ${id}`;
    return result;
  }
  try {
    new Model(doc).validate();
    result.ok = true;
  } catch (e) {
    result.error = String(e.message ?? e);
  }
  return result;
});
process.stdout.write(JSON.stringify(results));
