#!/usr/bin/perl
# The official Anthropic SDK (pinned in t/sdk) talks to the gateway as it
# would to api.anthropic.com.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use QL::Stack;

my $stack = QL::Stack->new;
my $key = $stack->make_key;
$stack->make_account;

local $ENV{ANTHROPIC_BASE_URL} = $stack->gateway_url;
local $ENV{ANTHROPIC_API_KEY} = $key->{key};
my $err = $stack->dir . '/log/sdk.stderr';
my $out = `node $FindBin::Bin/sdk/anthropic_client.js 2>$err`;
is($?, 0, 'SDK script ran') or diag `cat $err`;

my $r = eval { JSON::PP->new->decode($out) } || {};
diag("SDK output: $out") unless %$r;
is($r->{plain}{text}, 'Hello from mock', 'messages.create: text');
is($r->{plain}{usage}{input_tokens}, 12, 'messages.create: usage');
is($r->{stream}{text}, 'Hello from mock', 'messages.stream: text');
is($r->{stream}{usage}{output_tokens}, 3, 'messages.stream: final usage');
ok($r->{stream}{events} >= 7, 'messages.stream: events arrived');
is($r->{badKey}{status}, 401, 'bad key: SDK sees 401');
is($r->{badKey}{type}, 'authentication_error',
   'bad key: SDK parses our error body');

$stack->finish;
