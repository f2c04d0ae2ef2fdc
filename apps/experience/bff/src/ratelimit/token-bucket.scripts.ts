// The token-bucket scripts, run atomically inside Redis so concurrent requests on any number of BFF
// replicas never overshoot a key's limit. Time comes from Redis (TIME), not from the callers' clocks.
// A bucket is a hash {v = available units, t = last refill in ms}; it refills continuously at
// capacity per minute and expires once it would be full anyway.

/**
 * KEYS[1] request bucket, KEYS[2] token bucket; ARGV: rpm, tpm, token cost.
 * Takes 1 request and `cost` tokens from both buckets or from neither. The token cost is clamped to
 * the capacity, so a request larger than a whole minute's budget still passes on a full bucket.
 * Returns {allowed, reqRemaining, reqResetMs, tokRemaining, tokResetMs, retryAfterMs}.
 */
export const TAKE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function level(key, cap)
  local h = redis.call('HMGET', key, 'v', 't')
  local v = tonumber(h[1])
  local ts = tonumber(h[2])
  if v == nil then return cap end
  return math.min(cap, v + (now - ts) * cap / 60000)
end
local rpm = tonumber(ARGV[1])
local tpm = tonumber(ARGV[2])
local cost = math.min(tonumber(ARGV[3]), tpm)
local r = level(KEYS[1], rpm)
local k = level(KEYS[2], tpm)
local allowed = 0
local retry = 0
if r >= 1 and k >= cost then
  allowed = 1
  r = r - 1
  k = k - cost
else
  if r < 1 then retry = math.max(retry, (1 - r) * 60000 / rpm) end
  if k < cost then retry = math.max(retry, (cost - k) * 60000 / tpm) end
end
redis.call('HSET', KEYS[1], 'v', tostring(r), 't', now)
redis.call('PEXPIRE', KEYS[1], 60000)
redis.call('HSET', KEYS[2], 'v', tostring(k), 't', now)
redis.call('PEXPIRE', KEYS[2], 120000)
return {allowed, math.floor(r), math.ceil((rpm - r) * 60000 / rpm), math.floor(k),
  math.ceil((tpm - k) * 60000 / tpm), math.ceil(retry)}
`;

/**
 * KEYS[1] token bucket; ARGV: tpm, delta. Adds `delta` tokens (a refund when the estimate was too
 * high, a negative charge when usage exceeded it; the level may go below zero, which delays the
 * next requests until the debt is paid back). Returns the new level, floored.
 */
export const SETTLE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tpm = tonumber(ARGV[1])
local h = redis.call('HMGET', KEYS[1], 'v', 't')
local v = tonumber(h[1])
local ts = tonumber(h[2])
if v == nil then v = tpm else v = math.min(tpm, v + (now - ts) * tpm / 60000) end
v = math.min(tpm, v + tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'v', tostring(v), 't', now)
redis.call('PEXPIRE', KEYS[1], 120000)
return math.floor(v)
`;
