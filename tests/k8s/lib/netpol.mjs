// tests/k8s/lib/netpol.mjs - what the NetworkPolicies of a render allow,
// computed the way the Kubernetes NetworkPolicy API defines it.
//
// No cluster runs here, so the test places the rendered pods among a few
// stand-ins for the rest of a cluster (CoreDNS, a Prometheus and an
// ordinary pod in other namespaces, the node, a client outside) and asks,
// for every (source, destination, port) among them, whether the policies
// let a new connection through.  The semantics, from the API reference:
//   - a pod is isolated for ingress (egress) when some policy of its
//     namespace selects it and lists Ingress (Egress) in policyTypes;
//     policyTypes defaults to Ingress, plus Egress when egress rules exist;
//   - a connection is allowed when the source's egress side and the
//     destination's ingress side both allow it; a non-isolated side allows
//     everything; an isolated side allows what any rule of any policy that
//     selects the pod allows (rules are unions, never subtractions);
//   - a rule without from/to matches every peer, one without ports every
//     port; a peer with podSelector alone means the policy's namespace, with
//     namespaceSelector alone every pod of the matching namespaces, with
//     both the matching pods of the matching namespaces; ipBlock matches by
//     address (for pod addresses that is implementation-defined, so it is
//     taken to match them: the check errs toward "open");
//   - a port is a number (up to endPort when given) or the name of a
//     container port of the destination pod; protocol defaults to TCP.
// Policies of other namespaces are not in the render: the stand-ins outside
// statelab are taken as unrestricted, which is the question that matters
// (what can reach our pods), and only connections with a statelab pod on
// at least one end are reported.

import { NAMESPACE, containerOf, workloads } from './manifests.mjs';

// Stand-ins for the rest of a kind cluster.  Pod addresses come from kind's
// default pod subnet 10.244.0.0/16; the node is on the "kind" Docker
// network; "outside" is a client whose own address reaches the pod (a
// NodePort with externalTrafficPolicy: Local, or a LoadBalancer).
export const STAND_INS = [
	{ name: 'kube-dns', namespace: 'kube-system', pod: true, ip: '10.244.0.2',
	    labels: { 'k8s-app': 'kube-dns' },
	    ports: [['dns', 53, 'UDP'], ['dns-tcp', 53, 'TCP'], ['metrics', 9153, 'TCP']] },
	{ name: 'prometheus', namespace: 'monitoring', pod: true, ip: '10.244.0.3',
	    labels: { 'app.kubernetes.io/name': 'prometheus' },
	    ports: [['web', 9090, 'TCP']] },
	{ name: 'other-pod', namespace: 'default', pod: true, ip: '10.244.0.4',
	    labels: { app: 'curl' }, ports: [['http', 80, 'TCP']] },
	{ name: 'node', pod: false, ip: '172.18.0.2',
	    ports: [['apiserver', 6443, 'TCP'], ['kubelet', 10250, 'TCP']] },
	{ name: 'outside', pod: false, ip: '203.0.113.7', ports: [['https', 443, 'TCP']] },
];

// Ports tried on every destination besides those of the endpoints: the
// UDP twins of the servers' ports and a few usual suspects.
const EXTRA_PORTS = [[22, 'TCP'], [80, 'TCP'], [443, 'TCP'], [8080, 'TCP'],
    [8081, 'TCP'], [8082, 'TCP'], [8081, 'UDP'], [8082, 'UDP'], [9090, 'TCP']];

// The rendered pods as endpoints: one per workload (replicas share labels,
// ports and policies, so one stands for all; a pod talking to a peer of
// its own workload is the pair (x, x)).
export function endpoints(objs) {
	const pods = workloads(objs).map((w, i) => ({
		name: w.metadata.name,
		namespace: w.metadata.namespace ?? NAMESPACE,
		pod: true,
		ip: `10.244.1.${10 + i}`,
		labels: w.spec.template.metadata.labels ?? {},
		ports: (containerOf(w).ports ?? []).map((p) =>
		    [p.name, p.containerPort, p.protocol ?? 'TCP']),
	}));
	return [...pods, ...STAND_INS];
}

function namespaceLabels(objs, ns) {
	const obj = objs.find((o) => o.kind === 'Namespace' && o.metadata.name === ns);
	return { ...(obj?.metadata.labels ?? {}), 'kubernetes.io/metadata.name': ns };
}

// A LabelSelector: matchLabels and matchExpressions; {} selects everything.
export function selectorMatches(sel, labels) {
	const l = labels ?? {};
	for (const [k, v] of Object.entries(sel?.matchLabels ?? {}))
		if (l[k] !== v)
			return false;
	for (const e of sel?.matchExpressions ?? []) {
		const has = Object.hasOwn(l, e.key);
		const ok = {
			In: () => has && e.values.includes(l[e.key]),
			NotIn: () => !has || !e.values.includes(l[e.key]),
			Exists: () => has,
			DoesNotExist: () => !has,
		}[e.operator];
		if (ok === undefined)
			throw new Error(`unknown selector operator ${e.operator}`);
		if (!ok())
			return false;
	}
	return true;
}

const ipNum = (ip) => ip.split('.').reduce((n, x) => n * 256 + Number(x), 0);

function inCidr(ip, cidr) {
	const [net, bits] = cidr.split('/');
	if (ip.includes(':') || net.includes(':'))
		return false;			// the stand-ins are IPv4
	const size = 2 ** (32 - Number(bits));
	return Math.floor(ipNum(ip) / size) === Math.floor(ipNum(net) / size);
}

function peerMatches(objs, peer, policyNs, ep) {
	if (peer.ipBlock !== undefined)
		return inCidr(ep.ip, peer.ipBlock.cidr) &&
		    !(peer.ipBlock.except ?? []).some((c) => inCidr(ep.ip, c));
	if (!ep.pod)
		return false;
	const nsOk = peer.namespaceSelector !== undefined ?
	    selectorMatches(peer.namespaceSelector, namespaceLabels(objs, ep.namespace)) :
	    ep.namespace === policyNs;
	const podOk = peer.podSelector === undefined ||
	    selectorMatches(peer.podSelector, ep.labels);
	return nsOk && podOk;
}

function portMatches(rulePorts, dst, port, proto) {
	if (rulePorts === undefined || rulePorts.length === 0)
		return true;
	return rulePorts.some((p) => {
		if ((p.protocol ?? 'TCP') !== proto)
			return false;
		if (p.port === undefined)
			return true;
		if (typeof p.port === 'string')
			return dst.ports.some(([n, num, pr]) => n === p.port && num === port && pr === proto);
		return p.endPort !== undefined ? port >= p.port && port <= p.endPort : port === p.port;
	});
}

function policyTypes(np) {
	return np.spec.policyTypes ??
	    ['Ingress', ...(np.spec.egress !== undefined ? ['Egress'] : [])];
}

// The policies that isolate ep in one direction ('Ingress' or 'Egress').
function isolating(policies, ep, direction) {
	return policies.filter((np) => ep.pod &&
	    (np.metadata.namespace ?? NAMESPACE) === ep.namespace &&
	    selectorMatches(np.spec.podSelector, ep.labels) &&
	    policyTypes(np).includes(direction));
}

function sideAllows(objs, policies, self, other, dst, port, proto, direction) {
	const nps = isolating(policies, self, direction);
	if (nps.length === 0)
		return true;
	const [rulesKey, peersKey] = direction === 'Ingress' ? ['ingress', 'from'] : ['egress', 'to'];
	return nps.some((np) => (np.spec[rulesKey] ?? []).some((rule) =>
	    (rule[peersKey] === undefined || rule[peersKey].length === 0 ||
		rule[peersKey].some((peer) => peerMatches(objs, peer,
		    np.metadata.namespace ?? NAMESPACE, other))) &&
	    portMatches(rule.ports, dst, port, proto)));
}

export function allows(objs, src, dst, port, proto) {
	const policies = objs.filter((o) => o.kind === 'NetworkPolicy');
	return sideAllows(objs, policies, src, dst, dst, port, proto, 'Egress') &&
	    sideAllows(objs, policies, dst, src, dst, port, proto, 'Ingress');
}

// Every allowed connection with a statelab pod on one end, as sorted
// strings "source -> destination:port/PROTO".
export function reachability(objs) {
	const eps = endpoints(objs);
	const ours = (ep) => ep.pod && ep.namespace === NAMESPACE;
	// Every destination is tried on every port any endpoint has, and more.
	const ports = new Map([...eps.flatMap((e) => e.ports.map(([, n, p]) => [n, p])),
	    ...EXTRA_PORTS].map(([n, p]) => [`${n}/${p}`, [n, p]]));
	const out = [];
	for (const src of eps) {
		for (const dst of eps) {
			if (!ours(src) && !ours(dst))
				continue;
			for (const [port, proto] of ports.values())
				if (allows(objs, src, dst, port, proto))
					out.push(`${src.name} -> ${dst.name}:${port}/${proto}`);
		}
	}
	return out.sort();
}
