-- Posts one form as many learners in turn, each learner once: marking a step complete, or
-- answering a test question at the first try.
--   wrk ... URL -- SESSIONS_FILE FIRST COUNT THREADS ORIGIN EXPECTED FIELDS
-- SESSIONS_FILE has "cookie<TAB>csrf token" lines. This load takes lines FIRST to
-- FIRST + COUNT - 1, an equal share for each of the THREADS threads, so that no learner posts
-- twice; a thread that runs out of learners starts its share again and counts "replays".
-- FIELDS is the form's fields, url-encoded; each request adds its learner's CSRF token.
-- A stored submission redirects (302) to EXPECTED, the step or the step at the question:
-- "to_expected" counts those. Any other redirect counts as "elsewhere": the sign-in page, or
-- the question again with an error (its Location ends in "&again=1#question").
-- results.lua lives beside this script.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local results = require("results")

setup = results.setup

function init(args)
    local first, count, threads = tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
    origin, expected, fields = args[5], args[6], args[7]
    local share = math.floor(count / threads)
    local from = first + (id - 1) * share
    local to = from + share - 1
    sessions = {}
    local line_number = 0
    for line in io.lines(args[1]) do
        line_number = line_number + 1
        if line_number > to then
            break
        end
        if line_number >= from then
            local cookie, token = line:match("^(.-)\t(.*)$")
            sessions[#sessions + 1] = { cookie = cookie, token = token }
        end
    end
    position = 1
    replays = 0
    to_expected = 0
    elsewhere = 0
end

function request()
    if position > #sessions then
        position = 1
    end
    if sessions[position].sent then
        replays = replays + 1
    end
    local session = sessions[position]
    session.sent = true
    position = position + 1
    local body = "csrfmiddlewaretoken=" .. session.token
    if fields ~= "" then
        body = fields .. "&" .. body
    end
    return wrk.format("POST", nil, {
        ["X-Forwarded-Proto"] = "https",
        ["Cookie"] = session.cookie,
        ["Origin"] = origin,
        ["Referer"] = origin .. wrk.path,
        ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body)
end

function response(status, headers, body)
    results.count(status)
    if status >= 300 and status < 400 then
        local location = headers["Location"] or headers["location"]
        if status == 302 and location == expected then
            to_expected = to_expected + 1
        else
            elsewhere = elsewhere + 1
        end
    end
end

function done(summary, latency, requests)
    local names = {
        "ok", "redirects", "client_errors", "server_errors", "to_expected", "elsewhere", "replays",
    }
    results.report(summary, latency, names)
end
