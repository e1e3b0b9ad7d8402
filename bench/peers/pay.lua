-- wrk script: POST /v1/pay with a fresh order id on every request (ids unique across wrk
-- threads), the same body shape for every target so the comparison is like for like.
local counter = 0
local thread_id = 0
local threads = {}

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
    '{"merchant_id":"m","nonce":"n","timestamp":1,"order_id":"t%d-%d","amount":100,"currency":"CNY"}',
    thread_id, counter)
  return wrk.format(nil, "/v1/pay", nil, body)
end
