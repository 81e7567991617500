-- bench/gateway: a DPoP request with a fresh proof every time. Reads one proof per line from the
-- file given after `--` and sends each once, in order, with the headers given to wrk (-H, the
-- `Authorization: DPoP <token>` among them); requests are formatted up front, so wrk's own cost
-- per request stays that of a static request. The file holds more proofs than the run sends: past
-- its end they would be sent again, and refused as replays (non-2xx in the report).
--
--   wrk ... -H "Authorization: DPoP <token>" -s bench/gateway/dpop-proofs.lua <url> -- <proofs file>

local requests = {}
local count = 0
local i = 0

function init(args)
  for proof in io.lines(args[1]) do
    if proof ~= "" then
      local headers = {}
      for name, value in pairs(wrk.headers) do
        headers[name] = value
      end
      headers["DPoP"] = proof
      count = count + 1
      requests[count] = wrk.format(nil, nil, headers)
    end
  end
end

function request()
  i = i % count + 1
  return requests[i]
end
