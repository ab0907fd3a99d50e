#!/usr/bin/perl
# Slowloris and connection floods from one address, against admind and
# the gateway with the shipped settings: a client from another address is
# still served, connections that never finish their headers are closed,
# one address cannot hold more than its share, and sockets the attacker
# left are not kept in CLOSE-WAIT.  Bounded: a few thousand loopback
# sockets for a few seconds each.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Errno qw(EAGAIN EWOULDBLOCK);
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep time);

# 3000 sockets here and as many in admind: raise the soft descriptor
# limit to the hard one first (by re-exec: Perl has no setrlimit).
BEGIN {
    if (!$ENV{QL_NOFILE_RAISED}) {
        $ENV{QL_NOFILE_RAISED} = 1;
        exec('/bin/sh', '-c', 'ulimit -S -n "$(ulimit -H -n)"; exec "$@"',
             'sh', $^X, $0, @ARGV) or die "exec: $!";
    }
}

use QL::Stack;

$SIG{PIPE} = 'IGNORE';

# admind's idle timeout is shortened so the drill stays short; the other
# limits are its defaults (32 per address, 256 in all).
my $stack = QL::Stack->new(admind_conf => 'http_connection_timeout = 3');

my $ATTACKER = '127.0.0.2';

# Opens n connections from $from that send a partial request header;
# returns the sockets still connected (non-blocking).
sub partial_headers {
    my ($from, $port, $n, $head) = @_;
    my @s;
    my $deadline = time + 20;
    for (1 .. $n) {
        last if time > $deadline;
        my $s = IO::Socket::INET->new(LocalAddr => $from,
            PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp',
            Timeout => 2) or next;
        $s->blocking(0);
        syswrite($s, $head // "GET /healthz HTTP/1.1\r\nHost: x\r\n");
        push @s, $s;
    }
    return @s;
}

# Whether the server has closed its end (EOF or reset).
sub closed_by_peer {
    my ($s) = @_;
    my $n = sysread($s, my $buf, 4096);
    return 0 if !defined $n && ($! == EAGAIN || $! == EWOULDBLOCK);
    return 1 if !defined $n || $n == 0;
    return 0;
}

sub open_count { scalar grep { !closed_by_peer($_) } @_ }

# Sockets of the server on this port in CLOSE-WAIT (state 08).
sub close_wait {
    my ($port) = @_;
    my $n = 0;
    for my $file ('/proc/net/tcp', '/proc/net/tcp6') {
        open my $fh, '<', $file or next;
        while (<$fh>) {
            my @f = split;
            next unless $f[1] && $f[1] =~ /:([0-9A-F]{4})$/;
            $n++ if hex($1) == $port && $f[3] eq '08';
        }
        close $fh;
    }
    return $n;
}

# ---- admind ----

my $aport = $stack->{admind_port};
my @attack = partial_headers($ATTACKER, $aport, 3000);
ok(@attack >= 2900, 'the attacker opened ' . scalar(@attack)
   . ' connections to admind');
sleep 1;
my $held = open_count(@attack);
cmp_ok($held, '<=', 32, "admind holds only 32 of them ($held), "
       . 'the rest are closed at once');

my $t0 = time;
my $res = HTTP::Tiny->new(timeout => 10)->get($stack->admin_url . '/healthz');
is($res->{status}, 200, 'another client gets /healthz meanwhile')
    or diag("$res->{status} after " . (time - $t0) . " s");

close $_ for @attack;
ok($stack->eventually(10, sub { close_wait($aport) == 0 }),
   'no admind socket lingers in CLOSE-WAIT after the attacker left')
    or diag(close_wait($aport) . ' in CLOSE-WAIT');

@attack = partial_headers($ATTACKER, $aport, 10);
ok($stack->eventually(15, sub { open_count(@attack) == 0 }),
   'admind closes connections that stall in their headers');
close $_ for @attack;

# ---- gateway ----

my $key = $stack->make_key;
$stack->make_account;
my $body = '{"model":"claude-sonnet-4-5","max_tokens":8,'
         . '"messages":[{"role":"user","content":"hi"}]}';
my $auth = { 'x-api-key' => $key->{key},
             'anthropic-version' => '2023-06-01' };

my $gport = $stack->{gateway_port};
@attack = partial_headers($ATTACKER, $gport, 2000,
                          "POST /v1/messages HTTP/1.1\r\nHost: x\r\n");
ok(@attack >= 1900, 'the attacker opened ' . scalar(@attack)
   . ' connections to the gateway');

$res = $stack->gateway('POST', '/v1/messages', $auth, $body);
is($res->{status}, 200, 'another client gets its answer meanwhile');
is($res->{json}{content}[0]{text}, 'Hello from mock', '... from upstream');

# client_header_timeout: the whole header within 10 s, however slowly
# it trickles in.
$t0 = time;
ok($stack->eventually(30, sub {
       syswrite($_, 'x') for @attack;
       open_count(@attack) == 0 }),
   'the gateway closes connections that never finish their headers')
    or diag(open_count(@attack) . ' still open after ' . (time - $t0)
            . ' s');
close $_ for @attack;

@attack = partial_headers($ATTACKER, $gport, 1000);
close $_ for @attack;
ok($stack->eventually(10, sub { close_wait($gport) == 0 }),
   'no gateway socket lingers in CLOSE-WAIT after the attacker left')
    or diag(close_wait($gport) . ' in CLOSE-WAIT');

# limit_conn: one address holds at most 32 requests at once, e.g. slow
# body uploads that keep a buffer each.
my @uploads;
for (1 .. 40) {
    my $s = IO::Socket::INET->new(LocalAddr => $ATTACKER,
        PeerAddr => '127.0.0.1', PeerPort => $gport, Proto => 'tcp')
        or die "connect: $!";
    print $s "POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
        . "x-api-key: $key->{key}\r\ncontent-type: application/json\r\n"
        . "content-length: 1000000\r\n\r\n{\"model\":";
    push @uploads, $s;
}
sleep 1;
my ($refused, $shape) = (0, 0);
for my $s (@uploads) {
    $s->blocking(0);
    my $n = sysread($s, my $buf, 65536);
    next unless $n;
    $refused++ if $buf =~ m{^HTTP/1\.1 429 };
    $shape++ if $buf =~ /\r\n\r\n\{"type":"error","error":\{"type":
                          "rate_limit_error","message":"[^"]+"\}\}$/x;
}
is($refused, 8, 'over 32 requests from one address: 429');
is($shape, 8, '... in the Anthropic error shape');

$res = $stack->gateway('POST', '/v1/messages', $auth, $body);
is($res->{status}, 200, 'another address is not limited by it');
close $_ for @uploads;

$stack->finish;
