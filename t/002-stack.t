#!/usr/bin/perl
# The whole stack comes up: admind is healthy and names a broken
# dependency, and nginx serves the gateway with our module loaded.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use QL::Stack;

my $stack = QL::Stack->new;

my $res = $stack->request('GET', $stack->admin_url . '/healthz');
is($res->{status}, 200, 'admind healthy');
is($res->{json}{db}, 'ok', 'healthz: db ok');
is($res->{json}{redis}, 'ok', 'healthz: redis ok');

# The module is in the request path: without a key, nginx answers in
# Anthropic's error shape, from our module.
my $body = { model => 'claude-sonnet-4-5', max_tokens => 64,
             messages => [ { role => 'user', content => 'hi' } ] };

for my $path ('/v1/messages', '/api/v1/messages', '/claude/v1/messages') {
    $res = $stack->gateway('POST', $path,
                           { 'anthropic-version' => '2023-06-01' }, $body);
    is($res->{status}, 401, "$path: 401 without a key");
    is($res->{json}{type}, 'error', "$path: Anthropic error shape");
    is($res->{json}{error}{type}, 'authentication_error',
       "$path: authentication_error");
    like($res->{headers}{'content-type'}, qr{^application/json},
         "$path: JSON body");
}

is(scalar @{ $stack->mock_requests }, 0, 'nothing reached the upstream');

# An unknown path is not ours to relay.
$res = $stack->gateway('GET', '/nope');
is($res->{status}, 404, 'unknown path 404');
is($res->{json}{error}{type}, 'not_found_error', '404 in the JSON shape');

# /healthz names the broken dependency, and recovers with it.
$stack->stop_redis;
$res = $stack->request('GET', $stack->admin_url . '/healthz');
is($res->{status}, 503, 'redis down: healthz 503');
like($res->{json}{redis} // '', qr/^error/, 'healthz names redis');
is($res->{json}{db}, 'ok', 'db still ok');
$stack->restart_redis;
$res = $stack->request('GET', $stack->admin_url . '/healthz');
is($res->{status}, 200, 'redis back: healthz 200');

$stack->stop_mariadb;
$res = $stack->request('GET', $stack->admin_url . '/healthz');
is($res->{status}, 503, 'mariadb down: healthz 503');
like($res->{json}{db} // '', qr/^error/, 'healthz names the db');
$stack->start_mariadb_again;
$res = $stack->request('GET', $stack->admin_url . '/healthz');
is($res->{status}, 200, 'mariadb back: healthz 200 without restart');

# SIGTERM: clean exit.
my $status = $stack->stop_admind;
is($status, 0, 'admind exits 0 on SIGTERM');

$stack->finish;
