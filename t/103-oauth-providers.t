#!/usr/bin/perl
# OAuth onboarding of every provider (issue 14): Codex (the ChatGPT
# account from the id_token), Gemini CLI (the Code Assist project, with
# onboarding of a user without a tier), Droid (a WorkOS refresh token),
# renewing an existing account, a refresh asked for by hand, a long-lived
# claude setup-token that is never refreshed, and a provider that fails
# or is slow.  Then traffic flows through each with the provider's
# headers.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use QL::Stack;

my $stack = QL::Stack->new(admind_conf => join("\n",
    'oauth_claude_token_url = @MOCK_URL@/v1/oauth/token',
    'oauth_claude_client_id = test-client',
    'oauth_claude_authorize_url = https://claude.example/oauth/authorize',
    'oauth_codex_token_url = @MOCK_URL@/oauth/token',
    'oauth_codex_client_id = test-client',
    'oauth_codex_authorize_url = https://auth.example/oauth/authorize',
    'oauth_gemini_token_url = @MOCK_URL@/token',
    'oauth_gemini_client_id = test-client',
    'oauth_gemini_client_secret = test-secret',
    'oauth_gemini_authorize_url = https://accounts.example/o/oauth2/v2/auth',
    'oauth_droid_token_url = @MOCK_URL@/user_management/authenticate',
    'oauth_droid_client_id = test-client',
    'oauth_refresh_check_seconds = 1',
    'oauth_refresh_before_seconds = 600'));
my $mock = $stack->mock_url;
my $P = 'ql:{main}:';

sub oauth { $stack->mock_oauth(@_) }

sub query_of {
    my ($url) = @_;
    my (undef, $query) = split /\?/, $url, 2;
    my %q;
    for my $pair (split /&/, $query // '') {
        my ($k, $v) = split /=/, $pair, 2;
        ($v //= '') =~ s/%([0-9A-Fa-f]{2})/chr(hex $1)/ge;
        $q{$k} = $v;
    }
    return \%q;
}

# start, the user approves, the code comes back as the callback URL
sub onboard {
    my ($provider, $code, %account) = @_;
    my $s = $stack->admin('POST', "/api/v1/oauth/$provider/start")->{json};
    my $q = query_of($s->{authorizeUrl});
    oauth({ codes => { $code => { challenge => $q->{code_challenge},
                                  redirect_uri => $q->{redirect_uri} } } });
    my $res = $stack->admin('POST', "/api/v1/oauth/$provider/exchange", {
        sessionId => $s->{sessionId},
        code => "$q->{redirect_uri}?code=$code&state=$q->{state}",
        %account });
    return ($res, $q);
}

sub header_of {
    my ($req, $name) = @_;
    for my $h (@{ $req->{headers} || [] }) {
        return $h->[1] if lc $h->[0] eq $name;
    }
    return undef;
}

sub account { $stack->admin('GET', "/api/v1/accounts/$_[0]")->{json} }

oauth({ client_id => 'test-client', client_secret => 'test-secret',
        expires_in => 3600 });

# ---- Codex: the ChatGPT account from the id_token ----

my ($res, $q) = onboard('codex', 'cx-1', name => 'chatgpt-1',
                        baseUrl => "$mock/backend-api/codex");
is($q->{scope}, 'openid profile email offline_access', 'codex: scopes');
is($q->{id_token_add_organizations}, 'true', "codex: OpenAI's parameters");
is($q->{redirect_uri}, 'http://localhost:1455/auth/callback',
   "codex: Codex CLI's redirect");
is($res->{status}, 201, 'codex: account created') or diag($res->{content});
my $codex = $res->{json};
is($codex->{type}, 'codex', 'codex: its type');
like($codex->{chatgptAccountId} // '', qr/^chatgpt-acct-\d+$/,
     "codex: the id_token's ChatGPT account");
is($codex->{oauthIdentity}{tier}, 'pro', 'codex: the plan shown');
like($codex->{oauthIdentity}{email} // '', qr/\@example\.org$/,
     'codex: the email shown');
unlike($res->{content}, qr/oauth-access|oauth-refresh|id_token/,
       'codex: no token in the answer');

my $ckey = $stack->make_key(accountId => $codex->{id});
$stack->mock_clear;
my $r = $stack->gateway('POST', '/openai/responses',
    { authorization => "Bearer $ckey->{key}" },
    { model => 'gpt-5-codex', input => 'hi', stream => JSON::PP::true });
is($r->{status}, 200, 'codex: traffic flows');
my $up = $stack->mock_requests->[0];
like($up->{credential} // '', qr/^oauth-access-\d+$/, 'codex: its token');
is(header_of($up, 'chatgpt-account-id'), $codex->{chatgptAccountId},
   'codex: chatgpt-account-id sent');

# ---- Gemini: a user without a tier is onboarded to a managed project ----

oauth({ code_assist => { project => undef, pending => 1, calls => [] } });
($res, $q) = onboard('gemini', 'gm-1', name => 'gemini-1', baseUrl => $mock);
is($q->{access_type}, 'offline', 'gemini: asks for a refresh token');
like($q->{scope}, qr/cloud-platform/, 'gemini: scopes');
is($res->{status}, 201, 'gemini: account created') or diag($res->{content});
my $gem = $res->{json};
is($gem->{projectId}, 'managed-project-1', 'gemini: the project onboarded');
is($gem->{oauthIdentity}{tier}, 'free-tier', 'gemini: the default tier');
my @calls = @{ oauth()->{code_assist}{calls} };
is_deeply([ map { $_->{method} } @calls ],
          [ 'loadCodeAssist', 'onboardUser', 'onboardUser' ],
          'gemini: load, then onboard until done');
like($calls[0]{authorization} // '', qr/^Bearer oauth-access-\d+$/,
     'gemini: asked with the new token');
is($calls[1]{body}{tierId}, 'free-tier', 'gemini: onboarded to that tier');

my $gkey = $stack->make_key(accountId => $gem->{id});
$stack->mock_clear;
$r = $stack->gateway('POST',
    '/gemini/v1beta/models/gemini-2.5-pro:generateContent',
    { 'x-goog-api-key' => $gkey->{key} },
    { contents => [ { role => 'user', parts => [ { text => 'hi' } ] } ] });
is($r->{status}, 200, 'gemini: traffic flows');
$up = $stack->mock_requests->[0];
is(decode_json($up->{body})->{project}, 'managed-project-1',
   'gemini: requests name the project');

# a user with a tier and a project of their own
oauth({ code_assist => { project => 'my-project', tier => 'standard-tier',
                         calls => [] } });
($res) = onboard('gemini', 'gm-2', name => 'gemini-2', baseUrl => $mock,
                 projectId => 'my-project');
is($res->{status}, 201, 'gemini: own project') or diag($res->{content});
is($res->{json}{projectId}, 'my-project', 'gemini: that project kept');
is($res->{json}{oauthIdentity}{tier}, 'standard-tier', 'gemini: its tier');
@calls = @{ oauth()->{code_assist}{calls} };
is($calls[0]{body}{metadata}{duetProject}, 'my-project',
   'gemini: the project told to loadCodeAssist');
is(scalar @calls, 1, 'gemini: no onboarding needed');

# a Code Assist that refuses: no account
oauth({ code_assist => { project => undef, pending => 99 } });
($res) = onboard('gemini', 'gm-3', name => 'gemini-3', baseUrl => $mock);
is($res->{status}, 400, 'gemini: no project, no account');
like($res->{json}{error}{message}, qr/projectId/, 'gemini: says what to do');
oauth({ code_assist => { pending => 0 } });

# ---- Droid: a WorkOS refresh token ----

is($stack->admin('POST', '/api/v1/oauth/droid/start')->{status}, 400,
   'droid: no code flow');
oauth({ refresh_tokens => [ 'rt-droid' ], expires_in => 3000 });
$res = $stack->admin('POST', '/api/v1/oauth/droid/exchange', {
    refreshToken => 'rt-droid', name => 'droid-1', baseUrl => $mock });
is($res->{status}, 201, 'droid: account created') or diag($res->{content});
my $droid = $res->{json};
ok($droid->{hasRefreshToken}, 'droid: the rotated refresh token kept');
ok(!grep({ $_ eq 'rt-droid' } @{ oauth()->{refresh_tokens} }),
   'droid: the given refresh token was redeemed');
like($droid->{oauthIdentity}{organization} // '', qr/^org_\d+$/,
     'droid: the WorkOS organization');
ok($droid->{accessTokenExpiresAt}, "droid: expiry from the JWT's exp");
$res = $stack->admin('POST', '/api/v1/oauth/droid/exchange', {
    refreshToken => 'rt-dead', name => 'droid-2', baseUrl => $mock });
is($res->{status}, 400, 'droid: a dead refresh token: 400');

my $dkey = $stack->make_key(accountId => $droid->{id});
$stack->mock_clear;
$r = $stack->gateway('POST', '/droid/claude/v1/messages',
    { 'x-api-key' => $dkey->{key} },
    { model => 'claude-sonnet-4-5', max_tokens => 8,
      messages => [ { role => 'user', content => 'hi' } ] });
is($r->{status}, 200, 'droid: traffic flows');
like(header_of($stack->mock_requests->[0], 'authorization') // '',
     qr/^Bearer [\w-]+\.[\w-]+\.sig$/, 'droid: the WorkOS access token');

# ---- renewing an account through the flow; refresh by hand ----

my $old = $stack->make_account(type => 'claude-official',
    baseUrl => $mock, accessToken => 'at-old', refreshToken => 'rt-dead');
($res) = onboard('claude', 'cl-1', accountId => $old->{id});
is($res->{status}, 200, 'renew: the account updated')
    or diag($res->{content});
is($res->{json}{id}, $old->{id}, 'renew: the same account');
like($res->{json}{oauthIdentity}{organization} // '', qr/^org-\d+$/,
     "renew: Claude's organization");
($res) = onboard('codex', 'cx-2', accountId => $old->{id});
is($res->{status}, 400, 'renew: not with another provider');

my $issued = oauth()->{issued};
my $version = $stack->redis('HGET', "${P}account:$old->{id}", 'cred_version');
$res = $stack->admin('POST', "/api/v1/accounts/$old->{id}/refresh");
is($res->{status}, 200, 'refresh by hand') or diag($res->{content});
is(oauth()->{issued}, $issued + 1, 'refresh by hand: one new token');
ok($stack->eventually(5, sub {
       ($stack->redis('HGET', "${P}account:$old->{id}", 'cred_version') // '')
           ne $version }), 'refresh by hand: published');

oauth({ revoke => oauth()->{refresh_tokens} });
$res = $stack->admin('POST', "/api/v1/accounts/$old->{id}/refresh");
is($res->{status}, 502, 'a revoked refresh token: 502');
like($res->{json}{error}{message}, qr/invalid_grant/, 'says why');
is($stack->admin('POST', '/api/v1/accounts/999999/refresh')->{status}, 404,
   'refresh of no account: 404');

# ---- a claude setup-token: long-lived, no refresh token ----

my $setup = $stack->make_account(type => 'claude-official',
    baseUrl => $mock, accessToken => 'sk-ant-oat01-long-lived');
$res = $stack->admin('POST', "/api/v1/accounts/$setup->{id}/refresh");
is($res->{status}, 400, 'setup-token: nothing to refresh');
my $skey = $stack->make_key(accountId => $setup->{id});
$stack->mock_clear;
$r = $stack->gateway('POST', '/v1/messages', { 'x-api-key' => $skey->{key} },
    { model => 'claude-sonnet-4-5', max_tokens => 8,
      messages => [ { role => 'user', content => 'hi' } ] });
is($r->{status}, 200, 'setup-token: traffic flows');
is($stack->mock_requests->[0]{credential}, 'sk-ant-oat01-long-lived',
   'setup-token: as a bearer');
like(header_of($stack->mock_requests->[0], 'anthropic-beta') // '',
     qr/oauth-2025-04-20/, 'setup-token: with the OAuth beta');

# ---- a provider that fails, or is slow ----

oauth({ fail => 1, fail_status => 503 });
($res) = onboard('claude', 'cl-2', name => 'flaky');
is($res->{status}, 503, 'a 503 from the provider: try again later');
oauth({ delay_ms => 1500 });
($res) = onboard('claude', 'cl-3', name => 'slow', baseUrl => $mock);
is($res->{status}, 201, 'a slow provider is waited for');
oauth({ delay_ms => 0 });

$stack->finish;
