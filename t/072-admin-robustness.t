#!/usr/bin/perl
# The admin API under careless or concurrent clients: strict JSON
# (duplicate keys and unknown fields refused, naming them), optimistic
# concurrency (a stale "version" is 409, also when two updates race),
# capped bodies (413), and one error shape for every status.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use POSIX ();
use QL::Stack;

my $stack = QL::Stack->new(services => [qw(redis mariadb admind)]);

sub api { $stack->admin(@_) }

# The status, and an error body of exactly {"error":{"code","message"}}.
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

my $port = $stack->mock_port;    # the one loopback port admind allows

# ---- strict JSON ----

error_ok(api('POST', '/api/v1/users',
             '{"username":"dup","password":"password-1","username":"x"}'),
         400, 'invalid_json', qr/duplicate key "username"/,
         'a duplicate key is refused, named');
my $long = 'k' x 40;
error_ok(api('POST', '/api/v1/account-groups',
             qq({"name":"g","$long":1,"platform":"claude","$long":2})),
         400, 'invalid_json', qr/duplicate key "$long"/,
         'a long duplicate key is named too');
error_ok(api('POST', '/api/v1/account-groups',
             '{"name":"g","platform":"claude","na\\u006de":"h"}'),
         400, 'invalid_json', qr/duplicate key "name"/,
         'a duplicate spelled with an escape is named as decoded');
error_ok(api('POST', '/api/v1/plans', '{"name":"p","period":"daily",'
             . '"limits":{"rpm":1,"rpm":2}}'),
         400, 'invalid_json', qr/duplicate key "rpm"/,
         'a duplicate key in a nested object is refused');
error_ok(api('POST', '/api/v1/users', { username => 'u1',
             password => 'password-1', favouriteColour => 'blue' }),
         400, 'invalid_argument', qr/unknown field "favouriteColour"/,
         'an unknown field is refused, named');
error_ok(api('POST', '/api/v1/users', '[1, 2]'), 400, 'invalid_json',
         qr/object/, 'a body that is not an object');
error_ok(api('POST', '/api/v1/users', '{"username":"a"} trailing'), 400,
         'invalid_json', undef, 'text after the JSON value');
error_ok(api('POST', '/api/v1/users', ''), 400, 'invalid_json', undef,
         'no body');
error_ok(api('POST', '/api/v1/users', qq({"username":"a\x{0}"})), 400,
         'invalid_json', undef, 'a raw NUL');

# ---- optimistic concurrency ----

my $user = $stack->make_user(username => 'vera');
is($user->{version}, 1, 'a new user is version 1');

my $res = api('PATCH', "/api/v1/users/$user->{id}",
              { displayName => 'Vera', version => 1 });
is($res->{status}, 200, 'an update with the current version');
is($res->{json}{version}, 2, '... makes version 2');

error_ok(api('PATCH', "/api/v1/users/$user->{id}",
             { displayName => 'Stale', version => 1 }),
         409, 'conflict', qr/changed meanwhile.*version 2/,
         'an update with a stale version is 409');
is(api('GET', "/api/v1/users/$user->{id}")->{json}{displayName}, 'Vera',
   '... and changed nothing');

$res = api('PATCH', "/api/v1/users/$user->{id}", { displayName => 'V.' });
is($res->{status}, 200, 'an update without a version is unconditional');
is($res->{json}{version}, 3, '... and still counts');

$res = api('PATCH', "/api/v1/users/$user->{id}",
           { %{ $res->{json} }, displayName => 'Round trip' });
is($res->{status}, 200, 'a GET answer sent back with a change is taken');
is($res->{json}{version}, 4, '... its version checked and bumped');

error_ok(api('PATCH', "/api/v1/users/$user->{id}", { version => 'two' }),
         400, 'invalid_argument', qr/"version"/, 'a version that is no '
         . 'number is 400');
error_ok(api('PATCH', "/api/v1/users/$user->{id}", { version => 0 }),
         400, 'invalid_argument', qr/"version"/, 'version 0 is 400');
is(api('PATCH', "/api/v1/users/$user->{id}", { version => '4' })->{status},
   200, 'a version as a string (the int64 style) is fine too');
is(api('POST', '/api/v1/users', { username => 'walt',
       password => 'password-2', version => 7 })->{json}{version}, 1,
   'a version given at creation is ignored');

my $group = $stack->make_or_die('/api/v1/account-groups',
                                { name => 'g1', platform => 'claude' });
my $account = $stack->make_or_die('/api/v1/accounts', { name => 'a1',
    type => 'claude-console', apiKey => 'sk-ant-' . 'x' x 30,
    baseUrl => "http://127.0.0.1:$port" });
my $key = $stack->make_key(userId => $user->{id});

for my $t (["/api/v1/account-groups/$group->{id}", 'PATCH',
            { description => 'd' }],
           ["/api/v1/accounts/$account->{id}", 'PATCH', { priority => 3 }],
           ["/api/v1/api-keys/$key->{id}", 'PATCH', { name => 'k2' }],
           ["/api/v1/api-keys/$key->{id}", 'PUT', { name => 'k3' }]) {
    my ($path, $method, $body) = @$t;
    my $v = api('GET', $path)->{json}{version};
    ok($v && $v =~ /^\d+$/, "$path has a version ($v)");
    is(api($method, $path, { %$body, version => $v })->{status}, 200,
       "$method $path with the current version");
    error_ok(api($method, $path, { %$body, version => $v }), 409,
             'conflict', undef, "$method $path with the old one is 409");
}

# Two admins read version n and both save: exactly one wins, however the
# requests interleave (the UPDATE itself is conditional).
my $v = api('GET', "/api/v1/account-groups/$group->{id}")->{json}{version};
my @statuses;
for my $round (1 .. 5) {
    my @pids;
    for my $i (1 .. 4) {
        my $pid = fork();
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            my $r = api('PATCH', "/api/v1/account-groups/$group->{id}",
                        { description => "writer $i", version => $v });
            POSIX::_exit($r->{status} == 200 ? 0
                         : $r->{status} == 409 ? 1 : 2);
        }
        push @pids, $pid;
    }
    my %n;
    for my $pid (@pids) {
        waitpid($pid, 0);
        $n{ $? >> 8 }++;
    }
    push @statuses, "1 winner, 3 conflicts"
        if ($n{0} // 0) == 1 && ($n{1} // 0) == 3;
    $v++;
}
is(scalar @statuses, 5, 'racing updates with one version: one wins, the '
   . 'others get 409 (5 rounds of 4)');

# ---- bodies and error shapes ----

# admind answers as soon as the headers announce too much, without
# reading the body, so the client reads the answer before sending it
{
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $stack->{admind_port},
                                     Proto => 'tcp') or die $!;
    my $token = $stack->admin_token;
    print $sock "POST /api/v1/account-groups HTTP/1.1\r\n"
        . "Host: 127.0.0.1\r\nAuthorization: Bearer $token\r\n"
        . "Content-Type: application/json\r\n"
        . "Content-Length: " . (1024 * 1024 + 10) . "\r\n\r\n";
    local $/;
    my $answer = <$sock>;
    close $sock;
    my ($head, $body) = split /\r\n\r\n/, $answer // '', 2;
    my ($status) = ($head // '') =~ m{^HTTP/1\.1 (\d+)};
    error_ok({ status => $status // 0,
               json => eval { JSON::PP->new->decode($body) },
               content => $answer },
             413, 'payload_too_large', undef,
             'a body over max_body_bytes is 413, before it is sent');
}
ok($stack->admin('GET', '/healthz')->{status} == 200,
   'admind is fine after it');

error_ok($stack->request('GET', $stack->admin_url . '/api/v1/users'),
         401, 'unauthenticated', undef, '401 shape');
my $bob = $stack->make_user(username => 'bob', password => 'bob-pw-12');
my $bob_token = $stack->request('POST', $stack->admin_url
    . '/api/v1/auth/login', {}, { username => 'bob',
                                  password => 'bob-pw-12' })->{json}{token};
error_ok(api('GET', '/api/v1/users', undef, $bob_token), 403, 'forbidden',
         undef, '403 shape');
error_ok(api('GET', '/api/v1/accounts/424242'), 404, 'not_found', undef,
         '404 shape');
error_ok(api('GET', '/api/v1/nothing/here'), 404, 'no_route', undef,
         '404 shape of an unknown route');
error_ok(api('PUT', '/api/v1/accounts/1', {}), 405, 'method_not_allowed',
         undef, '405 shape');
error_ok(api('POST', '/api/v1/users', { username => 'bob',
             password => 'password-3' }), 409, 'conflict', qr/username/,
         '409 shape');

# ---- the audit trail is readable ----

$res = api('GET', "/api/v1/audit-log?resource=user&resourceId=$user->{id}");
is($res->{status}, 200, 'GET /api/v1/audit-log filtered');
my @entries = @{ $res->{json}{entries} };
is($entries[0]{action}, 'create', 'the user\'s first entry is its creation');
is($entries[0]{actorName}, 'admin', '... by the admin');
is($entries[0]{before}, undef, '... from nothing');
is($entries[0]{after}{username}, 'vera', '... to the user');
is($entries[1]{before}{displayName}, undef, 'an update has before');
is($entries[1]{after}{displayName}, 'Vera', '... and after');
ok(!grep({ $_->{action} ne 'create' && $_->{action} ne 'update' }
         @entries), 'only creates and updates so far');
unlike($res->{content}, qr/password/i, 'no password in the trail');
error_ok(api('GET', "/api/v1/audit-log?actorUserId=x"), 400,
         'invalid_argument', qr/actorUserId/, 'a bad filter is 400');
error_ok(api('GET', '/api/v1/audit-log', undef, $bob_token), 403,
         'forbidden', undef, 'the trail is for admins');

$stack->finish;
