-- Loads one page as many people in turn: each request carries the next person's cookies.
--   wrk ... URL -- COOKIE_FILE    (one Cookie header value a line; "-" for visitors)
-- Every request says it came through a TLS-terminating proxy (X-Forwarded-Proto), as in
-- production. Statuses are counted so that a redirect to the sign-in page cannot pass for
-- a fast page; done() prints one JSON line for the harness.
local threads = {}
local counter = 0

function setup(thread)
    counter = counter + 1
    thread:set("id", counter)
    table.insert(threads, thread)
end

function init(args)
    cookies = {}
    if args[1] and args[1] ~= "-" then
        for line in io.lines(args[1]) do
            cookies[#cookies + 1] = line
        end
    end
    -- Threads start at different people.
    position = #cookies > 0 and ((id * 7919) % #cookies) + 1 or 0
    ok, redirects, client_errors, server_errors = 0, 0, 0, 0
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
    if status < 300 then
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
    local counts = { ok = 0, redirects = 0, client_errors = 0, server_errors = 0 }
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
        '"socket_errors": %d, "timeouts": %d}\n',
        summary.requests, summary.duration, summary.bytes,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
        counts.ok, counts.redirects, counts.client_errors, counts.server_errors,
        errors.connect + errors.read + errors.write, errors.timeout))
end
