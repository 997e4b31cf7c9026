-- wrk script for `npm run bench:ingest`: POSTs one body file, giving every request its own batchId
-- (a server that dedupes would otherwise store the first request only), and prints a JSON summary.
-- Arguments after `--`: <body file with the placeholder BATCHID> <path> <token> <run prefix>
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local prefix, suffix, path, headers, run
local counter = 0

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local body = file:read("*a")
  file:close()
  local at = assert(body:find("BATCHID", 1, true), "body has no BATCHID placeholder")
  prefix, suffix = body:sub(1, at - 1), body:sub(at + 7)
  path = args[2]
  headers = { ["Content-Type"] = "application/json", ["X-Telemetry-Token"] = args[3] }
  run = args[4]
end

function request()
  counter = counter + 1
  -- tid is set per thread by setup(): ids stay unique across threads without shared state.
  return wrk.format("POST", path, headers, prefix .. run .. "-" .. tid .. "-" .. counter .. suffix)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
