-- The wrk script of `manage.py bench_http`. The command writes the plan of one scenario
-- (weighted requests) into PLAN before this text: each thread picks a request by weight,
-- gives submissions a key of their own, and at the end prints one line the command reads.

local total = 0
for _, r in ipairs(PLAN) do total = total + r.weight end

local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

local sent = 0
init = function(args)
  math.randomseed(thread_number * 7919 + os.time())
end

request = function()
  local x = math.random(total)
  local chosen = PLAN[#PLAN]
  for _, r in ipairs(PLAN) do
    x = x - r.weight
    if x <= 0 then chosen = r break end
  end
  local headers = {}
  for k, v in pairs(chosen.headers) do headers[k] = v end
  if chosen.unique then
    sent = sent + 1
    headers["Idempotency-Key"] = string.format("%s-%d-%d", RUN, thread_number, sent)
  end
  return wrk.format(chosen.method, chosen.path, headers, chosen.body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT %d %d %d %d %d %d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    e.status, e.connect + e.read + e.write + e.timeout
  ))
end
