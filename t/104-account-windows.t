#!/usr/bin/perl
# Usage windows and account tests (issue 14): the gateway keeps the
# vendor's unified 5-hour and 7-day window headers of every answer on the
# account, admins see them, and an account whose window the vendor calls
# exhausted is skipped until the reset (or an admin's reset).  POST
# /accounts/{id}/test sends one tiny request per type with the account's
# credential and shows the status, latency and rate limit headers.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use QL::Stack;

my $stack = QL::Stack->new;
my $mock = $stack->mock_url;

sub account { $stack->admin('GET', "/api/v1/accounts/$_[0]")->{json} }

sub rules { $stack->request('POST', "$mock/__mock/rules", {}, $_[0]) }

sub message {
    my ($key, %h) = @_;
    return $stack->message($key, headers => \%h);
}

# who served the last request
sub served_by { $stack->mock_requests->[-1]{credential} }

my $a = $stack->make_account(type => 'claude-official', priority => 1,
                             accessToken => 'at-first');
my $b = $stack->make_account(type => 'claude-official', priority => 2,
                             accessToken => 'at-second');
my $key = $stack->make_key;

# ---- windows seen on answers ----

my $reset5h = time + 3 * 3600;
my $r = message($key, 'x-mock' => join(';',
    'h.anthropic-ratelimit-unified-status=allowed_warning',
    'h.anthropic-ratelimit-unified-5h-status=allowed_warning',
    "h.anthropic-ratelimit-unified-5h-reset=$reset5h",
    'h.anthropic-ratelimit-unified-5h-utilization=0.91',
    'h.anthropic-ratelimit-unified-7d-status=allowed'));
is($r->{status}, 200, 'an answer with usage windows');
ok($stack->eventually(5, sub { @{ account($a->{id})->{usageWindows} || [] } }),
   'the windows are kept on the account');
my $acct = account($a->{id});
my %w = map { ($_->{window} => $_) } @{ $acct->{usageWindows} };
is($w{'5h'}{status}, 'allowed_warning', '5-hour window status');
is($w{'5h'}{utilization}, 0.91, '5-hour utilization');
ok($w{'5h'}{resetsAt}, '5-hour reset');
is($w{'7d'}{status}, 'allowed', '7-day window');
is($w{unified}{status}, 'allowed_warning', 'the overall status');
ok($acct->{usageWindowsSeenAt}, 'when they were seen');
is($acct->{windowExhaustedUntil}, undef, 'none is exhausted');
is_deeply(account($b->{id})->{usageWindows}, [],
          'the other account saw none');

# ---- an exhausted window keeps the account out until its reset ----

my $reset7d = time + 3600;
rules({ match => { header => 'authorization', value => 'Bearer at-first' },
        'x-mock' => join(';',
            'h.anthropic-ratelimit-unified-7d-status=rejected',
            "h.anthropic-ratelimit-unified-7d-reset=$reset7d"),
        times => 1 });
$r = message($key);
is($r->{status}, 200, 'the answer that says the week is used up');
is(served_by(), 'at-first', 'from the preferred account');
ok($stack->eventually(5, sub { account($a->{id})->{windowExhaustedUntil} }),
   'the account is marked exhausted');
$stack->mock_clear;
message($key) for 1 .. 3;
is_deeply([ map { $_->{credential} } @{ $stack->mock_requests } ],
          [ ('at-second') x 3 ], 'the scheduler skips it meanwhile');

is($stack->admin('POST', "/api/v1/accounts/$a->{id}/reset")->{status}, 200,
   'an admin resets it');
is(account($a->{id})->{windowExhaustedUntil}, undef, 'no longer exhausted');
$stack->mock_clear;
message($key);
is(served_by(), 'at-first', 'back in rotation');

# ---- account test ----

$stack->mock_clear;
$r = $stack->admin('POST', "/api/v1/accounts/$a->{id}/test");
is($r->{status}, 200, 'test: answered') or diag($r->{content});
my $t = $r->{json};
ok($t->{ok}, 'test: the vendor said yes');
is($t->{status}, 200, "test: the vendor's status");
ok(defined $t->{latencyMs}, 'test: latency');
is($t->{model}, 'claude-haiku-4-5', 'test: the default model');
ok(exists $t->{rateLimits}{'anthropic-ratelimit-requests-limit'},
   'test: the rate limit headers');
my $up = $stack->mock_requests->[0];
is($up->{path}, '/v1/messages', 'test: a Messages request');
is($up->{credential}, 'at-first', "test: with the account's token");
is(decode_json($up->{body})->{max_tokens}, 1, 'test: one token');

rules({ match => { header => 'authorization', value => 'Bearer at-second' },
        'x-mock' => 'status=401', times => 1 });
$r = $stack->admin('POST', "/api/v1/accounts/$b->{id}/test",
                   { model => 'claude-opus-4-1' });
$t = $r->{json};
ok(!$t->{ok}, 'test: a refused token');
is($t->{status}, 401, "test: the vendor's 401");
like($t->{error} // '', qr/\w/, "test: the vendor's message");
is($t->{model}, 'claude-opus-4-1', 'test: the model asked for');

# each type's own request
my @types = (
    [ 'codex', { accessToken => 'at-codex', chatgptAccountId => 'acct-7',
                 baseUrl => "$mock/backend-api/codex" },
      '/backend-api/codex/responses' ],
    [ 'openai', { apiKey => 'sk-openai' }, '/v1/chat/completions' ],
    [ 'azure-openai', { apiKey => 'az-key', azureDeployment => 'dep-1' },
      '/openai/deployments/dep-1/chat/completions' ],
    [ 'gemini', { apiKey => 'g-key' },
      '/v1beta/models/gemini-2.5-flash:generateContent' ],
    [ 'gemini-oauth', { accessToken => 'ya29.t', projectId => 'proj-t' },
      '/v1internal:generateContent' ],
    [ 'droid', { apiKey => 'fk-droid' }, '/api/llm/a/v1/messages' ],
);
for my $case (@types) {
    my ($type, $fields, $path) = @$case;
    my $acct = $stack->make_account(type => $type, %$fields);
    $stack->mock_clear;
    $r = $stack->admin('POST', "/api/v1/accounts/$acct->{id}/test");
    ok($r->{json}{ok}, "test $type: ok") or diag($r->{content});
    is($stack->mock_requests->[0]{path}, $path, "test $type: its path");
}

is($stack->admin('POST', '/api/v1/accounts/999999/test')->{status}, 404,
   'test of no account: 404');
is($stack->admin('POST', "/api/v1/accounts/$a->{id}/test",
                 { model => "a\nb" })->{status}, 400,
   'test: a model name with a newline: 400');

$stack->finish;
