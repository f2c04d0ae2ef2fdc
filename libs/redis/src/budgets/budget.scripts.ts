// The Lua scripts behind budgets. Redis runs each atomically, so concurrent requests can never
// jointly pass a limit: a reservation checks every limited budget of the request (settled spend +
// live holds + this request's maximum ≤ limit) and only then holds the maximum on all of them.
// Amounts are integer micro-units; Lua numbers are doubles, exact up to 2^53.

// KEYS[1]: limits hash; then per budget i: spent_i, holds_i.
// ARGV: request id, amount, now (ms), hold ttl (ms), then per budget i: limit field_i, expire-at_i.
// Returns {1, i…} (the limited budgets it held) or {0, i, spent, held, limit} for the budget that
// refuses: one smaller than the request alone if any, else the first that would pass its limit.
export const BUDGET_RESERVE_LUA = `
local n = (#KEYS - 1) / 2
local rid, amount, now, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local held_on, refused = {}, nil
for i = 1, n do
  local limit = redis.call('HGET', KEYS[1], ARGV[3 + i * 2])
  if limit then
    limit = tonumber(limit)
    local spent = tonumber(redis.call('GET', KEYS[i * 2]) or '0')
    local held = 0
    local holds = redis.call('HGETALL', KEYS[i * 2 + 1])
    for j = 1, #holds, 2 do
      local value, expires = string.match(holds[j + 1], '^(%d+):(%d+)$')
      if tonumber(expires) <= now then redis.call('HDEL', KEYS[i * 2 + 1], holds[j])
      elseif holds[j] ~= rid then held = held + tonumber(value) end
    end
    -- A budget smaller than the request alone is named first: waiting would not help there.
    if amount > limit then return {0, i, spent, held, limit} end
    if spent + held + amount > limit then refused = refused or {0, i, spent, held, limit} end
    held_on[#held_on + 1] = i
  end
end
if refused then return refused end
for _, i in ipairs(held_on) do
  redis.call('HSET', KEYS[i * 2 + 1], rid, string.format('%d:%d', amount, now + ttl))
  redis.call('PEXPIREAT', KEYS[i * 2 + 1], ARGV[4 + i * 2])
end
local reply = {1}
for _, i in ipairs(held_on) do reply[#reply + 1] = i end
return reply
`;

// KEYS[1]: the request's settled marker; then the holds it took (h of them); then the spent counter
// of every budget the request counts toward. ARGV: request id, cost, h, marker ttl (ms), then per
// spent counter its expire-at. A request settles once: a second settle releases holds only.
export const BUDGET_SETTLE_LUA = `
local rid, cost, h = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 2, h + 1 do redis.call('HDEL', KEYS[i], rid) end
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[4]) then return 0 end
for i = h + 2, #KEYS do
  if cost > 0 then redis.call('INCRBY', KEYS[i], cost) end
  redis.call('PEXPIREAT', KEYS[i], ARGV[4 + i - h - 1])
end
return 1
`;

// KEYS[1]: a spent counter. ARGV: the value the reconciler read, the ledger's sum, expire-at.
// Sets the counter to the ledger's sum only if nothing settled since it was read; returns 1 if so.
export const BUDGET_CORRECT_LUA = `
local current = redis.call('GET', KEYS[1]) or '0'
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return 1
`;
