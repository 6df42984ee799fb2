// run.mjs - run every operation of docs/openapi.yaml against the real
// binaries and check each answer against the document: the status is one the
// operation lists, the content type matches, and the body validates against
// the schema (JSON Schema 2020-12, as OpenAPI 3.1 uses).  Fails if any
// operation of the document was not exercised, so the document cannot grow
// an endpoint the test does not try.
//
// usage: OPENAPI_TARGETS="stateless=http://127.0.0.1:P1 stateful=http://127.0.0.1:P2" node run.mjs
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import YAML from "yaml";

const here = fileURLToPath(new URL(".", import.meta.url));
const spec = YAML.parse(readFileSync(`${here}/../../docs/openapi.yaml`, "utf8"));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(spec, "spec");

let passed = 0;
let failed = 0;
const covered = new Set();

function ok(what) {
  passed++;
  console.log(`ok - ${what}`);
}

function fail(what) {
  failed++;
  console.log(`not ok - ${what}`);
}

// Follow a local "#/..." reference inside the document.
function deref(node) {
  while (node && node.$ref) {
    const parts = node.$ref.replace(/^#\//, "").split("/")
      .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    node = parts.reduce((n, p) => n[p], spec);
  }
  return node;
}

function pointer(...parts) {
  return "spec#/" + parts.map((p) => String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
}

// One call: send it, then hold the answer against the document.
async function call(base, label, template, method, path, { token, body, type, headers = {} } = {}) {
  const op = spec.paths[template]?.[method.toLowerCase()];
  if (!op) {
    fail(`${label}: ${method} ${template} is not in the document`);
    return {};
  }
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h["Content-Type"] = type ?? "application/json";
  const res = await fetch(base + path, {
    method,
    headers: h,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const status = String(res.status);
  const what = `${label}: ${method} ${path} -> ${status}`;
  covered.add(`${method} ${template}`);
  const response = deref(op.responses[status]);
  if (!response) {
    fail(`${what}: status not documented for this operation`);
    return { status: res.status, text };
  }
  if (!res.headers.get("x-served-by")) fail(`${what}: no X-Served-By`);
  const ctype = (res.headers.get("content-type") ?? "").split(";")[0].trim();
  if (!response.content) {
    if (text.length === 0) ok(what);
    else fail(`${what}: a body where the document has none`);
    return { status: res.status, text };
  }
  const media = Object.keys(response.content);
  if (!media.includes(ctype)) {
    fail(`${what}: content type ${ctype}, documented ${media.join(", ")}`);
    return { status: res.status, text };
  }
  if (ctype.endsWith("json")) {
    let doc;
    try {
      doc = JSON.parse(text);
    } catch {
      fail(`${what}: body is not JSON`);
      return { status: res.status, text };
    }
    // Validate against the schema as written in the document.
    const refPath = op.responses[status].$ref
      ? [...op.responses[status].$ref.replace(/^#\//, "").split("/"), "content", ctype, "schema"]
      : ["paths", template, method.toLowerCase(), "responses", status, "content", ctype, "schema"];
    const validate = ajv.compile({ $ref: pointer(...refPath) });
    if (validate(doc)) ok(what);
    else fail(`${what}: ${ajv.errorsText(validate.errors)}`);
    return { status: res.status, doc, text };
  }
  ok(what);
  return { status: res.status, text };
}

async function walk(label, base) {
  const c = (...a) => call(base, label, ...a);
  const { doc } = await c("/api/sessions", "POST", "/api/sessions", { body: { user: "alice" } });
  const token = doc?.token;
  await c("/api/sessions", "POST", "/api/sessions", { body: "{" });
  await c("/api/sessions", "POST", "/api/sessions", { body: "{}", type: "text/plain" });
  await c("/api/sessions", "POST", "/api/sessions", { body: { user: "no spaces" } });
  await c("/api/sessions", "POST", "/api/sessions", { body: "x".repeat(17000) });
  await c("/api/session", "GET", "/api/session", { token });
  await c("/api/session", "GET", "/api/session", {});
  await c("/api/session/counter", "POST", "/api/session/counter", { token });
  await c("/api/session/counter", "POST", "/api/session/counter", { token, body: { by: 5 } });
  await c("/api/session/counter", "POST", "/api/session/counter", { token, body: { by: "x" } });
  await c("/api/session/counter", "POST", "/api/session/counter", { token, body: "[", });
  await c("/api/session/counter", "POST", "/api/session/counter", { token, body: "{}", type: "text/plain" });
  await c("/api/session/data/{key}", "PUT", "/api/session/data/color", { token, body: "blue" });
  await c("/api/session/data/{key}", "PUT", "/api/session/data/big", { token, body: "x".repeat(5000) });
  await c("/api/session/data/{key}", "PUT", "/api/session/data/bad%20key", { token, body: 1 });
  await c("/api/session/data/{key}", "PUT", "/api/session/data/k", { token, body: "{", });
  await c("/api/session/data/{key}", "PUT", "/api/session/data/k", { token, body: "1", type: "text/plain" });
  await c("/api/session/data/{key}", "GET", "/api/session/data/color", { token });
  await c("/api/session/data/{key}", "GET", "/api/session/data/none", { token });
  await c("/api/session/data/{key}", "GET", "/api/session/data/bad%20key", { token });
  await c("/api/session/data/{key}", "DELETE", "/api/session/data/color", { token });
  await c("/api/session/data/{key}", "DELETE", "/api/session/data/bad%20key", { token });
  await c("/api/session/data/{key}", "DELETE", "/api/session/data/color", {});
  await c("/api/info", "GET", "/api/info");
  await c("/healthz", "GET", "/healthz");
  await c("/readyz", "GET", "/readyz");
  await c("/metrics", "GET", "/metrics");
  await c("/", "GET", "/");
  await c("/api/admin/ready", "POST", "/api/admin/ready", { body: { ready: "yes" } });
  await c("/api/admin/ready", "POST", "/api/admin/ready", { body: { ready: false } });
  await c("/readyz", "GET", "/readyz");
  await c("/api/admin/ready", "POST", "/api/admin/ready", { body: { ready: true } });
  await c("/api/session", "DELETE", "/api/session", { token });
  await c("/api/session", "DELETE", "/api/session", { token });
  await c("/api/session/counter", "POST", "/api/session/counter", { token });
  await c("/api/admin/crash", "POST", "/api/admin/crash");
}

const targets = (process.env.OPENAPI_TARGETS ?? "").split(/\s+/).filter(Boolean);
if (targets.length === 0) {
  console.error("run.mjs: set OPENAPI_TARGETS to 'name=URL ...'");
  process.exit(2);
}
for (const t of targets) {
  const [label, base] = t.split("=");
  await walk(label, base);
}
for (const [path, item] of Object.entries(spec.paths)) {
  for (const method of Object.keys(item).filter((k) => k !== "parameters")) {
    const key = `${method.toUpperCase()} ${path}`;
    if (covered.has(key)) ok(`the document's ${key} was exercised`);
    else fail(`the document's ${key} was never exercised`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
