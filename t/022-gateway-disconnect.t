#!/usr/bin/perl
# Clients that go away, mid-stream and while their request waits on
# Redis, and a Redis that stops answering: nothing crashes, hangs, leaks
# or is freed twice.  Runs the AddressSanitizer build of the module.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep time);

BEGIN { $ENV{QL_ASAN} //= 1 }
use QL::Stack;

my $stack = QL::Stack->new;
my $key = $stack->make_key;
$stack->make_account;

sub raw_request {
    my ($headers, $body) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $stack->{gateway_port},
                                  Proto => 'tcp') or die $!;
    my $json = JSON::PP->new->encode($body);
    print $s "POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
        . "x-api-key: $key->{key}\r\ncontent-type: application/json\r\n"
        . join('', map { "$_: $headers->{$_}\r\n" } keys %$headers)
        . "content-length: " . length($json) . "\r\n\r\n$json";
    return $s;
}

my $body = { model => 'claude-sonnet-4-5', max_tokens => 16,
             messages => [ { role => 'user', content => 'hi' } ] };
my $stream = { %$body, stream => JSON::PP::true };

# Mid-stream: read the first events, then hang up.
for my $i (1 .. 20) {
    my $s = raw_request({ 'x-mock' => 'events=200;token_ms=20' }, $stream);
    my $got = '';
    while ($got !~ /content_block_delta/) {
        my $n = sysread($s, my $buf, 4096);
        last unless $n;
        $got .= $buf;
    }
    close $s;
}
pass('20 clients hung up mid-stream');

my $deadline = time + 10;
my $stats;
while (time < $deadline) {
    $stats = $stack->request('GET', $stack->mock_url . '/__mock/stats')
                   ->{json};
    last unless grep { $_ } values %{ $stats->{inflight} || {} };
    sleep 0.1;
}
ok(!(grep { $_ } values %{ $stats->{inflight} || {} }),
   'upstream streams closed after the clients left');

# While waiting on Redis: Redis sleeps, clients give up.
my $sleeper = fork();
if ($sleeper == 0) {
    $ENV{REDISCLI_AUTH} = $stack->redis_password('admin');
    exec $stack->redis_cli_argv('DEBUG', 'SLEEP', '2');
}
sleep 0.2;
my @waiting = map { raw_request({}, $body) } 1 .. 10;
sleep 0.3;
close $_ for @waiting;

# A client that stays gets an answer, not a hang: the 1s Redis timeout.
my $t0 = time;
my $res = $stack->gateway('POST', '/v1/messages',
                          { 'x-api-key' => 'cr_' . ('7' x 64) }, $body);
is($res->{status}, 503, 'stuck Redis: 503 after the operation timeout');
ok(time - $t0 < 10, 'answered well before the client timeout');
waitpid($sleeper, 0);

# And everything works again afterwards.
my $ok = 0;
for (1 .. 50) {
    $ok = $stack->gateway('POST', '/v1/messages',
                          { 'x-api-key' => $key->{key} }, $body)->{status}
          == 200 and last;
    sleep 0.1;
}
ok($ok, 'requests succeed after Redis recovers');

$res = $stack->gateway('POST', '/v1/messages', { 'x-api-key' => $key->{key} },
                       $stream);
like($res->{content}, qr/message_stop/, 'full stream after the aborts');

$stack->finish;
