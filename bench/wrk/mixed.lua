-- One kind of request of the mixed load (bench/mixed.py): learners in turn, each taking the
-- kind's actions in order, every connection pausing for a think time before each request.
--   wrk ... URL -- SESSIONS_FILE ACTIONS_FILE THREADS CONNECTIONS THINK_MS ORIGIN EXPECTED RUN_ID
-- SESSIONS_FILE has "cookie<TAB>csrf token" lines, or is "-" for visitors. Each of the THREADS
-- threads takes an equal share of its lines, so no learner is sent by two threads.
-- CONNECTIONS is wrk's -c, ORIGIN the site's origin for the CSRF check.
-- ACTIONS_FILE has "METHOD<TAB>PATH<TAB>FIELDS" lines: the kind's actions, in the order a
-- learner takes them. Request n of a thread is learner n mod (its learners) taking action
-- floor(n / its learners): one round of the learners per action, so a learner's actions are
-- many requests apart and never in flight together. A thread past its last round starts again
-- from the first action and counts "replays" (a completion or answer a learner already made).
-- Visitors take the actions in turn. A POST adds its learner's CSRF token to FIELDS, and
-- "{submission}" in FIELDS becomes a submission token unique to this run, thread and request.
-- The think time before each request is uniform between 0.5 and 1.5 THINK_MS; a connection's
-- first wait is drawn so that the connections' requests are spread evenly from the start.
-- EXPECTED is a Lua pattern: a POST's answer counts as "to_expected" when it is a redirect
-- whose Location matches it, as "elsewhere" when it is another redirect.
-- results.lua lives beside this script.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local results = require("results")

setup = results.setup

function init(args)
    local thread_count = tonumber(args[3])
    -- wrk gives each thread an equal share of the connections.
    connections = math.floor(tonumber(args[4]) / thread_count)
    think_ms, origin, expected, run_id = tonumber(args[5]), args[6], args[7], args[8]
    sessions = {}
    if args[1] ~= "-" then
        local all = {}
        for line in io.lines(args[1]) do
            local cookie, token = line:match("^(.-)\t(.*)$")
            all[#all + 1] = { cookie = cookie, token = token }
        end
        local share = math.floor(#all / thread_count)
        for index = (id - 1) * share + 1, id * share do
            sessions[#sessions + 1] = all[index]
        end
    end
    actions = {}
    for line in io.lines(args[2]) do
        local method, path, fields = line:match("^(.-)\t(.-)\t(.*)$")
        actions[#actions + 1] = { method = method, path = path, fields = fields }
    end
    math.randomseed(id * 7919 + #actions)
    waits = 0
    sent = 0
    replays = 0
    to_expected = 0
    elsewhere = 0
    too_many = 0
end

function delay()
    waits = waits + 1
    if waits <= connections then  -- each connection waits before its first request
        -- Until the next request of a connection that has been thinking for a while: uniform
        -- up to 0.5 THINK_MS, then falling to nothing at 1.5 THINK_MS (the equilibrium).
        if math.random() < 0.5 then
            return math.random() * 0.5 * think_ms
        end
        return (1.5 - math.sqrt(math.random())) * think_ms
    end
    return (0.5 + math.random()) * think_ms
end

function request()
    local session, action
    if #sessions == 0 then
        action = actions[(sent % #actions) + 1]
    else
        session = sessions[(sent % #sessions) + 1]
        local round = math.floor(sent / #sessions)
        if round >= #actions then
            replays = replays + 1
        end
        action = actions[(round % #actions) + 1]
    end
    sent = sent + 1
    -- When it was sent, to the second: the server's access log sets it against when the
    -- application took the request, which shows a request waiting in the server for a thread.
    local headers = { ["X-Forwarded-Proto"] = "https", ["X-Bench-Sent"] = tostring(os.time()) }
    if session then
        headers["Cookie"] = session.cookie
    end
    if action.method == "GET" then
        return wrk.format("GET", action.path, headers)
    end
    local token = string.format("mixed-%s-%d-%d", run_id, id, sent)
    local body = action.fields:gsub("{submission}", token)
    if body ~= "" then
        body = body .. "&"
    end
    body = body .. "csrfmiddlewaretoken=" .. session.token
    headers["Origin"] = origin
    headers["Referer"] = origin .. action.path
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", action.path, headers, body)
end

function response(status, headers, body)
    results.count(status)
    if status == 429 then
        too_many = too_many + 1
    end
    if status >= 300 and status < 400 then
        local location = headers["Location"] or headers["location"] or ""
        if status == 302 and expected ~= "" and location:match(expected) then
            to_expected = to_expected + 1
        else
            elsewhere = elsewhere + 1
        end
    end
end

function done(summary, latency, requests)
    local names = {
        "ok", "redirects", "client_errors", "server_errors", "too_many", "to_expected",
        "elsewhere", "replays",
    }
    results.report(summary, latency, names)
end
