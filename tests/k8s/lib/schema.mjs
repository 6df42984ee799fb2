// tests/k8s/lib/schema.mjs - validate a Kubernetes object offline against
// the API's own schema, as strictly as the API server does.
//
// Two passes, because each catches what the other cannot:
//   1. values: the JSON schemas that kubernetes-models generated from the
//      Kubernetes OpenAPI document (and @kubernetes-models/prometheus-operator
//      from the ServiceMonitor CRD), run by ajv: required fields, types,
//      enums, patterns.
//   2. field names: those schemas allow unknown fields, so a typo such as
//      `terminationGracePeriodSecond` would pass them and be dropped by the
//      API server.  The TypeScript declarations of the same packages list
//      every field of every type; the TypeScript checker walks the object
//      along them and reports any field the type does not have (what
//      kubeconform -strict and kubectl --validate=strict report).
// An apiVersion/kind that neither package knows is an error: nothing is
// ever waved through unvalidated.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');			// tests/k8s, holds node_modules
const require = createRequire(join(ROOT, 'package.json'));
const ts = require('typescript');

// apiVersion + kind -> module that declares the model.
function modulePath(apiVersion, kind) {
	if (typeof apiVersion !== 'string' || typeof kind !== 'string' ||
	    !/^[A-Z][A-Za-z0-9]*$/.test(kind))
		return null;
	if (apiVersion === 'monitoring.coreos.com/v1')
		return `@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${kind}`;
	const parts = apiVersion.split('/');
	if (parts.length === 1)
		return `kubernetes-models/${apiVersion}/${kind}`;	// core group
	if (parts.length === 2)
		return `kubernetes-models/${parts[0]}/${parts[1]}/${kind}`;
	return null;
}

function loadModel(apiVersion, kind) {
	const mod = modulePath(apiVersion, kind);
	if (mod === null)
		return null;
	try {
		const cls = require(mod)[kind];
		return typeof cls === 'function' ? { mod, cls } : null;
	} catch (e) {
		if (e.code === 'MODULE_NOT_FOUND' ||
		    e.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED')
			return null;
		throw e;
	}
}

// ---- pass 2: field names, through the TypeScript checker ----------------

// One program for every type asked about so far; rebuilt (a second or so)
// only when a new kind shows up.
let program = null;
let programKinds = [];

// Kinds the lab uses, declared up front so the first program covers them.
const COMMON = [['v1', 'Namespace'], ['v1', 'ServiceAccount'], ['v1', 'Service'],
    ['v1', 'Secret'], ['v1', 'ConfigMap'], ['apps/v1', 'Deployment'],
    ['apps/v1', 'StatefulSet'], ['policy/v1', 'PodDisruptionBudget'],
    ['networking.k8s.io/v1', 'NetworkPolicy'], ['monitoring.coreos.com/v1', 'ServiceMonitor']];

function typeFor(mod, kind) {
	const key = `${mod}#${kind}`;
	if (program === null || !programKinds.includes(key)) {
		if (program === null)
			programKinds = COMMON.map(([a, k]) => `${modulePath(a, k)}#${k}`);
		if (!programKinds.includes(key))
			programKinds = [...programKinds, key];
		const entry = join(ROOT, '__statelab_entry.ts');
		const src = programKinds.map((k, i) => {
			const [m, kd] = k.split('#');
			return `import type { I${kd} as T${i} } from ${JSON.stringify(m)};\n` +
			    `export type E${i} = T${i};\n`;
		}).join('');
		const options = {
			noEmit: true,
			strict: true,
			skipLibCheck: true,
			types: [],
			target: ts.ScriptTarget.ES2020,
			module: ts.ModuleKind.CommonJS,
			moduleResolution: ts.ModuleResolutionKind.Node10,
		};
		const host = ts.createCompilerHost(options);
		const getSourceFile = host.getSourceFile.bind(host);
		const fileExists = host.fileExists.bind(host);
		host.getSourceFile = (f, lang, ...rest) => (f === entry ?
		    ts.createSourceFile(f, src, lang) : getSourceFile(f, lang, ...rest));
		host.fileExists = (f) => f === entry || fileExists(f);
		program = ts.createProgram([entry], options, host, program ?? undefined);
		const sf = program.getSourceFile(entry);
		const diags = [...program.getSyntacticDiagnostics(sf),
		    ...program.getSemanticDiagnostics(sf)];
		if (diags.length > 0)
			throw new Error('schema: ' + ts.flattenDiagnosticMessageText(
			    diags[0].messageText, '\n'));
	}
	const checker = program.getTypeChecker();
	const sf = program.getSourceFile(join(ROOT, '__statelab_entry.ts'));
	const i = programKinds.indexOf(`${mod}#${kind}`);
	const sym = checker.getSymbolAtLocation(sf).exports.get(`E${i}`);
	return { checker, type: checker.getDeclaredTypeOfSymbol(sym) };
}

const SCALAR = ts.TypeFlags.StringLike | ts.TypeFlags.NumberLike |
    ts.TypeFlags.BooleanLike | ts.TypeFlags.BigIntLike | ts.TypeFlags.Null |
    ts.TypeFlags.Undefined | ts.TypeFlags.Void | ts.TypeFlags.Never;

function isArray(checker, t) {
	return checker.isArrayType ? checker.isArrayType(t) :
	    t.symbol?.name === 'Array';
}

// Appends to errs a message for every field of value that type lacks.
function walk(checker, type, value, path, errs) {
	if (value === null || typeof value !== 'object')
		return;
	if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown))
		return;
	let members = type.isUnion() ? type.types : [type];
	members = members.filter((m) => !(m.flags & SCALAR));
	members = members.filter((m) => isArray(checker, m) === Array.isArray(value));
	if (members.length === 0)
		return;		// a type mismatch: pass 1 reports it
	if (members.length > 1) {
		// Accept the first alternative that fits, else report the first.
		const tries = members.map((m) => {
			const e = [];
			walk(checker, m, value, path, e);
			return e;
		});
		errs.push(...(tries.find((e) => e.length === 0) ?? tries[0]));
		return;
	}
	const t = members[0];
	if (Array.isArray(value)) {
		const [elem] = checker.getTypeArguments(t);
		value.forEach((v, i) => walk(checker, elem, v, `${path}[${i}]`, errs));
		return;
	}
	const index = checker.getIndexInfosOfType(t)
	    .find((ix) => ix.keyType.flags & ts.TypeFlags.String);
	for (const [k, v] of Object.entries(value)) {
		const prop = checker.getPropertyOfType(t, k);
		const where = path === '' ? k : `${path}.${k}`;
		if (prop !== undefined) {
			const pt = checker.getNonNullableType(
			    checker.getTypeOfSymbol(prop));
			walk(checker, pt, v, where, errs);
		} else if (index !== undefined) {
			walk(checker, index.type, v, where, errs);
		} else {
			errs.push(`${where}: unknown field "${k}"`);
		}
	}
}

// kustomize folds long base64 values of Secrets over several lines.  The API
// server decodes []byte fields with Go's base64 decoder, which skips \r and
// \n, so do the same before the "byte" format check.
function normalise(obj) {
	const fold = (m) => (m === null || typeof m !== 'object' ? m :
	    Object.fromEntries(Object.entries(m).map(([k, v]) =>
		[k, typeof v === 'string' ? v.replace(/[\r\n]/g, '') : v])));
	if (obj.kind === 'Secret' && obj.data !== undefined)
		return { ...obj, data: fold(obj.data) };
	if (obj.kind === 'ConfigMap' && obj.binaryData !== undefined)
		return { ...obj, binaryData: fold(obj.binaryData) };
	return obj;
}

// ---- public --------------------------------------------------------------

// Returns a list of messages, empty when obj is a valid object of its kind.
export function validate(obj) {
	const model = loadModel(obj?.apiVersion, obj?.kind);
	if (model === null)
		return [`no schema for apiVersion "${obj?.apiVersion}" kind "${obj?.kind}"`];
	const errs = [];
	try {
		new model.cls(normalise(obj)).validate();
	} catch (e) {
		const list = e.errors ?? [{ instancePath: '', message: e.message }];
		for (const x of list) {
			const extra = x.params?.additionalProperty ??
			    x.params?.missingProperty ?? x.params?.allowedValues;
			errs.push(`${x.instancePath.slice(1).replaceAll('/', '.') || '(root)'}: ` +
			    `${x.message}${extra !== undefined ? ` (${extra})` : ''}`);
		}
	}
	const { checker, type } = typeFor(model.mod, obj.kind);
	walk(checker, type, obj, '', errs);
	return errs;
}
