// Checks the chart's cert-manager and Prometheus Operator objects against those projects'
// own schemas, as compiled into the npm models (@kubernetes-models/cert-manager and
// /prometheus-operator): the API server's dry-run checks only their metadata (their CRDs
// here keep the spec as given).
//
//   MODELS_DIR=<tools.sh's k8s-models directory> node validate_models.mjs OBJECTS.json
// OBJECTS.json: a JSON array of the rendered objects. Exits 1 naming every invalid one.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const dir = `${process.env.MODELS_DIR}/node_modules/@kubernetes-models`;
const cm = await import(pathToFileURL(`${dir}/cert-manager/cert-manager.io/v1/index.js`));
const mon = await import(pathToFileURL(`${dir}/prometheus-operator/monitoring.coreos.com/v1/index.js`));
const models = {
  "cert-manager.io/v1": { Certificate: cm.Certificate, Issuer: cm.Issuer, ClusterIssuer: cm.ClusterIssuer },
  "monitoring.coreos.com/v1": { PrometheusRule: mon.PrometheusRule, ServiceMonitor: mon.ServiceMonitor },
};

const objects = JSON.parse(readFileSync(process.argv[2], "utf8"));
let checked = 0;
const problems = [];
for (const o of objects) {
  const group = models[o.apiVersion];
  if (!group) continue;
  const Model = group[o.kind];
  const what = `${o.kind} ${o.metadata?.name}`;
  if (!Model) {
    problems.push(`${what}: no model for ${o.apiVersion} ${o.kind}`);
    continue;
  }
  checked++;
  try {
    new Model(o).validate();
  } catch (e) {
    problems.push(`${what}: ${e.message}`);
  }
}
for (const p of problems) console.error(`validate_models: ${p}`);
console.log(`validate_models: ${checked} cert-manager and Prometheus Operator objects, ${problems.length} invalid`);
process.exit(problems.length || checked === 0 ? 1 : 0);
