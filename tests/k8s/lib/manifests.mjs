// tests/k8s/lib/manifests.mjs - render every kustomization under k8s/ and
// give the tests the objects in it.
//
// A "target" is a directory with a kustomization.yaml: k8s/base and each
// k8s/overlays/<name>.  Rendering runs `kubectl kustomize` (the kustomize
// built into kubectl, the same code `kubectl apply -k` uses), once per target
// per process, and keeps a copy in build/k8s/<name>.yaml for people to read.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const K8S = join(REPO, 'k8s');
export const OUT = join(resolve(REPO, process.env.O ?? 'build'), 'k8s');
export const NAMESPACE = 'statelab';

// The overlays the lab documents; the tests fail if one goes missing and
// pick up any new one by themselves.
export const OVERLAYS = ['sticky', 'token', 'remote', 'scaled', 'monitoring'];

export function targets() {
	const found = readdirSync(join(K8S, 'overlays'), { withFileTypes: true })
	    .filter((d) => d.isDirectory() &&
		existsSync(join(K8S, 'overlays', d.name, 'kustomization.yaml')))
	    .map((d) => d.name)
	    .sort();
	return [
		{ name: 'base', dir: join(K8S, 'base') },
		...found.map((n) => ({ name: n, dir: join(K8S, 'overlays', n) })),
	];
}

const cache = new Map();

// Returns the rendered text of the kustomization in dir (absolute or
// relative to the repository).  Throws with kubectl's message on failure.
export function renderText(dir) {
	const abs = resolve(REPO, dir);
	if (!cache.has(abs)) {
		const text = execFileSync('kubectl', ['kustomize', abs], {
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'pipe'],
			timeout: 60_000,
		});
		cache.set(abs, text);
	}
	return cache.get(abs);
}

// Parses a multi-document YAML text into plain objects; YAML errors and
// warnings (duplicate keys, bad indentation) are fatal.
export function parseDocs(text, where = 'yaml') {
	const docs = parseAllDocuments(text, { uniqueKeys: true });
	const objs = [];
	for (const doc of docs) {
		if (doc.errors.length > 0)
			throw new Error(`${where}: ${doc.errors[0].message}`);
		if (doc.warnings.length > 0)
			throw new Error(`${where}: ${doc.warnings[0].message}`);
		const obj = doc.toJS();
		if (obj !== null && obj !== undefined)
			objs.push(obj);
	}
	return objs;
}

// The objects of a target, by name ('base', 'token', ...).
export function render(name) {
	const t = targets().find((x) => x.name === name);
	if (t === undefined)
		throw new Error(`no kustomization named ${name}`);
	const text = renderText(t.dir);
	mkdirSync(OUT, { recursive: true });
	writeFileSync(join(OUT, `${name}.yaml`), text);
	return parseDocs(text, `k8s render of ${name}`);
}

export const id = (o) =>
	`${o.kind}/${o.metadata?.namespace ? o.metadata.namespace + '/' : ''}${o.metadata?.name}`;

export function find(objs, kind, name) {
	return objs.find((o) => o.kind === kind && o.metadata?.name === name);
}

export function get(objs, kind, name) {
	const o = find(objs, kind, name);
	if (o === undefined)
		throw new Error(`${kind}/${name} is not in the render`);
	return o;
}

// Workloads: objects that carry a pod template.
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

export function workloads(objs) {
	return objs.filter((o) => WORKLOADS.has(o.kind));
}

export function containerOf(workload) {
	return workload.spec.template.spec.containers[0];
}

export function envOf(container) {
	const env = {};
	for (const e of container.env ?? [])
		env[e.name] = e.value ?? e.valueFrom;
	return env;
}

// Does a label selector (matchLabels only, which is all the lab uses)
// select this label set?
export function selects(selector, labels) {
	const want = selector ?? {};
	return Object.keys(want).length > 0 &&
	    Object.entries(want).every(([k, v]) => labels?.[k] === v);
}

// The value of --flag in an argument list, for both "--flag value" and
// "--flag=value"; undefined when absent.
export function argValue(args, flag) {
	const list = args ?? [];
	for (let i = 0; i < list.length; i++) {
		if (list[i] === flag)
			return list[i + 1];
		if (list[i].startsWith(flag + '='))
			return list[i].slice(flag.length + 1);
	}
	return undefined;
}
