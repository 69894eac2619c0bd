# run-tls-h2: the real service is HTTPS with HTTP/2. nginx (started here on a
# free loopback port, with a throwaway CA made here) proxies TLS + HTTP/2 to
# the emulator: 2,000 jobs go through with certificate verification on, over
# HTTP/2, on far fewer connections than jobs; --connections caps them (HTTP/2
# and HTTP/1.1); a wrong CA is refused (exit 3).
. "$(dirname "$0")/lib.sh"
command -v nginx >/dev/null || fail "nginx is not installed (scripts/install-deps installs nginx-light)"
start_emulator emu
cd "$T"
mk_ca() { # NAME: a CA key and certificate
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=gembatch test $1" -keyout "$1.key" -out "$1.pem" 2>/dev/null
}
mk_ca ca
mk_ca wrongca
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
    -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile san.ext -out server.pem 2>/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
port1=$(free_port) # plain HTTP/1.1, for --connections
upstream=${emu_URL#http://}
mkdir -p nginx/logs nginx/tmp
user_line=""
[ "$(id -u)" = 0 ] && user_line="user root;"
cat >nginx/nginx.conf <<CONF
$user_line
worker_processes 1;
daemon off;
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
    log_format conns '\$connection \$server_protocol \$status';
    access_log $T/nginx/logs/access.log conns;
    client_body_temp_path $T/nginx/tmp/body;
    proxy_temp_path $T/nginx/tmp/proxy;
    fastcgi_temp_path $T/nginx/tmp/fastcgi;
    uwsgi_temp_path $T/nginx/tmp/uwsgi;
    scgi_temp_path $T/nginx/tmp/scgi;
    client_max_body_size 0;
    upstream emu { server $upstream; keepalive 64; }
    server {
        listen 127.0.0.1:$port ssl http2;
        ssl_certificate $T/server.pem;
        ssl_certificate_key $T/server.key;
        location / {
            proxy_pass http://emu;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_request_buffering off;
            proxy_buffering off;
        }
    }
    server {
        listen 127.0.0.1:$port1;
        location / {
            proxy_pass http://emu;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
CONF
nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" 2>"$T/nginx.err" &
_pids="$_pids $!"
i=0
until curl -s --cacert ca.pem -o /dev/null "https://127.0.0.1:$port/"; do
    i=$((i + 1)); [ $i -lt 100 ] || { cat "$T/nginx.err" nginx/logs/error.log >&2; fail "nginx did not start"; }
    sleep 0.05
done
: >nginx/logs/access.log
echo '{"name":"tls","model":"gemini-2.5-flash","limits":{"concurrency":64}}' >p.json
python3 -c "
import json
for i in range(2000): print(json.dumps({'id': 'h%d' % i, 'input': 'question %d' % i}))" >m.jsonl
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --endpoint "https://127.0.0.1:$port" --cacert ca.pem \
    -o out -q
check_outputs out --manifest m.jsonl --all-ok
python3 - nginx/logs/access.log <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
assert len(rows) >= 2000, len(rows)
protos = {r[1] for r in rows}
conns = {r[0] for r in rows}
assert protos == {"HTTP/2.0"}, protos
assert len(conns) <= 8, f"{len(conns)} connections for {len(rows)} requests: not multiplexed"
print(f"run-tls-h2: {len(rows)} requests over {len(conns)} HTTP/2 connection(s)")
PY
# --connections caps the connections, not the requests in flight: 300 jobs at
# -j 64 over one HTTP/2 connection, and over two HTTP/1.1 ones (without it,
# HTTP/1.1 opens one a request in flight)
conns_for() { # OUT ENDPOINT ARGS...: connections the run used, from nginx's log
    out=$1 ep=$2
    shift 2
    : >nginx/logs/access.log
    expect_rc 0 "$GEMBATCH" run p.json m300.jsonl --endpoint "$ep" --cacert ca.pem -o "$out" -q "$@"
    check_outputs "$out" --manifest m300.jsonl --all-ok >/dev/null
    python3 -c "
import sys
rows = [l.split() for l in open('nginx/logs/access.log') if l.strip()]
assert len(rows) >= 300, len(rows)
print(len({r[0] for r in rows}))"
}
head -n 300 m.jsonl >m300.jsonl
n=$(conns_for c-h2 "https://127.0.0.1:$port" --connections 1)
assert_eq "$n" 1 "HTTP/2 connections with --connections 1"
n=$(conns_for c-h1 "http://127.0.0.1:$port1" --connections 2)
[ "$n" -le 2 ] || fail "$n HTTP/1.1 connections with --connections 2"
n=$(conns_for c-h1-free "http://127.0.0.1:$port1")
[ "$n" -gt 2 ] || fail "HTTP/1.1 without --connections used $n connection(s) for 64 in flight"
note "--connections: 1 over HTTP/2, at most 2 over HTTP/1.1 (without it: $n)"

# the wrong CA: refused with a clear error, exit 3, nothing written as done
"$GEMBATCH" run p.json m.jsonl --endpoint "https://127.0.0.1:$port" --cacert wrongca.pem \
    -o out2 -q 2>err && fail "a server signed by another CA was accepted"
expect_rc 3 "$GEMBATCH" run p.json m.jsonl --endpoint "https://127.0.0.1:$port" --cacert wrongca.pem \
    -o out2 -q
grep -q "TLS failure" err && grep -qi "certificate" err || fail "TLS message: $(cat err)"
grep -q "check --cacert" err || fail "run gives no --cacert hint: $(cat err)"
# get and delete give the same hint as run
for c in get delete; do
    "$GEMBATCH" $c ix_1 --endpoint "https://127.0.0.1:$port" 2>err && fail "$c trusted an unknown CA"
    expect_rc 3 "$GEMBATCH" $c ix_1 --endpoint "https://127.0.0.1:$port"
    grep -q "TLS failure talking to https://127.0.0.1:$port" err && grep -qi "certificate" err &&
        grep -q "check --cacert" err || fail "$c: TLS message: $(cat err)"
done
assert_eq "$(nlines out2/results.jsonl)" 0 "results with a wrong CA"
