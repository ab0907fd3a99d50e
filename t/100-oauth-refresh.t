#!/usr/bin/perl
# OAuth refresh of subscription accounts (issue 14, first part): admind
# renews a claude-official account's access token before it expires at
# the provider's token endpoint (the mock's, with rotation), the gateway
# uses the new token on its next request without a reload, and an account
# whose refresh keeps failing is set aside.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use POSIX qw(strftime);
use JSON::PP;
use QL::Stack;

my $stack = QL::Stack->new(admind_conf => join("\n",
    'oauth_claude_token_url = @MOCK_URL@/v1/oauth/token',
    'oauth_claude_client_id = test-client',
    'oauth_codex_token_url = @MOCK_URL@/oauth/token',
    'oauth_codex_client_id = test-client',
    'oauth_gemini_token_url = @MOCK_URL@/token',
    'oauth_gemini_client_id = test-client',
    'oauth_gemini_client_secret = test-secret',
    'oauth_refresh_check_seconds = 1',
    'oauth_refresh_before_seconds = 600',
    'oauth_refresh_max_failures = 3'));
my $mock = $stack->mock_url;
my $P = 'ql:{main}:';

sub oauth { $stack->mock_oauth(@_) }

sub in_seconds { strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(time + $_[0])) }

sub account { $stack->admin('GET', "/api/v1/accounts/$_[0]")->{json} }

oauth({ refresh_tokens => [ 'rt-live' ], expires_in => 7200,
        client_id => 'test-client', client_secret => 'test-secret' });

# ---- a token that expires soon is renewed ----

# fresh at first: nothing happens until it is due
my $acct = $stack->make_account(type => 'claude-official',
    accessToken => 'at-old', refreshToken => 'rt-live',
    accessTokenExpiresAt => in_seconds(7200));
ok($acct->{accessTokenExpiresAt}, 'the expiry is stored and shown');
my $key = $stack->make_key(accountId => $acct->{id});
my $version = $stack->redis('HGET', "${P}account:$acct->{id}",
                            'cred_version');
is($stack->admin('PATCH', "/api/v1/accounts/$acct->{id}",
                 { accessTokenExpiresAt => in_seconds(120) })->{status},
   200, 'its token now expires in two minutes');

ok($stack->eventually(15, sub { (oauth()->{issued} // 0) >= 1 }),
   'admind refreshed it at the token endpoint');
my $state = oauth();
ok(!grep({ $_ eq 'rt-live' } @{ $state->{refresh_tokens} }),
   'the old refresh token is spent (rotation)');

ok($stack->eventually(10, sub {
       ($stack->redis('HGET', "${P}account:$acct->{id}", 'cred_version')
        // '') ne $version }),
   'the account record has the new credential');

my $a = account($acct->{id});
my $left = 0;
if (($a->{accessTokenExpiresAt} // '') =~
        /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)Z$/) {
    require Time::Local;
    $left = Time::Local::timegm($6, $5, $4, $3, $2 - 1, $1) - time;
}
ok($left > 7000 && $left <= 7200, "new expiry from expires_in ($left s)");
ok($a->{version} > $acct->{version} + 1, 'the row changed version');

$stack->mock_clear;
my $r = $stack->gateway('POST', '/v1/messages', { 'x-api-key' => $key->{key} },
    { model => 'claude-sonnet-4-5', max_tokens => 8,
      messages => [ { role => 'user', content => 'hi' } ] });
is($r->{status}, 200, 'the gateway answers');
is($stack->mock_requests->[0]{credential}, 'oauth-access-1',
   'with the refreshed token, no reload');

# a token far from expiry is left alone
sleep 2.5;
is(oauth()->{issued}, 1, 'no refresh while the token is fresh');

# ---- a 401 from the vendor: refreshed at once, cooldown lifted ----

oauth({ refresh_tokens => [ 'rt-401' ] });
my $refused = $stack->make_account(type => 'claude-official',
    accessToken => 'at-refused', refreshToken => 'rt-401',
    accessTokenExpiresAt => in_seconds(7200));
my $rkey = $stack->make_key(accountId => $refused->{id});
my $issued = oauth()->{issued};
$stack->mock_clear;
$stack->request('POST', "$mock/__mock/rules", {},
    { match => { header => 'authorization', value => 'Bearer at-refused' },
      'x-mock' => 'status=401' });
my $body = { model => 'claude-sonnet-4-5', max_tokens => 8,
             messages => [ { role => 'user', content => 'hi' } ] };
$r = $stack->gateway('POST', '/v1/messages', { 'x-api-key' => $rkey->{key} },
                     $body);
is($r->{status}, 500, 'the vendor refused the token: no other account');
is($r->{json}{error}{type}, 'api_error',
   "an upstream error, not the client's key refused");
ok($stack->eventually(5, sub { oauth()->{issued} > $issued }),
   'admind refreshed it at once, far from its expiry');
ok($stack->eventually(10, sub {
       !defined $stack->redis('HGET', "${P}account:$refused->{id}",
                              'cooldown_until_ms') }),
   'the cooldown the 401 started is lifted');
$r = $stack->gateway('POST', '/v1/messages', { 'x-api-key' => $rkey->{key} },
                     $body);
is($r->{status}, 200, 'the account serves again');
like($stack->mock_requests->[-1]{credential}, qr/^oauth-access-/,
     'with its new token');
$stack->request('DELETE', "$mock/__mock/rules");

# ---- a Codex (ChatGPT) account the same way ----

oauth({ refresh_tokens => [ 'rt-codex' ] });
my $codex = $stack->make_account(type => 'codex',
    baseUrl => "$mock/backend-api/codex", accessToken => 'at-codex',
    refreshToken => 'rt-codex', chatgptAccountId => 'acct-rt',
    accessTokenExpiresAt => in_seconds(60));
my $ckey = $stack->make_key(accountId => $codex->{id});
$issued = oauth()->{issued};
ok($stack->eventually(15, sub {
       !grep { $_ eq 'rt-codex' } @{ oauth()->{refresh_tokens} } }),
   'codex: refreshed at its token endpoint');
ok($stack->eventually(10, sub {
       $stack->mock_clear;
       my $res = $stack->gateway('POST', '/openai/responses',
           { authorization => "Bearer $ckey->{key}" },
           { model => 'gpt-5-codex', input => 'hi', stream => JSON::PP::true });
       ($stack->mock_requests->[0]{credential} // '') =~ /^oauth-access-/ }),
   'codex: the backend gets the new token');
my %h = map { (lc $_->[0] => $_->[1]) }
        @{ $stack->mock_requests->[0]{headers} || [] };
is($h{'chatgpt-account-id'}, 'acct-rt', 'codex: with its account id');

# ---- a Gemini Code Assist account: Google's form with the secret ----

oauth({ refresh_tokens => [ 'rt-gemini' ] });
my $gem = $stack->make_account(type => 'gemini-oauth', baseUrl => $mock,
    accessToken => 'ya29.old', refreshToken => 'rt-gemini',
    projectId => 'proj-rt', accessTokenExpiresAt => in_seconds(60));
my $gkey = $stack->make_key(accountId => $gem->{id});
ok($stack->eventually(15, sub {
       !grep { $_ eq 'rt-gemini' } @{ oauth()->{refresh_tokens} } }),
   'gemini-oauth: refreshed at its token endpoint');
ok($stack->eventually(10, sub {
       $stack->mock_clear;
       $stack->gateway('POST',
           '/gemini/v1beta/models/gemini-2.5-pro:generateContent',
           { 'x-goog-api-key' => $gkey->{key} },
           { contents => [ { parts => [ { text => 'hi' } ] } ] });
       ($stack->mock_requests->[0]{credential} // '') =~ /^oauth-access-/ }),
   'gemini-oauth: Code Assist gets the new token');

# ---- a refresh that keeps failing sets the account aside ----

my $bad = $stack->make_account(type => 'claude-official',
    accessToken => 'at-bad', refreshToken => 'rt-revoked',
    accessTokenExpiresAt => in_seconds(60));

ok($stack->eventually(20, sub { (account($bad->{id})->{status} // '') eq 'error' }),
   'three failed refreshes: status error');
is($stack->redis('HGET', "${P}account:$bad->{id}", 'status'), 'error',
   'the scheduler sees it');
my $calls = oauth()->{calls};
sleep 2.5;
is(oauth()->{calls}, $calls, 'an account in error is not retried');

# an admin gives it a new refresh token and sets it active again
my $fix = $stack->admin('PATCH', "/api/v1/accounts/$bad->{id}",
    { refreshToken => 'rt-new', status => 'active' });
is($fix->{status}, 200, 'the account is repaired');
oauth({ refresh_tokens => [ 'rt-new' ] });
ok($stack->eventually(15, sub { (oauth()->{issued} // 0) >= 2 }),
   'and refreshed again');

# ---- the field belongs to OAuth types ----

my $res = $stack->admin('POST', '/api/v1/accounts', {
    name => 'console-expiry', type => 'claude-console', apiKey => 'sk-x',
    baseUrl => $mock, accessTokenExpiresAt => in_seconds(60) });
is($res->{status}, 400, 'accessTokenExpiresAt on an API-key type: 400');

$stack->finish;
