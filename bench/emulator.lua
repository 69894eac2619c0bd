-- emulator.lua: wrk script for bench/emulator.sh: every request is the same
-- small text create, POSTed on keep-alive connections.
wrk.method = "POST"
wrk.path = "/v1beta/interactions"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-goog-api-key"] = "bench-key"
wrk.body = '{"model":"gemini-2.5-flash","input":"Tell me a short joke about programming."}'
