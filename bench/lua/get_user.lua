-- wrk script: GET /api/v1/users/{id} with an id drawn at random from [lo, hi].
--   wrk ... -s bench/lua/get_user.lua http://127.0.0.1:PORT -- LO HI
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("tid", next_thread)
end

local lo, hi = 1, 10000

function init(args)
  lo = tonumber(args[1]) or lo
  hi = tonumber(args[2]) or hi
  math.randomseed(os.time() * 1000 + (tid or 0))
end

function request()
  return wrk.format("GET", "/api/v1/users/" .. math.random(lo, hi))
end
