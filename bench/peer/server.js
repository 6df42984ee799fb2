// SPDX-License-Identifier: MIT
// bench/peer/server.js - the server a workshop would otherwise write:
// express + express-session with its default MemoryStore, answering the
// statelab session endpoints that `make bench` measures:
//
//   POST /api/sessions {"user":"alice"}  201 session JSON + "token", Set-Cookie
//   GET  /api/session                    200 session JSON, 401 problem+json
//   POST /api/session/counter [{"by":N}] 200 session JSON, counter + N
//
// The credential is express-session's own signed cookie, sid=<token>; the
// "token" field of the 201 answer is that cookie value, so a client can
// send "Cookie: sid=<token>" without parsing Set-Cookie.  It takes
// --listen HOST:PORT (port 0 picks a free port; env STATELAB_LISTEN) and
// prints the same JSON "listening" line as our servers, so bench/run starts
// it like any of them.  It logs nothing per request, as such a server
// usually does not.  SIGTERM or SIGINT closes it and exits 0.
'use strict';

const crypto = require('node:crypto');
const os = require('node:os');
const express = require('express');
const session = require('express-session');

const SECRET = crypto.randomBytes(32).toString('hex');
const TTL_MS = 1800 * 1000;
const USER_RE = /^[A-Za-z0-9._@-]{1,64}$/;
const INSTANCE = process.env.POD_NAME || os.hostname();
const BOOT_ID = crypto.randomUUID();

function log(level, msg, extra) {
  const line = { ts: new Date().toISOString(), level, msg, service: 'peer',
    instance: INSTANCE, ...extra };
  process.stdout.write(JSON.stringify(line) + '\n');
}

function parseListen(spec) {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(spec);
  if (m === null || Number(m[3]) > 65535)
    return null;
  return { host: m[1] || m[2], port: Number(m[3]) };
}

// The cookie value express-session sets: "s:" + id + "." + HMAC-SHA256,
// as cookie-signature computes it, URL-encoded as the cookie module does.
function tokenFor(id) {
  const mac = crypto.createHmac('sha256', SECRET).update(id)
    .digest('base64').replace(/=+$/, '');
  return encodeURIComponent('s:' + id + '.' + mac);
}

function problem(res, status, type, title, detail) {
  res.status(status).type('application/problem+json').json({
    type: 'https://statelab.dev/problems/' + type, title, status, detail });
}

function render(req) {
  const s = req.session;
  return {
    user: s.user,
    counter: s.counter,
    data: s.data,
    created_at: s.created_at,
    updated_at: s.updated_at,
    expires_at: new Date(Date.now() + TTL_MS).toISOString(),
    created_by: s.created_by,
    served_by: { instance: INSTANCE, service: 'peer', store: 'memory',
      boot_id: BOOT_ID },
  };
}

function requireSession(req, res, next) {
  if (req.session.user === undefined) {
    problem(res, 401, 'session-not-found', 'Session not found',
      'this server does not know your session: log in again');
    return;
  }
  next();
}

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.use(express.json({ limit: '4kb' }));
app.use(session({
  name: 'sid',
  secret: SECRET,
  resave: false,
  saveUninitialized: false,
  cookie: { httpOnly: true, sameSite: 'lax', path: '/', maxAge: TTL_MS },
}));
app.use((req, res, next) => {
  res.set('X-Served-By', INSTANCE);
  next();
});

app.post('/api/sessions', (req, res) => {
  const user = req.body && req.body.user;
  if (typeof user !== 'string' || !USER_RE.test(user)) {
    problem(res, 422, 'invalid-field', 'Invalid field',
      '"user" must be 1-64 characters of A-Z a-z 0-9 . _ @ -');
    return;
  }
  const now = new Date().toISOString();
  Object.assign(req.session, { user, counter: 0, data: {}, created_at: now,
    updated_at: now, created_by: INSTANCE });
  res.status(201).json({ ...render(req), token: tokenFor(req.sessionID) });
});

app.get('/api/session', requireSession, (req, res) => {
  res.json(render(req));
});

app.post('/api/session/counter', requireSession, (req, res) => {
  let by = 1;
  if (req.body && req.body.by !== undefined) {
    by = req.body.by;
    if (!Number.isSafeInteger(by)) {
      problem(res, 422, 'invalid-field', 'Invalid field',
        '"by" must be an integer');
      return;
    }
  }
  req.session.counter += by;
  req.session.updated_at = new Date().toISOString();
  res.json(render(req));
});

app.use((req, res) => {
  problem(res, 404, 'not-found', 'Not found', 'no such path');
});

let spec = process.env.STATELAB_LISTEN || '127.0.0.1:8083';
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--listen' && i + 1 < process.argv.length) {
    spec = process.argv[++i];
  } else if (a.startsWith('--listen=')) {
    spec = a.slice('--listen='.length);
  } else if (a === '--help') {
    process.stdout.write('usage: node server.js [--listen HOST:PORT]\n');
    process.exit(0);
  } else {
    process.stderr.write('server.js: unknown argument ' + a + '\n');
    process.exit(2);
  }
}
const where = parseListen(spec);
if (where === null) {
  log('error', '--listen wants IPv4:PORT or [IPv6]:PORT', { value: spec });
  process.exit(2);
}

const server = app.listen(where.port, where.host, () => {
  const a = server.address();
  const host = a.family === 'IPv6' ? '[' + a.address + ']' : a.address;
  log('info', 'listening', { addr: host + ':' + a.port });
});
server.keepAliveTimeout = 30 * 1000;
server.on('error', (err) => {
  log('error', 'cannot listen', { error: err.message });
  process.exit(1);
});

function stop() {
  server.close(() => {
    log('info', 'stopped');
    process.exit(0);
  });
  server.closeIdleConnections();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
