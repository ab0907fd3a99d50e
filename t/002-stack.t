#!/usr/bin/perl
# The whole stack comes up: admind is healthy, and a request to the
# gateway passes through nginx and our module to the mock upstream.
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

my $body = { model => 'claude-sonnet-4-5', max_tokens => 64,
             messages => [ { role => 'user', content => 'hi' } ] };

for my $path ('/v1/messages', '/api/v1/messages', '/claude/v1/messages') {
    $res = $stack->gateway('POST', $path,
                           { 'anthropic-version' => '2023-06-01' }, $body);
    is($res->{status}, 200, "$path: 200 through the gateway");
    is($res->{headers}{'x-quotalane-platform'}, 'claude',
       "$path: our module handled it");
    is($res->{json}{type}, 'message', "$path: mock's message came back");
    ok($res->{json}{usage}{input_tokens} > 0, "$path: usage present");
}

my $seen = $stack->mock_requests;
is(scalar(grep { $_->{path} =~ m{/v1/messages$} } @$seen), 3,
   'mock saw the three requests');

# A stream arrives as SSE, events in order.
$res = $stack->gateway('POST', '/v1/messages', { 'x-mock' => 'events=5' },
                       { %$body, stream => JSON::PP::true });
is($res->{status}, 200, 'stream: 200');
like($res->{headers}{'content-type'}, qr{^text/event-stream},
     'stream: content type kept');
my @events = $res->{content} =~ /^event: (\w+)$/mg;
is_deeply([ grep { $_ ne 'ping' } @events ],
          [ 'message_start', 'content_block_start',
            ('content_block_delta') x 5,
            'content_block_stop', 'message_delta', 'message_stop' ],
          'stream: Anthropic event sequence intact');

# An unknown path is not ours to relay.
$res = $stack->gateway('GET', '/nope');
is($res->{status}, 404, 'unknown path 404');

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

done_testing;
