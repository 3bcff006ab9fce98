-- wrk script for bench/run: adds the case's request headers and prints one machine-readable
-- result line. Configured through the environment (a wrk script cannot take options):
--   BENCH_INM     If-None-Match value to send (the 304 cases; bench/run fetched the ETag first)
--   BENCH_UNIQUE  non-empty: every request gets a URL never asked before (the miss cases),
--                 "&bench=<BENCH_UNIQUE>-<thread>-<n>" appended to the query
-- Output: "BENCH_RESULT requests=... duration_us=... bytes=... p50_us=... p99_us=... errors=..."

local inm = os.getenv("BENCH_INM")
if inm ~= nil and inm ~= "" then
  wrk.headers["If-None-Match"] = inm
end

local unique = os.getenv("BENCH_UNIQUE")
if unique ~= nil and unique ~= "" then
  -- Defining request() costs wrk a Lua call per request; only the miss cases pay it.
  local threads = 0
  function setup(thread)
    threads = threads + 1
    thread:set("tid", threads)
  end
  local n = 0
  local prefix
  function request()
    if prefix == nil then
      local sep = string.find(wrk.path, "?", 1, true) and "&" or "?"
      prefix = wrk.path .. sep .. "bench=" .. unique .. "-" .. tostring(tid) .. "-"
    end
    n = n + 1
    return wrk.format(nil, prefix .. n)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50.0), latency:percentile(99.0), errors))
end
