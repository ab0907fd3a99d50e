#!/usr/bin/perl
# The module loads into the stock nginx; bad directive values fail
# `nginx -t` with a clear message.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use QL::Stack;

my $stack = QL::Stack->new(services => []);

open my $fh, '<', QL::Stack::repo() . '/conf/nginx.conf.in' or die $!;
my $example = do { local $/; <$fh> };
close $fh;

my ($ok, $out) = $stack->nginx_test_config($example);
ok($ok, 'example nginx.conf passes nginx -t') or diag $out;

sub conf_with {
    my ($http, $location, $key_file) = @_;
    $key_file //= '@MASTER_KEY_FILE@';
    return <<"CONF";
load_module \@MODULE_PATH\@;
pid \@RUN_DIR\@/nginx.pid;
error_log \@LOG_DIR\@/error.log;
events {}
http {
    client_body_temp_path \@RUN_DIR\@/nginx-tmp;
    client_body_buffer_size 32m;
    quotalane_master_key_file $key_file;
    $http
    server {
        listen \@GATEWAY_LISTEN\@;
        location / { $location }
    }
}
CONF
}

my $empty = $stack->dir . '/run/empty.password';
QL::Stack::write_file($empty, "\n", 0600);

my @bad = (
    [ 'unknown platform',
      conf_with('quotalane_redis 127.0.0.1:6379;',
                'quotalane_gateway claud;'),
      qr/unknown platform "claud" \(expected one of: claude, gemini/ ],
    [ 'unknown pool',
      conf_with('quotalane_redis 127.0.0.1:6379;',
                'quotalane_gateway openai pool=azur;'),
      qr/unknown pool "azur"/ ],
    [ 'bad gateway parameter',
      conf_with('quotalane_redis 127.0.0.1:6379;',
                'quotalane_gateway openai azure;'),
      qr/invalid parameter "azure"/ ],
    [ 'empty pool',
      conf_with('quotalane_redis 127.0.0.1:6379;',
                'quotalane_gateway openai pool=;'),
      qr/invalid parameter "pool="/ ],
    [ 'gateway without redis',
      conf_with('', 'quotalane_gateway claude;'),
      qr/"quotalane_gateway" requires "quotalane_redis"/ ],
    [ 'redis host name',
      conf_with('quotalane_redis redis.example:6379;',
                'quotalane_gateway claude;'),
      qr/must be an IP address with port or unix:/ ],
    [ 'redis bad port',
      conf_with('quotalane_redis 127.0.0.1:99999;',
                'quotalane_gateway claude;'),
      qr/invalid redis address "127.0.0.1:99999": invalid port/ ],
    [ 'duplicate gateway',
      conf_with('quotalane_redis 127.0.0.1:6379;',
                'quotalane_gateway claude; quotalane_gateway openai;'),
      qr/"quotalane_gateway" directive is duplicate/ ],
    [ 'master key file missing',
      conf_with('quotalane_redis 127.0.0.1:6379;',
                'quotalane_gateway claude;', '/nonexistent/master.key'),
      qr{cannot open master key file "/nonexistent/master.key"} ],
    [ 'master key file malformed',
      conf_with('quotalane_redis 127.0.0.1:6379;',
                'quotalane_gateway claude;', "$FindBin::Bin/lsan.supp"),
      qr/must hold 32 raw bytes or 64 hex digits/ ],
    [ 'bad key cache size',
      conf_with('quotalane_redis 127.0.0.1:6379; quotalane_key_cache 1k;',
                'quotalane_gateway claude;'),
      qr/invalid key cache size "1k"/ ],
    [ 'bad key cache parameter',
      conf_with('quotalane_redis 127.0.0.1:6379; '
                . 'quotalane_key_cache 1m tll=5s;',
                'quotalane_gateway claude;'),
      qr/invalid parameter "tll=5s"/ ],
    [ 'session ttl of 0',
      conf_with('quotalane_redis 127.0.0.1:6379; '
                . 'quotalane_session_ttl 0s;',
                'quotalane_gateway claude;'),
      qr/"quotalane_session_ttl" must be at least 1s/ ],
    [ 'bad redis failure mode',
      conf_with('quotalane_redis 127.0.0.1:6379; '
                . 'quotalane_redis_fail open;',
                'quotalane_gateway claude;'),
      qr/invalid value "open"/ ],
    [ 'redis user without a password',
      conf_with('quotalane_redis 127.0.0.1:6379; '
                . 'quotalane_redis_user quotalane-gateway;',
                'quotalane_gateway claude;'),
      qr/"quotalane_redis_user" requires "quotalane_redis_password_file"/ ],
    [ 'redis password file missing',
      conf_with('quotalane_redis 127.0.0.1:6379; '
                . 'quotalane_redis_password_file /nonexistent/redis.pw;',
                'quotalane_gateway claude;'),
      qr{cannot open redis password file "/nonexistent/redis.pw"} ],
    [ 'redis password file empty',
      conf_with('quotalane_redis 127.0.0.1:6379; '
                . "quotalane_redis_password_file $empty;",
                'quotalane_gateway claude;'),
      qr/redis password file ".*" must hold one non-empty line/ ],
    [ 'redis password twice',
      conf_with('quotalane_redis 127.0.0.1:6379; '
                . 'quotalane_redis_password pw; '
                . 'quotalane_redis_password_file @REDIS_PASSWORD_FILE@;',
                'quotalane_gateway claude;'),
      qr/"quotalane_redis_password_file" directive is duplicate/ ],
    [ 'body buffer smaller than the body limit',
      conf_with('quotalane_redis 127.0.0.1:6379;',
                'quotalane_gateway claude; client_body_buffer_size 1m; '
                . 'client_max_body_size 2m;'),
      qr/"client_body_buffer_size" 1048576 is smaller .* accepts, 2097152 / ],
    [ 'body buffer smaller than quotalane_body_limit',
      conf_with('quotalane_redis 127.0.0.1:6379;',
                'quotalane_gateway claude; quotalane_body_limit 8m; '
                . 'client_body_buffer_size 1m; client_max_body_size 0;'),
      qr/"client_body_buffer_size" 1048576 is smaller .* 8388608/ ],
    [ 'body in file only',
      conf_with('quotalane_redis 127.0.0.1:6379;',
                'quotalane_gateway claude; client_body_in_file_only on;'),
      qr/"client_body_in_file_only" cannot be used with "quotalane_gateway"/ ],
    [ 'gateway outside location',
      conf_with('quotalane_redis 127.0.0.1:6379; quotalane_gateway claude;',
                ''),
      qr/"quotalane_gateway" directive is not allowed here/ ],
);

for my $case (@bad) {
    my ($name, $conf, $want) = @$case;
    my ($ok, $out) = $stack->nginx_test_config($conf);
    ok(!$ok, "$name: nginx -t fails");
    like($out, $want, "$name: message says why");
}

my ($fits, $why) = $stack->nginx_test_config(
    conf_with('quotalane_redis 127.0.0.1:6379;', 'quotalane_gateway claude; '
              . 'client_body_buffer_size 1m; client_max_body_size 1m;'));
ok($fits, 'a buffer as large as client_max_body_size will do') or diag $why;

for my $gw ('openai pool=azure', 'claude pool=droid', 'claude pool=ccr') {
    my ($ok, $out) = $stack->nginx_test_config(
        conf_with('quotalane_redis 127.0.0.1:6379;', "quotalane_gateway $gw;"));
    ok($ok, "quotalane_gateway $gw accepted") or diag $out;
}

for my $addr ('127.0.0.1:6379', 'unix:/tmp/redis.sock', '[::1]:6379') {
    my ($ok, $out) = $stack->nginx_test_config(
        conf_with("quotalane_redis $addr;", 'quotalane_gateway gemini;'));
    ok($ok, "redis address $addr accepted") or diag $out;
}

$stack->finish;
