-- SPDX-License-Identifier: MIT
-- bench/wrk.lua - the one wrk script bench/run uses for every row.
--
--   wrk -s bench/wrk.lua URL -- MODE [ARG...]
--
--   plain                  GET the URL's path (the ceiling row)
--   get TOKENS AUTH        GET /api/session
--   counter TOKENS AUTH    POST /api/session/counter {"by":1}
--   create COUNT OUT USER  POST /api/sessions {"user":USER} until COUNT
--                          answers have come back, then write OUT (one
--                          token per line, or "#count N" when OUT ends in
--                          ".count") and stop this thread
--
-- TOKENS is a file with one session token per line; AUTH is "bearer"
-- (Authorization: Bearer, our servers) or "cookie" (Cookie: sid=, the
-- express peer).  Every mode builds its requests once, in init(), and
-- request() only hands the next one out, so wrk spends the same few
-- instructions per request in every row, the ceiling included.
--
-- done() prints one machine-readable line that bench/run parses:
--   BENCH requests=N duration_us=N rps=R p50_us=N p99_us=N max_us=N
--         non2xx=N connect=N read=N write=N timeout=N
-- wrk measures latency from the moment it writes a request, so these are
-- service times under a closed loop of 50 connections, not open-loop
-- latencies.

local reqs = {}
local nreqs = 0
local i = 0

local function read_tokens(path)
   local t = {}
   local f = assert(io.open(path, "r"))
   for line in f:lines() do
      if line ~= "" then
         t[#t + 1] = line
      end
   end
   f:close()
   assert(#t > 0, "no token in " .. path)
   return t
end

local function auth_header(auth, token)
   if auth == "cookie" then
      return { ["Cookie"] = "sid=" .. token }
   end
   return { ["Authorization"] = "Bearer " .. token }
end

-- Per-thread state for "create".
local create_limit = 0
local create_out = nil
local create_seen = 0
local create_tokens = {}
local create_done = false
local create_collect = true

local function create_finish()
   local tmp = create_out .. ".tmp"
   local f = assert(io.open(tmp, "w"))
   if create_out:sub(-6) == ".count" then
      f:write("#count ", create_seen, "\n")
   else
      f:write(table.concat(create_tokens, "\n"), "\n")
   end
   f:close()
   assert(os.rename(tmp, create_out))
   create_done = true
   wrk.thread:stop()
end

function init(args)
   local mode = args[1] or "plain"
   if mode == "plain" then
      reqs[1] = wrk.format("GET", wrk.path)
   elseif mode == "get" or mode == "counter" then
      local method, path, body = "GET", "/api/session", nil
      if mode == "counter" then
         method, path, body = "POST", "/api/session/counter", '{"by":1}'
      end
      for _, tok in ipairs(read_tokens(args[2])) do
         local h = auth_header(args[3] or "bearer", tok)
         if body ~= nil then
            h["Content-Type"] = "application/json"
         end
         reqs[#reqs + 1] = wrk.format(method, path, h, body)
      end
   elseif mode == "create" then
      create_limit = tonumber(args[2])
      create_out = args[3]
      local body = string.format('{"user":"%s"}', args[4] or "bench")
      reqs[1] = wrk.format("POST", "/api/sessions",
         { ["Content-Type"] = "application/json" }, body)
      create_collect = create_out:sub(-6) ~= ".count"
      response = function(status, headers, rbody)
         if create_done then
            return
         end
         create_seen = create_seen + 1
         if create_collect and status == 201 then
            local tok = rbody:match('"token"%s*:%s*"([^"]+)"')
            if tok ~= nil then
               create_tokens[#create_tokens + 1] = tok
            end
         end
         if create_seen >= create_limit then
            create_finish()
         end
      end
   else
      error("wrk.lua: unknown mode " .. mode)
   end
   nreqs = #reqs
end

function request()
   i = i + 1
   if i > nreqs then
      i = 1
   end
   return reqs[i]
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d " ..
      "max_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
      summary.requests, summary.duration,
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(99), latency.max,
      e.status, e.connect, e.read, e.write, e.timeout))
end
