-- What get.lua and post.lua share: the threads they count statuses in, and the one JSON line
-- done() prints for the harness (bench/run.py reads it).
local results = {}
local threads = {}

-- For the scripts' setup(): number the threads and keep them, to add up their counts.
function results.setup(thread)
    table.insert(threads, thread)
    thread:set("id", #threads)
end

-- For the scripts' response(): counts a status in this thread, in globals that
-- thread:get() reads.
function results.count(status)
    if status < 300 then
        ok = (ok or 0) + 1
    elseif status < 400 then
        redirects = (redirects or 0) + 1
    elseif status < 500 then
        client_errors = (client_errors or 0) + 1
    else
        server_errors = (server_errors or 0) + 1
    end
end

-- For the scripts' done(): the totals, with each thread's counts of the names given.
function results.report(summary, latency, names)
    local fields = {
        string.format('"requests": %d, "duration_us": %d, "bytes": %d',
            summary.requests, summary.duration, summary.bytes),
        string.format('"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d',
            latency:percentile(50), latency:percentile(90), latency:percentile(99),
            latency.max),
    }
    for _, name in ipairs(names) do
        local total = 0
        for _, thread in ipairs(threads) do
            total = total + (thread:get(name) or 0)
        end
        fields[#fields + 1] = string.format('"%s": %d', name, total)
    end
    local errors = summary.errors
    fields[#fields + 1] = string.format('"socket_errors": %d, "timeouts": %d',
        errors.connect + errors.read + errors.write, errors.timeout)
    io.write("BENCH-RESULT {" .. table.concat(fields, ", ") .. "}\n")
end

return results
