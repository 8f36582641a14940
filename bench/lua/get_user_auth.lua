-- wrk script: GET /api/v1/users/{id} with a bearer token (AUTH_MODE=jwt), an id
-- drawn at random from [lo, hi].
--   wrk ... -s bench/lua/get_user_auth.lua http://127.0.0.1:PORT -- LO HI TOKEN
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("tid", next_thread)
end

local lo, hi, headers = 1, 10000, {}

function init(args)
  lo = tonumber(args[1]) or lo
  hi = tonumber(args[2]) or hi
  headers = { ["Authorization"] = "Bearer " .. (args[3] or "") }
  math.randomseed(os.time() * 1000 + (tid or 0))
end

function request()
  return wrk.format("GET", "/api/v1/users/" .. math.random(lo, hi), headers)
end
