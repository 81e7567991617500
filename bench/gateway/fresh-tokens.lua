-- bench/gateway: a different token on every request. Reads one token per line from the file
-- given after `--` and cycles through them, from the line after <start> (the bench moves it on
-- by the requests of the previous run, so a run never resends the tokens of the one before);
-- requests are formatted once, up front, so wrk's own cost per request stays that of a static
-- request.
--
--   wrk ... -s bench/gateway/fresh-tokens.lua <url> -- <tokens file> [start]

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
  i = tonumber(args[2] or "0") % count
end

function request()
  i = i % count + 1
  return requests[i]
end
