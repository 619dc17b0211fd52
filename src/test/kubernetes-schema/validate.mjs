// Validates Kubernetes objects offline against the schemas of the Kubernetes version that the pinned
// kubernetes-models package was generated from (see KUBERNETES_VERSION), and Prometheus Operator objects against
// @kubernetes-models/prometheus-operator. Reads YAML documents (e.g. `kubectl kustomize` output) from the files
// named as arguments, or from standard input. Prints one line per object, "ok <apiVersion> <kind> <name>" or
// "invalid <apiVersion> <kind> <name>: <errors>", and exits 1 when any object is invalid or of a kind it cannot
// check. Used by KubernetesManifestsTest; install the packages with `npm ci` in this directory.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

// kubernetes-models 5.x is generated from Kubernetes v1.36.0 (its change log, 5.0.0).
export const KUBERNETES_VERSION = "1.36.0";

// Where the model of an apiVersion lives: core "v1" -> kubernetes-models/v1, "apps/v1" -> kubernetes-models/apps/v1.
function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "monitoring.coreos.com") {
    return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  }
  return group === "" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
}

async function validate(object) {
  const { apiVersion, kind } = object ?? {};
  const name = object?.metadata?.name ?? "(no name)";
  const label = `${apiVersion} ${kind} ${name}`;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return `invalid ${label}: apiVersion and kind are required`;
  }
  let model;
  try {
    model = (await import(modulePath(apiVersion, kind)))[kind];
  } catch (e) {
    return `invalid ${label}: no schema for this apiVersion and kind (${e.code ?? e.message})`;
  }
  if (typeof model !== "function") {
    return `invalid ${label}: no schema for this apiVersion and kind`;
  }
  try {
    new model(object).validate();
    return `ok ${label}`;
  } catch (e) {
    const details = Array.isArray(e.errors)
      ? e.errors.map((err) => `${err.instancePath || "/"} ${err.message}`).join("; ")
      : e.message;
    return `invalid ${label}: ${details}`;
  }
}

const inputs = process.argv.length > 2
  ? process.argv.slice(2).map((file) => readFileSync(file, "utf8"))
  : [readFileSync(0, "utf8")];
let failed = false;
let count = 0;
console.log(`kubernetes-schema ${KUBERNETES_VERSION}`);
for (const text of inputs) {
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      console.log(`invalid YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
      failed = true;
      continue;
    }
    const object = doc.toJS();
    if (object === null || object === undefined) {
      continue;
    }
    const line = await validate(object);
    console.log(line);
    count++;
    failed ||= !line.startsWith("ok ");
  }
}
if (count === 0) {
  console.log("invalid: no object found");
  failed = true;
}
process.exit(failed ? 1 : 0);
