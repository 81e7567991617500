-- bench/gateway: a DPoP request with a fresh proof every time. Reads one request per line from
-- the file given after `--`, "<token>\t<proof>", each proof used once; requests are formatted
-- up front, so wrk's own cost per request stays that of a static request.
--
--   wrk ... -s bench/gateway/dpop-proofs.lua <url> -- <proofs file>

local requests = {}
local count = 0
local i = 0

function init(args)

  for line in io.lines(args[1]) do
    local token, proof = line:match("^([^\t]+)\t(.+)$")
    if token then

      requests[#requests + 1] = wrk.format(nil, nil, {
        ["Authorization"] = "DPoP " .. token,
        ["DPoP"] = proof,
        ["Host"] = wrk.headers["Host"],
      })
    end
  end
  count = #requests
end

function request()
  i = i % count + 1
  return requests[i]
end
