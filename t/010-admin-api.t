#!/usr/bin/perl
# The admin REST API: login and bearer tokens, the admin-only routes, and
# CRUD of users, API keys, accounts and account groups with the proto3
# JSON conventions (lowerCamelCase, int64 as strings, RFC 3339 times),
# field validation, pagination, conflicts, the audit trail, and secrets
# that never come back (keys, passwords, credentials).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(hmac_sha256 sha256_hex);
use MIME::Base64 qw(encode_base64url decode_base64url);
use Socket ();
use QL::Stack;

my $stack = QL::Stack->new(services => [qw(redis mariadb admind)]);
my $JSON = JSON::PP->new->canonical;
my $RFC3339 = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

sub api { $stack->admin(@_) }

# One test: the status, the error shape with exactly code and message,
# and (optionally) the message.
sub error_ok {
    my ($res, $status, $code, $re, $name) = @_;
    my $j = $res->{json};
    my $e = ref $j eq 'HASH' ? $j->{error} : undef;
    my $ok = $res->{status} == $status && ref $e eq 'HASH'
        && keys %$j == 1 && keys %$e == 2
        && ($e->{code} // '') eq $code && defined $e->{message}
        && (!$re || $e->{message} =~ $re);
    ok($ok, $name) or diag("got $res->{status} " . ($res->{content} // ''));
}

sub login {
    my ($user, $password) = @_;
    return $stack->request('POST', $stack->admin_url . '/api/v1/auth/login',
        {}, { username => $user, password => $password });
}

sub jwt_part { $JSON->decode(decode_base64url($_[0])) }

my $secret = do {
    open my $fh, '<', $stack->dir . '/run/jwt.secret' or die $!;
    local $/;
    <$fh>;
};

sub forge {
    my ($header, $claims, $key) = @_;
    my $h = encode_base64url($JSON->encode($header));
    my $c = encode_base64url($JSON->encode($claims));
    my $s = defined $key ? encode_base64url(hmac_sha256("$h.$c", $key)) : '';
    return "$h.$c.$s";
}

sub db_dump {
    my $cmd = "mariadb-dump --no-defaults -uroot -S $stack->{db_socket} "
        . "--skip-extended-insert --hex-blob quotalane 2>&1";
    my $out = `$cmd`;
    die "dump failed: $out" if $? != 0;
    return $out;
}

# ---- login ----

my $res = login($stack->{admin_user}, $stack->{admin_password});
is($res->{status}, 200, 'login 200');
my $token = $res->{json}{token};
like($res->{json}{expiresAt}, $RFC3339, 'expiresAt is RFC 3339 UTC');
is_deeply([sort keys %{ $res->{json} }], [qw(expiresAt token)],
          'login answer has token and expiresAt');

my ($h, $c, $sig) = split /\./, $token;
is(jwt_part($h)->{alg}, 'HS256', 'token signed with HS256');
my $claims = jwt_part($c);
is($claims->{sub}, '1', 'sub is the user id as a string');
is($claims->{name}, 'admin', 'name claim');
is($claims->{role}, 'admin', 'role claim');
is($claims->{exp} - $claims->{iat}, 43200, 'default ttl 12 h');
ok(abs($claims->{iat} - time) < 60, 'iat is now');
is(encode_base64url(hmac_sha256("$h.$c", $secret)), $sig,
   'signed with jwt_secret_file');

$res = login($stack->{admin_user}, 'wrong-password');
error_ok($res, 401, 'invalid_credentials', undef, 'wrong password 401');
my $wrong_msg = $res->{json}{error}{message};
$res = login('nobody', 'wrong-password');
error_ok($res, 401, 'invalid_credentials', undef, 'unknown user 401');
is($res->{json}{error}{message}, $wrong_msg,
   'unknown user and wrong password answer alike');

$res = $stack->request('POST', $stack->admin_url . '/api/v1/auth/login', {},
                       { username => 'admin' });
error_ok($res, 400, 'invalid_argument', qr/"password" is required/,
         'login without password 400');
$res = $stack->request('POST', $stack->admin_url . '/api/v1/auth/login', {},
                       { username => 'admin', password => 'x', otp => 1 });
error_ok($res, 400, 'invalid_argument', qr/unknown field "otp"/,
         'login with unknown field 400');

# ---- bearer tokens ----

$res = $stack->request('GET', $stack->admin_url . '/api/v1/users');
error_ok($res, 401, 'unauthenticated', undef, 'no token 401');
is($res->{headers}{'www-authenticate'}, 'Bearer', 'WWW-Authenticate: Bearer');
error_ok(api('GET', '/api/v1/users', undef, 'not.a.token'), 401,
         'unauthenticated', undef, 'garbage token 401');
error_ok(api('GET', '/api/v1/users', undef, "$h.$c.AAAA"), 401,
         'unauthenticated', undef, 'bad signature 401');

my %good = (sub => '1', name => 'admin', role => 'admin', tv => 0, iat => time,
            exp => time + 600);
ok(api('GET', '/api/v1/users', undef,
       forge({ alg => 'HS256', typ => 'JWT' }, \%good, $secret))->{status}
   == 200, 'a token forged with the real secret passes (sanity)');
error_ok(api('GET', '/api/v1/users', undef,
             forge({ alg => 'HS256', typ => 'JWT' },
                   { %good, exp => time - 5 }, $secret)),
         401, 'unauthenticated', undef, 'expired token 401');
error_ok(api('GET', '/api/v1/users', undef,
             forge({ alg => 'none', typ => 'JWT' }, \%good, undef)),
         401, 'unauthenticated', undef, 'alg none 401');
error_ok(api('GET', '/api/v1/users', undef,
             forge({ alg => 'HS256', typ => 'JWT' }, \%good, 'x' x 64)),
         401, 'unauthenticated', undef, 'other secret 401');
error_ok(api('GET', '/api/v1/users', undef,
             forge({ alg => 'HS256', typ => 'JWT' },
                   { %good, sub => '999' }, $secret)),
         401, 'unauthenticated', undef, 'token of a user that does not '
         . 'exist 401');

# ---- users ----

$res = api('POST', '/api/v1/users', { username => 'bob',
    password => 'bob-password', email => 'bob@example.org' });
is($res->{status}, 201, 'create user 201');
my $bob = $res->{json};
like($bob->{id}, qr/^[1-9]\d*$/, 'id is a decimal string');
ok(!ref $bob->{id} && $res->{content} =~ /"id":"\d+"/, 'id sent as a '
   . 'JSON string');
is($bob->{role}, 'user', 'role defaults to user');
is($bob->{status}, 'active', 'status defaults to active');
like($bob->{createdAt}, $RFC3339, 'createdAt RFC 3339');
like($bob->{updatedAt}, $RFC3339, 'updatedAt RFC 3339');
ok(!exists $bob->{password} && $res->{content} !~ /bob-password/,
   'password not echoed');
like($stack->sql_root("SELECT password_hash FROM users WHERE id=$bob->{id}"),
     qr/^\$2b\$12\$/, 'password stored as bcrypt');

error_ok(api('POST', '/api/v1/users', { username => 'bob',
             password => 'another-password' }),
         409, 'conflict', qr/username/, 'duplicate username 409');
error_ok(api('POST', '/api/v1/users', { username => 'carl',
             password => 'short' }),
         400, 'invalid_argument', qr/"password"/, 'short password 400');
error_ok(api('POST', '/api/v1/users', { username => 'carl',
             password => 'long-enough', role => 'root' }),
         400, 'invalid_argument', qr/"role" must be one of: admin, user/,
         'unknown role 400');
error_ok(api('POST', '/api/v1/users', { username => 'carl',
             password => 'long-enough', nickname => 'c' }),
         400, 'invalid_argument', qr/unknown field "nickname"/,
         'unknown field 400');
error_ok(api('POST', '/api/v1/users', { username => 12,
             password => 'long-enough' }),
         400, 'invalid_argument', qr/"username" must be a string/,
         'wrong type 400');
error_ok(api('POST', '/api/v1/users', { password => 'long-enough' }),
         400, 'invalid_argument', qr/"username" is required/,
         'missing username 400');
error_ok(api('POST', '/api/v1/users', { username => 'carl smith',
             password => 'long-enough' }),
         400, 'invalid_argument', qr/"username"/, 'bad username 400');
error_ok(api('POST', '/api/v1/users', '{"username":'), 400, 'invalid_json',
         undef, 'malformed JSON 400');

# the user role: signed in, but not an admin
$res = login('bob', 'bob-password');
is($res->{status}, 200, 'user logs in');
my $bob_token = $res->{json}{token};
is(jwt_part((split /\./, $bob_token)[1])->{role}, 'user', 'role user');
error_ok(api('GET', '/api/v1/users', undef, $bob_token), 403, 'forbidden',
         undef, 'user role 403 on admin routes');
error_ok(api('POST', '/api/v1/api-keys', { name => 'x', userId => 1 },
             $bob_token),
         403, 'forbidden', undef, 'user role 403 on writes');
$res = api('GET', '/api/v1/users/me', undef, $bob_token);
is($res->{status}, 200, 'user role may read /users/me');
is($res->{json}{username}, 'bob', '/users/me is the caller');

for my $n (1 .. 5) {
    is(api('POST', '/api/v1/users', { username => "user$n",
           password => 'password-' . $n })->{status}, 201, "user$n created");
}

# pagination: pages of 2 until the end
my (%seen, $pages, $tok);
do {
    $res = api('GET', '/api/v1/users?pageSize=2'
               . ($tok ? "&pageToken=$tok" : ''));
    is($res->{status}, 200, 'list page ' . ($pages // 0));
    $seen{ $_->{id} }++ for @{ $res->{json}{users} };
    $tok = $res->{json}{nextPageToken};
    $pages++;
} while ($tok && $pages < 10);
is($res->{json}{totalSize}, '7', 'totalSize is a string');
is(scalar keys %seen, 7, 'every user once across pages');
is($pages, 4, 'seven users in pages of two');
is(api('GET', '/api/v1/users?pageSize=1000')->{json}{nextPageToken}, '',
   'pageSize above the maximum is the maximum');
error_ok(api('GET', '/api/v1/users?pageToken=garbage!'), 400,
         'invalid_argument', qr/pageToken/, 'bad pageToken 400');
error_ok(api('GET', '/api/v1/users?pageSize=-1'), 400, 'invalid_argument',
         qr/pageSize/, 'negative pageSize 400');
$res = api('GET', '/api/v1/users?role=admin');
is($res->{json}{totalSize}, '1', 'filter by role');

is(api('GET', "/api/v1/users/$bob->{id}")->{json}{username}, 'bob',
   'get user');
error_ok(api('GET', '/api/v1/users/999'), 404, 'not_found', undef,
         'unknown user 404');
error_ok(api('GET', '/api/v1/users/abc'), 404, 'not_found', undef,
         'malformed id 404');

$res = api('PATCH', "/api/v1/users/$bob->{id}",
           { email => undef, displayName => 'Bob B.' });
is($res->{status}, 200, 'patch user');
is($res->{json}{email}, undef, 'null clears email');
is($res->{json}{displayName}, 'Bob B.', 'displayName set');
error_ok(api('PATCH', "/api/v1/users/$bob->{id}", { username => 'user1' }),
         409, 'conflict', qr/username/, 'rename onto another user 409');
error_ok(api('PATCH', "/api/v1/users/$bob->{id}", { id => '5', foo => 1 }),
         400, 'invalid_argument', qr/unknown field "foo"/,
         'patch with unknown field 400');
error_ok(api('PATCH', "/api/v1/users/$bob->{id}", { status => 'gone' }),
         400, 'invalid_argument', qr/"status"/, 'bad status 400');
error_ok(api('PATCH', '/api/v1/users/1', { status => 'disabled' }), 400,
         'failed_precondition', undef, 'an admin cannot disable itself');
error_ok(api('PATCH', '/api/v1/users/1', { role => 'user' }), 400,
         'failed_precondition', undef, 'an admin cannot demote itself');
error_ok(api('DELETE', '/api/v1/users/1'), 400, 'failed_precondition',
         undef, 'an admin cannot delete itself');

# disabling takes effect on the next request, not at token expiry
is(api('PATCH', "/api/v1/users/$bob->{id}", { status => 'disabled' })
   ->{status}, 200, 'disable bob');
error_ok(api('GET', '/api/v1/users/me', undef, $bob_token), 401,
         'unauthenticated', undef, 'a disabled user\'s token stops working');
error_ok(login('bob', 'bob-password'), 401, 'invalid_credentials', undef,
         'a disabled user cannot log in');
is(api('PATCH', "/api/v1/users/$bob->{id}", { status => 'active' })
   ->{status}, 200, 'enable bob');

my $user5 = (grep { $_->{username} eq 'user5' }
             @{ api('GET', '/api/v1/users?pageSize=50')->{json}{users} })[0];
is(api('DELETE', "/api/v1/users/$user5->{id}")->{status}, 204,
   'delete user 204');
error_ok(api('GET', "/api/v1/users/$user5->{id}"), 404, 'not_found', undef,
         'deleted user 404');
error_ok(api('DELETE', "/api/v1/users/$user5->{id}"), 404, 'not_found',
         undef, 'delete twice 404');

# ---- account groups ----

$res = api('POST', '/api/v1/account-groups', { name => 'team-a',
           platform => 'claude', description => 'Team A' });
is($res->{status}, 201, 'create group 201');
my $group = $res->{json};
is($group->{platform}, 'claude', 'group platform');
like($group->{id}, qr/^\d+$/, 'group id string');
$res = api('POST', '/api/v1/account-groups', { name => 'gem',
           platform => 'gemini' });
my $gem_group = $res->{json};
is($res->{status}, 201, 'create gemini group');
error_ok(api('POST', '/api/v1/account-groups', { name => 'team-a',
             platform => 'claude' }), 409, 'conflict', qr/name/,
         'duplicate group name 409');
error_ok(api('POST', '/api/v1/account-groups', { name => 'x',
             platform => 'cohere' }), 400, 'invalid_argument',
         qr/"platform"/, 'unknown platform 400');
error_ok(api('PATCH', "/api/v1/account-groups/$group->{id}",
             { platform => 'gemini' }), 400, 'invalid_argument',
         qr/"platform" cannot be changed/, 'platform is fixed');
$res = api('PATCH', "/api/v1/account-groups/$group->{id}",
           { description => 'Team A pool' });
is($res->{json}{description}, 'Team A pool', 'patch group');
is(api('GET', '/api/v1/account-groups')->{json}{totalSize}, '2',
   'list groups (accountGroups)');
ok(ref api('GET', '/api/v1/account-groups')->{json}{accountGroups} eq
   'ARRAY', 'list member is accountGroups');

# ---- accounts ----

my $port = $stack->mock_port;    # the one loopback port admind allows
my $console_secret = 'sk-ant-api03-' . ('s3cr3t' x 6) . '-tail9z';
$res = api('POST', '/api/v1/accounts', {
    name => 'console-1', type => 'claude-console',
    apiKey => $console_secret, baseUrl => "http://127.0.0.1:$port/v1/",
    priority => 10, concurrencyLimit => 4, groupId => $group->{id} });
is($res->{status}, 201, 'create console account 201');
my $acct = $res->{json};
is($acct->{platform}, 'claude', 'platform from the type');
is($acct->{baseUrl}, "http://127.0.0.1:$port/v1", 'baseUrl normalized');
is($acct->{resolvedAddr}, "127.0.0.1:$port", 'resolved address');
ok($acct->{hasCredential}, 'hasCredential true');
ok(!$acct->{hasRefreshToken}, 'no refresh token');
is($acct->{credentialHint}, 'sk-ant-...il9z',
   'masked hint: vendor prefix and last 4');
is($acct->{schedulable}, JSON::PP::true, 'schedulable defaults to true');
is($acct->{priority}, 10, 'priority');
is($acct->{healthScore}, 100, 'healthScore');
is($acct->{groupId}, $group->{id}, 'groupId');
is($acct->{status}, 'active', 'status');
unlike($res->{content}, qr/s3cr3t/, 'credential not in the create answer');
ok(!exists $acct->{apiKey}, 'no apiKey field');

# Without a baseUrl the type's default is resolved; test machines may
# have no DNS, so either answer proves the default was used.
$res = api('POST', '/api/v1/accounts', { name => 'default-url',
           type => 'claude-official', accessToken => 'x' x 40 });
if (scalar((Socket::getaddrinfo('api.anthropic.com', 443))[0]) eq '') {
    is($res->{json}{baseUrl}, 'https://api.anthropic.com',
       'default baseUrl');
    api('DELETE', "/api/v1/accounts/$res->{json}{id}");
} else {
    error_ok($res, 400, 'invalid_argument',
             qr/"baseUrl": host "api\.anthropic\.com" does not resolve/,
             'default baseUrl (not resolvable here)');
}

$res = api('POST', '/api/v1/accounts', {
    name => 'official-1', type => 'claude-official',
    baseUrl => "https://localhost:$port",
    accessToken => 'sk-ant-oat01-' . ('t0k3n' x 8),
    refreshToken => 'sk-ant-ort01-' . ('r3fr3sh' x 6) });
is($res->{status}, 201, 'create official account 201');
my $official = $res->{json};
is($official->{baseUrl}, "https://localhost:$port", 'baseUrl with a name');
like($official->{resolvedAddr}, qr/^(127\.0\.0\.1|\[::1\]):$port$/,
     'a name resolved by admind');
ok($official->{hasRefreshToken}, 'hasRefreshToken');
is($official->{priority}, 50, 'priority defaults to 50');
is($official->{concurrencyLimit}, 0, 'concurrencyLimit defaults to 0');
is($official->{tpmLimit}, '0', 'tpmLimit (int64) as a string');
is($official->{rpmLimit}, 0, 'rpmLimit');

for my $path ("/api/v1/accounts/$acct->{id}", '/api/v1/accounts',
              "/api/v1/accounts/$official->{id}") {
    $res = api('GET', $path);
    is($res->{status}, 200, "GET $path");
    unlike($res->{content}, qr/s3cr3t|t0k3n|r3fr3sh/,
           "no credential in GET $path");
}

my $dump = db_dump();
unlike($dump, qr/s3cr3t|t0k3n|r3fr3sh/, 'no credential in clear in MySQL');
like($stack->sql_root("SELECT LENGTH(credentials_enc) FROM accounts "
                      . "WHERE id=$acct->{id}"),
     qr/^\d+$/, 'credential stored sealed');
is($stack->sql_root("SELECT LENGTH(credentials_enc) - "
                    . length($console_secret)
                    . " FROM accounts WHERE id=$acct->{id}") + 0, 33,
   'envelope = credential + 33 bytes of overhead');

error_ok(api('POST', '/api/v1/accounts', { name => 'b1', type => 'vertex',
             apiKey => 'x' }), 400, 'invalid_argument',
         qr/"type" must be one of: claude-console, claude-official/,
         'a type there is none of 400');
error_ok(api('POST', '/api/v1/accounts', { name => 'c2',
             type => 'claude-console' }), 400, 'invalid_argument',
         qr/"apiKey" is required for type claude-console/,
         'credential required');
error_ok(api('POST', '/api/v1/accounts', { name => 'c2',
             type => 'claude-console', apiKey => 'k' x 30,
             accessToken => 'a' x 30 }), 400, 'invalid_argument',
         qr/"accessToken" does not apply to type claude-console/,
         'other credential field 400');
error_ok(api('POST', '/api/v1/accounts', { name => 'c2',
             type => 'claude-console', apiKey => 'k' x 30,
             refreshToken => 'r' x 30 }), 400, 'invalid_argument',
         qr/"refreshToken" does not apply/, 'refresh token needs OAuth');
error_ok(api('POST', '/api/v1/accounts', { name => 'c2',
             type => 'claude-console', apiKey => 'k' x 30,
             baseUrl => 'ftp://example.com' }), 400, 'invalid_argument',
         qr/"baseUrl" must start with http/, 'bad baseUrl scheme 400');
error_ok(api('POST', '/api/v1/accounts', { name => 'c2',
             type => 'claude-console', apiKey => 'k' x 30,
             baseUrl => 'https://user:pw@example.com' }), 400,
         'invalid_argument', qr/"baseUrl"/, 'baseUrl with user info 400');
error_ok(api('POST', '/api/v1/accounts', { name => 'c2',
             type => 'claude-console', apiKey => 'k' x 30,
             baseUrl => 'https://no-such-host.invalid' }), 400,
         'invalid_argument', qr/"baseUrl".*does not resolve/,
         'unresolvable baseUrl 400');
error_ok(api('POST', '/api/v1/accounts', { name => 'console-1',
             type => 'claude-console', apiKey => 'k' x 30,
             baseUrl => "http://127.0.0.1:$port" }), 409, 'conflict',
         qr/name/, 'duplicate account name 409');
error_ok(api('POST', '/api/v1/accounts', { name => 'c2',
             type => 'claude-console', apiKey => 'k' x 30,
             priority => 1001 }), 400, 'invalid_argument',
         qr/"priority" must be between 0 and 1000/, 'priority range 400');
error_ok(api('POST', '/api/v1/accounts', { name => 'c2',
             type => 'claude-console', apiKey => 'k' x 30,
             schedulable => 'yes' }), 400, 'invalid_argument',
         qr/"schedulable" must be true or false/, 'bad boolean 400');
error_ok(api('POST', '/api/v1/accounts', { name => 'c2',
             type => 'claude-console', apiKey => 'k' x 30,
             baseUrl => "http://127.0.0.1:$port",
             groupId => $gem_group->{id} }), 400, 'invalid_argument',
         qr/"groupId".*gemini/, 'group of another platform 400');
error_ok(api('POST', '/api/v1/accounts', { name => 'c2',
             type => 'claude-console', apiKey => 'k' x 30,
             baseUrl => "http://127.0.0.1:$port", groupId => '999' }), 400, 'invalid_argument',
         qr/"groupId": no account group 999/, 'unknown group 400');

$res = api('PATCH', "/api/v1/accounts/$acct->{id}",
           { schedulable => JSON::PP::false, priority => '20',
             apiKey => 'sk-ant-api03-rotated-' . ('x' x 20) . 'n3w1' });
is($res->{status}, 200, 'patch account');
is($res->{json}{schedulable}, JSON::PP::false, 'schedulable false');
is($res->{json}{priority}, 20, 'priority given as a string');
is($res->{json}{credentialHint}, 'sk-ant-...n3w1', 'hint follows the new key');
error_ok(api('PATCH', "/api/v1/accounts/$acct->{id}",
             { type => 'claude-official' }), 400, 'invalid_argument',
         qr/"type" cannot be changed/, 'type is fixed');
error_ok(api('PATCH', '/api/v1/accounts/999', { priority => 1 }), 404,
         'not_found', undef, 'patch unknown account 404');

# ---- API keys ----

$res = api('POST', '/api/v1/api-keys', { name => 'bob-cli',
           userId => $bob->{id} + 0, permissions => ['claude'],
           allowedClients => ['^claude-cli/', 'Mozilla'],
           blockedModels => ['claude-3-opus'], concurrencyLimit => 3,
           expiresAt => '2030-01-31T12:00:00Z' });
is($res->{status}, 201, 'create key 201 (userId as a number)');
my $key = $res->{json};
like($key->{key}, qr/^cr_[0-9a-f]{64}$/, 'full key shown once');
is($key->{keyPrefix}, substr($key->{key}, 0, 10), 'keyPrefix');
is($key->{userId}, $bob->{id}, 'userId as a string');
is_deeply($key->{permissions}, ['claude'], 'permissions');
is_deeply($key->{allowedClients}, ['^claude-cli/', 'Mozilla'],
          'allowedClients');
is($key->{expiresAt}, '2030-01-31T12:00:00Z', 'expiresAt');
is($key->{accountId}, undef, 'no account binding');
is($key->{rateWindowSeconds}, 60, 'rate window defaults to 60 s');
is($key->{dailyCostLimitMicros}, '0', 'int64 limits sent as strings');

$res = api('PATCH', "/api/v1/api-keys/$key->{id}", {
    rateLimitTokens => '9007199254740993', weeklyResetHours => 167,
    totalCostLimitMicros => 5000000 });
is($res->{json}{rateLimitTokens}, '9007199254740993',
   'int64 beyond 2^53 kept exact');
is($res->{json}{totalCostLimitMicros}, '5000000', 'int64 given as a number');
is($res->{json}{weeklyResetHours}, 167, 'weeklyResetHours');
error_ok(api('PATCH', "/api/v1/api-keys/$key->{id}",
             { weeklyResetHours => 168 }), 400, 'invalid_argument',
         qr/"weeklyResetHours" must be between 0 and 167/,
         'weeklyResetHours range 400');
error_ok(api('PATCH', "/api/v1/api-keys/$key->{id}",
             { dailyCostLimitMicros => '1.5' }), 400, 'invalid_argument',
         qr/"dailyCostLimitMicros" must be an integer/,
         'cost limit not an integer 400');

$res = api('GET', "/api/v1/api-keys/$key->{id}");
is($res->{status}, 200, 'get key');
ok(!exists $res->{json}{key}, 'GET has no key field');
unlike($res->{content}, qr/\Q$key->{key}\E/, 'GET never returns the key');
unlike(api('GET', '/api/v1/api-keys')->{content}, qr/\Q$key->{key}\E/,
       'list never returns the key');

my $digest = sha256_hex($key->{key});
is($stack->sql_root("SELECT key_hash FROM api_keys WHERE id=$key->{id}"),
   "$digest\n", 'MySQL holds the SHA-256 digest');
$dump = db_dump();
unlike($dump, qr/\Q$key->{key}\E/, 'the key appears nowhere in MySQL');
unlike($dump, qr/\Q@{[substr($key->{key}, 10)]}\E/,
       'not even its secret part');

$res = api('POST', '/api/v1/api-keys', { name => 'bound',
           userId => $bob->{id}, accountId => $acct->{id} });
is($res->{status}, 201, 'key bound to an account (userId as a string)');
my $bound = $res->{json};
is($bound->{accountId}, $acct->{id}, 'accountId');
is_deeply($bound->{permissions}, ['all'], 'permissions default to all');

error_ok(api('POST', '/api/v1/api-keys', { name => 'k', userId => 999 }),
         400, 'invalid_argument', qr/"userId": no user 999/,
         'unknown user 400');
error_ok(api('POST', '/api/v1/api-keys', { name => 'k' }), 400,
         'invalid_argument', qr/"userId" is required/, 'userId required');
error_ok(api('POST', '/api/v1/api-keys', { name => 'k', userId => 'abc' }),
         400, 'invalid_argument', qr/"userId" must be an id/,
         'userId of the wrong type 400');
error_ok(api('POST', '/api/v1/api-keys', { name => 'k', userId => 2,
             permissions => ['claude', 'cohere'] }), 400,
         'invalid_argument', qr/"permissions" item 1 must be one of/,
         'unknown permission 400');
error_ok(api('POST', '/api/v1/api-keys', { name => 'k', userId => 2,
             permissions => [] }), 400, 'invalid_argument',
         qr/"permissions" must not be empty/, 'empty permissions 400');
error_ok(api('POST', '/api/v1/api-keys', { name => 'k', userId => 2,
             allowedClients => ['(unclosed'] }), 400, 'invalid_argument',
         qr/"allowedClients" item 0: not a PCRE pattern/,
         'pattern that does not compile 400');
error_ok(api('POST', '/api/v1/api-keys', { name => 'k', userId => 2,
             allowedClients => [''] }), 400, 'invalid_argument',
         qr/"allowedClients" item 0/, 'empty pattern 400');
error_ok(api('POST', '/api/v1/api-keys', { name => 'k', userId => 2,
             allowedClients => ["a\nb"] }), 400, 'invalid_argument',
         qr/"allowedClients" item 0 must not contain control/,
         'pattern with a newline 400');
error_ok(api('POST', '/api/v1/api-keys', { name => 'k', userId => 2,
             blockedModels => 'claude' }), 400, 'invalid_argument',
         qr/"blockedModels" must be an array of strings/,
         'blockedModels not a list 400');
error_ok(api('POST', '/api/v1/api-keys', { name => 'k', userId => 2,
             expiresAt => 'next week' }), 400, 'invalid_argument',
         qr/"expiresAt" must be an RFC 3339 timestamp/, 'bad expiresAt 400');
error_ok(api('POST', '/api/v1/api-keys', { name => 'k', userId => 2,
             accountId => $acct->{id}, groupId => $group->{id} }), 400,
         'invalid_argument', qr/"accountId" and "groupId"/,
         'account and group binding at once 400');
error_ok(api('POST', '/api/v1/api-keys', { name => 'k', userId => 2,
             accountId => 999 }), 400, 'invalid_argument',
         qr/"accountId": no account 999/, 'unknown account 400');
error_ok(api('POST', '/api/v1/api-keys', { name => 'k', userId => 2,
             key => 'cr_' . ('0' x 64), secret => 1 }), 400,
         'invalid_argument', qr/unknown field "secret"/,
         'unknown field 400');

$res = api('PATCH', "/api/v1/api-keys/$key->{id}", { name => 'bob-cli-2',
           expiresAt => undef, status => 'disabled',
           permissions => ['all'] });
is($res->{status}, 200, 'patch key');
is($res->{json}{name}, 'bob-cli-2', 'renamed');
is($res->{json}{expiresAt}, undef, 'expiry cleared with null');
is($res->{json}{status}, 'disabled', 'disabled');
$res = api('PUT', "/api/v1/api-keys/$key->{id}", { status => 'active' });
is($res->{status}, 200, 'PUT is PATCH');
is($res->{json}{status}, 'active', 'enabled again');
is($res->{json}{name}, 'bob-cli-2', 'PUT leaves other fields');
error_ok(api('PATCH', "/api/v1/api-keys/$key->{id}", { userId => 1 }), 400,
         'invalid_argument', qr/"userId" cannot be changed/,
         'owner is fixed');
error_ok(api('PATCH', "/api/v1/api-keys/$bound->{id}",
             { groupId => $group->{id} }), 400, 'invalid_argument',
         qr/"accountId" and "groupId"/, 'binding both after a patch 400');
$res = api('PATCH', "/api/v1/api-keys/$bound->{id}",
           { accountId => undef, groupId => $group->{id} });
is($res->{json}{groupId}, $group->{id}, 'rebound from account to group');
is($res->{json}{accountId}, undef, 'account binding dropped');
is(api('GET', "/api/v1/api-keys?userId=$bob->{id}")->{json}{totalSize}, '2',
   'filter keys by userId');

# ---- deletes ----

is(api('DELETE', "/api/v1/api-keys/$key->{id}")->{status}, 204,
   'delete key 204');
error_ok(api('GET', "/api/v1/api-keys/$key->{id}"), 404, 'not_found', undef,
         'deleted key 404');
is(api('DELETE', "/api/v1/account-groups/$group->{id}")->{status}, 204,
   'delete group 204');
is(api('GET', "/api/v1/accounts/$acct->{id}")->{json}{groupId}, undef,
   'its accounts left the group');
is(api('GET', "/api/v1/api-keys/$bound->{id}")->{json}{groupId}, undef,
   'its keys lost the binding');
is(api('DELETE', "/api/v1/accounts/$official->{id}")->{status}, 204,
   'delete account 204');
error_ok(api('DELETE', "/api/v1/accounts/$official->{id}"), 404,
         'not_found', undef, 'delete account twice 404');
is(api('DELETE', "/api/v1/users/$bob->{id}")->{status}, 204,
   'delete a user with keys');
is($stack->sql_root("SELECT COUNT(*) FROM api_keys WHERE user_id=$bob->{id}")
   + 0, 0, 'their keys went with them');

# ---- audit trail ----

my $audit = $stack->sql_root("SELECT actor_name, action, resource, "
    . "resource_id FROM audit_log ORDER BY id");
like($audit, qr/^admin\tcreate\tuser\t$bob->{id}$/m, 'audit: create user');
like($audit, qr/^admin\tupdate\tapi_key\t$key->{id}$/m, 'audit: update key');
like($audit, qr/^admin\tdelete\taccount\t$official->{id}$/m,
     'audit: delete account');
like($audit, qr/^admin\tcreate\taccount_group\t$group->{id}$/m,
     'audit: create group');
is($stack->sql_root("SELECT COUNT(*) FROM audit_log WHERE action='update' "
                    . "AND before_json IS NOT NULL AND after_json IS NOT "
                    . "NULL") > 0, 1, 'updates record before and after');
my $trail = $stack->sql_root("SELECT CONCAT_WS(' ', before_json, "
                             . "after_json) FROM audit_log");
unlike($trail, qr/s3cr3t|t0k3n|r3fr3sh|rotated|bob-password|password-\d/,
       'no credential or password in the audit trail');
unlike($trail, qr/cr_[0-9a-f]{64}/, 'no API key in the audit trail');

# ---- logs ----

open my $log, '<', $stack->dir . '/log/admind.log' or die $!;
my $text = do { local $/; <$log> };
close $log;
unlike($text, qr/s3cr3t|t0k3n|r3fr3sh|bob-password|cr_[0-9a-f]{64}/,
       'no secret in the admind log');

$stack->finish;
