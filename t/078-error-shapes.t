#!/usr/bin/perl
# Requests nginx or libmicrohttpd refuse before any handler of ours runs
# (bad framing, request line, header block or body too large) are still
# answered in the platform's JSON error shape, never an HTML page; and a
# body over the limit is refused before it is read, so the memory a
# client can make the gateway hold stays bounded.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use Test::More;
use Time::HiRes qw(time);
use QL::Stack;

$SIG{PIPE} = 'IGNORE';

my $stack = QL::Stack->new;
my $key = $stack->make_key;
$stack->make_account;

# Sends raw bytes, returns { status, head, body, json, secs } of the
# answer (read up to its Content-Length, or its end, within 10 s).
sub raw {
    my ($port, $text) = @_;
    my $t0 = time;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $port, Proto => 'tcp')
        or die "connect: $!";
    syswrite($s, $text);
    my $sel = IO::Select->new($s);
    my $got = '';
    my $deadline = time + 10;
    while (time < $deadline && $sel->can_read($deadline - time)) {
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $got .= $buf;
        if ($got =~ /\r\n\r\n/s && $got =~ /^content-length:\s*(\d+)/mi) {
            my $len = $1;
            last if length($got) - index($got, "\r\n\r\n") - 4 >= $len;
        }
    }
    close $s;
    my ($head, $body) = split /\r\n\r\n/, $got, 2;
    my ($status) = ($head // '') =~ m{^HTTP/1\.[01] (\d+)};
    return { status => $status // 0, head => $head // '', body => $body,
             json => eval { decode_json($body // '') },
             secs => time - $t0 };
}

sub anthropic_ok {
    my ($res, $status, $type, $re, $name) = @_;
    my $j = $res->{json};
    my $ok = $res->{status} == $status && ref $j eq 'HASH'
        && keys %$j == 2 && ($j->{type} // '') eq 'error'
        && ref $j->{error} eq 'HASH' && keys %{ $j->{error} } == 2
        && ($j->{error}{type} // '') eq $type
        && ($j->{error}{message} // '') =~ $re
        && $res->{head} =~ m{^content-type: application/json}mi;
    ok($ok, $name) or diag("got $res->{status}: $res->{head}\n\n"
                           . ($res->{body} // ''));
}

my $g = $stack->{gateway_port};
my $post = "POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
         . "x-api-key: $key->{key}\r\ncontent-type: application/json\r\n";

# ---- body size: refused before it is read ----

my $res = raw($g, $post . "content-length: 33554433\r\n\r\n");
anthropic_ok($res, 413, 'request_too_large', qr/too large/,
             'a declared body over 32 MB: 413, before a byte of it');

$res = raw($g, $post . "transfer-encoding: chunked\r\n\r\n2000001\r\n{");
anthropic_ok($res, 413, 'request_too_large', qr/too large/,
             'a chunk over 32 MB: 413 at its first byte');

$res = raw($g, "POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
           . "x-api-key: cr_" . ('0' x 64) . "\r\n"
           . "content-length: 30000000\r\n\r\n");
anthropic_ok($res, 401, 'authentication_error', qr/API key/,
             'an unknown key with a 30 MB body: 401 before the body is '
             . 'read');

# ---- framing ----

$res = raw($g, $post . "transfer-encoding: chunked\r\n\r\nzz\r\n");
anthropic_ok($res, 400, 'invalid_request_error', qr/malformed/,
             'broken chunked framing: 400');

$res = raw($g, $post . "transfer-encoding: gzip\r\n\r\n");
anthropic_ok($res, 501, 'invalid_request_error', qr/Transfer-Encoding/,
             'an unknown Transfer-Encoding: 501');

$res = raw($g, "GET /v1/models?x=" . ('a' x 9000) . " HTTP/1.1\r\n"
           . "Host: x\r\n\r\n");
anthropic_ok($res, 414, 'invalid_request_error', qr/URI is too long/,
             'a request line over 8k: 414');

$res = raw($g, $post . "x-big: " . ('b' x 9000) . "\r\n"
           . "content-length: 2\r\n\r\n{}");
anthropic_ok($res, 400, 'invalid_request_error', qr/headers are too large/,
             'a header line over 8k: 400 (nginx 494)');

$res = raw($g, "G\@T /v1/messages HTTP/1.1\r\nHost: x\r\n\r\n");
anthropic_ok($res, 400, 'invalid_request_error', qr/malformed/,
             'a malformed request line: 400');

$res = raw($g, "GET /nowhere HTTP/1.1\r\nHost: x\r\n"
           . "Connection: close\r\n\r\n");
anthropic_ok($res, 404, 'not_found_error', qr/Not found/,
             'an unknown path: 404');

my $good = '{"model":"claude-sonnet-4-5","max_tokens":8,'
         . '"messages":[{"role":"user","content":"hi"}]}';
$res = raw($g, $post . "content-length: " . length($good)
           . "\r\nConnection: close\r\n\r\n$good");
is($res->{status}, 200, 'a good request still goes through');

# ---- a body the gateway would read one way and the vendor another ----

for my $body ('{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[],'
              . '"model":"claude-opus-4-1"}',
              '{"mod\\u0065l":"claude-opus-4-1","max_tokens":8,'
              . '"messages":[]}') {
    my $r = $stack->gateway('POST', '/v1/messages',
                            { 'x-api-key' => $key->{key} }, $body);
    is($r->{status}, 400, 'a "model" given twice or escaped: 400');
    is_deeply([ @{ $r->{json}{error} || {} }{qw(type message)} ],
              [ 'invalid_request_error', 'Request body: member "model" '
                . 'must appear once, its name written without escapes.' ],
              'saying which member');
}

# ---- the vendor's own errors reach the client as it sent them ----

for my $case ([ 400, 'invalid_request_error',
                'prompt is too long: 210000 tokens > 200000 maximum' ],
              [ 413, 'request_too_large', 'Request exceeds the maximum size' ],
              [ 404, 'not_found_error', 'model: claude-nope' ]) {
    my ($status, $type, $message) = @$case;
    (my $m = $message) =~ s/([^A-Za-z0-9])/sprintf('%%%02X', ord $1)/ge;
    my $r = $stack->gateway('POST', '/v1/messages',
        { 'x-api-key' => $key->{key},
          'x-mock' => "status=$status;error_type=$type;message=$m" },
        decode_json($good));
    is($r->{status}, $status, "the vendor's $status passes");
    is_deeply([ @{ $r->{json}{error} || {} }{qw(type message)} ],
              [ $type, $message ], "with the vendor's type and message");
}

# ---- admind: {"error":{"code","message"}} ----

sub admind_ok {
    my ($res, $status, $code, $name) = @_;
    my $j = $res->{json};
    my $ok = $res->{status} == $status && ref $j eq 'HASH' && keys %$j == 1
        && ref $j->{error} eq 'HASH'
        && ($j->{error}{code} // '') eq $code
        && length($j->{error}{message} // '');
    ok($ok, $name) or diag("got $res->{status}: " . ($res->{body} // ''));
}

my $a = $stack->{admind_port};

admind_ok(raw($a, "GET /healthz?x=" . ('a' x 9000) . " HTTP/1.1\r\n"
              . "Host: x\r\n\r\n"), 414, 'uri_too_long',
          'admind: a URI over 8k is 414 in its shape');

admind_ok(raw($a, "GET /healthz HTTP/1.1\r\nHost: x\r\n"
              . "x-a: " . ('a' x 9000) . "\r\nx-b: " . ('b' x 9000)
              . "\r\n\r\n"), 431, 'headers_too_large',
          'admind: headers over 16k are 431 in its shape');

admind_ok(raw($a, "POST /api/v1/users HTTP/1.1\r\nHost: x\r\n"
              . "x-a: " . ('a' x 17000) . "\r\ncontent-length: 2\r\n\r\n{}"),
          431, 'headers_too_large',
          'admind: also with a body waiting');

$res = raw($a, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
is($res->{status}, 200, 'admind: a normal request after them');

$stack->finish;
