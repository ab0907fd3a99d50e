#!/usr/bin/perl
# The outbound URL policy (SSRF): account base URLs and proxy URLs that
# reach loopback, private, link-local, CGNAT, multicast, unspecified or
# broadcast addresses, in any spelling, are refused with a 400 naming the
# field and why, on create and on update; the harness allowlists only the
# mock upstream's loopback port (outbound_allow), which still works end to
# end; and a stored address the policy refuses is never published.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use QL::Stack;

my $stack = QL::Stack->new;

sub api { $stack->admin(@_) }

my $mock = $stack->mock_port;
my $redis = $stack->{redis_port};
my $P = 'ql:{main}:';

sub refused {
    my ($res, $field, $re, $name) = @_;
    my $e = ref $res->{json} eq 'HASH' ? $res->{json}{error} : undef;
    my $ok = $res->{status} == 400 && ref $e eq 'HASH'
        && ($e->{code} // '') eq 'invalid_argument'
        && ($e->{message} // '') =~ /"\Q$field\E"/
        && $e->{message} =~ $re;
    ok($ok, $name) or diag("got $res->{status} " . ($res->{content} // ''));
}

my $allow = qr/allow it with outbound_allow in admind\.conf/;

# The forms of issue 11's finding 4, and their relatives: address, why.
my @bad = (
    [ 'http://169.254.169.254/latest',
      qr/169\.254\.169\.254:80, a link-local address; $allow/ ],
    [ 'http://10.0.0.1', qr/10\.0\.0\.1:80, a private address; $allow/ ],
    [ 'http://172.16.5.4:8080', qr/a private address/ ],
    [ 'https://192.168.1.1', qr/192\.168\.1\.1:443, a private address/ ],
    [ "http://127.0.0.1:$redis",
      qr/127\.0\.0\.1:$redis, a loopback address; $allow/ ],
    [ "http://127.0.0.2:$mock", qr/a loopback address/ ],
    [ "http://localhost:$redis",
      qr/host "localhost" resolves to [^ ]+:$redis, a loopback address/ ],
    [ "http://[::1]:$redis", qr/\[::1\]:$redis, a loopback address/ ],
    [ 'http://0.0.0.0', qr/0\.0\.0\.0:80, an unspecified address/ ],
    [ 'http://[::]', qr/an unspecified address/ ],
    [ "http://[::ffff:127.0.0.1]:$mock",
      qr/\[::ffff:127\.0\.0\.1\]:$mock, an IPv4-mapped loopback address/ ],
    [ 'http://[::ffff:a00:1]', qr/IPv4-mapped private address/ ],
    [ 'http://[::127.0.0.1]', qr/IPv4-compatible loopback address/ ],
    [ 'http://[64:ff9b::a9fe:a9fe]', qr/NAT64 link-local address/ ],
    [ 'http://[2002:7f00:1::]', qr/6to4 loopback address/ ],
    [ 'http://[fd00::1]', qr/a private address/ ],
    [ 'http://[fe80::1]', qr/a link-local address/ ],
    [ 'http://[ff02::1]', qr/a multicast address/ ],
    [ 'http://100.64.0.1', qr/a carrier-grade NAT address/ ],
    [ 'http://224.0.0.1', qr/a multicast address/ ],
    [ 'http://255.255.255.255', qr/a broadcast address/ ],
    [ 'http://0x7f000001', qr/not a plain dotted-decimal IPv4 address/ ],
    [ 'http://2130706433', qr/not a plain dotted-decimal IPv4 address/ ],
    [ 'http://0177.0.0.1', qr/not a plain dotted-decimal IPv4 address/ ],
    [ 'http://127.1', qr/not a plain dotted-decimal IPv4 address/ ],
    [ 'http://0x7f.0.0.1', qr/not a plain dotted-decimal IPv4 address/ ],
);

my $n = 0;
for my $b (@bad) {
    my ($url, $re) = @$b;
    refused(api('POST', '/api/v1/accounts', { name => 'bad-' . $n++,
                type => 'claude-console', apiKey => 'sk-ant-bad-key-1',
                baseUrl => $url }),
            'baseUrl', $re, "create with baseUrl $url: 400");
}

my $list = api('GET', '/api/v1/accounts')->{json};
is(scalar @{ $list->{accounts} // [] }, 0, 'none of them was stored');

# The allowlisted mock port works end to end.
my $secret = 'sk-ant-ssrf-' . QL::Stack::random_hex(8);
my $acct = $stack->make_account(name => 'mock', apiKey => $secret);
is($acct->{resolvedAddr}, "127.0.0.1:$mock",
   'the allowlisted mock port is accepted');
is($stack->redis_cmd('HGET', "${P}account:$acct->{id}", 'addr'),
   "127.0.0.1:$mock", 'the hot record carries the checked address');

my $key = $stack->make_key(permissions => ['claude']);
my $auth = { 'x-api-key' => $key->{key},
             'anthropic-version' => '2023-06-01' };
my $body = { model => 'claude-sonnet-4-5', max_tokens => 16,
             messages => [ { role => 'user', content => 'hi' } ] };

$stack->mock_clear;
my $res = $stack->gateway('POST', '/v1/messages', $auth, $body);
is($res->{status}, 200, 'a request through the gateway reaches the mock');
my $seen = $stack->mock_requests->[-1];
my ($host) = map { $_->[1] } grep { lc $_->[0] eq 'host' }
             @{ $seen->{headers} // [] };
is($host, "127.0.0.1:$mock", '... with the base URL as Host');

# Updates go through the same policy and leave the account as it was.
for my $b (@bad[0, 4, 7, 10, 21]) {
    my ($url, $re) = @$b;
    refused(api('PATCH', "/api/v1/accounts/$acct->{id}",
                { baseUrl => $url }),
            'baseUrl', $re, "update to baseUrl $url: 400");
}
is(api('GET', "/api/v1/accounts/$acct->{id}")->{json}{resolvedAddr},
   "127.0.0.1:$mock", '... the address is unchanged');

# Proxy URLs: the same policy, and a strict parse.
for my $b (
    [ "socks5://127.0.0.1:$redis",
      qr/127\.0\.0\.1:$redis, a loopback address; $allow/ ],
    [ 'http://10.0.0.1:3128', qr/a private address/ ],
    [ 'http://169.254.169.254',
      qr/169\.254\.169\.254:80, a link-local address/ ],
    [ 'socks5h://0x7f000001:1080',
      qr/not a plain dotted-decimal IPv4 address/ ],
    [ 'https://[::ffff:10.1.1.1]:8443', qr/IPv4-mapped private address/ ],
    [ 'socks5://proxy.invalid:1080',
      qr/host "proxy\.invalid" does not resolve/ ],
    [ "http://127.0.0.1:$mock/path", qr/a host\[:port\], without a path/ ],
) {
    my ($url, $re) = @$b;
    refused(api('PATCH', "/api/v1/accounts/$acct->{id}",
                { proxyUrl => $url }),
            'proxyUrl', $re, "proxyUrl $url: 400");
    refused(api('POST', '/api/v1/accounts', { name => 'bad-proxy',
                type => 'claude-console', apiKey => 'sk-ant-bad-key-1',
                baseUrl => $stack->mock_url, proxyUrl => $url }),
            'proxyUrl', $re, "... also on create");
}
$res = api('PATCH', "/api/v1/accounts/$acct->{id}",
           { proxyUrl => "socks5://127.0.0.1:$mock" });
is($res->{status}, 200, 'an allowlisted proxy address is accepted');

# A row written before the policy (or an address a narrower allowlist
# now refuses) never reaches the hot state: the resync drops it.
$stack->sql_root("UPDATE accounts SET upstream_addr = '127.0.0.1:$redis' "
                 . "WHERE id = $acct->{id}");
$stack->redis_cmd('DEL', "${P}synced");
my $gone;
for (1 .. 100) {
    $gone = $stack->redis_cmd('EXISTS', "${P}account:$acct->{id}") eq '0'
        && $stack->redis_cmd('EXISTS', "${P}synced") eq '1';
    last if $gone;
    select(undef, undef, undef, 0.1);
}
ok($gone, 'a stored address the policy refuses is not published');
ok(QL::Stack::file_has($stack->dir . '/log/admind.log',
                       qr/127\.0\.0\.1:$redis, a loopback address/),
   '... and admind logs why');
$res = $stack->gateway('POST', '/v1/messages', $auth, $body);
isnt($res->{status}, 200, '... so the gateway does not use it');

$stack->finish;
