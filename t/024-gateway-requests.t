#!/usr/bin/perl
# Requests the vendor would refuse never reach an account (issue 11,
# item 8 a, b, c, i): a wrong method is 405 with Allow, an empty or
# non-object body and a missing or oversized model are 400, all in the
# platform's error shape, before a key is looked up or an account picked,
# so nothing is billed and no lease is taken.  The client's query string
# goes upstream only as far as the vendor takes it, a ?key= is never a
# key, and the access log has neither.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use QL::Stack;

my $stack = QL::Stack->new(key_cache_ttl => '1s');
my $P = 'ql:{main}:';

my $key = $stack->make_key(permissions => ['claude'], concurrencyLimit => 5);
my $auth = { 'x-api-key' => $key->{key},
             'anthropic-version' => '2023-06-01' };
$stack->make_account(name => 'console-1');

my $body = { model => 'claude-sonnet-4-5', max_tokens => 16,
             messages => [ { role => 'user', content => 'hi' } ] };

# usage records admind stored for the key, once there are $want (the
# record is written after the answer and consumed asynchronously)
sub billed {
    my ($want) = @_;
    my $n;
    for (1 .. 100) {
        $n = $stack->admin('GET', "/api/v1/usage/records?keyId=$key->{id}")
            ->{json}{totalSize};
        last if defined $n && $n >= $want;
        select(undef, undef, undef, 0.1);
    }
    return $n;
}

sub refused {
    my ($res, $status, $name, $message) = @_;
    is($res->{status}, $status, "$name: $status");
    is($res->{json}{type}, 'error', "$name: Anthropic error shape");
    is($res->{json}{error}{type}, 'invalid_request_error',
       "$name: invalid_request_error");
    like($res->{json}{error}{message} // '', $message, "$name: message")
        if $message;
}

# a good request first: the stack works and bills
my $res = $stack->gateway('POST', '/v1/messages', $auth, $body);
is($res->{status}, 200, 'a good request: 200');
is(billed(1), 1, '... and is billed');
$stack->mock_clear;

# ---- a: methods ----

for my $path ('/v1/messages', '/api/v1/messages',
              '/v1/messages/count_tokens')
{
    for my $method (qw(GET PUT DELETE)) {
        $res = $stack->gateway($method, $path, $auth);
        refused($res, 405, "$method $path", qr/[Mm]ethod/);
        is($res->{headers}{allow}, 'POST', "$method $path: Allow: POST");
    }
}
$res = $stack->gateway('POST', '/v1/models', $auth, $body);
refused($res, 405, 'POST /v1/models');
is($res->{headers}{allow}, 'GET, HEAD', '... Allow: GET, HEAD');
$res = $stack->gateway('GET', '/v1/messages', {});
is($res->{status}, 405, 'a wrong method is 405 even without a key');


# ---- a: bodies ----

for my $case (['', 'empty'], ['[1,2]', 'an array'], ['"model"', 'a string'],
              ['{"model":', 'truncated JSON'], ['not json', 'not JSON'])
{
    my ($raw, $what) = @$case;
    for my $path ('/v1/messages', '/v1/messages/count_tokens') {
        $res = $stack->gateway('POST', $path, $auth, $raw);
        refused($res, 400, "$what body on $path",
                qr/JSON object|body is required/);
    }
}

# ---- b: model ----

for my $path ('/v1/messages', '/v1/messages/count_tokens') {
    my %b = %$body;
    delete $b{model};
    refused($stack->gateway('POST', $path, $auth, \%b), 400,
            "no model on $path", qr/^model is required/);
    refused($stack->gateway('POST', $path, $auth, { %b, model => '' }), 400,
            "empty model on $path", qr/^model is required/);
    refused($stack->gateway('POST', $path, $auth, { %b, model => 7 }), 400,
            "a number for model on $path", qr/model: must be a string/);
}

# ---- i: model length ----

my $huge = 'claude-' . ('x' x (1024 * 1024));
refused($stack->gateway('POST', '/v1/messages', $auth,
                        { %$body, model => $huge }),
        400, 'a 1 MB model', qr/at most 256 bytes/);
refused($stack->gateway('POST', '/v1/messages', $auth,
                        { %$body, model => 'm' x 257 }),
        400, 'a 257-byte model');
$res = $stack->gateway('POST', '/v1/messages', $auth,
                       { %$body, model => 'm' x 256 });
isnt($res->{status}, 400, 'a 256-byte model is taken');

# nothing above reached the upstream or was billed, no lease left
my @seen = @{ $stack->mock_requests };
is(scalar @seen, 1, 'only the 256-byte model went upstream');
is(billed(2), 2, 'it was billed');
$stack->mock_clear;
sleep 1;
is(billed(2), 2, 'no refused request was billed');
is($stack->redis('ZCARD', "${P}kconc:$key->{id}"), 0, 'no lease left over');

# ---- c: query strings ----

$res = $stack->gateway('GET', '/v1/models', $auth);
is($res->{status}, 200, 'GET /v1/models stays GET: 200');

$res = $stack->gateway('POST', "/v1/messages?key=$key->{key}&beta=true"
                       . '&utm=x', $auth, $body);
is($res->{status}, 200, 'a query string with junk and a key: 200');
my $req = $stack->mock_requests->[-1];
is($req->{query}, 'beta=true', 'only beta=true goes upstream');
unlike($req->{target} // '', qr/\Q$key->{key}\E/,
       'the key in the query never reaches the upstream');

$res = $stack->gateway('GET', '/v1/models?limit=2&after_id=x&key=y', $auth);
is($stack->mock_requests->[-1]{query}, 'limit=2&after_id=x',
   'the model list keeps its paging parameters');

$res = $stack->gateway('POST', "/v1/messages?key=$key->{key}",
                       { 'anthropic-version' => '2023-06-01' }, $body);
is($res->{status}, 401, 'a key in the query string is not a key: 401');
is($res->{json}{error}{type}, 'authentication_error',
   '... authentication_error');

# the access log: no query string, not world-readable
my $log = $stack->dir . '/log/nginx-access.log';
sleep 1;
open my $fh, '<', $log or die $!;
my $access = do { local $/; <$fh> };
close $fh;
unlike($access, qr/\Q$key->{key}\E/, 'no key in the access log');
unlike($access, qr/\?/, 'no query string in the access log');
like($access, qr{"POST /v1/messages HTTP/1.1" 200}, 'the path is logged');
unlike($access, qr/x{300}/, 'no huge model in the access log');
is((stat $log)[2] & 07, 0, 'the access log is not world-readable');

$stack->finish;
