// dashboard.test.mjs - drives the statelab dashboard (GET /) in Debian's
// headless Chromium with playwright-core, against the real binaries.
//
// What it proves (issue 6):
//  - stateless: log in, +1, auto +1; SIGKILL the server and start a new
//    instance on the same address; the page shows the loss (red band, time,
//    the instance that answered "session not found") and counts it;
//  - stateful: the same kill and restart on the same --db; the page shows a
//    new boot that still knew the session, and no loss;
//  - compare view (/?compare=URL1,URL2, opened with the page's own toggle):
//    both servers side by side, cross-origin with Bearer tokens and CORS.
// Screenshots go to tests/out/browser/ for a person to look at.  Any console
// error, page error, failed request or HTTP error fails the test, except
// the ones a step announces (connection refused while a server is down, the
// 401 that reports the loss).
//
// Environment: STATELAB_BIN (directory with stateless/stateful, default
// bin), CHROMIUM (default /usr/bin/chromium), STATELAB_OUT (screenshots).
// Run through tests/browser/run.sh (make check-browser).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const BIN = path.resolve(ROOT, process.env.STATELAB_BIN || 'bin');
const OUT = path.resolve(ROOT, process.env.STATELAB_OUT || 'tests/out/browser');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WEB = path.join(ROOT, 'common', 'web');

// Keep Chromium off the network: no sync, no updates, no QUIC, no GPU.
const CHROMIUM_FLAGS = [
	'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	'--no-first-run', '--disable-background-networking',
	'--disable-component-update', '--disable-sync',
];
const VIEWPORT = { width: 1440, height: 900 };
const STEP_MS = 15000;
// axe-core (pinned in package.json) checks the WCAG 2.1 A/AA rules it can.
const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

fs.mkdirSync(OUT, { recursive: true });

function binary(name) {
	const p = path.join(BIN, name);
	try {
		fs.accessSync(p, fs.constants.X_OK);
		return p;
	} catch {
		return null;
	}
}

// ---- servers: started on 127.0.0.1:0, stopped by PID ----

const running = new Set();

process.on('exit', () => {
	for (const child of running) {
		try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
	}
});

class Server {
	constructor(name, args, log) {
		this.bin = binary(name);
		this.name = name;
		this.args = args;
		this.logPath = path.join(OUT, log + '.log');
		fs.writeFileSync(this.logPath, '');
	}

	// Start on addr (default: a free port); resolves once "listening" is logged.
	async start(addr = '127.0.0.1:0') {
		let lastErr;
		// A restart on the same port may race the old socket: retry briefly.
		for (let i = 0; i < 25; i++) {
			try {
				return await this.spawnOnce(addr);
			} catch (e) {
				lastErr = e;
				if (addr.endsWith(':0'))
					break;
				await sleep(200);
			}
		}
		throw lastErr;
	}

	spawnOnce(addr) {
		const args = ['--listen', addr, ...this.args];
		fs.appendFileSync(this.logPath, `# ${this.bin} ${args.join(' ')}\n`);
		const child = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
		running.add(child);
		this.child = child;
		this.exited = new Promise((resolve) => child.on('exit', (code, sig) => {
			running.delete(child);
			resolve({ code, sig });
		}));
		return new Promise((resolve, reject) => {
			let buf = '';
			let stderr = '';
			const timer = setTimeout(() => fail('no "listening" line within 10 s'), 10000);
			const fail = (why) => {
				clearTimeout(timer);
				try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
				reject(new Error(`${this.name} ${args.join(' ')}: ${why}\n${stderr.slice(-2000)}`));
			};
			child.stderr.on('data', (d) => {
				stderr += d;
				fs.appendFileSync(this.logPath, d);
			});
			child.stdout.on('data', (d) => {
				fs.appendFileSync(this.logPath, d);
				buf += d;
				let nl;
				while ((nl = buf.indexOf('\n')) >= 0) {
					const line = buf.slice(0, nl);
					buf = buf.slice(nl + 1);
					let j;
					try { j = JSON.parse(line); } catch { continue; }
					if (j.msg === 'listening' && j.addr && !this.ready) {
						this.ready = true;
						clearTimeout(timer);
						this.addr = j.addr;
						this.url = 'http://' + j.addr;
						resolve(this);
					}
				}
				if (buf.length > 65536)
					buf = '';
			});
			child.on('exit', (code, sig) => {
				if (!this.ready)
					fail(`exited (${code ?? sig}) before listening`);
			});
			this.ready = false;
		});
	}

	async kill(sig = 'SIGKILL') {
		if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null)
			return;
		process.kill(this.child.pid, sig);
		const t = setTimeout(() => {
			try { process.kill(this.child.pid, 'SIGKILL'); } catch { /* gone */ }
		}, 10000);
		await this.exited;
		clearTimeout(t);
	}

	// Kill, then start again on the same address (the page's origin),
	// optionally as another instance (a new pod of a Deployment).
	async restart(sig, instance) {
		await this.kill(sig);
		if (instance) {
			const i = this.args.indexOf('--instance');
			this.args[i + 1] = instance;
		}
		const addr = this.addr;
		await this.start(addr);
		assert.equal(this.addr, addr, 'restarted on the same address');
	}
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Is bin/stateful a real server yet?  Until its issue lands it is a stub
// that exits 1 saying "... is not built yet": that is a SKIP with its own
// words.  Any other failure to start is left to the test, and fails it.
let statefulProbe = null;
async function statefulMissing() {
	if (!binary('stateful'))
		return `${path.join(BIN, 'stateful')} is not built`;
	if (statefulProbe === null) {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statelab-browser-probe-'));
		const s = new Server('stateful', ['--instance', 'probe', '--db', path.join(dir, 'probe.db')], 'stateful-probe');
		try {
			await s.start();
			await s.kill('SIGTERM');
			statefulProbe = '';
		} catch (e) {
			const m = /not built yet/.test(e.message) && e.message.split('\n').find((l) => /not built yet/.test(l));
			statefulProbe = m ? `bin/stateful is a stub: ${m.trim()}` : '';
		}
		fs.rmSync(dir, { recursive: true, force: true });
	}
	return statefulProbe;
}

// ---- the browser, and a watch on everything that goes wrong in it ----

const browsers = new Set();

async function openBrowser() {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statelab-chromium-'));
	const ctx = await chromium.launchPersistentContext(dir, {
		executablePath: CHROMIUM,
		headless: true,
		args: CHROMIUM_FLAGS,
		viewport: VIEWPORT,
		timeout: 60000,
	});
	const b = {
		ctx,
		async close() {
			browsers.delete(b);
			await ctx.close().catch(() => {});
			fs.rmSync(dir, { recursive: true, force: true });
		},
	};
	browsers.add(b);
	return b;
}

after(async () => {
	for (const b of [...browsers])
		await b.close();
	for (const child of [...running]) {
		try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
	}
});

// Records console errors, page errors, failed requests and HTTP errors.
// A step may announce what it expects: an outage of one origin (connection
// refused while its server is down), the 401s that report a loss, and
// aborted requests while the page navigates away.
function watch(page) {
	const w = {
		issues: [],
		outages: new Set(),
		losses: new Set(),	/* origins whose 401 session-not-found is expected */
		navigating: false,
		seen401: 0,
		seenDown: 0,
	};
	const originOf = (u) => { try { return new URL(u).origin; } catch { return ''; } };
	const excused = (url, text) => {
		const o = originOf(url);
		if (w.navigating && /ERR_ABORTED/.test(text))
			return true;
		if (w.outages.has(o) && /ERR_(CONNECTION_REFUSED|CONNECTION_RESET|EMPTY_RESPONSE|CONNECTION_CLOSED|SOCKET_NOT_CONNECTED)/.test(text)) {
			w.seenDown++;
			return true;
		}
		return false;
	};
	page.on('console', (m) => {
		if (m.type() !== 'error')
			return;
		const url = m.location()?.url || '';
		const text = m.text();
		if (excused(url, text))
			return;
		if (/status of 401/.test(text) && w.losses.has(originOf(url)))
			return;	// counted in 'response' below
		w.issues.push(`console error: ${text} (${url})`);
	});
	page.on('pageerror', (e) => w.issues.push(`page error: ${e.message}`));
	page.on('requestfailed', (r) => {
		const text = r.failure()?.errorText || '';
		if (!excused(r.url(), text))
			w.issues.push(`request failed: ${r.method()} ${r.url()} ${text}`);
	});
	page.on('response', (r) => {
		if (r.status() < 400)
			return;
		if (r.status() === 401 && w.losses.has(originOf(r.url())) && /\/api\/session/.test(r.url())) {
			// The loss itself: the page must stop asking after it.
			if (++w.seen401 > 4)
				w.issues.push(`more 401s than one loss per pane explains: ${r.url()}`);
			return;
		}
		w.issues.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
	});
	w.check = (what) => assert.deepEqual(w.issues, [], `${what}: the page had errors`);
	return w;
}

// ---- reading the page ----

function pane(page, i) {
	return page.locator('[data-role="pane"]').nth(i);
}

function roleIn(page, i, role) {
	return pane(page, i).locator(`[data-role="${role}"]`);
}

async function shot(page, name) {
	const file = path.join(OUT, name + '.png');
	await page.screenshot({ path: file, fullPage: true });
	return file;
}

// Wait until pane i's [data-role=role] is shown and its text passes test:
// a RegExp, or {min: n} for a number at least n.
async function waitFor(page, i, role, want, what = `${role} ${want}`) {
	const arg = {
		i, role,
		re: want instanceof RegExp ? want.source : null,
		min: want instanceof RegExp ? null : want.min,
	};
	try {
		await page.waitForFunction((a) => {
			const p = document.querySelectorAll('[data-role="pane"]')[a.i];
			const e = p && p.querySelector(`[data-role="${a.role}"]`);
			if (!e || e.closest('[hidden]'))
				return false;
			const t = e.textContent.trim();
			if (a.re !== null)
				return new RegExp(a.re).test(t);
			return /^-?\d+$/.test(t) && Number(t) >= a.min;
		}, arg, { timeout: STEP_MS, polling: 100 });
	} catch (e) {
		const name = 'FAILED-' + what.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60);
		await shot(page, name).catch(() => {});
		const state = await page.evaluate(() => [...document.querySelectorAll('[data-role="pane"]')]
		    .map((p) => p.innerText.replace(/\s+/g, ' ').slice(0, 1500))).catch(() => []);
		throw new Error(`timed out waiting for pane ${i}: ${what}; screenshot ${name}.png; page: ${JSON.stringify(state)}`);
	}
}

// Accessibility: axe-core's WCAG 2.1 A and AA rules on the page as it is
// now (labels, names, contrast, landmarks...).  Evaluated through the
// DevTools protocol, which the page's CSP does not govern.
async function accessibility(page, what) {
	await page.evaluate(AXE);
	const violations = await page.evaluate(async () => {
		const r = await window.axe.run(document, {
			runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
		});
		return r.violations.map((v) => `${v.impact} ${v.id}: ${v.help} -- ` +
		    v.nodes.slice(0, 4).map((n) => n.target.join(' ') + ' ' +
		    (n.failureSummary || '').replace(/\s+/g, ' ')).join(' | '));
	});
	assert.deepEqual(violations, [], `${what}: accessibility violations`);
}

async function text(page, i, role) {
	return (await roleIn(page, i, role).first().textContent()).trim();
}

async function counter(page, i) {
	return Number(await text(page, i, 'counter'));
}

// Log in on pane i and press +1 n times (each click is queued by the page).
async function loginAndCount(page, i, user, n) {
	await roleIn(page, i, 'user').fill(user);
	await roleIn(page, i, 'login-btn').click();
	await waitFor(page, i, 'counter', /^0$/, `${user} logged in`);
	for (let k = 1; k <= n; k++) {
		await roleIn(page, i, 'inc').click();
		await waitFor(page, i, 'counter', new RegExp(`^${k}$`), `counter ${k}`);
	}
}

// ---- the page's files, before any browser ----

test('the page is three small files with nothing inline', () => {
	const raw = fs.readFileSync(path.join(WEB, 'index.html'), 'utf8');
	const html = raw.replace(/<!--[\s\S]*?-->/g, '');	/* the head comment may say "style" */
	const js = fs.readFileSync(path.join(WEB, 'app.js'), 'utf8');
	const css = fs.readFileSync(path.join(WEB, 'app.css'), 'utf8');
	const total = Buffer.byteLength(raw) + Buffer.byteLength(js) + Buffer.byteLength(css);
	assert.ok(total < 100 * 1024, `page is ${total} bytes, budget 100 KiB`);
	// The CSP forbids inline code and style; catch it before the browser does.
	assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'inline <script>');
	assert.doesNotMatch(html, /<style[\s>]/i, 'inline <style>');
	assert.doesNotMatch(html, /\sstyle\s*=/i, 'style="" attribute');
	assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'on*="" handler attribute');
	assert.doesNotMatch(html + css, /(?:src|href)\s*=\s*["']?(?:https?:)?\/\/|url\(\s*["']?(?:https?:)?\/\//i,
	    'an external URL in the page');
	assert.doesNotMatch(css, /@import|@font-face/i, 'external CSS or font');
	assert.doesNotMatch(js, /\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/,
	    'HTML parsing of strings, or eval, in app.js');
	assert.doesNotMatch(js, /setAttribute\(\s*['"]style['"]|\.style\.cssText/, 'inline style from app.js');
});

// ---- stateless: the loss ----

test('stateless: a restart loses the session, and the page shows the loss', { timeout: 120000 }, async (t) => {
	if (!binary('stateless')) {
		t.skip(`${path.join(BIN, "stateless")} is not built`);
		return;
	}
	const srv = new Server('stateless', ['--instance', 'stateless-a'], 'stateless');
	await srv.start();
	const browser = await openBrowser();
	try {
		const page = await browser.ctx.newPage();
		const w = watch(page);
		const res = await page.goto(srv.url + '/');
		assert.equal(res.status(), 200);
		const csp = res.headers()['content-security-policy'] || '';
		assert.match(csp, /default-src 'none'/, 'CSP header on GET /');
		assert.match(csp, /script-src 'self'/);
		assert.match(res.headers()['content-type'] || '', /^text\/html/);
		for (const asset of ['/app.js', '/app.css']) {
			const r = await page.request.get(srv.url + asset);
			assert.equal(r.status(), 200, asset);
		}

		await waitFor(page, 0, 'service', /^stateless$/, 'header says stateless');
		await waitFor(page, 0, 'instance', /stateless-a/, 'header shows stateless-a');
		await waitFor(page, 0, 'store', /\S/, 'header shows the store');
		await waitFor(page, 0, 'uptime', /\d+s|\d+m/, 'header shows uptime');
		await shot(page, 'stateless-0-start');
		await accessibility(page, 'login view');

		await loginAndCount(page, 0, 'alice', 3);
		// Auto +1 (5 per second) for a moment, then off.
		await roleIn(page, 0, 'auto').click();
		assert.equal(await roleIn(page, 0, 'auto').getAttribute('aria-pressed'), 'true');
		await waitFor(page, 0, 'counter', { min: 8 }, 'auto +1 counts');
		await roleIn(page, 0, 'auto').click();
		assert.equal(await roleIn(page, 0, 'auto').getAttribute('aria-pressed'), 'false');
		await waitFor(page, 0, 'legend', /stateless-a/, 'legend names stateless-a');
		await sleep(400);
		await shot(page, 'stateless-1-counting');
		await accessibility(page, 'counter view');
		const before = await counter(page, 0);
		t.diagnostic(`counter before the kill: ${before}`);

		// Kill the process and start a new instance on the same address,
		// as a Deployment replaces a pod.
		w.outages.add(srv.url);
		w.losses.add(srv.url);
		await srv.restart('SIGKILL', 'stateless-b');

		await waitFor(page, 0, 'n-loss', /^1$/, 'loss counter 1');
		await waitFor(page, 0, 'lost', /Session lost/i, 'the loss box');
		await waitFor(page, 0, 'timeline', /LOST · \d\d:\d\d:\d\d · stateless-b/, 'red LOST band with time and instance');
		await waitFor(page, 0, 'lost-text', /^At \d\d:\d\d:\d\d, stateless-b answered “session not found” for alice\.$/,
		    'the loss box: time, instance, "session not found"');
		await waitFor(page, 0, 'explain-text', /never saw your session.*memory of stateless-a/,
		    'what-just-happened explains the loss');
		await waitFor(page, 0, 'legend', /stateless-a.*stateless-b/, 'legend has both instances');
		await waitFor(page, 0, 'instance', /stateless-b/, 'header shows the new instance');
		assert.ok(await pane(page, 0).evaluate((p) => p.classList.contains('is-lost')));
		w.outages.delete(srv.url);
		assert.ok(w.seen401 >= 1, 'the loss came from a 401');
		await shot(page, 'stateless-2-lost');
		await accessibility(page, 'loss view');
		await page.emulateMedia({ colorScheme: 'dark' });
		await sleep(500);	/* let the colour transitions end */
		await accessibility(page, 'loss view, dark scheme');
		await shot(page, 'stateless-2-lost-dark');
		await page.emulateMedia({ colorScheme: 'light' });

		// One click logs in again, with the same name; the keyboard works.
		await roleIn(page, 0, 'relogin').click();
		await waitFor(page, 0, 'counter', /^0$/, 'logged in again');
		await page.keyboard.press('i');
		await waitFor(page, 0, 'counter', /^1$/, 'key I is +1');
		assert.equal(await text(page, 0, 'n-loss'), '1', 'still one loss');
		assert.equal(await text(page, 0, 'n-kept'), '0', 'nothing was kept');
		await sleep(1200);	/* a heartbeat or two, which must not fail */
		await shot(page, 'stateless-3-relogin');
		w.check('stateless');
	} finally {
		await browser.close();
		await srv.kill('SIGTERM');
	}
});

// ---- stateless scaled out: two replicas behind a round-robin balancer ----

// A Service in front of a Deployment, in 20 lines: each request goes to
// the next replica.  Only for this test, on 127.0.0.1.
function roundRobin(targets) {
	let n = 0;
	const srv = http.createServer((req, res) => {
		const t = new URL(targets[n++ % targets.length]);
		const up = http.request({
			host: t.hostname, port: t.port, method: req.method, path: req.url,
			headers: { ...req.headers, host: t.host },
		}, (r) => {
			res.writeHead(r.statusCode, r.headers);
			r.pipe(res);
		});
		up.on('error', () => {
			res.writeHead(502, { 'Content-Type': 'text/plain' });
			res.end('balancer: replica unreachable');
		});
		req.pipe(up);
	});
	return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => {
		srv.url = `http://127.0.0.1:${srv.address().port}`;
		resolve(srv);
	}));
}

test('stateless with two replicas behind a balancer: the next replica loses the session', { timeout: 90000 }, async (t) => {
	if (!binary('stateless')) {
		t.skip(`${path.join(BIN, "stateless")} is not built`);
		return;
	}
	const r1 = new Server('stateless', ['--instance', 'stateless-1'], 'scaled-1');
	const r2 = new Server('stateless', ['--instance', 'stateless-2'], 'scaled-2');
	await r1.start();
	await r2.start();
	const lb = await roundRobin([r1.url, r2.url]);
	const browser = await openBrowser();
	try {
		const page = await browser.ctx.newPage();
		const w = watch(page);
		w.losses.add(lb.url);
		await page.goto(lb.url + '/');
		await waitFor(page, 0, 'service', /^stateless$/, 'header says stateless');
		await roleIn(page, 0, 'user').fill('dave');
		await roleIn(page, 0, 'login-btn').click();
		// No kill, no restart: the heartbeat soon reaches the other replica.
		await waitFor(page, 0, 'n-loss', /^1$/, 'loss counter 1');
		await waitFor(page, 0, 'explain-text',
		    /Served by stateless-(1|2), which never saw your session: it was only ever in the memory of stateless-(1|2)/,
		    'what-just-happened names both replicas');
		const why = await text(page, 0, 'explain-text');
		const m = why.match(/stateless-(\d).*stateless-(\d)/);
		assert.notEqual(m[1], m[2], 'two different replicas');
		await waitFor(page, 0, 'legend', /stateless-1.*stateless-2|stateless-2.*stateless-1/, 'legend has both replicas');
		await sleep(300);
		await shot(page, 'scaled-1-lost');
		w.check('scaled');
	} finally {
		await browser.close();
		lb.close();
		await r1.kill('SIGTERM');
		await r2.kill('SIGTERM');
	}
});

// ---- stateful: the session survives ----

test('stateful: a restart keeps the session, and the page shows no loss', { timeout: 120000 }, async (t) => {
	const missing = await statefulMissing();
	if (missing) {
		t.skip(missing);
		return;
	}
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statelab-browser-db-'));
	const srv = new Server('stateful', ['--instance', 'stateful-0', '--db', path.join(dir, 'stateful.db')], 'stateful');
	await srv.start();
	const browser = await openBrowser();
	try {
		const page = await browser.ctx.newPage();
		const w = watch(page);
		await page.goto(srv.url + '/');
		await waitFor(page, 0, 'service', /^stateful$/, 'header says stateful');
		await waitFor(page, 0, 'instance', /stateful-0/, 'header shows stateful-0');
		await waitFor(page, 0, 'generation', /\S/, 'header shows the volume generation');
		const boot1 = await text(page, 0, 'boot');

		await loginAndCount(page, 0, 'bob', 2);
		await roleIn(page, 0, 'auto').click();
		await waitFor(page, 0, 'counter', { min: 6 }, 'auto +1 counts');
		await shot(page, 'stateful-1-counting');

		// Kill -9 with auto +1 running, and start the same pod name again on
		// the same database file, as a StatefulSet does.
		w.outages.add(srv.url);
		await srv.kill('SIGKILL');
		const acked = await counter(page, 0);
		t.diagnostic(`counter acknowledged before the kill: ${acked}`);
		await sleep(700);	/* a few refused requests, as in a real restart */
		await srv.start(srv.addr);

		await waitFor(page, 0, 'n-kept', { min: 1 }, 'a new boot that kept the session');
		await waitFor(page, 0, 'timeline', /kept · stateful-0/, 'the kept mark');
		await waitFor(page, 0, 'explain-text', /restarted.*still knew your session/, 'what-just-happened explains');
		await waitFor(page, 0, 'counter', { min: acked }, `counter at least ${acked} (nothing acknowledged was lost)`);
		// The same file, opened once more: generation + 1.
		await waitFor(page, 0, 'explain-text', /the same file, opened again: volume generation \d+ → \d+\.$/,
		    'what-just-happened names the volume generation');
		const [, g1, g2] = (await text(page, 0, 'explain-text')).match(/generation (\d+) → (\d+)/);
		assert.equal(Number(g2), Number(g1) + 1, 'generation went up by one');
		await waitFor(page, 0, 'generation', new RegExp(`^${g2}$`), 'header shows the new generation');
		await roleIn(page, 0, 'auto').click();
		w.outages.delete(srv.url);
		await waitFor(page, 0, 'boot', new RegExp(`^(?!${boot1}$)`), 'header shows a new boot_id');
		assert.equal(await text(page, 0, 'n-loss'), '0', 'no loss');
		assert.ok(await roleIn(page, 0, 'lost').isHidden(), 'no loss box');
		await sleep(600);
		await shot(page, 'stateful-2-kept');

		// Now lose the volume (as when its PersistentVolumeClaim is
		// deleted): the same pod name on a new, empty file is a loss.
		w.outages.add(srv.url);
		w.losses.add(srv.url);
		await srv.kill('SIGKILL');
		for (const f of fs.readdirSync(dir))
			fs.rmSync(path.join(dir, f), { force: true });
		await srv.start(srv.addr);
		await waitFor(page, 0, 'n-loss', /^1$/, 'a new volume is a loss');
		await waitFor(page, 0, 'explain-text', /stateful-0 came back with a new, empty database .*the volume that held your session is gone/,
		    'what-just-happened names the new volume');
		w.outages.delete(srv.url);
		await sleep(300);
		await shot(page, 'stateful-3-new-volume');
		w.check('stateful');
	} finally {
		await browser.close();
		await srv.kill('SIGTERM');
		fs.rmSync(dir, { recursive: true, force: true });
	}
});

// ---- compare: both side by side ----

test('compare view: stateless and stateful side by side, then both restarted', { timeout: 150000 }, async (t) => {
	if (!binary('stateless')) {
		t.skip(`${path.join(BIN, "stateless")} is not built`);
		return;
	}
	const missing = await statefulMissing();
	const haveStateful = !missing;
	if (!haveStateful)
		t.diagnostic(`SKIP (stateful part): ${missing}; the right pane is a second stateless server`);
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statelab-browser-db-'));
	// The page comes from the left server, so only the right one is
	// cross-origin; give both the page's origin, as `make demo` would.
	const left = new Server('stateless', ['--instance', 'stateless-a'], 'compare-stateless');
	await left.start();
	const cors = ['--cors-origins', left.url];
	const right = haveStateful ?
	    new Server('stateful', ['--instance', 'stateful-0', '--db', path.join(dir, 'stateful.db'), ...cors], 'compare-stateful') :
	    new Server('stateless', ['--instance', 'other-a', ...cors], 'compare-right');
	await right.start();
	const browser = await openBrowser();
	try {
		const page = await browser.ctx.newPage();
		const w = watch(page);
		await page.goto(left.url + '/');
		await waitFor(page, 0, 'service', /^stateless$/, 'single view first');

		// The page's own toggle opens the compare form and navigates.
		await page.locator('#compare-toggle').click();
		assert.equal(await page.locator('#compare-url-1').inputValue(), left.url);
		await page.locator('#compare-url-2').fill(right.url);
		w.navigating = true;
		await Promise.all([
			page.waitForURL((u) => u.search.startsWith('?compare=')),
			page.locator('#compare-form button[type="submit"]').click(),
		]);
		await page.waitForLoadState('load');
		w.navigating = false;
		assert.equal(new URL(page.url()).searchParams.get('compare'), `${left.url},${right.url}`);
		assert.equal(await page.locator('[data-role="pane"]').count(), 2, 'two panes');
		await waitFor(page, 0, 'service', /^stateless$/, 'left pane is stateless');
		await waitFor(page, 1, 'service', haveStateful ? /^stateful$/ : /^stateless$/, 'right pane service');
		await waitFor(page, 1, 'reach-text', /^online$/, 'right pane reached over CORS');

		// Drive both panes at once.
		await page.locator('#both-user').fill('carol');
		await page.locator('#both-login').click();
		await waitFor(page, 0, 'counter', /^0$/, 'left logged in');
		await waitFor(page, 1, 'counter', /^0$/, 'right logged in');
		for (let k = 1; k <= 3; k++) {
			await page.locator('#both-inc').click();
			await waitFor(page, 0, 'counter', new RegExp(`^${k}$`), `left counter ${k}`);
			await waitFor(page, 1, 'counter', new RegExp(`^${k}$`), `right counter ${k}`);
		}
		await sleep(300);
		await shot(page, 'compare-1-both');

		// Kill both; restart: stateless as a new instance, stateful as itself.
		w.outages.add(left.url);
		w.outages.add(right.url);
		w.losses.add(left.url);
		if (!haveStateful)
			w.losses.add(right.url);
		await left.restart('SIGKILL', 'stateless-b');
		await right.restart('SIGKILL', haveStateful ? null : 'other-b');

		await waitFor(page, 0, 'n-loss', /^1$/, 'left: one loss');
		await waitFor(page, 0, 'timeline', /LOST · .* · stateless-b/, 'left: the LOST band');
		if (haveStateful) {
			await waitFor(page, 1, 'n-kept', { min: 1 }, 'right: kept across the restart');
			await waitFor(page, 1, 'counter', { min: 3 }, 'right: the counter survived');
			assert.equal(await text(page, 1, 'n-loss'), '0', 'right: no loss');
		} else {
			await waitFor(page, 1, 'n-loss', /^1$/, 'right (stateless too): one loss');
		}
		await waitFor(page, 0, 'explain-text', /stateless-b/, 'left explains');
		w.outages.clear();
		await sleep(1200);
		await shot(page, 'compare-2-after-restart');
		await accessibility(page, 'compare view');
		w.check('compare');
	} finally {
		await browser.close();
		await left.kill('SIGTERM');
		await right.kill('SIGTERM');
		fs.rmSync(dir, { recursive: true, force: true });
	}
});
