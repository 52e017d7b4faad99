-- Posts comments as many learners in turn, as a browser's form would.
--   wrk ... URL -- SESSIONS_FILE PATH ORIGIN RUN_ID FIELDS
-- SESSIONS_FILE has "cookie<TAB>csrf token" lines. FIELDS is the form's fixed fields,
-- url-encoded ("text=...&x=y"); each request adds its CSRF token and a submission token
-- unique to this run, thread and request, so every post is a new comment. Expected answer:
-- a redirect back to the step (303 or 302), or 200 for an htmx partial.
-- results.lua lives beside this script.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local results = require("results")

setup = results.setup

function init(args)
    sessions = {}
    for line in io.lines(args[1]) do
        local cookie, token = line:match("^(.-)\t(.*)$")
        sessions[#sessions + 1] = { cookie = cookie, token = token }
    end
    path, origin, run_id, fields = args[2], args[3], args[4], args[5]
    position = ((id * 7919) % #sessions) + 1
    sent = 0
    too_many = 0
end

function request()
    local session = sessions[position]
    position = (position % #sessions) + 1
    sent = sent + 1
    local body = string.format("%s&csrfmiddlewaretoken=%s&submission_token=bench-%s-%d-%d",
        fields, session.token, run_id, id, sent)
    return wrk.format("POST", path, {
        ["X-Forwarded-Proto"] = "https",
        ["Cookie"] = session.cookie,
        ["Origin"] = origin,
        ["Referer"] = origin .. path,
        ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body)
end

function response(status, headers, body)
    if status == 429 then
        too_many = too_many + 1
    else
        results.count(status)
    end
end

function done(summary, latency, requests)
    local names = { "ok", "redirects", "client_errors", "server_errors", "too_many" }
    results.report(summary, latency, names)
end
