-- wrk script: POST /v1/payments to the fusebox gateway with a fresh merchant_order_id on
-- every request. CHANNEL (env) picks the channel; RUN (env) keeps ids unique across runs.
local counter = 0
local thread_id = 0
local threads = {}
local channel = os.getenv("CHANNEL") or "hmac"
local run = os.getenv("RUN") or "0"

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"merchant_order_id":"r%s-t%d-%d","amount":100,"currency":"CNY","method":"wallet","channel":"%s"}',
    run, thread_id, counter, channel)
  return wrk.format(nil, "/v1/payments", nil, body)
end
