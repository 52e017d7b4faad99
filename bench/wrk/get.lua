-- Loads one page as many people in turn: each request carries the next person's cookies.
--   wrk ... URL -- COOKIE_FILE    (one Cookie header value a line; "-" for visitors)
-- Every request says it came through a TLS-terminating proxy (X-Forwarded-Proto), as in
-- production. Statuses are counted so that a redirect to the sign-in page cannot pass for
-- a fast page; done() prints one JSON line for the harness.
-- results.lua lives beside this script.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local results = require("results")

setup = results.setup

function init(args)
    cookies = {}
    if args[1] and args[1] ~= "-" then
        for line in io.lines(args[1]) do
            cookies[#cookies + 1] = line
        end
    end
    -- Threads start at different people.
    position = #cookies > 0 and ((id * 7919) % #cookies) + 1 or 0
end

function request()
    local headers = { ["X-Forwarded-Proto"] = "https" }
    if position > 0 then
        headers["Cookie"] = cookies[position]
        position = (position % #cookies) + 1
    end
    return wrk.format("GET", nil, headers)
end

function response(status, headers, body)
    results.count(status)
end

function done(summary, latency, requests)
    results.report(summary, latency, { "ok", "redirects", "client_errors", "server_errors" })
end
