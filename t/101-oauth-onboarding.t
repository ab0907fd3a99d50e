#!/usr/bin/perl
# Onboarding a Claude subscription account through the OAuth authorization
# code flow with PKCE (issue 14): start gives an authorization URL whose
# challenge is the verifier admind keeps; the user approves (the mock
# provider issues a code for that challenge); exchange turns the code into
# tokens and an account, which then serves traffic.  A wrong state, a
# reused session, a code the provider refuses: 400, no account.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use QL::Stack;

my $stack = QL::Stack->new(admind_conf => join("\n",
    'oauth_claude_token_url = @MOCK_URL@/v1/oauth/token',
    'oauth_claude_authorize_url = https://claude.example/oauth/authorize',
    'oauth_claude_client_id = test-client',
    'oauth_claude_redirect_uri = https://console.example/oauth/code/callback',
    'oauth_session_seconds = 120'));
my $mock = $stack->mock_url;

# the URL without its query, and the query's parameters, decoded
sub url_parts {
    my ($url) = @_;
    my ($base, $query) = split /\?/, $url, 2;
    my %q;
    for my $pair (split /&/, $query // '') {
        my ($k, $v) = split /=/, $pair, 2;
        ($v //= '') =~ s/%([0-9A-Fa-f]{2})/chr(hex $1)/ge;
        $q{$k} = $v;
    }
    return ($base, \%q);
}

# the user approves: the provider issues a code for the URL's challenge
sub approve {
    my ($code, $url) = @_;
    my (undef, $q) = url_parts($url);
    $stack->mock_oauth({
        client_id => 'test-client',
        codes => { $code => { challenge => $q->{code_challenge},
                              redirect_uri => $q->{redirect_uri} } } });
    return $q->{state};
}

sub accounts { scalar @{ $stack->admin('GET', '/api/v1/accounts')->{json}
                                          {accounts} || [] } }

# ---- start ----

my $res = $stack->admin('POST', '/api/v1/oauth/claude/start');
is($res->{status}, 201, 'start');
my $s = $res->{json};
like($s->{sessionId}, qr/^[0-9a-f]{32}$/, 'a session id');
ok($s->{expiresAt}, 'that expires');
my ($base, $q) = url_parts($s->{authorizeUrl});
is($base, 'https://claude.example/oauth/authorize',
   "the provider's authorize URL");
is($q->{client_id}, 'test-client', 'client id');
is($q->{response_type}, 'code', 'code flow');
is($q->{code_challenge_method}, 'S256', 'S256');
like($q->{code_challenge}, qr/^[A-Za-z0-9_-]{43}$/,
     'a base64url SHA-256 challenge');
is($q->{redirect_uri}, 'https://console.example/oauth/code/callback',
   'redirect URI');
like($q->{scope}, qr/user:inference/, 'scopes');
unlike($s->{authorizeUrl}, qr/verifier/, 'the verifier stays in admind');

is($stack->admin('POST', '/api/v1/oauth/openai/start')->{status}, 404,
   'an unknown provider: 404');

# ---- exchange ----

my $state = approve('code-1', $s->{authorizeUrl});
my $before = accounts();

$res = $stack->admin('POST', '/api/v1/oauth/claude/exchange', {
    sessionId => $s->{sessionId}, code => "code-1#$state",
    name => 'max-1', priority => 7, baseUrl => $mock });
is($res->{status}, 201, 'exchange: the account is created')
    or diag($res->{content});
my $a = $res->{json};
is($a->{type}, 'claude-official', 'a subscription account');
is($a->{priority}, 7, 'with the priority asked');
ok($a->{hasCredential} && $a->{hasRefreshToken}, 'both tokens stored');
ok($a->{accessTokenExpiresAt}, 'and when the access token expires');
like($a->{description} // '', qr/user\d+\@example\.org/,
     "the provider's account named");
unlike($res->{content}, qr/oauth-access|oauth-refresh/, 'no token shown');

# traffic flows with the token the provider issued
my $key = $stack->make_key(accountId => $a->{id});
$stack->mock_clear;
my $r = $stack->gateway('POST', '/v1/messages', { 'x-api-key' => $key->{key} },
    { model => 'claude-sonnet-4-5', max_tokens => 8,
      messages => [ { role => 'user', content => 'hi' } ] });
is($r->{status}, 200, 'the gateway answers through it');
like($stack->mock_requests->[0]{credential} // '', qr/^oauth-access-\d+$/,
     'with the access token from the exchange');

# ---- what is refused ----

$res = $stack->admin('POST', '/api/v1/oauth/claude/exchange', {
    sessionId => $s->{sessionId}, code => "code-1#$state", name => 'again' });
is($res->{status}, 400, 'a session is used once');
like($res->{json}{error}{message}, qr/no such OAuth session/, 'says so');

$s = $stack->admin('POST', '/api/v1/oauth/claude/start')->{json};
approve('code-2', $s->{authorizeUrl});
$res = $stack->admin('POST', '/api/v1/oauth/claude/exchange', {
    sessionId => $s->{sessionId}, code => 'code-2#not-the-state',
    name => 'forged' });
is($res->{status}, 400, 'a state that is not the session one');

# the callback URL form, and a code the provider does not know
$s = $stack->admin('POST', '/api/v1/oauth/claude/start')->{json};
$state = approve('code-3', $s->{authorizeUrl});
$res = $stack->admin('POST', '/api/v1/oauth/claude/exchange', {
    sessionId => $s->{sessionId},
    code => "https://console.example/oauth/code/callback?code=nope&state=$state",
    name => 'refused' });
is($res->{status}, 400, 'a code the provider refuses');
like($res->{json}{error}{message}, qr/refused the grant/, 'says so');

$s = $stack->admin('POST', '/api/v1/oauth/claude/start')->{json};
$state = approve('code-4', $s->{authorizeUrl});
$res = $stack->admin('POST', '/api/v1/oauth/claude/exchange', {
    sessionId => $s->{sessionId},
    code => "https://console.example/oauth/code/callback?code=code-4&state=$state",
    name => 'max-2', baseUrl => $mock });
is($res->{status}, 201, 'the callback URL form works');

is(accounts(), $before + 2, 'two accounts, none from the refused attempts');

my $u2 = $stack->request('POST',
    $stack->admin_url . '/api/v1/oauth/claude/start', {});
is($u2->{status}, 401, 'start needs an admin');

$stack->finish;
