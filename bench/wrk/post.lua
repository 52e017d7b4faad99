-- Posts comments as many learners in turn, as a browser's form would.
--   wrk ... URL -- SESSIONS_FILE PATH ORIGIN RUN_ID FIELDS
-- SESSIONS_FILE has "cookie<TAB>csrf token" lines. FIELDS is the form's fixed fields,
-- url-encoded ("text=...&x=y"); each request adds its CSRF token and a submission token
-- unique to this run, thread and request, so every post is a new comment. Expected answer:
-- a redirect back to the step (303 or 302), or 200 for an htmx partial.
local threads = {}
local counter = 0

function setup(thread)
    counter = counter + 1
    thread:set("id", counter)
    table.insert(threads, thread)
end

function init(args)
    sessions = {}
    for line in io.lines(args[1]) do
        local cookie, token = line:match("^(.-)\t(.*)$")
        sessions[#sessions + 1] = { cookie = cookie, token = token }
    end
    path, origin, run_id, fields = args[2], args[3], args[4], args[5]
    position = ((id * 7919) % #sessions) + 1
    sent = 0
    ok, redirects, client_errors, server_errors, too_many = 0, 0, 0, 0, 0
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
    elseif status < 300 then
        ok = ok + 1
    elseif status < 400 then
        redirects = redirects + 1
    elseif status < 500 then
        client_errors = client_errors + 1
    else
        server_errors = server_errors + 1
    end
end

function done(summary, latency, requests)
    local counts = { ok = 0, redirects = 0, client_errors = 0, server_errors = 0, too_many = 0 }
    for _, thread in ipairs(threads) do
        for name, _ in pairs(counts) do
            counts[name] = counts[name] + thread:get(name)
        end
    end
    local errors = summary.errors
    io.write(string.format(
        'BENCH-RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
        '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
        '"ok": %d, "redirects": %d, "client_errors": %d, "server_errors": %d, ' ..
        '"too_many": %d, "socket_errors": %d, "timeouts": %d}\n',
        summary.requests, summary.duration, summary.bytes,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
        counts.ok, counts.redirects, counts.client_errors, counts.server_errors,
        counts.too_many, errors.connect + errors.read + errors.write, errors.timeout))
end
