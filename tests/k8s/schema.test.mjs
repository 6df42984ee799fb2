// tests/k8s/schema.test.mjs - every rendered object is valid for the
// Kubernetes API (core schemas from the OpenAPI document, the ServiceMonitor
// from its CRD), including field names; the kind cluster config is checked
// against the fields kind's v1alpha4 Cluster type has.  The last tests show
// that the validator does reject what it must, so a green run means
// something.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { K8S, get, id, parseDocs, render, targets } from './lib/manifests.mjs';
import { validate } from './lib/schema.mjs';

for (const t of targets()) {
	describe(`schema: ${t.name}`, () => {
		for (const o of render(t.name)) {
			it(id(o), () => {
				assert.deepEqual(validate(o), []);
			});
		}
	});
}

// kind's config is not a Kubernetes object and has no published schema;
// these are the fields of kind.x-k8s.io/v1alpha4 that may appear.
const KIND_CLUSTER = ['kind', 'apiVersion', 'name', 'nodes', 'networking',
    'featureGates', 'runtimeConfig', 'kubeadmConfigPatches',
    'kubeadmConfigPatchesJSON6902', 'containerdConfigPatches',
    'containerdConfigPatchesJSON6902'];
const KIND_NODE = ['role', 'image', 'labels', 'extraMounts', 'extraPortMappings',
    'kubeadmConfigPatches', 'kubeadmConfigPatchesJSON6902'];
const KIND_PORT = ['containerPort', 'hostPort', 'listenAddress', 'protocol'];

function onlyKeys(obj, allowed, where) {
	for (const k of Object.keys(obj))
		assert.ok(allowed.includes(k), `${where}: unknown field "${k}"`);
}

describe('schema: kind cluster config', () => {
	const [cfg, ...more] = parseDocs(readFileSync(join(K8S, 'kind', 'cluster.yaml'), 'utf8'));
	it('is one kind.x-k8s.io/v1alpha4 Cluster', () => {
		assert.equal(more.length, 0);
		assert.equal(cfg.kind, 'Cluster');
		assert.equal(cfg.apiVersion, 'kind.x-k8s.io/v1alpha4');
		assert.equal(cfg.name, 'statelab');
		onlyKeys(cfg, KIND_CLUSTER, 'cluster');
	});
	it('has one control-plane node publishing ports on loopback only', () => {
		assert.equal(cfg.nodes.filter((n) => n.role === 'control-plane').length, 1);
		cfg.nodes.forEach((n, i) => {
			onlyKeys(n, KIND_NODE, `nodes[${i}]`);
			assert.ok(['control-plane', 'worker'].includes(n.role));
			for (const [j, m] of (n.extraPortMappings ?? []).entries()) {
				const where = `nodes[${i}].extraPortMappings[${j}]`;
				onlyKeys(m, KIND_PORT, where);
				assert.ok(Number.isInteger(m.containerPort), `${where}.containerPort`);
				assert.ok(Number.isInteger(m.hostPort), `${where}.hostPort`);
				assert.equal(m.listenAddress, '127.0.0.1', `${where}.listenAddress`);
				assert.ok(['TCP', 'UDP', 'SCTP'].includes(m.protocol ?? 'TCP'));
			}
		});
	});
});

describe('schema: the validator itself', () => {
	const base = render('base');
	const copy = (o) => structuredClone(o);

	it('rejects a misspelt field at any depth', () => {
		const s = copy(get(base, 'StatefulSet', 'stateful'));
		s.spec.template.spec.terminationGracePeriodSecond = 30;
		s.spec.template.spec.containers[0].resources.limit = { cpu: '1' };
		const errs = validate(s);
		assert.ok(errs.some((e) => e.includes('"terminationGracePeriodSecond"')), errs.join('\n'));
		assert.ok(errs.some((e) => e.includes('resources.limit:')), errs.join('\n'));
	});
	it('rejects a wrong type and a missing required field', () => {
		const d = copy(get(base, 'Deployment', 'stateless'));
		d.spec.replicas = 'three';
		delete d.spec.template.spec.containers[0].name;
		const errs = validate(d);
		assert.ok(errs.some((e) => e.startsWith('spec.replicas')), errs.join('\n'));
		assert.ok(errs.some((e) => e.includes('(name)')), errs.join('\n'));
	});
	it('rejects a bad ServiceMonitor field', () => {
		const sm = copy(get(render('monitoring'), 'ServiceMonitor', 'statelab'));
		sm.spec.endpoints[0].interval = 'often';
		sm.spec.endpoints[0].pth = '/metrics';
		const errs = validate(sm);
		assert.ok(errs.some((e) => e.startsWith('spec.endpoints.0.interval')), errs.join('\n'));
		assert.ok(errs.some((e) => e.includes('"pth"')), errs.join('\n'));
	});
	it('rejects a kind it has no schema for', () => {
		assert.notDeepEqual(validate({ apiVersion: 'v1', kind: 'Servce' }), []);
		assert.notDeepEqual(validate({ apiVersion: 'example.com/v1', kind: 'Thing' }), []);
	});
});
