-- bench/gateway: a different token on every request. Reads one token per line from the file
-- given after `--` and cycles through them; requests are formatted once, up front, so wrk's
-- own cost per request stays that of a static request.
--
--   wrk ... -s bench/gateway/fresh-tokens.lua <url> -- <tokens file>

local requests = {}
local count = 0
local i = 0

function init(args)
  for token in io.lines(args[1]) do
    if token ~= "" then
      count = count + 1
      requests[count] = wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. token, ["Host"] = wrk.headers["Host"] })
    end
  end
  -- Threads start at different places so that no two send the same token at once.
  i = math.random(0, count - 1)
end

function request()
  i = i % count + 1
  return requests[i]
end
