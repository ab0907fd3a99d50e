#!/usr/bin/perl
# Every route of the contract with every kind of caller: no token, a
# malformed token, a token signed with another secret, an expired token,
# a user's token and an admin's token.  Public routes take anyone; the
# others refuse the first four with 401; admin routes refuse users with
# 403; and on the routes users may call, a user sees and changes only
# their own keys, subscriptions, usage and bills: lists are theirs (403
# for another userId), another user's row is 404 as if it did not exist
# (each such route has its own checks below, and a new one without them
# fails this test).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64url);
use QL::Stack;
use QL::Contract;

my ($contract) = QL::Contract::load();
my @routes = sort { "$a->{path} $a->{method}" cmp "$b->{path} $b->{method}" }
             @{ $contract->{routes} };

my $stack = QL::Stack->new(services => [qw(redis mariadb admind)]);
my $JSON = JSON::PP->new->canonical;

sub api { $stack->admin(@_) }

sub error_code {
    my ($res) = @_;
    my $j = $res->{json};
    return ref $j eq 'HASH' && ref $j->{error} eq 'HASH'
           ? $j->{error}{code} // '' : '';
}

# ---- callers ----

my $secret = do {
    open my $fh, '<', $stack->dir . '/run/jwt.secret' or die $!;
    local $/;
    <$fh>;
};

sub forge {
    my ($claims, $key) = @_;
    my $h = encode_base64url($JSON->encode({ alg => 'HS256', typ => 'JWT' }));
    my $c = encode_base64url($JSON->encode($claims));
    return "$h.$c." . encode_base64url(hmac_sha256("$h.$c", $key));
}

sub login {
    my ($user, $password) = @_;
    my $res = $stack->request('POST', $stack->admin_url
        . '/api/v1/auth/login', {}, { username => $user,
                                      password => $password });
    die "login $user: $res->{status}\n" unless $res->{status} == 200;
    return $res->{json}{token};
}

my $admin = $stack->admin_token;
my $alice = $stack->make_user(username => 'alice', password => 'alice-pw-1');
my $bob = $stack->make_user(username => 'bob', password => 'bob-pw-12');
my $bob_token = login('bob', 'bob-pw-12');

my %callers = (
    'no token'       => undef,
    'a malformed token' => 'not.a.token',
    'another secret' => forge({ sub => "$bob->{id}", name => 'bob',
                                role => 'user', iat => time,
                                exp => time + 600 }, 'k' x 32),
    'an expired token' => forge({ sub => "$bob->{id}", name => 'bob',
                                  role => 'user', iat => time - 700,
                                  exp => time - 100 }, $secret),
);

# ---- data of two users ----

my $plan = $stack->make_or_die('/api/v1/plans', { name => 'basic',
    period => 'monthly', quotaCostMicros => '1000000' });
my %key = map {
    ($_->{username} => $stack->make_key(userId => $_->{id}))
} $alice, $bob;
my %sub = map {
    ($_->{username} => $stack->make_or_die('/api/v1/subscriptions',
        { userId => $_->{id}, planId => $plan->{id} }))
} $alice, $bob;

my $n = 0;
for my $u ($alice, $bob) {
    for my $model (qw(claude-sonnet-4 claude-haiku-4)) {
        $n++;
        $stack->sql_root("INSERT INTO usage_records (request_id, ts, "
            . "api_key_id, user_id, account_id, platform, model, "
            . "input_tokens, output_tokens, cost_micros) VALUES ('req$n', "
            . "UTC_TIMESTAMP(3), $key{ $u->{username} }{id}, $u->{id}, 1, "
            . "'claude', '$model', 10, 5, " . ($u == $alice ? 7000 : 300)
            . ')');
    }
}

# ---- the matrix ----

for my $r (@routes) {
    my $name = "$r->{method} $r->{path}";
    my $path = QL::Contract::fill($r->{path}, 999999);
    my $body = $r->{body} ? {} : undef;

    # the key self-service route takes an API key: no login token opens it
    if ($r->{path} eq '/api/v1/key-self') {
        for my $who (sort keys %callers) {
            my $res = api($r->{method}, $path, $body, $callers{$who} // '');
            is($res->{status}, 401, "$name: $who is no API key (401)");
        }
        for my $token ($bob_token, $admin) {
            is(api($r->{method}, $path, $body, $token)->{status}, 401,
               "$name: a login token is no API key (401)");
        }
        next;
    }

    for my $who (sort keys %callers) {
        my $res = api($r->{method}, $path, $body, $callers{$who} // '');
        if ($r->{access} eq 'public') {
            ok($res->{status} != 401 && $res->{status} != 403,
               "$name, public: $who is let in ($res->{status})");
        } else {
            ok($res->{status} == 401 && error_code($res) eq 'unauthenticated'
               && ($res->{headers}{'www-authenticate'} // '') eq 'Bearer',
               "$name: $who is 401") or diag("got $res->{status}");
        }
    }

    my $res = api($r->{method}, $path, $body, $bob_token);
    if ($r->{access} eq 'admin') {
        ok($res->{status} == 403 && error_code($res) eq 'forbidden',
           "$name: a user is 403") or diag("got $res->{status}");
    } else {
        ok($res->{status} != 401 && $res->{status} != 403
           && $res->{status} < 500,
           "$name: a user is let in ($res->{status})");
    }

    $res = api($r->{method}, $path, $body, $admin);
    ok($res->{status} != 401 && $res->{status} != 403
       && $res->{status} < 500, "$name: an admin is let in "
       . "($res->{status})");
}

# ---- what a user may do on the routes users may call ----

sub as_bob { api($_[0], $_[1], $_[2], $bob_token) }

sub status_is {
    my ($res, $status, $name) = @_;
    is($res->{status}, $status, $name) or diag($res->{content});
}

sub all_bobs {
    my ($list, $name) = @_;
    ok(@$list > 0 && !grep({ ($_->{userId} // '') ne $bob->{id} } @$list),
       $name) or diag($JSON->encode($list));
}

my $alice_key = "/api/v1/api-keys/$key{alice}{id}";
my $bob_key = "/api/v1/api-keys/$key{bob}{id}";

my %own = (
    'GET /api/v1/users/me' => sub {
        my $res = as_bob('GET', '/api/v1/users/me');
        is($res->{json}{id}, $bob->{id}, '/users/me is the caller');
    },

    'GET /api/v1/api-keys' => sub {
        all_bobs(as_bob('GET', '/api/v1/api-keys')->{json}{apiKeys},
                 'a user lists only their own keys');
        status_is(as_bob('GET', "/api/v1/api-keys?userId=$alice->{id}"),
                  403, 'a user cannot list another user\'s keys');
        is(as_bob('GET', "/api/v1/api-keys?userId=$bob->{id}")
           ->{json}{totalSize}, '1', 'a user may name themselves');
    },

    'POST /api/v1/api-keys' => sub {
        my $res = as_bob('POST', '/api/v1/api-keys', { name => 'mine',
                         permissions => ['claude'] });
        status_is($res, 201, 'a user creates a key');
        is($res->{json}{userId}, $bob->{id}, '... for themselves');
        like($res->{json}{key}, qr/^cr_/, '... and sees it once');
        $res = as_bob('POST', '/api/v1/api-keys', { name => 'x',
                      userId => $alice->{id} });
        status_is($res, 403, 'a user cannot create a key for another user');
        status_is(as_bob('POST', '/api/v1/api-keys', { name => 'x',
                         userId => $bob->{id} }), 201,
                  'a user may name themselves as the owner');
        $res = as_bob('POST', '/api/v1/api-keys', { name => 'x',
                      weeklyResetHours => 3 });
        status_is($res, 403, 'a user cannot set what is no limit of theirs');
        like($res->{json}{error}{message}, qr/"weeklyResetHours"/,
             '... and is told which field');
        status_is(as_bob('POST', '/api/v1/api-keys', { name => 'x',
                         accountId => 1 }), 403,
                  'a user cannot bind a key to an account');
    },

    'GET /api/v1/api-keys/{id}' => sub {
        status_is(as_bob('GET', $bob_key), 200, 'a user reads their key');
        status_is(as_bob('GET', $alice_key), 404,
                  'another user\'s key is 404 to a user');
    },

    'PATCH /api/v1/api-keys/{id}' => sub {
        my $res = as_bob('PATCH', $bob_key, { name => 'renamed',
                         status => 'disabled' });
        status_is($res, 200, 'a user renames and disables their key');
        is($res->{json}{status}, 'disabled', '... disabled');
        status_is(as_bob('PATCH', $bob_key, { rateLimitRequests => 0 }),
                  403, 'a user cannot change the limits of their key');
        status_is(as_bob('PATCH', $alice_key, { name => 'mine now' }), 404,
                  'a user cannot change another user\'s key');
        is(api('GET', $alice_key)->{json}{name}, $key{alice}{name},
           '... which stays as it was');
    },

    'PUT /api/v1/api-keys/{id}' => sub {
        status_is(as_bob('PUT', $bob_key, { status => 'active' }), 200,
                  'PUT: a user enables their key');
        status_is(as_bob('PUT', $alice_key, { status => 'disabled' }), 404,
                  'PUT: not another user\'s key');
    },

    'DELETE /api/v1/api-keys/{id}' => sub {
        status_is(as_bob('DELETE', $alice_key), 404,
                  'a user cannot revoke another user\'s key');
        status_is(api('GET', $alice_key), 200, '... which still exists');
        my $spare = as_bob('POST', '/api/v1/api-keys', { name => 'spare' });
        status_is(as_bob('DELETE', "/api/v1/api-keys/$spare->{json}{id}"),
                  204, 'a user revokes their own key');
    },

    'POST /api/v1/api-keys/{id}/rotate' => sub {
        status_is(as_bob('POST', "$alice_key/rotate"), 404,
                  'a user cannot rotate another user\'s key');
        my $res = as_bob('POST', "$bob_key/rotate");
        status_is($res, 200, 'a user rotates their own key');
        like($res->{json}{key}, qr/^cr_/, '... and sees the new one');
    },

    'GET /api/v1/users/{id}/key-policy' => sub {
        my $res = as_bob('GET', "/api/v1/users/$bob->{id}/key-policy");
        status_is($res, 200, 'a user reads their key policy');
        is($res->{json}{maxKeys}, 10, '... user_max_keys by default');
        status_is(as_bob('GET', "/api/v1/users/$alice->{id}/key-policy"),
                  404, 'another user\'s is 404');
    },

    'GET /api/v1/plans' => sub {
        status_is(as_bob('GET', '/api/v1/plans'), 200,
                  'plans are for every user to read');
    },

    'GET /api/v1/plans/{id}' => sub {
        status_is(as_bob('GET', "/api/v1/plans/$plan->{id}"), 200,
                  'a plan is for every user to read');
    },

    'GET /api/v1/subscriptions' => sub {
        all_bobs(as_bob('GET', '/api/v1/subscriptions')->{json}
                 {subscriptions}, 'a user lists only their subscription');
        status_is(as_bob('GET', "/api/v1/subscriptions?userId=$alice->{id}"),
                  403, 'not another user\'s');
    },

    'GET /api/v1/subscriptions/{id}' => sub {
        status_is(as_bob('GET', "/api/v1/subscriptions/$sub{bob}{id}"), 200,
                  'a user reads their subscription');
        status_is(as_bob('GET', "/api/v1/subscriptions/$sub{alice}{id}"),
                  404, 'another user\'s is 404');
    },

    'GET /api/v1/usage/records' => sub {
        all_bobs(as_bob('GET', '/api/v1/usage/records')->{json}{records},
                 'a user lists only their usage');
        status_is(as_bob('GET', "/api/v1/usage/records?userId=$alice->{id}"),
                  403, 'not another user\'s');
    },

    'GET /api/v1/usage/summary' => sub {
        is(as_bob('GET', '/api/v1/usage/summary')->{json}{total}{costMicros},
           '600', 'a user\'s summary sums their usage only');
        status_is(as_bob('GET', "/api/v1/usage/summary?userId=$alice->{id}"),
                  403, 'not another user\'s');
        is(api('GET', '/api/v1/usage/summary')->{json}{total}{costMicros},
           '14600', 'an admin\'s sums everyone\'s');
    },

    'GET /api/v1/bills' => sub {
        all_bobs(as_bob('GET', '/api/v1/bills')->{json}{bills},
                 'a user sees only their bill');
        status_is(as_bob('GET', "/api/v1/bills?userId=$alice->{id}"), 403,
                  'not another user\'s');
    },
);

for my $r (grep { $_->{access} eq 'user' } @routes) {
    my $name = "$r->{method} $r->{path}";
    ok($own{$name}, "$name: what users may do there is tested")
        or next;
    $own{$name}->();
}

# ---- the key policy binds what users make themselves (issue 11) ----

my $group = $stack->make_or_die('/api/v1/account-groups',
                                { name => 'team', platform => 'claude' });
my $held = as_bob('GET', '/api/v1/api-keys')->{json}{totalSize};
my $policy_url = "/api/v1/users/$bob->{id}/key-policy";
my $res = api('PUT', $policy_url, { maxKeys => $held + 2,
    concurrencyLimit => 2, totalCostLimitMicros => '1',
    rateLimitRequests => 10, rateWindowSeconds => 30,
    permissions => ['claude'], blockedModels => ['claude-opus-4-1'],
    groupId => $group->{id} });
status_is($res, 200, 'an admin sets a key policy');
is($res->{json}{totalCostLimitMicros}, '1', '... read back in proto form');
is_deeply($res->{json}{permissions}, ['claude'], '... with its lists');
status_is(api('PUT', $policy_url, { maxKeys => -1 }), 400,
          'a policy out of range is refused');
status_is(api('PUT', $policy_url, { accountId => '999999' }), 400,
          'a policy binding to no account is refused');
status_is(api('PUT', $policy_url, { spendAll => 1 }), 400,
          'an unknown policy field is refused');

$res = as_bob('POST', '/api/v1/api-keys', { name => 'self-made' });
status_is($res, 201, 'a user creates a key under a policy');
my $made = $res->{json};
is($made->{concurrencyLimit}, 2, '... which gets the concurrency ceiling');
is($made->{totalCostLimitMicros}, '1', '... and the cost ceiling');
is($made->{rateLimitRequests}, 10, '... and the rate ceiling');
is($made->{rateWindowSeconds}, 30, '... in the policy\'s window');
is_deeply($made->{permissions}, ['claude'], '... the policy\'s platforms');
is_deeply($made->{blockedModels}, ['claude-opus-4-1'],
          '... its blocked models');
is($made->{groupId}, $group->{id}, '... and its binding');

$res = as_bob('POST', '/api/v1/api-keys', { name => 'x',
              concurrencyLimit => 3 });
status_is($res, 403, 'a limit above the ceiling is refused');
like($res->{json}{error}{message}, qr/"concurrencyLimit": at most 2/,
     '... naming the field and the ceiling');
status_is(as_bob('POST', '/api/v1/api-keys', { name => 'x',
                 totalCostLimitMicros => '0' }), 201,
          '0 ("no limit") takes the ceiling instead');
status_is(as_bob('POST', '/api/v1/api-keys', { name => 'x',
                 permissions => ['gemini'] }), 403,
          'a platform outside the policy is refused');
status_is(as_bob('POST', '/api/v1/api-keys', { name => 'x',
                 rateWindowSeconds => 86400 }), 403,
          'another rate window is refused');
$res = as_bob('POST', '/api/v1/api-keys', { name => 'x' });
status_is($res, 403, 'maxKeys keys and no more');
like($res->{json}{error}{message}, qr/the most your key policy allows/,
     '... with the reason');
status_is(api('POST', '/api/v1/api-keys', { name => 'by admin',
              userId => $bob->{id} }), 201,
          'an admin is not bound by the policy');

my $made_url = "/api/v1/api-keys/$made->{id}";
status_is(as_bob('PATCH', $made_url, { concurrencyLimit => 3 }), 403,
          'a user cannot raise a limit of their key');
status_is(as_bob('PATCH', $made_url, { totalCostLimitMicros => '0' }), 403,
          '... nor clear it');
$res = as_bob('PATCH', $made_url, { concurrencyLimit => 1 });
status_is($res, 200, 'a user may lower it');
is($res->{json}{concurrencyLimit}, 1, '... and it is lower');
status_is(as_bob('PATCH', $made_url, { concurrencyLimit => 2 }), 403,
          '... and cannot raise it back');

$res = api('PATCH', $made_url, { status => 'disabled' });
ok($res->{json}{disabledByAdmin}, 'an admin disables the key');
status_is(as_bob('PATCH', $made_url, { status => 'active' }), 403,
          'its user cannot enable it again');
is(api('GET', $made_url)->{json}{status}, 'disabled', '... it stays off');
$res = api('PATCH', $made_url, { status => 'active' });
ok(!$res->{json}{disabledByAdmin}, 'an admin enables it');
status_is(as_bob('PATCH', $made_url, { status => 'disabled' }), 200,
          'its user may then disable it');
status_is(as_bob('PATCH', $made_url, { status => 'active' }), 200,
          '... and enable it again');
status_is(api('PUT', $policy_url, {}), 200,
          'an empty policy restores the defaults');

# an admin sees everyone's
is(api('GET', '/api/v1/api-keys')->{json}{totalSize} >= 2, 1,
   'an admin lists every key');
status_is(api('GET', $alice_key), 200, 'an admin reads any key');

# a demoted admin loses admin routes at once: a role change revokes the
# tokens issued before it, and a new login carries the new role
my $carol = $stack->make_user(username => 'carol', password => 'carol-pw-1',
                              role => 'admin');
my $carol_token = login('carol', 'carol-pw-1');
status_is(api('GET', '/api/v1/users', undef, $carol_token), 200,
          'an admin token works');
api('PATCH', "/api/v1/users/$carol->{id}", { role => 'user' });
status_is(api('GET', '/api/v1/users', undef, $carol_token), 401,
          'the same token after a demotion is 401 (revoked)');
$carol_token = login('carol', 'carol-pw-1');
status_is(api('GET', '/api/v1/users', undef, $carol_token), 403,
          'a new token after the demotion is 403 on admin routes');
status_is(api('GET', '/api/v1/users/me', undef, $carol_token), 200,
          '... and still a user');

$stack->finish;
