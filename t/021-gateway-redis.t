#!/usr/bin/perl
# Redis going away: the gateway fails closed fast (no hang), recovers by
# itself when Redis returns (admind refills it), and with
# `quotalane_redis_fail cache` keeps serving keys it already knows.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use QL::Stack;

my $body = { model => 'claude-sonnet-4-5', max_tokens => 16,
             messages => [ { role => 'user', content => 'hi' } ] };

# Retries a request until it answers 200 (bounded), for recovery checks.
sub eventually_ok {
    my ($stack, $headers) = @_;
    for (1 .. 100) {
        my $res = $stack->gateway('POST', '/v1/messages', $headers, $body);
        return $res if $res->{status} == 200;
        sleep 0.1;
    }
    return $stack->gateway('POST', '/v1/messages', $headers, $body);
}

subtest 'fail closed, then recover without an nginx restart' => sub {
    my $stack = QL::Stack->new;
    my $key = $stack->make_key;
    $stack->make_account;
    my $auth = { 'x-api-key' => $key->{key} };

    is($stack->gateway('POST', '/v1/messages', $auth, $body)->{status}, 200,
       'works with Redis up');

    my $master = $stack->nginx_pid;
    $stack->stop_redis;

    my $fresh = $stack->random_key;
    my $res = $stack->gateway('POST', '/v1/messages',
                              { 'x-api-key' => $fresh }, $body);
    is($res->{status}, 503, 'unknown key with Redis down: 503, not a hang');
    is($res->{json}{error}{type}, 'api_error', '503 in Anthropic shape');

    # cached key, but selection needs Redis: fail closed
    $res = $stack->gateway('POST', '/v1/messages', $auth, $body);
    is($res->{status}, 503, 'fail-closed: 503 while Redis is down');

    $stack->restart_redis;
    $res = eventually_ok($stack, $auth);
    is($res->{status}, 200, 'Redis back (empty, refilled by admind): 200');
    is($stack->nginx_pid, $master, 'same nginx master, no restart');

    $stack->finish_quietly;
};

subtest 'serve from cache while Redis is down' => sub {
    my $stack = QL::Stack->new(workers => 1,
                               nginx_http => 'quotalane_redis_fail cache;');
    my $key = $stack->make_key;
    $stack->make_account;
    my $auth = { 'x-api-key' => $key->{key} };

    is($stack->gateway('POST', '/v1/messages', $auth, $body)->{status}, 200,
       'warm: key and pick cached');

    $stack->stop_redis;
    sleep 6;    # past the key cache TTL: stale entries still serve

    my $res = $stack->gateway('POST', '/v1/messages', $auth, $body);
    is($res->{status}, 200, 'known key served from cache');
    is($res->{json}{content}[0]{text}, 'Hello from mock', 'reached upstream');

    $res = $stack->gateway('POST', '/v1/messages',
                           { 'x-api-key' => 'cr_' . ('9' x 64) }, $body);
    is($res->{status}, 503, 'unknown key still refused (503)');

    $stack->restart_redis;
    is(eventually_ok($stack, $auth)->{status}, 200, 'back to normal');

    $stack->finish_quietly;
};

done_testing;
