#!/usr/bin/perl
# admind is strict about what it takes (issue 11, item 8 d, f, g):
# session tokens die with a password, status or role change and honour
# nbf and iat; path ids are strict decimal (an escaped NUL, signs, spaces,
# junk and overflow name nothing); a list refuses a query parameter it
# does not take, naming it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64url);
use QL::Stack;

my $stack = QL::Stack->new(services => [qw(redis mariadb admind)]);
my $JSON = JSON::PP->new->canonical;

sub api { $stack->admin(@_) }

sub login {
    my ($user, $password) = @_;
    my $res = $stack->request('POST', $stack->admin_url . '/api/v1/auth/login',
        {}, { username => $user, password => $password });
    return $res->{json}{token};
}

sub error_is {
    my ($res, $status, $code, $name) = @_;
    is($res->{status}, $status, "$name: $status")
        or diag($res->{content} // '');
    is($res->{json}{error}{code}, $code, "$name: $code") if $code;
}

sub me { api('GET', '/api/v1/users/me', undef, $_[0])->{status} }

# ---- d: tokens a change of the user revokes ----

my $u = $stack->make_user(username => 'tina', password => 'tina-pw-01');
my $t1 = login('tina', 'tina-pw-01');
is(me($t1), 200, 'a fresh token works');

is(api('PATCH', "/api/v1/users/$u->{id}", { displayName => 'Tina' })
   ->{status}, 200, 'a change of the display name');
is(me($t1), 200, '... leaves the token alone');

is(api('PATCH', "/api/v1/users/$u->{id}", { password => 'tina-pw-02' })
   ->{status}, 200, 'password reset');
my $res = api('GET', '/api/v1/users/me', undef, $t1);
error_is($res, 401, 'unauthenticated', 'the token from before the reset');
like($res->{json}{error}{message}, qr/revoked/, '... says it was revoked');
ok(!login('tina', 'tina-pw-01'), 'the old password is gone');
my $t2 = login('tina', 'tina-pw-02');
is(me($t2), 200, 'a token from after the reset works');

api('PATCH', "/api/v1/users/$u->{id}", { status => 'disabled' });
api('PATCH', "/api/v1/users/$u->{id}", { status => 'active' });
is(me($t2), 401, 'disabled and enabled again: the old token stays dead');
my $t3 = login('tina', 'tina-pw-02');
is(me($t3), 200, '... a new login works');

api('PATCH', "/api/v1/users/$u->{id}", { role => 'admin' });
is(me($t3), 401, 'a role change revokes the token too');
my $t4 = login('tina', 'tina-pw-02');
is(api('GET', '/api/v1/users', undef, $t4)->{status}, 200,
   '... the new token carries the new role');

# nbf and iat, with a forged token signed by admind's own secret; tina's
# token_version is 4 by now (password, disable, enable, role)
my $secret = do {
    open my $fh, '<', $stack->dir . '/run/jwt.secret' or die $!;
    local $/;
    <$fh>;
};

sub forge {
    my (%claims) = @_;
    my $h = encode_base64url($JSON->encode({ alg => 'HS256', typ => 'JWT' }));
    my $c = encode_base64url($JSON->encode({ sub => "$u->{id}",
        name => 'tina', role => 'admin', tv => 4, iat => time,
        exp => time + 600, %claims }));
    return "$h.$c." . encode_base64url(hmac_sha256("$h.$c", $secret));
}

is(me(forge()), 200, 'a forged token with the current version (sanity)');
is(me(forge(tv => 3)), 401, 'an older token version: 401');
is(me(forge(nbf => time + 3600)), 401, 'nbf an hour ahead: 401');
is(me(forge(nbf => time + 5)), 200, 'nbf within the leeway: 200');
is(me(forge(nbf => time - 5)), 200, 'nbf passed: 200');
is(me(forge(iat => time + 3600)), 401, 'iat an hour ahead: 401');
is(me(forge(iat => undef)), 401, 'no iat: 401');

# ---- f: strict path ids ----

my $admin = $stack->admin('GET', '/api/v1/users/me')->{json};
is(api('GET', "/api/v1/users/$admin->{id}")->{status}, 200,
   "GET /users/$admin->{id} (sanity)");
for my $id ("$admin->{id}%00", "$admin->{id}%00junk", "$admin->{id}%2500",
            "+$admin->{id}", "-$admin->{id}", "%20$admin->{id}",
            "$admin->{id}%20", "$admin->{id}+", "0$admin->{id}",
            "$admin->{id}abc", "0x$admin->{id}", "$admin->{id}.0",
            '99999999999999999999', '9223372036854775808', '0', '%00')
{
    $res = api('GET', "/api/v1/users/$id");
    ok($res->{status} == 404 || $res->{status} == 400,
       "GET /users/$id: $res->{status}")
        or diag($res->{content});
    ok(($res->{content} // '') !~ /"username"/, "GET /users/$id: no user");
}
is(api('PATCH', "/api/v1/users/$u->{id}%00", { displayName => 'X' })
   ->{status}, 404, 'PATCH with an escaped NUL names nothing');
is(api('GET', "/api/v1/users?status=active%00")->{json}{totalSize}, '0',
   'a filter value with an escaped NUL matches nothing');

# ---- g: unknown query parameters ----

for my $case (['/api/v1/users?stauts=active', 'stauts'],
              ['/api/v1/users?status=active&pageSize=5&bogus=1', 'bogus'],
              ['/api/v1/api-keys?userid=1', 'userid'],
              ['/api/v1/accounts?orderby=name', 'orderby'],
              ['/api/v1/plans?page=2', 'page'],
              ['/api/v1/audit-log?x=1', 'x'],
              ['/api/v1/usage/records?requestID=ab', 'requestID'],
              ['/api/v1/usage/summary?groupby=model', 'groupby'],
              ['/api/v1/usage/summary?requestId=ab', 'requestId'],
              ['/api/v1/subscriptions?plan=1', 'plan'],
              ['/api/v1/bills?months=2030-01', 'months'],
              ['/api/v1/account-groups?name=x', 'name'],
              ['/api/v1/_routes?all=1', 'all'])
{
    my ($path, $param) = @$case;
    $res = api('GET', $path);
    error_is($res, 400, 'invalid_argument', "GET $path");
    like($res->{json}{error}{message} // '', qr/"\Q$param\E"/,
         "GET $path: names \"$param\"");
}
for my $path ('/api/v1/users?status=active&role=user&pageSize=5&orderBy=username',
              '/api/v1/usage/records?requestId=ab&model=x&from=2030-01-01T00:00:00Z',
              '/api/v1/usage/summary?groupBy=model&pageSize=2',
              '/api/v1/bills?month=2030-01', '/api/v1/plans?pageToken=',
              '/api/v1/_routes')
{
    is(api('GET', $path)->{status}, 200, "GET $path: known ones pass");
}

$stack->finish;
