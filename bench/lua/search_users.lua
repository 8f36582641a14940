-- wrk script (growth mode): a selective search, GET /api/v1/users?search=seed<k>@
-- with k drawn at random from [lo, hi]: one matching user per request.
--   wrk ... -s bench/lua/search_users.lua http://127.0.0.1:PORT -- LO HI
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
  return wrk.format("GET", "/api/v1/users?page=1&page_size=10&search=seed"
                    .. math.random(lo, hi) .. "%40")
end
