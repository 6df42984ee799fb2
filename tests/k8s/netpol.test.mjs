// tests/k8s/netpol.test.mjs - the NetworkPolicies admit what the demo
// needs and nothing else, in the base and in every overlay.
//
// lib/netpol.mjs computes, from the rendered policies, every connection
// that a policy-enforcing CNI would let through between the lab's pods and
// stand-ins for the rest of a cluster (CoreDNS, Prometheus, another pod,
// the node, a client outside).  Each render's set must equal the table
// below exactly: a connection missing is a demo path the policies break, a
// connection too many is one they open without need.  The table is checked
// in turn against the manifests (Services, probes, store URL, peer
// template, ServiceMonitor), so it cannot drift from what the servers are
// configured to do.  The last tests break the policies on purpose and
// expect the comparison to notice.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
	NAMESPACE, argValue, containerOf, envOf, get, render, selects, targets, workloads,
} from './lib/manifests.mjs';
import { STAND_INS, endpoints, reachability, selectorMatches } from './lib/netpol.mjs';

const PORT = { stateless: 8081, stateful: 8082 };
const dns = (pod) => [`${pod} -> kube-dns:53/TCP`, `${pod} -> kube-dns:53/UDP`];

// Everyone outside the namespace reaches each server on its port, and only
// there: browsers through the NodePorts (as the node after kube-proxy's
// masquerade, or as themselves), the kubelet's probes (from the node),
// Prometheus, anything else in the cluster.
const SERVING = STAND_INS.flatMap((s) =>
    [`${s.name} -> stateless:${PORT.stateless}/TCP`, `${s.name} -> stateful:${PORT.stateful}/TCP`]);

// What the pods themselves may open, per render.  A new overlay must be
// added here, or the test fails: nothing is allowed by default.
const OUTGOING = {
	base: [],
	sticky: [],
	token: [],
	monitoring: [],
	remote: [`stateless -> stateful:${PORT.stateful}/TCP`, ...dns('stateless')],
	scaled: [`stateful -> stateful:${PORT.stateful}/TCP`, ...dns('stateful')],
};

const expected = (name) => [...SERVING, ...OUTGOING[name]].sort();

// ---- what the manifests say the demo needs -------------------------------

function workloadOf(objs, svc) {
	const ws = workloads(objs).filter((w) =>
	    selects(svc.spec.selector, w.spec.template.metadata.labels));
	assert.equal(ws.length, 1, `Service ${svc.metadata.name} selects ${ws.length} workloads`);
	return ws[0];
}

// The container port a Service port (or a port name) leads to.
function containerPort(w, target) {
	const p = containerOf(w).ports.find((x) => x.name === target || x.containerPort === target);
	assert.ok(p, `${w.metadata.name} has no port ${target}`);
	return p.containerPort;
}

// A URL's host and port as (workload, container port), through the Service
// it names: "stateful" or "<pod>.<headless>.<ns>.svc.cluster.local".
function urlTarget(objs, url) {
	const u = new URL(url);
	// svc, svc.ns[.svc.cluster.local] or pod.svc.ns[.svc.cluster.local]
	const labels = u.hostname.split('.');
	let svcName = labels[0];
	if (labels[2] === NAMESPACE)
		svcName = labels[1];
	else
		assert.ok(labels.length === 1 || labels[1] === NAMESPACE,
		    `${url}: not a Service of namespace ${NAMESPACE}`);
	const svc = get(objs, 'Service', svcName);
	const port = Number(u.port || 80);
	const sp = svc.spec.ports.find((p) => p.port === port);
	assert.ok(sp, `${url}: Service ${svcName} has no port ${port}`);
	const w = workloadOf(objs, svc);
	return { w, port: containerPort(w, sp.targetPort ?? port), byName: /[a-z]/.test(u.hostname) };
}

function needs(objs) {
	const out = [];
	for (const svc of objs.filter((o) => o.kind === 'Service' && o.spec.type === 'NodePort')) {
		const w = workloadOf(objs, svc);
		for (const p of svc.spec.ports)
			for (const who of ['node', 'outside'])
				out.push(`${who} -> ${w.metadata.name}:${containerPort(w, p.targetPort)}/TCP`);
	}
	for (const w of workloads(objs)) {
		const c = containerOf(w);
		for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe'])
			if (c[probe]?.httpGet !== undefined)
				out.push(`node -> ${w.metadata.name}:${containerPort(w, c[probe].httpGet.port)}/TCP`);
		const a = w.spec.template.metadata.annotations ?? {};
		if (a['prometheus.io/scrape'] === 'true')
			out.push(`prometheus -> ${w.metadata.name}:${Number(a['prometheus.io/port'])}/TCP`);
		const env = envOf(c);
		const store = argValue(c.args, '--store-url') ?? env.STATELAB_STORE_URL;
		if (store !== undefined) {
			const t = urlTarget(objs, store);
			out.push(`${w.metadata.name} -> ${t.w.metadata.name}:${t.port}/TCP`);
			if (t.byName)
				out.push(...dns(w.metadata.name));
		}
		const peers = argValue(c.args, '--peer-url-template') ?? env.STATELAB_PEER_URL_TEMPLATE;
		if (peers !== undefined) {
			const t = urlTarget(objs, peers.replace('%s', `${w.metadata.name}-0`));
			out.push(`${w.metadata.name} -> ${t.w.metadata.name}:${t.port}/TCP`);
			out.push(...dns(w.metadata.name));
		}
	}
	for (const sm of objs.filter((o) => o.kind === 'ServiceMonitor')) {
		for (const svc of objs.filter((o) => o.kind === 'Service' &&
		    selectorMatches(sm.spec.selector, o.metadata.labels))) {
			const w = workloadOf(objs, svc);
			for (const ep of sm.spec.endpoints) {
				const sp = svc.spec.ports.find((p) => p.name === ep.port);
				out.push(`prometheus -> ${w.metadata.name}:${containerPort(w, sp.targetPort)}/TCP`);
			}
		}
	}
	return [...new Set(out)].sort();
}

// ---- every render ----------------------------------------------------------

describe('network policy: the table covers every render', () => {
	it('has an entry for the base and each overlay', () => {
		assert.deepEqual(targets().map((t) => t.name).sort(), Object.keys(OUTGOING).sort());
	});
});

for (const t of targets()) {
	describe(`network policy: ${t.name}`, () => {
		const objs = render(t.name);
		const nps = objs.filter((o) => o.kind === 'NetworkPolicy');

		it('denies everything by default, in both directions', () => {
			const deny = nps.filter((np) => Object.keys(np.spec.podSelector).length === 0 &&
			    np.spec.ingress === undefined && np.spec.egress === undefined);
			assert.equal(deny.length, 1, 'one default-deny policy selecting every pod');
			assert.deepEqual([...deny[0].spec.policyTypes].sort(), ['Egress', 'Ingress']);
			assert.equal(deny[0].metadata.namespace, NAMESPACE);
		});

		it('names only pods that exist, by port numbers they listen on', () => {
			const pods = endpoints(objs).filter((e) => e.pod && e.namespace === NAMESPACE);
			for (const np of nps) {
				const name = np.metadata.name;
				const selected = pods.filter((p) => selectorMatches(np.spec.podSelector, p.labels));
				assert.ok(selected.length > 0, `${name} selects no pod`);
				for (const rule of np.spec.ingress ?? []) {
					assert.ok((rule.ports ?? []).length > 0, `${name}: an ingress rule for every port`);
					for (const p of rule.ports) {
						assert.equal(typeof p.port, 'number', `${name}: port ${p.port}`);
						for (const pod of selected)
							assert.ok(pod.ports.some(([, n, pr]) => n === p.port && pr === p.protocol),
							    `${name}: ${pod.name} does not listen on ${p.port}/${p.protocol}`);
					}
				}
				for (const rule of np.spec.egress ?? []) {
					assert.ok((rule.to ?? []).length > 0, `${name}: an egress rule to everywhere`);
					assert.ok((rule.ports ?? []).length > 0, `${name}: an egress rule for every port`);
					for (const p of rule.ports)
						assert.equal(typeof p.port, 'number', `${name}: port ${p.port}`);
				}
			}
		});

		it('admits exactly what the demo needs', () => {
			assert.deepEqual(reachability(objs), expected(t.name));
		});

		it('agrees with what the manifests configure the servers to reach', () => {
			const allowed = new Set(expected(t.name));
			for (const n of needs(objs))
				assert.ok(allowed.has(n), `the manifests need ${n}, the table does not allow it`);
			// Every outgoing connection of the table has a reason in the manifests.
			const need = new Set(needs(objs));
			for (const o of OUTGOING[t.name])
				assert.ok(need.has(o), `the table allows ${o}, nothing in ${t.name} uses it`);
		});
	});
}

describe('network policy: what the overlays add', () => {
	it('remote: stateless reaches its store and DNS, nothing else', () => {
		const r = reachability(render('remote')).filter((x) => x.startsWith('stateless ->'));
		assert.deepEqual(r, ['stateless -> kube-dns:53/TCP', 'stateless -> kube-dns:53/UDP',
		    'stateless -> stateful:8082/TCP']);
	});
	it('scaled: stateful pods reach each other and DNS, nothing else', () => {
		const r = reachability(render('scaled')).filter((x) => x.startsWith('stateful ->'));
		assert.deepEqual(r, ['stateful -> kube-dns:53/TCP', 'stateful -> kube-dns:53/UDP',
		    'stateful -> stateful:8082/TCP']);
	});
	it('only remote lets stateless reach stateful, only scaled lets stateful pods meet', () => {
		for (const t of targets()) {
			const r = reachability(render(t.name));
			assert.equal(r.includes('stateless -> stateful:8082/TCP'), t.name === 'remote', t.name);
			assert.equal(r.includes('stateful -> stateful:8082/TCP'), t.name === 'scaled', t.name);
		}
	});
	it('monitoring: Prometheus in another namespace scrapes both servers', () => {
		const r = reachability(render('monitoring'));
		for (const [name, port] of Object.entries(PORT))
			assert.ok(r.includes(`prometheus -> ${name}:${port}/TCP`), name);
	});
});

// ---- the comparison notices broken policies ------------------------------

describe('network policy: the check itself', () => {
	const without = (objs, name) => objs.filter((o) =>
	    !(o.kind === 'NetworkPolicy' && o.metadata.name === name));
	const edit = (objs, name, fn) => objs.map((o) => {
		if (o.kind !== 'NetworkPolicy' || o.metadata.name !== name)
			return o;
		const c = structuredClone(o);
		fn(c);
		return c;
	});
	const diff = (objs, name) => {
		const got = new Set(reachability(objs));
		const want = new Set(expected(name));
		return {
			extra: [...got].filter((x) => !want.has(x)),
			missing: [...want].filter((x) => !got.has(x)),
		};
	};

	it('sees every door open without the default deny', () => {
		const d = diff(without(render('base'), 'default-deny'), 'base');
		assert.ok(d.extra.includes('stateless -> outside:443/TCP'), d.extra.join('\n'));
		assert.ok(d.extra.includes('stateless -> stateful:8082/TCP'));
		// The allow rules still isolate ingress: only their ports open.
		assert.ok(!d.extra.some((x) => x.includes('stateful:22/')), d.extra.join('\n'));
	});
	it('sees an ingress rule without ports open every port', () => {
		const d = diff(edit(render('base'), 'stateless-ingress', (np) => {
			delete np.spec.ingress[0].ports;
		}), 'base');
		assert.ok(d.extra.includes('outside -> stateless:22/TCP'), d.extra.join('\n'));
	});
	it('sees a source selector shut the NodePort out', () => {
		const d = diff(edit(render('base'), 'stateful-ingress', (np) => {
			np.spec.ingress[0].from = [{ podSelector: {} }];
		}), 'base');
		assert.ok(d.missing.includes('node -> stateful:8082/TCP'), d.missing.join('\n'));
		assert.ok(d.missing.includes('prometheus -> stateful:8082/TCP'));
	});
	it('sees remote mode lose its store or its DNS', () => {
		const objs = render('remote');
		assert.ok(diff(without(objs, 'stateless-to-store'), 'remote').missing
		    .includes('stateless -> stateful:8082/TCP'));
		const d = diff(edit(objs, 'stateless-to-store', (np) => {
			np.spec.egress[1].ports = np.spec.egress[1].ports.filter((p) => p.protocol !== 'TCP');
		}), 'remote');
		assert.deepEqual(d, { extra: [], missing: ['stateless -> kube-dns:53/TCP'] });
	});
	it('sees DNS opened to every namespace\'s pods, not just CoreDNS', () => {
		const d = diff(edit(render('scaled'), 'stateful-peers', (np) => {
			delete np.spec.egress[1].to[0].podSelector;
			np.spec.egress[1].to[0].namespaceSelector = {};
		}), 'scaled');
		assert.ok(d.extra.some((x) => x.startsWith('stateful -> other-pod:53/')), d.extra.join('\n'));
	});
	it('sees an egress ipBlock open the world', () => {
		const d = diff(edit(render('scaled'), 'stateful-peers', (np) => {
			np.spec.egress.push({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }],
			    ports: [{ protocol: 'TCP', port: 443 }] });
		}), 'scaled');
		assert.ok(d.extra.includes('stateful -> outside:443/TCP'), d.extra.join('\n'));
	});
	it('sees the remote egress policy leak into the base', () => {
		const extra = render('remote').filter((o) => o.metadata.name === 'stateless-to-store');
		const d = diff([...render('base'), ...extra], 'base');
		assert.ok(d.extra.includes('stateless -> stateful:8082/TCP'), d.extra.join('\n'));
	});
	it('notices when the store URL points where no policy allows', () => {
		const objs = render('remote').map((o) => {
			if (o.kind !== 'Deployment')
				return o;
			const c = structuredClone(o);
			const args = c.spec.template.spec.containers[0].args;
			args[args.indexOf('--store-url') + 1] = 'http://stateless:8081';
			return c;
		});
		assert.ok(needs(objs).includes('stateless -> stateless:8081/TCP'));
		assert.ok(!reachability(objs).includes('stateless -> stateless:8081/TCP'));
	});
});
