// tests/k8s/policy.test.mjs - what the lab promises about its manifests,
// asserted on the rendered output of the base and of every overlay.
//
// Schema validity is schema.test.mjs's job; this file checks the things a
// schema cannot: that references resolve (selectors, ports, volumes,
// Secrets, the Service the remote store URL names), that the pods pass the
// "restricted" Pod Security Standard, that drain and termination timings
// fit together, that the disruption budgets neither block a drain nor
// leave several pods of a workload to go at once, and that each overlay
// does what its name says.  What the NetworkPolicies allow is
// netpol.test.mjs's job.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
	K8S, NAMESPACE, REPO, argValue, containerOf, envOf, find, get, id,
	parseDocs, render, selects, targets, workloads,
} from './lib/manifests.mjs';

// The image's user (Dockerfile) and the servers' ports and flags (the
// design contract).  Flags and STATELAB_* variables outside these lists
// are typos that the server would reject with exit 2.
const UID = 10001;
const PORT = { stateless: 8081, stateful: 8082 };
const COMMON_FLAGS = ['listen', 'instance', 'session-ttl', 'max-sessions',
    'max-connections', 'timeout', 'drain-delay', 'drain-timeout', 'log-format',
    'log-level', 'cors-origins', 'cookie-secure'];
const FLAGS = {
	stateless: [...COMMON_FLAGS, 'sessions', 'store-url', 'token-secret-file',
	    'insecure-dev-secret'],
	stateful: [...COMMON_FLAGS, 'db', 'sync', 'peer-url-template'],
};
const envName = (flag) => 'STATELAB_' + flag.toUpperCase().replaceAll('-', '_');

// When the binaries are built ($B, default bin/), their --help is the
// authority on flags; the lists above stand in for them otherwise.
function knownFlags(name) {
	const bin = join(REPO, process.env.B ?? 'bin', name);
	if (!existsSync(bin))
		return FLAGS[name];
	const help = execFileSync(bin, ['--help'], { encoding: 'utf8', timeout: 10_000 });
	const flags = [...help.matchAll(/^ {2}--([a-z][a-z0-9-]*)/gm)].map((m) => m[1])
	    .filter((f) => f !== 'help' && f !== 'version');
	assert.ok(flags.length > 5, `cannot read the flags of ${bin} --help`);
	return flags;
}

const NAMESPACED_EXCEPT = new Set(['Namespace']);

function podSpec(w) {
	return w.spec.template.spec;
}

function workloadFor(objs, service) {
	const ws = workloads(objs).filter((w) =>
	    selects(service.spec.selector, w.spec.template.metadata.labels));
	assert.equal(ws.length, 1,
	    `${id(service)} must select the pods of exactly one workload, selects ${ws.length}`);
	return ws[0];
}

// ---- every render -----------------------------------------------------

for (const t of targets()) {
	describe(`policy: ${t.name}`, () => {
		const objs = render(t.name);

		it('has the two servers and nothing else that runs', () => {
			assert.deepEqual(workloads(objs).map(id).sort(),
			    ['Deployment/statelab/stateless', 'StatefulSet/statelab/stateful']);
		});

		it('keeps every object in the statelab namespace, labelled part-of', () => {
			for (const o of objs) {
				if (!NAMESPACED_EXCEPT.has(o.kind))
					assert.equal(o.metadata.namespace, NAMESPACE, id(o));
				assert.equal(o.metadata.labels?.['app.kubernetes.io/part-of'],
				    'statelab', `${id(o)} lacks the part-of label`);
			}
			const ns = get(objs, 'Namespace', NAMESPACE);
			assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'],
			    'restricted');
		});

		for (const name of ['stateless', 'stateful']) {
			describe(name, () => {
				const w = workloads(objs).find((x) => x.metadata.name === name);
				const spec = podSpec(w);
				const c = containerOf(w);
				const env = envOf(c);

				it('matches its selector with its pod labels', () => {
					assert.ok(selects(w.spec.selector.matchLabels,
					    w.spec.template.metadata.labels));
					assert.deepEqual(Object.keys(w.spec.selector.matchLabels),
					    ['app.kubernetes.io/name']);
				});

				it('runs the pod as the image user under "restricted"', () => {
					assert.equal(spec.containers.length, 1);
					assert.equal(spec.initContainers, undefined);
					const psc = spec.securityContext;
					assert.equal(psc.runAsNonRoot, true);
					assert.equal(psc.runAsUser, UID);
					assert.equal(psc.runAsGroup, UID);
					assert.equal(psc.fsGroup, UID);
					assert.equal(psc.seccompProfile.type, 'RuntimeDefault');
					const sc = c.securityContext;
					assert.equal(sc.allowPrivilegeEscalation, false);
					assert.equal(sc.readOnlyRootFilesystem, true);
					assert.notEqual(sc.privileged, true);
					assert.deepEqual(sc.capabilities.drop, ['ALL']);
					assert.equal(sc.capabilities.add, undefined);
					for (const k of ['hostNetwork', 'hostPID', 'hostIPC'])
						assert.notEqual(spec[k], true, k);
					for (const v of spec.volumes ?? [])
						assert.equal(v.hostPath, undefined, `volume ${v.name}`);
				});

				it('carries no API token and no service-link variables', () => {
					assert.equal(spec.automountServiceAccountToken, false);
					assert.equal(spec.enableServiceLinks, false);
					const sa = get(objs, 'ServiceAccount', spec.serviceAccountName);
					assert.equal(sa.automountServiceAccountToken, false);
				});

				it('runs its own binary from a pinned local image', () => {
					assert.deepEqual(c.command, [name]);
					assert.match(c.image, /^localhost\/statelab:[A-Za-z0-9._-]+$/);
					assert.doesNotMatch(c.image, /:latest$/);
					assert.equal(c.imagePullPolicy, 'IfNotPresent');
				});

				it('listens on all addresses, on its named port', () => {
					assert.equal(env.STATELAB_LISTEN, `0.0.0.0:${PORT[name]}`);
					assert.deepEqual(c.ports.map((p) => [p.name, p.containerPort]),
					    [['http', PORT[name]]]);
				});

				it('names itself after its pod', () => {
					assert.deepEqual(env.POD_NAME, { fieldRef: { fieldPath: 'metadata.name' } });
				});

				it('uses only flags and variables the server knows', () => {
					const flags = knownFlags(name);
					for (const a of c.args ?? []) {
						if (!a.startsWith('--'))
							continue;
						const flag = a.slice(2).split('=')[0];
						assert.ok(flags.includes(flag), `unknown flag ${a}`);
					}
					const known = flags.map(envName);
					for (const e of Object.keys(env).filter((k) => k.startsWith('STATELAB_')))
						assert.ok(known.includes(e), `unknown variable ${e}`);
				});

				it('is annotated for Prometheus', () => {
					const a = w.spec.template.metadata.annotations;
					assert.equal(a['prometheus.io/scrape'], 'true');
					assert.equal(a['prometheus.io/port'], String(PORT[name]));
					assert.equal(a['prometheus.io/path'], '/metrics');
				});

				it('probes /readyz and /healthz on the http port', () => {
					assert.equal(c.readinessProbe.httpGet.path, '/readyz');
					assert.equal(c.readinessProbe.httpGet.port, 'http');
					assert.equal(c.livenessProbe.httpGet.path, '/healthz');
					assert.equal(c.livenessProbe.httpGet.port, 'http');
					if (c.startupProbe !== undefined)
						assert.equal(c.startupProbe.httpGet.path, '/healthz');
				});

				it('drains before it is killed', () => {
					const delay = Number(env.STATELAB_DRAIN_DELAY);
					const timeout = Number(env.STATELAB_DRAIN_TIMEOUT ?? 10);
					assert.ok(delay >= 1, 'STATELAB_DRAIN_DELAY must be set');
					// The endpoint must be gone before the server stops
					// accepting: readiness fails within one probe period.
					const r = c.readinessProbe;
					assert.ok((r.periodSeconds ?? 10) * (r.failureThreshold ?? 3) < delay,
					    'readiness must notice the drain within the drain delay');
					const grace = spec.terminationGracePeriodSeconds;
					assert.ok(grace >= delay + timeout + 5,
					    `terminationGracePeriodSeconds ${grace} < ${delay} + ${timeout} + 5`);
					assert.equal(c.lifecycle?.preStop, undefined,
					    'the server drains by itself; a preStop hook would delay SIGTERM');
				});

				it('requests resources and caps memory', () => {
					assert.ok(c.resources.requests.cpu);
					assert.ok(c.resources.requests.memory);
					assert.ok(c.resources.limits.memory);
				});

				it('mounts only volumes that exist, and a writable /tmp', () => {
					const vols = new Set([
					    ...(spec.volumes ?? []).map((v) => v.name),
					    ...(w.spec.volumeClaimTemplates ?? []).map((v) => v.metadata.name),
					]);
					for (const m of c.volumeMounts ?? [])
						assert.ok(vols.has(m.name), `no volume ${m.name}`);
					const tmp = c.volumeMounts.find((m) => m.mountPath === '/tmp');
					assert.ok(tmp, 'read-only root needs an emptyDir on /tmp');
					for (const v of spec.volumes ?? []) {
						if (v.secret === undefined)
							continue;
						assert.ok(find(objs, 'Secret', v.secret.secretName),
						    `Secret ${v.secret.secretName} is not in the render`);
					}
				});
			});
		}

		it('keeps the stateful database on the claimed volume', () => {
			const s = get(objs, 'StatefulSet', 'stateful');
			const c = containerOf(s);
			const tpl = s.spec.volumeClaimTemplates;
			assert.equal(tpl.length, 1);
			assert.equal(tpl[0].metadata.name, 'data');
			assert.deepEqual(tpl[0].spec.accessModes, ['ReadWriteOnce']);
			const m = c.volumeMounts.find((x) => x.name === 'data');
			assert.equal(m.mountPath, '/data');
			assert.notEqual(m.readOnly, true);
			assert.equal(envOf(c).STATELAB_DB, '/data/stateful.db');
			assert.equal(s.spec.persistentVolumeClaimRetentionPolicy.whenScaled, 'Retain');
			assert.equal(s.spec.persistentVolumeClaimRetentionPolicy.whenDeleted, 'Retain');
		});

		it('governs the StatefulSet with a headless Service', () => {
			const s = get(objs, 'StatefulSet', 'stateful');
			const h = get(objs, 'Service', s.spec.serviceName);
			assert.equal(h.spec.clusterIP, 'None');
			assert.equal(workloadFor(objs, h), s);
		});

		it('routes every Service to a named port of the pods it selects', () => {
			for (const svc of objs.filter((o) => o.kind === 'Service')) {
				const w = workloadFor(objs, svc);
				const names = containerOf(w).ports.map((p) => p.name);
				for (const p of svc.spec.ports)
					assert.ok(names.includes(p.targetPort),
					    `${id(svc)} targets port ${p.targetPort}`);
			}
		});

		it('exposes the two client Services on the NodePorts kind maps', () => {
			const kind = parseDocs(readFileSync(join(K8S, 'kind', 'cluster.yaml'), 'utf8'))[0];
			const mapped = kind.nodes.flatMap((n) => n.extraPortMappings ?? [])
			    .map((m) => m.containerPort).sort();
			const nodePorts = objs.filter((o) => o.kind === 'Service')
			    .flatMap((s) => s.spec.ports.map((p) => p.nodePort))
			    .filter((p) => p !== undefined).sort();
			assert.deepEqual(nodePorts, mapped);
			for (const p of nodePorts)
				assert.ok(p >= 30000 && p <= 32767, `nodePort ${p}`);
			for (const name of ['stateless', 'stateful'])
				assert.equal(get(objs, 'Service', name).spec.ports[0].port, PORT[name]);
		});
	});
}

// ---- voluntary disruptions -------------------------------------------------

// How many pods a budget lets evictions take down when all `replicas` are
// healthy (the eviction API rounds percentages up, for both fields).
function disruptionsAllowed(pdb, replicas) {
	const scaled = (v) => (typeof v === 'string' && v.endsWith('%') ?
	    Math.ceil(replicas * Number(v.slice(0, -1)) / 100) : Number(v));
	if (pdb.spec.maxUnavailable !== undefined)
		return Math.min(replicas, scaled(pdb.spec.maxUnavailable));
	return Math.max(0, replicas - scaled(pdb.spec.minAvailable));
}

for (const t of targets()) {
	describe(`disruption budgets: ${t.name}`, () => {
		const objs = render(t.name);
		const pdbs = objs.filter((o) => o.kind === 'PodDisruptionBudget');

		it('budgets exactly the pods of one workload each', () => {
			for (const pdb of pdbs) {
				const ws = workloads(objs).filter((w) =>
				    selects(pdb.spec.selector.matchLabels, w.spec.template.metadata.labels));
				assert.equal(ws.length, 1, `${id(pdb)} selects ${ws.length} workloads`);
				assert.deepEqual(pdb.spec.selector, ws[0].spec.selector, id(pdb));
				assert.equal(pdb.metadata.name, ws[0].metadata.name);
				assert.ok((pdb.spec.minAvailable === undefined) !==
				    (pdb.spec.maxUnavailable === undefined), 'one of min/maxUnavailable');
				// A pod that is not ready serves nobody; it must never
				// hold a drain up.
				assert.equal(pdb.spec.unhealthyPodEvictionPolicy, 'AlwaysAllow', id(pdb));
			}
		});

		it('lets stateless drain one pod at a time, never blocking', () => {
			const d = get(objs, 'Deployment', 'stateless');
			const pdb = pdbs.find((p) => p.metadata.name === 'stateless');
			assert.ok(pdb, 'no PodDisruptionBudget for stateless');
			for (const n of [1, 3, d.spec.replicas])
				assert.equal(disruptionsAllowed(pdb, n), 1, `with ${n} replicas`);
		});

		it('budgets stateful only when it has more than one pod', () => {
			const s = get(objs, 'StatefulSet', 'stateful');
			const pdb = pdbs.find((p) => p.metadata.name === 'stateful');
			if (s.spec.replicas <= 1) {
				// With one pod a budget either blocks every drain or
				// protects nothing (base/poddisruptionbudget.yaml).
				assert.equal(pdb, undefined, 'a budget on a single stateful pod');
			} else {
				assert.ok(pdb, `${s.spec.replicas} stateful pods without a budget`);
				assert.equal(disruptionsAllowed(pdb, s.spec.replicas), 1);
			}
		});
	});
}

// ---- switching overlays on a live cluster ---------------------------------

describe('overlays', () => {
	// The README applies one overlay over another.  The API server refuses
	// any change to these fields, so every render must agree on them.
	const immutable = (objs) => ({
		deployment: get(objs, 'Deployment', 'stateless').spec.selector,
		statefulset: (({ selector, serviceName, podManagementPolicy, volumeClaimTemplates }) =>
		    ({ selector, serviceName, podManagementPolicy, volumeClaimTemplates }))(
		    get(objs, 'StatefulSet', 'stateful').spec),
		headless: get(objs, 'Service', 'stateful-headless').spec.clusterIP,
	});
	const base = immutable(render('base'));
	for (const t of targets().filter((x) => x.name !== 'base')) {
		it(`${t.name} can be applied over the base (immutable fields unchanged)`, () => {
			assert.deepEqual(immutable(render(t.name)), base);
		});
	}
});

// ---- what each overlay is for --------------------------------------------

const stateless = (objs) => containerOf(get(objs, 'Deployment', 'stateless'));
const stateful = (objs) => containerOf(get(objs, 'StatefulSet', 'stateful'));

describe('overlay base', () => {
	const objs = render('base');
	it('is the anti-pattern: three stateless pods, sessions in memory', () => {
		assert.equal(get(objs, 'Deployment', 'stateless').spec.replicas, 3);
		assert.equal(argValue(stateless(objs).args, '--sessions'), undefined);
		assert.equal(get(objs, 'StatefulSet', 'stateful').spec.replicas, 1);
		assert.equal(get(objs, 'Service', 'stateless').spec.sessionAffinity, undefined);
	});
});

describe('overlay sticky', () => {
	const objs = render('sticky');
	it('pins clients to one of several in-memory pods', () => {
		assert.ok(get(objs, 'Deployment', 'stateless').spec.replicas > 1);
		assert.equal(argValue(stateless(objs).args, '--sessions'), undefined);
		assert.equal(get(objs, 'Service', 'stateless').spec.sessionAffinity, 'ClientIP');
	});
});

describe('overlay token', () => {
	const objs = render('token');
	const c = stateless(objs);
	const spec = get(objs, 'Deployment', 'stateless').spec;
	it('runs several pods in token mode', () => {
		assert.ok(spec.replicas > 1);
		assert.equal(argValue(c.args, '--sessions'), 'token');
		assert.equal(argValue(c.args, '--token-secret-file'), '/etc/statelab/token/secret');
		assert.equal(argValue(c.args, '--insecure-dev-secret'), undefined);
	});
	it('reads the key from a generated Secret, mounted read-only', () => {
		const m = c.volumeMounts.find((x) => x.mountPath === '/etc/statelab/token');
		assert.ok(m, 'nothing mounted at /etc/statelab/token');
		assert.equal(m.readOnly, true);
		const v = spec.template.spec.volumes.find((x) => x.name === m.name);
		const secret = get(objs, 'Secret', v.secret.secretName);
		assert.match(secret.metadata.name, /^token-secret-[a-z0-9]+$/,
		    'the generator hash suffix rolls the pods when the key changes');
		// The server's rule: the file's bytes, one trailing newline
		// dropped, at least 32 of them.
		const key = Buffer.from(secret.data.secret.replace(/\s/g, ''), 'base64')
		    .toString('latin1').replace(/\n$/, '');
		assert.ok(key.length >= 32, `the key is ${key.length} bytes, the server wants 32`);
		assert.ok((v.secret.defaultMode & 0o007) === 0, 'key readable by others');
	});
});

describe('overlay remote', () => {
	const objs = render('remote');
	const c = stateless(objs);
	it('runs several pods that keep sessions in the stateful service', () => {
		assert.ok(get(objs, 'Deployment', 'stateless').spec.replicas > 1);
		assert.equal(argValue(c.args, '--sessions'), 'remote');
		const url = new URL(argValue(c.args, '--store-url'));
		assert.equal(url.href, 'http://stateful:8082/');
		const svc = get(objs, 'Service', url.hostname);
		assert.equal(svc.spec.clusterIP, undefined, 'store URL must not be the headless Service');
		assert.ok(svc.spec.ports.some((p) => p.port === Number(url.port)));
		assert.equal(workloadFor(objs, svc).kind, 'StatefulSet');
	});
});

describe('overlay scaled', () => {
	const objs = render('scaled');
	const s = get(objs, 'StatefulSet', 'stateful');
	it('runs three stateful pods that find each other by DNS name', () => {
		assert.equal(s.spec.replicas, 3);
		const tpl = argValue(stateful(objs).args, '--peer-url-template');
		assert.equal(tpl, 'http://%s.stateful-headless.statelab.svc.cluster.local:8082');
		assert.equal(tpl.split('%s').length, 2, 'exactly one %s');
		const host = new URL(tpl.replace('%s', 'stateful-0'));
		const [pod, svc, ns, ...rest] = host.hostname.split('.');
		assert.equal(pod, 'stateful-0');
		assert.equal(svc, s.spec.serviceName);
		assert.equal(ns, s.metadata.namespace);
		assert.deepEqual(rest, ['svc', 'cluster', 'local']);
		assert.equal(Number(host.port), PORT.stateful);
		assert.equal(get(objs, 'Service', svc).spec.publishNotReadyAddresses, true);
	});
});

describe('overlay monitoring', () => {
	const objs = render('monitoring');
	const sm = get(objs, 'ServiceMonitor', 'statelab');
	it('scrapes /metrics of each server once, through its client Service', () => {
		const picked = objs.filter((o) => o.kind === 'Service' &&
		    selects(sm.spec.selector.matchLabels, o.metadata.labels));
		assert.deepEqual(picked.map((o) => o.metadata.name).sort(), ['stateful', 'stateless']);
		assert.ok(sm.spec.namespaceSelector.matchNames.includes(NAMESPACE));
		for (const ep of sm.spec.endpoints) {
			assert.equal(ep.path, '/metrics');
			for (const svc of picked)
				assert.ok(svc.spec.ports.some((p) => p.name === ep.port),
				    `${id(svc)} has no port ${ep.port}`);
		}
	});
});

describe('image', () => {
	const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
	it('runs as the user the pods ask for, exposing their ports', () => {
		const user = dockerfile.match(/^USER\s+(\S+)/m)?.[1];
		assert.equal(user, `${UID}:${UID}`);
		const exposed = [...dockerfile.matchAll(/^EXPOSE\s+(.+)$/gm)]
		    .flatMap((m) => m[1].trim().split(/\s+/)).map(Number).sort();
		assert.deepEqual(exposed, [PORT.stateless, PORT.stateful]);
	});
});
