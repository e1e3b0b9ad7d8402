-- wrk script: a payment with a fresh order id on every request (ids unique across wrk
-- threads, and across runs through RUN). Two shapes:
--   TARGET unset: POST /v1/pay as a wallet-json channel takes it (the same body for every
--     server in bench/simulator_vs_peers.sh, so the comparison is like for like);
--   TARGET=gateway: POST /v1/payments to the fusebox gateway on channel CHANNEL.
-- NOTIFY_URL set: channel pays also name it as their notify_url, as a gateway's pays do.
local counter = 0
local thread_id = 0
local threads = {}
local target = os.getenv("TARGET") or "channel"
local channel = os.getenv("CHANNEL") or "hmac"
local run = os.getenv("RUN") or "0"
local notify = os.getenv("NOTIFY_URL")
local notify_field = notify and string.format(',"notify_url":"%s"', notify) or ""

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
  if target == "gateway" then
    local body = string.format(
      '{"merchant_order_id":"r%s-t%d-%d","amount":100,"currency":"CNY","method":"wallet","channel":"%s"}',
      run, thread_id, counter, channel)
    return wrk.format(nil, "/v1/payments", nil, body)
  end
  local body = string.format(
    '{"merchant_id":"m","nonce":"n","timestamp":1,"order_id":"t%s-%d-%d","amount":100,"currency":"CNY"%s}',
    run, thread_id, counter, notify_field)
  return wrk.format(nil, "/v1/pay", nil, body)
end
