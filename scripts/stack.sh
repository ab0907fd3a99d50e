#!/usr/bin/env bash
# Starts or stops the local QuotaLane stack under var/ (all on loopback):
# redis-server, MariaDB, the mock AI upstream, admind and the stock nginx
# loading our module. `start` is safe to run twice; `stop` leaves nothing.
#
# Ports (environment overrides): QL_GATEWAY_PORT (8080), QL_ADMIN_PORT
# (8081), QL_MOCK_PORT (8090), QL_REDIS_PORT (6380).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
var=$repo/var
run=$var/run
log=$var/log
data=$var/data

gateway_port=${QL_GATEWAY_PORT:-8080}
admin_port=${QL_ADMIN_PORT:-8081}
mock_port=${QL_MOCK_PORT:-8090}
redis_port=${QL_REDIS_PORT:-6380}
db_socket=$run/mysqld.sock

say() { printf 'stack: %s\n' "$*"; }
die() { printf 'stack: %s\n' "$*" >&2; exit 1; }

alive() {
    local pidfile=$run/$1.pid
    [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# wait_until SECONDS WHAT COMMAND...
wait_until() {
    local limit=$1 what=$2 i
    shift 2
    for ((i = 0; i < limit * 10; i++)); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    die "$what did not become ready; see $log/"
}

secret() {
    local file=$run/$1 bytes=$2
    if [ ! -s "$file" ]; then
        (umask 077 && openssl rand -hex "$bytes" | tr -d '\n' > "$file")
    fi
}

# The ACL users of conf/redis-acl.conf, each with a password in
# var/run/redis-<role>.password; redis.conf holds only their SHA-256.
redis_conf() {
    local role
    for role in gateway admind admin; do
        secret "redis-$role.password" 16
    done
    (umask 077 &&
     PREFIX='ql:{main}:' \
     GATEWAY_PASSWORD_HASH=$(sha256 "$run/redis-gateway.password") \
     ADMIND_PASSWORD_HASH=$(sha256 "$run/redis-admind.password") \
     ADMIN_PASSWORD_HASH=$(sha256 "$run/redis-admin.password") \
        perl -pe 's/\@([A-Z_]+)\@/exists $ENV{$1} ? $ENV{$1}
                  : die "no value for $1\n"/ge' \
        "$repo/conf/redis-acl.conf" > "$run/redis.conf")
}

sha256() {
    sha256sum < "$1" | cut -d' ' -f1
}

redis_admin_cli() {
    REDISCLI_AUTH=$(cat "$run/redis-admin.password") \
        redis-cli -p "$redis_port" --user quotalane-admin "$@"
}

start_redis() {
    alive redis && return 0
    mkdir -p "$data/redis"
    redis_conf
    redis-server "$run/redis.conf" --port "$redis_port" --bind 127.0.0.1 \
        --dir "$data/redis" --appendonly yes --save '' --daemonize yes \
        --pidfile "$run/redis.pid" --logfile "$log/redis.log"
    wait_until 10 redis redis_admin_cli ping
    say "redis on 127.0.0.1:$redis_port (ACL users, default user off)"
}

mysql_root() {
    mariadb --no-defaults -u "$(id -un)" -S "$db_socket" "$@"
}

start_mariadb() {
    if ! alive mariadb; then
        if [ ! -d "$data/mysql/mysql" ]; then
            mkdir -p "$data/mysql"
            mariadb-install-db --no-defaults --user="$(id -un)" \
                --datadir="$data/mysql" --skip-test-db \
                --auth-root-authentication-method=socket \
                > "$log/mariadb-install.log" 2>&1 \
                || die "mariadb-install-db failed; see $log/"
        fi
        nohup mariadbd --no-defaults --user="$(id -un)" \
            --datadir="$data/mysql" --socket="$db_socket" \
            --pid-file="$run/mariadb.pid" --skip-networking \
            --skip-name-resolve --log-error="$log/mariadb.log" \
            --innodb-buffer-pool-size=64M > /dev/null 2>&1 &
        wait_until 60 mariadb mariadb-admin --no-defaults -u "$(id -un)" \
            -S "$db_socket" ping
    fi
    secret db_password 16
    mysql_root -e "CREATE DATABASE IF NOT EXISTS quotalane
                       CHARACTER SET utf8mb4;
                   CREATE USER IF NOT EXISTS 'quotalane'@'localhost'
                       IDENTIFIED BY '$(cat "$run/db_password")';
                   GRANT ALL ON quotalane.* TO 'quotalane'@'localhost';"
    say "mariadb on $db_socket"
}

start_mock() {
    alive mock && return 0
    nohup python3 "$repo/t/mock/mock_upstream.py" \
        --listen "127.0.0.1:$mock_port" > "$log/mock.log" 2>&1 &
    echo $! > "$run/mock.pid"
    wait_until 20 "mock upstream" \
        curl -sf "http://127.0.0.1:$mock_port/__mock/health"
    say "mock upstream on 127.0.0.1:$mock_port"
}

start_admind() {
    alive admind && return 0
    secret master.key 32
    secret jwt.secret 32
    secret admin_password 12
    (umask 077 && cat > "$run/admind.conf" <<EOF
listen = 127.0.0.1:$admin_port
db_socket = $db_socket
db_user = quotalane
db_password_file = $run/db_password
db_name = quotalane
redis = 127.0.0.1:$redis_port
redis_user = quotalane-admind
redis_password_file = $run/redis-admind.password
migrations_dir = $repo/admind/migrations
console_dir = $repo/build/console
master_key_file = $run/master.key
jwt_secret_file = $run/jwt.secret
bootstrap_admin_user = admin
bootstrap_admin_password_file = $run/admin_password
# the local mock upstream, the only loopback port accounts may use
outbound_allow = 127.0.0.1:$mock_port
EOF
    )
    nohup "$repo/build/admind" -c "$run/admind.conf" \
        >> "$log/admind.log" 2>&1 &
    echo $! > "$run/admind.pid"
    wait_until 60 admind curl -sf "http://127.0.0.1:$admin_port/healthz"
    say "admind on 127.0.0.1:$admin_port"
}

start_nginx() {
    mkdir -p "$run/nginx-tmp"/{body,proxy,fastcgi,uwsgi,scgi}
    MODULE_PATH=$repo/build/nginx/ngx_http_quotalane_module.so \
    RUN_DIR=$run LOG_DIR=$log REDIS_ADDR=127.0.0.1:$redis_port \
    REDIS_USER=quotalane-gateway \
    REDIS_PASSWORD_FILE=$run/redis-gateway.password \
    MOCK_ADDR=127.0.0.1:$mock_port GATEWAY_LISTEN=127.0.0.1:$gateway_port \
    MASTER_KEY_FILE=$run/master.key CONF_DIR=$repo/conf KEY_CACHE_TTL=5s WORKERS=2 \
    EXTRA_HTTP='' EXTRA_SERVER='' \
        perl -pe 's/\@([A-Z_]+)\@/exists $ENV{$1} ? $ENV{$1}
                  : die "no value for $1\n"/ge' \
        "$repo/conf/nginx.conf.in" > "$run/nginx.conf"
    # nginx creates its logs 0644 less the umask (nginx -t already)
    (umask 027 && nginx -p "$var" -c "$run/nginx.conf" -t -q)
    if alive nginx; then
        nginx -p "$var" -c "$run/nginx.conf" -s reload
        say "nginx reloaded"
        return 0
    fi
    (umask 027 && nginx -p "$var" -c "$run/nginx.conf")
    wait_until 10 nginx curl -s -o /dev/null \
        "http://127.0.0.1:$gateway_port/"
    say "gateway on 127.0.0.1:$gateway_port"
}

write_env() {
    local redis_pw
    redis_pw=$(cat "$run/redis-admin.password")
    (umask 077 && cat > "$run/env" <<EOF
GATEWAY_URL=http://127.0.0.1:$gateway_port
ADMIN_URL=http://127.0.0.1:$admin_port
ADMIN_USER=admin
ADMIN_PASSWORD=$(cat "$run/admin_password")
MOCK_URL=http://127.0.0.1:$mock_port
REDIS_URL=redis://quotalane-admin:$redis_pw@127.0.0.1:$redis_port
EOF
    )
    chmod 600 "$run/env"
}

stop_one() {
    local name=$1 pidfile=$run/$1.pid pid i
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for ((i = 0; i < 150; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "$name ignored SIGTERM; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        say "$name stopped"
    fi
    rm -f "$pidfile"
}

case "${1:-}" in
start)
    . "$repo/scripts/lib/need.sh"
    need_cmd redis-server redis-server
    need_cmd mariadbd mariadb-server
    need_cmd mariadb mariadb-client
    need_cmd nginx nginx
    need_cmd openssl openssl
    need_cmd sha256sum coreutils
    need_cmd python3 python3
    mkdir -p "$run" "$log" "$data"
    chmod 700 "$run"
    start_redis
    start_mariadb
    start_mock
    start_admind
    start_nginx
    write_env
    say "ready; credentials in var/run/env (source it)"
    ;;
stop)
    for name in nginx admind mock mariadb redis; do
        stop_one "$name"
    done
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
