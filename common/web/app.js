/*
 * app.js - the statelab dashboard: who served each request, and the moment
 * a session is lost.
 *
 * One Pane per server.  Single view: one pane, same origin.  Compare view
 * (/?compare=URL1,URL2): one pane per URL, side by side, cross-origin (the
 * servers must be started with --cors-origins <this page's origin>).
 *
 * Every pane keeps its own Bearer token (from the 201 of POST /api/sessions;
 * any later body with a "token" field replaces it) and never uses cookies,
 * so single and compare views behave the same.  The token is kept in
 * sessionStorage, so a reload of the tab resumes the session.
 *
 * Per pane, the state that makes the lesson:
 *
 *   logged out --login()--> alive --401 session-not-found--> lost
 *                             |  ^                              |
 *          network error:     v  | any answer                   | relogin()
 *                            down                               v
 *                                                             alive
 *
 * Each answer to a session request is compared with the last good one
 * (lastOk): another instance, or the same instance with a new boot_id, that
 * still knows the session is "kept" (the StatefulSet case); an answer
 * "session not found" is a loss.  Only textContent is ever written: server
 * strings are never parsed as HTML.  No inline style: the CSP forbids it, so
 * colours are classes and custom properties.
 */
'use strict';

(function () {
	var AUTO_MS = 200;		/* auto +1: 5 per second */
	var BEAT_MS = 1000;		/* GET /api/session while idle */
	var INFO_MS = 2000;		/* GET /api/info for the header */
	var DOWN_RETRY_MS = 1000;	/* while down, try once a second */
	var FETCH_TIMEOUT_MS = 4000;
	var STICKY_MS = 8000;		/* a notable explanation stays this long */
	var MAX_MARKS = 160;
	var MAX_EVENTS = 8;
	var PALETTE = 8;		/* .c0 ... .c7 in app.css */

	var panes = [];
	var colourOf = new Map();	/* instance name -> palette index */

	/* ---- small helpers ---- */

	function role(root, name) {
		return root.querySelector('[data-role="' + name + '"]');
	}

	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined)
			e.textContent = text;
		return e;
	}

	function clock(d) {
		d = d || new Date();
		return d.toTimeString().slice(0, 8);
	}

	/* An RFC 3339 time, short: the clock time if today, else the date too. */
	function when(iso) {
		var d = new Date(iso);
		if (!iso || isNaN(d.getTime()))
			return String(iso || '?');
		if (d.toDateString() === new Date().toDateString())
			return 'at ' + clock(d);
		return d.toISOString().slice(0, 10) + ' ' + clock(d);
	}

	function shortId(id) {
		return id ? String(id).slice(0, 8) : '?';
	}

	function duration(s) {
		s = Math.max(0, Math.floor(s));
		var d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24;
		var m = Math.floor(s / 60) % 60, sec = s % 60;
		function p(n) { return (n < 10 ? '0' : '') + n; }
		if (d > 0)
			return d + 'd ' + p(h) + 'h';
		if (h > 0)
			return h + 'h ' + p(m) + 'm';
		if (m > 0)
			return m + 'm ' + p(sec) + 's';
		return sec + 's';
	}

	/* A stable colour and letter per instance name, shared by all panes. */
	function colour(inst) {
		if (!colourOf.has(inst))
			colourOf.set(inst, colourOf.size);
		return colourOf.get(inst);
	}

	function colourClass(inst) {
		return 'c' + (colour(inst) % PALETTE);
	}

	function letter(inst) {
		var i = colour(inst);
		return String.fromCharCode(65 + (i % 26)) + (i >= 26 ? String(Math.floor(i / 26)) : '');
	}

	function store(name, kind) {
		try {
			if (kind === undefined)
				return JSON.parse(sessionStorage.getItem(name) || 'null');
			if (kind === null)
				sessionStorage.removeItem(name);
			else
				sessionStorage.setItem(name, JSON.stringify(kind));
		} catch (e) {
			/* storage disabled: the session just does not survive a reload */
		}
		return null;
	}

	function normaliseBase(s) {
		var u = new URL(s.trim());
		if (u.protocol !== 'http:' && u.protocol !== 'https:')
			throw new Error('not an http(s) URL: ' + s);
		return u.origin + u.pathname.replace(/\/+$/, '');
	}

	/* ---- what the store means, in plain words ---- */

	function storeKind(st) {
		st = String(st || '').toLowerCase();
		if (st.indexOf('memory') >= 0)
			return 'memory';
		if (/sqlite|sql|file|disk/.test(st))
			return 'sqlite';
		if (/token|jwt/.test(st))
			return 'token';
		if (st.indexOf('remote') >= 0)
			return 'remote';
		return 'other';
	}

	function whereItLives(st, inst) {
		switch (storeKind(st)) {
		case 'memory':
			return 'only in the memory of ' + inst + ': no other instance can see it, and it dies with that process';
		case 'sqlite':
			return 'in a SQLite file on ' + inst + '\u2019s volume, which outlives the process';
		case 'token':
			return 'in the signed token this page sends with every request: any instance can read it';
		case 'remote':
			return 'in a separate store that every instance asks';
		default:
			return 'in its \u201c' + st + '\u201d store';
		}
	}

	function whyKept(st) {
		switch (storeKind(st)) {
		case 'sqlite':
			return 'it is in the SQLite file on the volume, which outlived the process';
		case 'token':
			return 'it travels in the signed token this page holds, so any instance can read it';
		case 'remote':
			return 'it lives in a separate store that every instance asks';
		case 'memory':
			return 'this process still holds it in memory';
		default:
			return 'its \u201c' + st + '\u201d store still has it';
		}
	}

	/* ---- Pane ---- */

	function Pane(root, base, compare) {
		this.root = root;
		this.base = base;			/* '' = same origin */
		this.origin = base || location.origin;
		this.compare = compare;
		this.key = 'statelab.session:' + this.origin;
		this.token = null;
		this.user = '';
		this.lastOk = null;	/* the last good answer, see ok() */
		this.createdBy = '';
		this.info = null;
		this.infoAt = 0;
		this.infoBusy = false;
		this.infoPromise = null;
		this.busy = false;
		this.queued = 0;
		this.auto = false;
		this.down = false;
		this.reachable = null;
		this.lastTry = 0;
		this.nReq = 0;
		this.nLoss = 0;
		this.nKept = 0;
		this.stickyUntil = 0;
		this.seen = new Set();		/* instances in the legend */
		this.knownBy = new Set();	/* instance/boot that answered this session */
		this.vol = {};			/* instance -> its database, see noteVolume() */
		this.wire();
		var saved = store(this.key);
		if (saved && saved.token) {
			this.token = saved.token;
			this.user = saved.user || '';
			this.showSession(null);
			this.explain('Resuming the session of ' + this.user + ' kept in this tab\u2026', false);
		}
	}

	Pane.prototype.wire = function () {
		var self = this, r = this.root;
		var id = 'p' + panes.length;
		var input = role(r, 'user');
		input.id = id + '-user';
		role(r, 'user-label').htmlFor = input.id;
		r.setAttribute('aria-labelledby', id + '-svc');
		role(r, 'service').id = id + '-svc';
		role(r, 'target').textContent = this.origin;
		role(r, 'login').addEventListener('submit', function (ev) {
			ev.preventDefault();
			self.login(input.value.trim());
		});
		role(r, 'inc').addEventListener('click', function () { self.inc(); });
		role(r, 'auto').addEventListener('click', function () { self.setAuto(!self.auto); });
		role(r, 'logout').addEventListener('click', function () { self.logout(); });
		role(r, 'relogin').addEventListener('click', function () { self.relogin(); });
	};

	/* One HTTP exchange.  Never throws: a network failure is {net: true}. */
	Pane.prototype.api = function (method, path, body, auth) {
		var self = this;
		var headers = {};
		var ctl = new AbortController();
		var timer = setTimeout(function () { ctl.abort(); }, FETCH_TIMEOUT_MS);
		if (body !== undefined)
			headers['Content-Type'] = 'application/json';
		if (auth && this.token)
			headers.Authorization = 'Bearer ' + this.token;
		return fetch(this.base + path, {
			method: method,
			headers: headers,
			body: body === undefined ? undefined : JSON.stringify(body),
			credentials: 'omit',	/* Bearer only: same in both views */
			cache: 'no-store',
			signal: ctl.signal
		}).then(function (res) {
			var ct = res.headers.get('Content-Type') || '';
			var parse = (res.status !== 204 && /json/.test(ct)) ?
			    res.json().catch(function () { return null; }) :
			    res.text().then(function () { return null; });
			return parse.then(function (json) {
				clearTimeout(timer);
				var sb = json && json.served_by;
				if (json && typeof json.token === 'string' && json.token)
					self.setToken(json.token);
				return {
					status: res.status,
					json: json,
					instance: res.headers.get('X-Served-By') ||
					    (sb && sb.instance) || ''
				};
			});
		}).catch(function (err) {
			clearTimeout(timer);
			return { net: true, error: err };
		});
	};

	Pane.prototype.setToken = function (t) {
		this.token = t;
		store(this.key, t ? { token: t, user: this.user } : null);
	};

	/* ---- header: /api/info ---- */

	/* Resolves to the info object, or null; joins a poll already running. */
	Pane.prototype.pollInfo = function () {
		var self = this;
		if (this.infoBusy)
			return this.infoPromise;
		this.infoBusy = true;
		this.infoPromise = this.api('GET', '/api/info').then(function (r) {
			self.infoBusy = false;
			if (r.net || r.status !== 200 || !r.json) {
				self.setReach(false, r);
				return null;
			}
			var old = self.info;
			self.info = r.json;
			self.infoAt = performance.now();
			self.setReach(true);
			/*
			 * generation counts the opens of one database file, and
			 * db_created_at names the file: a new one means a new
			 * volume (a deleted PersistentVolumeClaim).
			 */
			if (old && old.instance === r.json.instance && old.db_created_at &&
			    r.json.db_created_at && old.db_created_at !== r.json.db_created_at)
				self.event('gen', '\u27F3', r.json.instance + ' has a new, empty volume (database created ' +
				    when(r.json.db_created_at) + ')');
			self.noteVolume();
			self.renderInfo();
			return r.json;
		});
		return this.infoPromise;
	};

	Pane.prototype.setReach = function (ok, r) {
		var text = role(this.root, 'reach-text');
		if (ok) {
			text.textContent = 'online';
		} else if (r && !r.net) {
			text.textContent = 'answers ' + r.status;
		} else {
			text.textContent = this.base !== '' ?
			    'no answer (down, or not started with --cors-origins ' + location.origin + ')' :
			    'no answer';
		}
		this.root.classList.toggle('is-offline', !ok);
		if (this.reachable !== null && this.reachable !== ok)
			this.event(ok ? 'up' : 'down', ok ? '\u2191' : '\u2013', ok ?
			    this.origin + ' answers again' :
			    this.origin + ' stopped answering');
		this.reachable = ok;
	};

	Pane.prototype.renderInfo = function () {
		var i = this.info, r = this.root;
		if (!i)
			return;
		var svc = String(i.service || 'server');
		role(r, 'service').textContent = svc;
		r.setAttribute('data-service', /^(stateless|stateful)$/.test(svc) ? svc : 'other');
		this.setInstance(i.instance);
		role(r, 'store').textContent = i.store || '\u2013';
		var boot = role(r, 'boot');
		boot.textContent = shortId(i.boot_id);
		boot.title = 'boot_id ' + (i.boot_id || '?') + ', started ' + (i.started_at || '?');
		var hasGen = i.generation !== undefined && i.generation !== null;
		role(r, 'gen-box').hidden = !hasGen;
		if (hasGen) {
			var g = role(r, 'generation');
			g.textContent = String(i.generation);
			g.title = i.db_created_at ? 'times this database file was opened; created ' + i.db_created_at : '';
		}
		this.tick();
		if (!this.compare) {
			document.title = svc + ' \u00b7 ' + i.instance + ' \u2013 statelab';
			var v = document.getElementById('foot-version');
			v.textContent = 'statelab ' + (i.version || '') + ' \u00b7 ' +
			    (i.sessions !== undefined ? i.sessions + (i.sessions === 1 ? ' session' : ' sessions') +
			    ' on this instance' : '');
		}
	};

	/* The instance chip: name plus its letter and colour. */
	Pane.prototype.setInstance = function (inst) {
		if (!inst)
			return;
		var dd = role(this.root, 'instance');
		if (dd.getAttribute('data-inst') === inst)
			return;
		dd.setAttribute('data-inst', inst);
		dd.textContent = '';
		var chip = el('span', 'chip ' + colourClass(inst));
		chip.appendChild(el('span', 'chip-letter', letter(inst)));
		chip.appendChild(el('span', 'chip-name', inst));
		dd.appendChild(chip);
		this.legend(inst);
	};

	Pane.prototype.tick = function () {
		if (!this.info)
			return;
		var up = role(this.root, 'uptime');
		var s = (this.info.uptime_s || 0) + (performance.now() - this.infoAt) / 1000;
		up.textContent = this.reachable === false ? '\u2013' : duration(s);
	};

	/*
	 * Remember the database (generation, db_created_at) of each instance
	 * whose current boot has answered for this session, so that a later
	 * answer can be told apart: the same file opened again, or a new one.
	 */
	Pane.prototype.noteVolume = function () {
		var i = this.info;
		if (i && i.generation !== undefined && this.knownBy.has(i.instance + '/' + (i.boot_id || '')))
			this.vol[i.instance] = { generation: i.generation, dbCreated: i.db_created_at };
	};

	/* ---- session requests ---- */

	Pane.prototype.login = function (user) {
		var self = this;
		if (!/^[A-Za-z0-9._@-]{1,64}$/.test(user)) {
			this.explain('A name is 1\u201364 letters, digits or . _ @ -', true);
			role(this.root, 'user').focus();
			return Promise.resolve();
		}
		this.user = user;
		role(this.root, 'user').value = user;
		this.busy = true;
		return this.api('POST', '/api/sessions', { user: user }).then(function (r) {
			self.busy = false;
			if (r.net)
				return self.noAnswer();
			self.back();
			if (r.status !== 201 || !r.json)
				return self.failed(r, 'log in');
			var s = r.json, sb = s.served_by || {};
			var inst = r.instance || sb.instance || '?';
			store(self.key, { token: self.token, user: user });
			self.createdBy = s.created_by || inst;
			self.knownBy = new Set([inst + '/' + (sb.boot_id || '')]);
			self.vol = {};
			self.noteVolume();
			self.lastOk = {
				instance: inst, boot: sb.boot_id, store: sb.store, counter: s.counter
			};
			self.showSession(s);
			self.setInstance(inst);
			self.mark('login', inst, '\u25B6 ' + user, 'login as ' + user + ', created by ' + inst);
			self.event('login', '\u25CF', user + ' logged in on ' + inst);
			self.explain('You are logged in as ' + user + '. ' + inst +
			    ' created your session and keeps it ' + whereItLives(sb.store, inst) + '.', true);
		});
	};

	Pane.prototype.relogin = function () {
		var self = this;
		var u = this.user || role(this.root, 'user').value.trim();
		return this.login(u).then(function () {
			if (self.token)
				role(self.root, 'inc').focus();
		});
	};

	/*
	 * +1.  A click while a request is in flight is queued, not dropped;
	 * an auto tick is simply skipped.
	 */
	Pane.prototype.inc = function (fromAuto) {
		var self = this;
		if (!this.token)
			return Promise.resolve();
		if (this.busy) {
			if (!fromAuto && this.queued < 20)
				this.queued++;
			return Promise.resolve();
		}
		this.busy = true;
		this.lastTry = performance.now();
		return this.api('POST', '/api/session/counter', { by: 1 }, true).then(function (r) {
			self.busy = false;
			self.answer(r, 'write');
			return self.drain();
		});
	};

	/* Run a queued +1, if any, once the request in flight is answered. */
	Pane.prototype.drain = function () {
		if (this.queued === 0)
			return null;
		if (!this.token || this.down) {
			this.queued = 0;
			return null;
		}
		this.queued--;
		return this.inc();
	};

	Pane.prototype.beat = function () {
		var self = this;
		if (!this.token || this.busy)
			return Promise.resolve();
		this.busy = true;
		this.lastTry = performance.now();
		return this.api('GET', '/api/session', undefined, true).then(function (r) {
			self.busy = false;
			self.answer(r, 'read');
			return self.drain();
		});
	};

	Pane.prototype.logout = function () {
		var self = this;
		if (!this.token)
			return Promise.resolve();
		this.setAuto(false);
		this.busy = true;
		return this.api('DELETE', '/api/session', undefined, true).then(function (r) {
			self.busy = false;
			if (r.net)
				return self.noAnswer();
			self.back();
			self.setToken(null);
			self.lastOk = null;
			self.showLogin();
			self.mark('logout', r.instance, '\u25A0', 'logout, answered by ' + (r.instance || '?'));
			self.event('logout', '\u25CB', self.user + ' logged out (' + (r.instance || '?') + ' deleted the session)');
			self.explain('You logged out: ' + (r.instance || 'the server') + ' deleted your session.', true);
		});
	};

	/* The answer to GET /api/session or POST /api/session/counter. */
	Pane.prototype.answer = function (r, kind) {
		if (!this.token && !r.net)
			return null;	/* logged out meanwhile */
		if (r.net)
			return this.noAnswer();
		this.back();
		if (r.status === 200 && r.json)
			return this.ok(r, kind);
		var type = (r.json && r.json.type) || '';
		if (r.status === 401 && /session-(not-found|expired)$/.test(type))
			return this.loss(r, /expired$/.test(type));
		return this.failed(r, kind === 'write' ? '+1' : 'read the session');
	};

	Pane.prototype.ok = function (r, kind) {
		var s = r.json, sb = s.served_by || {};
		var inst = r.instance || sb.instance || '?';
		var prev = this.lastOk;
		var now = {
			instance: inst, boot: sb.boot_id, store: sb.store, counter: s.counter
		};
		var was = this.vol[inst];
		this.setInstance(inst);
		this.showCounter(s, inst);
		/*
		 * Only a server (instance + boot) that has not answered for this
		 * session before makes a "kept" mark: in token or remote mode the
		 * requests hop between replicas all the time, and each hop back
		 * to a known one is an ordinary mark in that replica's colour.
		 */
		var key = inst + '/' + (sb.boot_id || '');
		var fresh = !this.knownBy.has(key);
		this.knownBy.add(key);
		this.noteVolume();
		var moved = fresh && prev && prev.instance !== inst;
		var rebooted = fresh && prev && !moved && prev.boot && sb.boot_id && prev.boot !== sb.boot_id;
		if (moved || rebooted) {
			this.nKept++;
			var why = whyKept(sb.store || prev.store);
			var what = moved ?
			    'Served by ' + inst + ', not ' + prev.instance + ' as before \u2014 and it still knew your session (counter ' + s.counter + '): ' + why + '.' :
			    inst + ' restarted (new boot ' + shortId(sb.boot_id) + ') and still knew your session (counter ' + s.counter + '): ' + why + '.';
			this.mark('kept', inst, '\u21C4 kept \u00b7 ' + inst, clock() + ' ' + what);
			this.event('kept', '\u21C4', moved ?
			    'kept: ' + inst + ' (not ' + prev.instance + ') still knew the session, counter ' + s.counter :
			    'kept: ' + inst + ' restarted (boot ' + shortId(sb.boot_id) + ') and still knew the session, counter ' + s.counter);
			this.explain(what, true);
			if (rebooted)
				this.explainVolume(inst, sb.boot_id, was, what);
		} else {
			this.mark(kind, inst, '', (kind === 'write' ? '+1 \u2192 ' : 'read: ') + s.counter + ', served by ' + inst);
			/* Not at 5 per second: the line is a live region. */
			if (kind === 'write' && !this.auto)
				this.explain(inst + ' answered: counter is now ' + s.counter + '.', false);
		}
		this.lastOk = now;
		this.renderStats();
		return null;
	};

	Pane.prototype.loss = function (r, expired) {
		var self = this;
		var inst = r.instance || '?';
		var prev = this.lastOk || { instance: this.createdBy || '?', store: '' };
		var was = this.vol[inst];
		var at = clock();
		this.setToken(null);
		this.setAuto(false);
		this.lastOk = null;
		this.queued = 0;
		if (!expired)
			this.nLoss++;
		if (inst !== '?')
			this.setInstance(inst);
		this.mark('loss', inst, (expired ? '\u231B expired' : '\u2715 LOST') + ' \u00b7 ' + at + ' \u00b7 ' + inst,
		    at + ' ' + inst + ' answered \u201csession ' + (expired ? 'expired' : 'not found') + '\u201d');
		var fact = inst + ' answered \u201csession ' + (expired ? 'expired' : 'not found') + '\u201d';
		this.showLost(at, fact + (this.user ? ' for ' + this.user : '') + '.', expired);
		this.event('loss', expired ? '\u231B' : '\u2715', (expired ? 'expired: ' : 'LOST: ') + fact);
		this.renderStats();
		if (expired) {
			this.explain(inst + ' says your session expired: it sat idle longer than the session TTL.', true);
			return null;
		}
		this.explain(fact + '.', true);
		/*
		 * Ask who answered, to tell "another instance" from "restarted"
		 * from "new volume".  A poll already under way may still carry
		 * the old process (or nothing): then ask once more.
		 */
		var known = this.knownBy;
		function stale(i) {
			return !i || known.has(i.instance + '/' + (i.boot_id || ''));
		}
		return this.pollInfo().then(function (i) {
			return stale(i) ? self.pollInfo() : i;
		}).then(function (info) {
			self.explain(lossText(inst, prev, info, was), true);
		});
	};

	/*
	 * After a restart that kept the session: ask /api/info and, when it is
	 * the same database file opened once more, say so ("generation 3 -> 4").
	 */
	Pane.prototype.explainVolume = function (inst, boot, was, what) {
		var self = this;
		if (!was || was.generation === undefined)
			return;
		this.pollInfo().then(function (i) {
			if (!i || i.instance !== inst || i.boot_id !== boot || i.generation === undefined)
				return;
			if (i.db_created_at === was.dbCreated && i.generation !== was.generation)
				self.explain(what.replace(/\.$/, '') + ' \u2014 the same file, opened again: volume generation ' +
				    was.generation + ' \u2192 ' + i.generation + '.', true);
		});
	};

	function lossText(inst, prev, info, was) {
		var kind = storeKind(prev.store);
		var same = prev.instance === inst;
		if (!same) {
			if (kind === 'sqlite')
				return 'Served by ' + inst + ', which never saw your session: it is in the SQLite file on ' +
				    prev.instance + '\u2019s own volume, and every replica has its own.';
			if (kind === 'memory' || kind === 'other')
				return 'Served by ' + inst + ', which never saw your session: it was only ever in the memory of ' +
				    prev.instance + '.';
			return 'Served by ' + inst + ', which does not know your session (it was created on ' +
			    prev.instance + ', store \u201c' + prev.store + '\u201d).';
		}
		var known = info && info.instance === inst;
		var newBoot = known && prev.boot && info.boot_id && info.boot_id !== prev.boot;
		was = was || {};
		var newVolume = known && was.dbCreated && info.db_created_at && info.db_created_at !== was.dbCreated;
		if (newVolume)
			return inst + ' came back with a new, empty database (created ' + when(info.db_created_at) +
			    ', generation ' + info.generation + '): the volume that held your session is gone.';
		if (newBoot && kind === 'memory')
			return inst + ' restarted (new boot ' + shortId(info.boot_id) + ', was ' + shortId(prev.boot) +
			    ') and lost your session: it was only ever in the memory of the process that stopped.';
		if (newBoot)
			return inst + ' restarted (new boot ' + shortId(info.boot_id) + ') and no longer has your session.';
		return inst + ' no longer recognises your session: it was deleted, or the server dropped it.';
	}

	Pane.prototype.noAnswer = function () {
		this.lastTry = performance.now();
		if (!this.down) {
			this.down = true;
			this.explain('No answer from ' + this.origin + ' \u2014 the server is down or restarting. ' +
			    'The next answer will show whether your session survived.', true);
		}
		this.mark('down', '', '\u2013', clock() + ' no answer from ' + this.origin);
		this.setReach(false);
		this.renderStats();
		return null;
	};

	Pane.prototype.back = function () {
		this.down = false;
		if (this.reachable === false)
			this.setReach(true);
	};

	Pane.prototype.failed = function (r, what) {
		var j = r.json || {};
		var text = 'Could not ' + what + ': ' + r.status + ' ' + (j.title || '') +
		    (j.detail ? ' \u2014 ' + j.detail : '');
		this.mark('err', r.instance, '!', clock() + ' ' + text);
		this.event('err', '!', text);
		this.explain(text, true);
		this.renderStats();
		return null;
	};

	Pane.prototype.setAuto = function (on) {
		this.auto = !!on && !!this.token;
		role(this.root, 'auto').setAttribute('aria-pressed', String(this.auto));
		syncBothAuto();
	};

	/* Called every AUTO_MS by the page clock. */
	Pane.prototype.step = function (now, beatDue) {
		if (!this.token || this.busy)
			return;
		if (this.down && now - this.lastTry < DOWN_RETRY_MS)
			return;
		if (this.auto)
			this.inc(true);
		else if (beatDue || this.down)
			this.beat();
	};

	/* ---- rendering ---- */

	Pane.prototype.showLogin = function () {
		role(this.root, 'login').hidden = false;
		role(this.root, 'counter-box').hidden = true;
		role(this.root, 'lost').hidden = true;
		this.root.classList.remove('is-lost');
	};

	Pane.prototype.showSession = function (s) {
		role(this.root, 'login').hidden = true;
		role(this.root, 'lost').hidden = true;
		role(this.root, 'counter-box').hidden = false;
		this.root.classList.remove('is-lost');
		role(this.root, 'who').textContent = 'Logged in as ' + this.user;
		if (s)
			this.showCounter(s, (s.served_by && s.served_by.instance) || '');
		else
			role(this.root, 'counter').textContent = '\u2026';
	};

	Pane.prototype.showCounter = function (s, inst) {
		var c = role(this.root, 'counter');
		var v = String(s.counter);
		if (c.textContent !== v) {
			c.textContent = v;
			c.classList.remove('bump');
			void c.offsetWidth;	/* restart the animation */
			c.classList.add('bump');
		}
		role(this.root, 'who').textContent = 'Logged in as ' + (s.user || this.user) +
		    ' \u00b7 session created by ' + (s.created_by || this.createdBy || inst || '?');
	};

	Pane.prototype.showLost = function (at, text, expired) {
		role(this.root, 'counter-box').hidden = true;
		role(this.root, 'login').hidden = true;
		role(this.root, 'lost-title').textContent = expired ? 'Session expired' : 'Session lost';
		role(this.root, 'lost-text').textContent = 'At ' + at + ', ' + text;
		role(this.root, 'lost').hidden = false;
		this.root.classList.add('is-lost');
	};

	Pane.prototype.mark = function (kind, inst, label, title) {
		var tl = role(this.root, 'timeline');
		var li = el('li', 'mark m-' + kind + (inst ? ' ' + colourClass(inst) : ''));
		li.title = title;
		if (label)
			li.appendChild(el('span', 'mark-label', label));
		else
			li.appendChild(el('span', 'sr-only', title));
		tl.appendChild(li);
		while (tl.childElementCount > MAX_MARKS)
			tl.removeChild(tl.firstElementChild);
		this.nReq++;
		if (inst)
			this.legend(inst);
		this.renderStats();
	};

	Pane.prototype.legend = function (inst) {
		if (this.seen.has(inst))
			return;
		this.seen.add(inst);
		var li = el('li', 'legend-item ' + colourClass(inst));
		li.appendChild(el('span', 'swatch', letter(inst)));
		li.appendChild(el('span', 'legend-name', inst));
		role(this.root, 'legend').appendChild(li);
	};

	Pane.prototype.renderStats = function () {
		role(this.root, 'n-req').textContent = String(this.nReq);
		role(this.root, 'n-loss').textContent = String(this.nLoss);
		role(this.root, 'loss-word').textContent = this.nLoss === 1 ? 'loss' : 'losses';
		role(this.root, 'n-kept').textContent = String(this.nKept);
		role(this.root, 'loss-stat').classList.toggle('has-loss', this.nLoss > 0);
	};

	Pane.prototype.event = function (kind, sym, text) {
		var ol = role(this.root, 'events');
		var li = el('li', 'ev ev-' + kind);
		li.appendChild(el('time', 'ev-time', clock()));
		li.appendChild(el('span', 'ev-sym', sym));
		li.appendChild(el('span', 'ev-text', text));
		ol.insertBefore(li, ol.firstChild);
		while (ol.childElementCount > MAX_EVENTS)
			ol.removeChild(ol.lastElementChild);
	};

	/*
	 * The "what just happened" line.  Notable events (loss, kept, login,
	 * down) stay for STICKY_MS, so that auto +1 does not wipe them out the
	 * instant after they happen.
	 */
	Pane.prototype.explain = function (text, notable) {
		var now = performance.now();
		if (!notable && now < this.stickyUntil)
			return;
		if (notable)
			this.stickyUntil = now + STICKY_MS;
		/* Not capitalised: a sentence may start with an instance name. */
		role(this.root, 'explain-text').textContent = text;
		this.root.classList.toggle('explain-notable', !!notable);
	};

	/* ---- page ---- */

	function syncBothAuto() {
		var b = document.getElementById('both-auto');
		if (!b)
			return;
		var any = panes.some(function (p) { return p.auto; });
		b.setAttribute('aria-pressed', String(any));
	}

	function guessOther() {
		var p = location.port;
		if (p === '8081' || p === '8082')
			return location.protocol + '//' + location.hostname + ':' + (p === '8081' ? '8082' : '8081');
		return '';
	}

	function compareQuery(bases) {
		return '?compare=' + bases.map(function (b) {
			return /[,&#]/.test(b) ? encodeURIComponent(b) : b;
		}).join(',');
	}

	function setupCompareForm(compare) {
		var btn = document.getElementById('compare-toggle');
		var form = document.getElementById('compare-form');
		var err = document.getElementById('compare-error');
		document.getElementById('compare-origin').textContent = location.origin;
		if (compare) {
			btn.textContent = 'Single view';
			btn.setAttribute('aria-pressed', 'true');
			btn.removeAttribute('aria-controls');
			btn.addEventListener('click', function () {
				location.assign(location.pathname);
			});
			return;
		}
		btn.addEventListener('click', function () {
			var open = form.hidden;
			form.hidden = !open;
			btn.setAttribute('aria-pressed', String(open));
			if (open) {
				var u1 = document.getElementById('compare-url-1');
				var u2 = document.getElementById('compare-url-2');
				if (!u1.value)
					u1.value = location.origin;
				if (!u2.value)
					u2.value = guessOther();
				(u2.value ? u1 : u2).focus();
				if (u2.value === '')
					u2.focus();
			}
		});
		form.addEventListener('submit', function (ev) {
			ev.preventDefault();	/* form-action 'none': we navigate ourselves */
			try {
				var a = normaliseBase(document.getElementById('compare-url-1').value);
				var b = normaliseBase(document.getElementById('compare-url-2').value);
				location.assign(location.pathname + compareQuery([a, b]));
			} catch (e) {
				err.textContent = 'Give two http:// or https:// URLs (' + e.message + ').';
			}
		});
	}

	function setupBothBar() {
		var bar = document.getElementById('both-bar');
		var user = document.getElementById('both-user');
		bar.hidden = false;
		bar.addEventListener('submit', function (ev) {
			ev.preventDefault();
			panes.forEach(function (p) { p.login(user.value.trim()); });
		});
		document.getElementById('both-inc').addEventListener('click', function () {
			panes.forEach(function (p) { p.inc(); });
		});
		document.getElementById('both-auto').addEventListener('click', function () {
			var on = this.getAttribute('aria-pressed') !== 'true';
			panes.forEach(function (p) { p.setAuto(on); });
			this.setAttribute('aria-pressed', String(on));
		});
	}

	function setupKeys() {
		document.addEventListener('keydown', function (ev) {
			if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat)
				return;
			var t = ev.target;
			if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable))
				return;
			var k = ev.key.toLowerCase();
			if (k === 'i')
				panes.forEach(function (p) { p.inc(); });
			else if (k === 'a')
				panes.forEach(function (p) { p.setAuto(!p.auto); });
			else if (k === 'l')
				panes.forEach(function (p) { if (!p.token && p.user) p.relogin(); });
			else if (k === 'c')
				document.getElementById('compare-toggle').click();
			else
				return;
			ev.preventDefault();
		});
	}

	function parseCompare() {
		var q = new URLSearchParams(location.search).get('compare');
		if (q === null)
			return null;
		var list = q.split(',').map(function (s) { return s.trim(); }).filter(Boolean);
		if (list.length === 0)
			return null;
		return list.slice(0, 4).map(normaliseBase);
	}

	function start() {
		var main = document.getElementById('panes');
		var tpl = document.getElementById('pane-tpl');
		var bases;
		try {
			bases = parseCompare();
		} catch (e) {
			document.getElementById('boot-note').textContent =
			    'The compare link is not valid: ' + e.message + '. Use /?compare=http://host:port,http://host:port';
			return;
		}
		var compare = bases !== null;
		main.textContent = '';
		main.classList.toggle('is-compare', compare);
		document.body.classList.toggle('compare', compare);
		(bases || ['']).forEach(function (b) {
			var frag = tpl.content.cloneNode(true);
			var root = frag.querySelector('[data-role="pane"]');
			main.appendChild(frag);
			var base = b === location.origin ? '' : b;
			panes.push(new Pane(root, base, compare));
		});
		setupCompareForm(compare);
		if (compare)
			setupBothBar();
		setupKeys();

		var n = 0;
		setInterval(function () {
			var now = performance.now();
			n++;
			var beatDue = n % (BEAT_MS / AUTO_MS) === 0;
			panes.forEach(function (p) { p.step(now, beatDue); });
			if (n % (INFO_MS / AUTO_MS) === 0)
				panes.forEach(function (p) { p.pollInfo(); });
			if (n % (1000 / AUTO_MS) === 0)
				panes.forEach(function (p) { p.tick(); });
		}, AUTO_MS);
		panes.forEach(function (p) {
			p.pollInfo();
			if (p.token)
				p.beat();
			else
				p.showLogin();
		});
		var first = role(panes[0].root, 'user');
		if (!compare && !panes[0].token)
			first.focus();
	}

	if (document.readyState === 'loading')
		document.addEventListener('DOMContentLoaded', start);
	else
		start();
}());
