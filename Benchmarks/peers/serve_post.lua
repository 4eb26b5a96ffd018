-- POST /v1/leads with the incoming leads' fields in turn, each under a new id (PREFIX, thread, counter)
local bodies = {}
for line in io.lines(os.getenv("BODIES") or "bodies.txt") do bodies[#bodies + 1] = line end
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
local counter = 0
request = function()
  counter = counter + 1
  local body = bodies[(counter * 7 + tid) % #bodies + 1]:gsub("__ID__", (os.getenv("PREFIX") or "W") .. tid .. "-" .. counter)
  return wrk.format("POST", "/v1/leads", {["Authorization"] = "Bearer " .. (os.getenv("TOKEN") or ""), ["Content-Type"] = "application/json"}, body)
end
