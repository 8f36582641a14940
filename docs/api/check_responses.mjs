// Checks recorded HTTP exchanges against the services' OpenAPI documents: every
// response the end-to-end suites received (tests/support/http_client.cpp writes one
// JSON line per exchange when SVC_E2E_RESPONSES names a file) must be one the
// document of its path and method promises: a documented status, the headers it
// marks required, and a JSON body valid against its schema.
//
// usage: node check_responses.mjs RECORDED.jsonl BUNDLED-DOC.json...
// (the documents bundled and dereferenced by `redocly bundle --dereferenced`).
// A path no document has, or a method its path lacks, is checked against the
// error envelope only: those are the 404 and 405 answers the suites provoke.
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const [recordedFile, ...docFiles] = process.argv.slice(2);
if (!recordedFile || docFiles.length === 0) {
  console.error("usage: node check_responses.mjs RECORDED.jsonl DOC.json...");
  process.exit(2);
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const docs = docFiles.map((f) => JSON.parse(readFileSync(f, "utf8")));
const validators = new Map();
function validatorFor(schema) {
  if (!validators.has(schema)) validators.set(schema, ajv.compile(schema));
  return validators.get(schema);
}

// The document's path template that `path` instantiates ({name} is one segment).
function matchPath(doc, path) {
  const segments = path.split("/");
  for (const template of Object.keys(doc.paths ?? {})) {
    const parts = template.split("/");
    if (parts.length !== segments.length) continue;
    if (parts.every((p, i) => (p.startsWith("{") && p.endsWith("}") ? segments[i] !== "" : p === segments[i])))
      return template;
  }
  return null;
}

function responseFor(operation, status) {
  const responses = operation.responses ?? {};
  return responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default ?? null;
}

// Problems with one exchange against one document; null when the document has
// nothing to say about its path.
function problemsIn(doc, exchange) {
  const path = exchange.target.split("?")[0];
  const template = matchPath(doc, path);
  if (!template) return null;
  const method = (exchange.method === "HEAD" ? "get" : exchange.method.toLowerCase());
  const operation = doc.paths[template][method];
  if (!operation) return exchange.method === "OPTIONS" ? [] : errorEnvelopeProblems(doc, exchange);
  const response = responseFor(operation, exchange.status);
  if (!response) return [`status ${exchange.status} is not documented for ${method.toUpperCase()} ${template}`];
  const problems = [];
  for (const [name, header] of Object.entries(response.headers ?? {}))
    if (header.required && !(name.toLowerCase() in exchange.headers))
      problems.push(`required header ${name} missing`);
  const schema = response.content?.["application/json"]?.schema;
  if (schema && exchange.method !== "HEAD" && exchange.body !== "") problems.push(...bodyProblems(schema, exchange));
  else if (schema && exchange.method !== "HEAD" && exchange.body === "") problems.push("documented JSON body missing");
  return problems;
}

function errorEnvelopeProblems(doc, exchange) {
  const schema = doc.components?.schemas?.ErrorEnvelope;
  if (!schema || exchange.status < 400) return [`${exchange.method} is not documented for this path`];
  return bodyProblems(schema, exchange);
}

function bodyProblems(schema, exchange) {
  let body;
  try {
    body = JSON.parse(exchange.body);
  } catch {
    return ["body is not JSON"];
  }
  const validate = validatorFor(schema);
  if (validate(body)) return [];
  return validate.errors.map((e) => `body${e.instancePath} ${e.message}`);
}

const lines = readFileSync(recordedFile, "utf8").split("\n").filter((l) => l.trim() !== "");
let checked = 0;
let failed = 0;
const seen = new Set();
for (const line of lines) {
  const exchange = JSON.parse(line);
  const verdicts = docs.map((doc) => problemsIn(doc, exchange)).filter((p) => p !== null);
  if (verdicts.length === 0) continue;  // a path neither document has (the suites' 404 probes): no contract
  ++checked;
  if (verdicts.some((p) => p.length === 0)) continue;  // one document (of the service answering) is kept
  const key = `${exchange.method} ${exchange.target.split("?")[0]} ${exchange.status}: ${verdicts[0].join("; ")}`;
  ++failed;
  if (seen.has(key)) continue;
  seen.add(key);
  console.error(`NOT AS DOCUMENTED: ${exchange.method} ${exchange.target} -> ${exchange.status}: ${verdicts[0].join("; ")}`);
  console.error(`  body: ${exchange.body.slice(0, 300)}`);
}
console.log(`${checked} responses checked against ${docs.length} documents, ${failed} not as documented`);
if (checked === 0) {
  console.error(`no responses recorded in ${recordedFile}: did the end-to-end suites run?`);
  process.exit(1);
}
process.exit(failed === 0 ? 0 : 1);
