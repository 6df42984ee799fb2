// tests/k8s/readme.test.mjs - the commands in k8s/README.md are right.
//
// No cluster is reachable here, so each kubectl command of the page is run
// against a kubeconfig that points at a closed port on 127.0.0.1: kubectl
// parses its flags and arguments, builds any kustomization, and only then
// fails to connect.  Reaching "connection refused" is the pass; an unknown
// flag, a missing argument or a bad -k path fails first.  The names the
// commands use (namespace, deployment/stateless, pod/stateful-0, ...) must
// exist in the renders, and the kind, podman and docker commands must agree
// with the files and image names they refer to.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
	K8S, NAMESPACE, OVERLAYS, REPO, containerOf, get, parseDocs, render, targets,
} from './lib/manifests.mjs';

const README = readFileSync(join(K8S, 'README.md'), 'utf8');
const TOOLS = ['kubectl', 'kind', 'podman', 'docker', 'make', 'export'];

// Splits one shell command line into words: quotes and backslashes only,
// which is all the page uses.
function words(line) {
	const out = [];
	let cur = null;
	let q = null;
	for (let i = 0; i < line.length; i++) {
		const ch = line[i];
		if (q !== null) {
			if (ch === q)
				q = null;
			else if (ch === '\\' && q === '"' && i + 1 < line.length)
				cur += line[++i];
			else
				cur += ch;
		} else if (ch === "'" || ch === '"') {
			q = ch;
			cur ??= '';
		} else if (ch === '\\' && i + 1 < line.length) {
			cur = (cur ?? '') + line[++i];
		} else if (/\s/.test(ch)) {
			if (cur !== null)
				out.push(cur);
			cur = null;
		} else {
			cur = (cur ?? '') + ch;
		}
	}
	assert.equal(q, null, `unbalanced quote in: ${line}`);
	if (cur !== null)
		out.push(cur);
	return out;
}

// Every command of the page: the lines of ```sh blocks (with "\" line
// continuations joined) and inline `code` that starts with a tool name.
function commands() {
	const cmds = [];
	for (const m of README.matchAll(/```sh\n([\s\S]*?)```/g)) {
		const body = m[1].replace(/\\\n\s*/g, ' ');
		for (const line of body.split('\n').map((l) => l.trim()))
			if (line !== '' && !line.startsWith('#'))
				cmds.push(line.replace(/\s+#\s.*$/, ''));
	}
	// Inline code of three words or more: `kubectl delete` in a sentence
	// names a command, it does not give one.
	const prose = README.replace(/```[\s\S]*?```/g, '');
	for (const m of prose.matchAll(/`([^`]+)`/g)) {
		const code = m[1].replace(/\s+/g, ' ').trim();
		if (TOOLS.includes(code.split(' ')[0]) && code.split(' ').length >= 3)
			cmds.push(code);
	}
	return cmds.map(words).filter((w) => TOOLS.includes(w[0]));
}

const ALL = commands();
const byTool = (tool) => ALL.filter((w) => w[0] === tool);

describe('README', () => {
	it('shows every overlay and the kind config', () => {
		for (const o of OVERLAYS)
			assert.ok(byTool('kubectl').some((w) => w.includes(`k8s/overlays/${o}`)) ||
			    README.includes(`overlays/${o}/`), `overlay ${o} not in the README`);
		assert.ok(byTool('kind').length >= 3);
	});

	it('names only files that exist', () => {
		for (const m of README.matchAll(/(?:^|[\s`(])((?:k8s\/)?(?:base|overlays|kind)\/[\w./-]*)/g)) {
			const p = m[1].replace(/[.,)]+$/, '');
			const path = p.startsWith('k8s/') ? join(REPO, p) : join(K8S, p);
			assert.ok(existsSync(path), `README names ${p}, which does not exist`);
		}
	});

	describe('kubectl commands parse and reach the API server', () => {
		let dir;
		let port;
		before(async () => {
			dir = mkdtempSync(join(tmpdir(), 'statelab-readme-'));
			// A port that was free a moment ago: nothing listens there.
			port = await new Promise((res) => {
				const s = createServer().listen(0, '127.0.0.1', () => {
					const p = s.address().port;
					s.close(() => res(p));
				});
			});
			writeFileSync(join(dir, 'config'), [
			    'apiVersion: v1', 'kind: Config', 'current-context: none',
			    'clusters: [{name: none, cluster: {server: "http://127.0.0.1:' + port + '"}}]',
			    'users: [{name: none, user: {token: none}}]',
			    'contexts: [{name: none, context: {cluster: none, user: none}}]',
			    ''].join('\n'));
		});
		after(() => rmSync(dir, { recursive: true, force: true }));

		for (const w of byTool('kubectl')) {
			it(w.join(' '), async () => {
				// kustomize needs no server: it must simply succeed.
				const local = w[1] === 'kustomize';
				const args = [...w.slice(1), ...(local ? [] : ['--request-timeout=2s'])];
				const [err, out] = await new Promise((res) => {
					execFile('kubectl', args, {
						cwd: REPO,
						timeout: 30_000,
						maxBuffer: 16 << 20,
						env: { ...process.env, KUBECONFIG: join(dir, 'config'),
						    HOME: dir },
					}, (e, stdout, stderr) => res([e, `${stdout}${stderr}`]));
				});
				if (local)
					assert.equal(err, null, out.slice(0, 600));
				else
					assert.match(out, /connection refused/,
					    `kubectl stopped before talking to the server:\n${out.slice(0, 600)}`);
			});
		}
	});

	it('gives every kubectl command about objects the lab\'s namespace', () => {
		for (const w of byTool('kubectl')) {
			if (w.includes('-k') || w[1] === 'kustomize')
				continue;
			// Cluster-scoped objects have no namespace.
			if (w.some((a) => /^(storageclass|sc|pv|persistentvolume|node)s?$/.test(a)))
				continue;
			const i = w.indexOf('-n');
			assert.ok(i > 0 && w[i + 1] === NAMESPACE, `no "-n ${NAMESPACE}": ${w.join(' ')}`);
		}
	});

	it('refers to objects the manifests make', () => {
		const base = render('base');
		const scaled = render('scaled');
		const kinds = { deployment: 'Deployment', statefulset: 'StatefulSet', svc: 'Service',
		    service: 'Service', secret: 'Secret', pvc: 'PersistentVolumeClaim' };
		const maxPods = get(scaled, 'StatefulSet', 'stateful').spec.replicas;
		for (const w of byTool('kubectl')) {
			for (const a of w.slice(1)) {
				const np = a.match(/^(networkpolicy|pdb)\/([\w.-]+)$/);
				if (np !== null) {
					// Overlays add some of these: any render will do.
					const kind = np[1] === 'pdb' ? 'PodDisruptionBudget' : 'NetworkPolicy';
					assert.ok(targets().some((t) => render(t.name).some((o) =>
					    o.kind === kind && o.metadata.name === np[2])), `no ${a}`);
					continue;
				}
				const m = a.match(/^(deployment|statefulset|svc|service|pod)\/([\w.-]+)$/);
				if (m === null)
					continue;
				if (m[1] === 'pod') {
					const n = m[2].match(/^stateful-(\d+)$/);
					assert.ok(n !== null && Number(n[1]) < maxPods, `no pod ${m[2]}`);
				} else {
					get(base, kinds[m[1]], m[2]);
				}
			}
			// "delete pod stateful-0" form
			const d = w.indexOf('pod');
			if (d > 0 && w[d + 1] !== undefined && !w[d + 1].startsWith('-') && w[d - 1] !== '-l')
				assert.match(w[d + 1], /^stateful-\d+$/);
			const l = w.indexOf('-l');
			if (l > 0) {
				const [k, v] = w[l + 1].split('=');
				assert.ok(base.some((o) => o.metadata.labels?.[k] === v),
				    `no object labelled ${w[l + 1]}`);
			}
		}
	});

	it('builds, loads and runs the image under one name', () => {
		const image = containerOf(get(render('base'), 'Deployment', 'stateless')).image;
		for (const tool of ['docker', 'podman']) {
			const build = byTool(tool).find((w) => w[1] === 'build');
			assert.ok(build, `no ${tool} build`);
			assert.equal(build[build.indexOf('-t') + 1], image);
			assert.equal(build.at(-1), '.');
		}
		const save = byTool('podman').find((w) => w[1] === 'save');
		const archive = save[save.indexOf('-o') + 1];
		assert.equal(save.at(-1), image);
		const loads = byTool('kind').filter((w) => w[1] === 'load');
		assert.ok(loads.some((w) => w[2] === 'image-archive' && w[3] === archive));
		assert.ok(loads.some((w) => w[2] === 'docker-image' && w[3] === image));
	});

	it('uses kind subcommands and flags that exist, on the lab\'s cluster', () => {
		const cfgPath = 'k8s/kind/cluster.yaml';
		const cfg = parseDocs(readFileSync(join(REPO, cfgPath), 'utf8'))[0];
		const flags = {
			'create cluster': ['--config', '--name', '--image', '--wait', '--retain', '--kubeconfig'],
			'delete cluster': ['--name', '--kubeconfig'],
			'load docker-image': ['--name', '--nodes'],
			'load image-archive': ['--name', '--nodes'],
		};
		for (const w of byTool('kind')) {
			const sub = `${w[1]} ${w[2]}`;
			assert.ok(sub in flags, `kind ${sub}`);
			for (const f of w.filter((a) => a.startsWith('--')))
				assert.ok(flags[sub].includes(f), `kind ${sub} ${f}`);
			const name = w.indexOf('--name');
			if (name > 0)
				assert.equal(w[name + 1], cfg.name);
			const config = w.indexOf('--config');
			if (config > 0)
				assert.equal(w[config + 1], cfgPath);
			if (sub !== 'create cluster')
				assert.ok(name > 0, `kind ${sub} needs --name ${cfg.name}`);
		}
	});

	it('uses make targets that exist', () => {
		const mk = ['Makefile', join('mk', 'k8s.mk')]
		    .map((f) => readFileSync(join(REPO, f), 'utf8')).join('\n');
		for (const w of byTool('make'))
			for (const t of w.slice(1))
				assert.match(mk, new RegExp(`^${t}:`, 'm'), `make ${t}`);
	});
});
