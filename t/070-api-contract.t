#!/usr/bin/perl
# The API contract (proto/quotalane/v1/*.proto) against the admind that
# runs: the reference generated from it is the committed docs/API.md;
# every declared route is served by a handler (not refused by the router)
# with the declared access, and every served route is declared; and what
# admind answers has exactly the declared fields, each of its declared
# type in the proto3 JSON mapping.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use B ();
use QL::Stack;
use QL::Contract;

my $REPO = QL::Stack::repo();
my $JSON = JSON::PP->new->canonical;

# ---- the contract ----

my ($contract, $stale) = QL::Contract::load(check => 1);
is($stale, '', 'docs/API.md is the reference generated from proto/ '
   . '(make api-docs)');
my @declared = @{ $contract->{routes} };
my %messages = %{ $contract->{messages} };

ok(@declared >= 40, 'the contract declares the admin API ('
   . scalar(@declared) . ' routes)');

my %decl;
for my $r (@declared) {
    my $k = "$r->{method} $r->{path}";
    ok(!$decl{$k}, "$k declared once");
    $decl{$k} = $r;
}
is_deeply([grep { $_->{access} !~ /^(public|user|admin)$/ } @declared], [],
          'every RPC says who may call it (quotalane.v1.access)');

# ---- the routes admind serves ----

my $stack = QL::Stack->new(services => [qw(redis mariadb admind)]);

sub api { $stack->admin(@_) }

my $res = api('GET', '/api/v1/_routes');
is($res->{status}, 200, 'GET /api/v1/_routes');
my %served = map { ("$_->{method} $_->{path}" => $_) }
             @{ $res->{json}{routes} || [] };

is_deeply([sort grep { !$served{$_} } keys %decl], [],
          'every declared route is served');
is_deeply([sort grep { !$decl{$_} } keys %served], [],
          'every served route is declared');
is_deeply([sort grep { $served{$_} && $served{$_}{access}
                       ne $decl{$_}{access} } keys %decl], [],
          'admind and the contract agree on who may call each route');

# the router's own answers, for comparison
$res = api('GET', '/api/v1/no-such-thing');
is($res->{status}, 404, 'an unknown path is 404');
is($res->{json}{error}{code}, 'no_route', '... with code no_route');
$res = api('DELETE', '/api/v1/users');
is($res->{status}, 405, 'a known path with another method is 405');
like($res->{headers}{allow}, qr/GET.*POST/, '... naming the methods');
is(api('GET', '/api/v1/users/999999')->{json}{error}{code}, 'not_found',
   'a missing row is not_found, not no_route');

# Each declared route reaches a handler: dummy ids and empty bodies get
# the handler's own answers (400, 404 not_found, ...), never the
# router's 404 no_route or 405.
for my $r (sort { $a->{path} cmp $b->{path} } @declared) {
    my $path = QL::Contract::fill($r->{path}, 999999);
    my $res = api($r->{method}, $path, $r->{body} ? {} : undef);
    my $code = ref $res->{json} eq 'HASH' && ref $res->{json}{error}
               ? $res->{json}{error}{code} : '';
    ok($res->{status} != 405 && $code ne 'no_route'
       && $res->{status} < 500,
       "$r->{method} $r->{path} is handled ($res->{status}"
       . ($code ? " $code" : '') . ')');
}

# ---- the answers have the declared shape ----

# A JSON number as JSON::PP decodes it (before anything stringifies it).
sub is_number {
    my ($v) = @_;
    return 0 if !defined $v || ref $v;
    my $flags = B::svref_2object(\$v)->FLAGS;
    return ($flags & (B::SVp_IOK | B::SVp_NOK)) && !($flags & B::SVp_POK);
}

sub is_string { defined $_[0] && !ref $_[0] && !is_number($_[0]) }

my $TIME = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

# fields the API leaves out on purpose, by message.field
my %absent_ok = (
    'quotalane.v1.ApiKey.key' => 'only in the create answer',
);

sub check_value {
    my ($v, $type, $where, $errs) = @_;
    return if !defined $v;      # null: unset (proto3 JSON)

    if ($type =~ /^(int64|uint64|sint64|fixed64|sfixed64)$/) {
        push @$errs, "$where: $type must be a decimal string"
            unless is_string($v) && $v =~ /^-?\d+$/;
    } elsif ($type =~ /^(int32|uint32|sint32|fixed32|sfixed32)$/) {
        push @$errs, "$where: $type must be a JSON number"
            unless is_number($v) && $v == int($v);
    } elsif ($type eq 'bool') {
        push @$errs, "$where: bool must be true or false"
            unless JSON::PP::is_bool($v);
    } elsif ($type eq 'string') {
        push @$errs, "$where: must be a string" unless is_string($v);
    } elsif ($type eq 'google.protobuf.Timestamp') {
        push @$errs, "$where: must be an RFC 3339 time"
            unless is_string($v) && $v =~ $TIME;
    } elsif ($type eq 'google.protobuf.Struct') {
        push @$errs, "$where: must be an object" unless ref $v eq 'HASH';
    } elsif ($type eq 'google.protobuf.Value') {
        # any JSON value
    } elsif ($messages{$type}) {
        check_message($v, $type, $where, $errs);
    } else {
        push @$errs, "$where: unknown type $type";
    }
}

sub check_message {
    my ($obj, $name, $where, $errs) = @_;
    my $fields = $messages{$name};
    if (ref $obj ne 'HASH') {
        push @$errs, "$where: not an object";
        return;
    }
    my %f = map { ($_->{json} => $_) } @$fields;
    for my $k (sort keys %$obj) {
        push @$errs, "$where.$k is not a field of $name" unless $f{$k};
    }
    for my $f (@$fields) {
        my $k = $f->{json};
        if (!exists $obj->{$k}) {
            push @$errs, "$where.$k ($name) is missing"
                unless grep({ $_ eq 'write only' } @{ $f->{behavior} })
                       || $absent_ok{"$name.$k"};
            next;
        }
        push @$errs, "$where.$k is write only but was sent"
            if grep { $_ eq 'write only' } @{ $f->{behavior} };
        if ($f->{repeated}) {
            if (ref $obj->{$k} ne 'ARRAY') {
                push @$errs, "$where.$k must be an array";
                next;
            }
            my $i = 0;
            check_value($_, $f->{type}, "$where.$k\[" . $i++ . ']', $errs)
                for @{ $obj->{$k} };
        } else {
            check_value($obj->{$k}, $f->{type}, "$where.$k", $errs);
        }
    }
}

sub shape_ok {
    my ($json, $name, $what) = @_;
    my @errs;
    check_message($json, $name, 'answer', \@errs);
    ok(!@errs, "$what has the shape of $name")
        or diag(join("\n", @errs[0 .. ($#errs > 14 ? 14 : $#errs)]));
}

sub make {
    my ($path, $body, $name) = @_;
    my $res = api('POST', $path, $body);
    ok($res->{status} == 201 || $res->{status} == 200, "POST $path")
        or diag($res->{content});
    shape_ok($res->{json}, $name, "POST $path answer") if $name;
    return $res->{json};
}

my $port = $stack->mock_port;    # the one loopback port admind allows
my $group = make('/api/v1/account-groups',
                 { name => 'g1', platform => 'claude' },
                 'quotalane.v1.AccountGroup');
my $account = make('/api/v1/accounts',
                   { name => 'a1', type => 'claude-console',
                     apiKey => 'sk-ant-' . 'x' x 30,
                     baseUrl => "http://127.0.0.1:$port",
                     groupId => $group->{id} }, 'quotalane.v1.Account');
my $user = make('/api/v1/users', { username => 'bob',
                password => 'bob-password', email => 'bob@example.org' },
                'quotalane.v1.User');
my $key = make('/api/v1/api-keys', { name => 'k1', userId => $user->{id},
               accountId => $account->{id}, expiresAt =>
               '2031-01-01T00:00:00Z', allowedClients => ['^curl/'] },
               'quotalane.v1.ApiKey');
like($key->{key}, qr/^cr_/, 'the create answer carries the key');
my $plan = make('/api/v1/plans', { name => 'p1', period => 'monthly',
                quotaCostMicros => '5000000', limits => { rpm => 10 } },
                'quotalane.v1.Plan');
my $sub = make('/api/v1/subscriptions', { userId => $user->{id},
               planId => $plan->{id} }, 'quotalane.v1.Subscription');
my $hook = make('/api/v1/webhooks', { name => 'h1', format => 'generic',
                url => "http://127.0.0.1:$port/__hook/contract",
                secret => 'hook-secret', events => ['account.error'] },
                'quotalane.v1.Webhook');
$res = api('POST', "/api/v1/webhooks/$hook->{id}/test");
is($res->{status}, 202, 'POST /api/v1/webhooks/{id}/test')
    or diag($res->{content});
shape_ok($res->{json}, 'quotalane.v1.TestWebhookResponse',
         'POST /api/v1/webhooks/{id}/test answer');

# usage as the consumer stores it, in a month that can be closed
$stack->sql_root(
    "INSERT INTO usage_records (request_id, ts, api_key_id, user_id, "
    . "account_id, platform, model, input_tokens, output_tokens, "
    . "cost_micros, cost_pico, upstream_status, status, latency_ms, "
    . "ttfb_ms, streamed, complete) VALUES ('r1', "
    . "'2024-03-10 12:00:00.250', $key->{id}, $user->{id}, "
    . "$account->{id}, 'claude', 'claude-sonnet-4', 100, 20, 1500, "
    . "1500000000, 200, 200, 900, 300, 1, 1)");
my $closed = api('POST', '/api/v1/bills/close', { month => '2024-03' });
ok($closed->{status} == 200 || $closed->{status} == 201,
   'POST /api/v1/bills/close') or diag($closed->{content});
shape_ok($closed->{json}, 'quotalane.v1.CloseBillsResponse',
         'POST /api/v1/bills/close answer');

my $audit = api('GET', '/api/v1/audit-log?pageSize=1')->{json}{entries}[0];

# a row of each kind, for {id}
my %ids = (
    users => $user->{id}, 'api-keys' => $key->{id},
    accounts => $account->{id}, 'account-groups' => $group->{id},
    plans => $plan->{id}, subscriptions => $sub->{id},
    'audit-log' => $audit->{id}, webhooks => $hook->{id},
);

my %query = (
    '/api/v1/usage/summary' => '?groupBy=model',
    '/api/v1/bills' => '?month=2024-03',
);

for my $r (grep { $_->{method} eq 'GET' } @declared) {
    my $path = $r->{path};
    my ($kind) = $path =~ m{^/api/v1/([^/]+)/\{};
    if ($kind) {
        die "no fixture for $path\n" unless $ids{$kind};
        $path =~ s/\{id\}/$ids{$kind}/;
    }
    $path .= $query{$r->{path}} // '';
    $path =~ s/\{file\}/key.html/;

    # the key self-service endpoint takes the API key, not a login
    my $res = $r->{path} eq '/api/v1/key-self'
        ? $stack->request('GET', $stack->admin_url . $path,
                          { 'x-api-key' => $key->{key} })
        : api('GET', $path);
    is($res->{status}, 200, "GET $path") or diag($res->{content});

    # the answers in another format than JSON (meta.proto, console.proto)
    if ($r->{response} eq 'quotalane.v1.MetricsText') {
        like($res->{headers}{'content-type'}, qr{^text/plain; version=0\.0\.4},
             "GET $path is Prometheus text");
        next;
    }

    if ($r->{response} eq 'quotalane.v1.ConsoleFile') {
        like($res->{headers}{'content-type'}, qr{^text/html},
             "GET $path is the console's page");
        next;
    }

    shape_ok($res->{json}, $r->{response}, "GET $path");

    # a list shows the fixtures: their items are checked too
    my ($list) = grep { $_->{repeated} && $messages{$_->{type}} }
                 @{ $messages{ $r->{response} } || [] };
    # (an account's usage windows are the vendor's, none in the fixture)
    undef $list if $list && $list->{json} eq 'usageWindows';
    ok(@{ $res->{json}{ $list->{json} } || [] } > 0,
       "GET $path lists something to check")
        if $list && $r->{path} !~ /_routes/;
}

# PATCH answers too (with the version they were read at)
for my $p (["/api/v1/users/$user->{id}", { displayName => 'Bob' },
            'quotalane.v1.User'],
           ["/api/v1/api-keys/$key->{id}", { name => 'k2' },
            'quotalane.v1.ApiKey'],
           ["/api/v1/accounts/$account->{id}", { priority => 7 },
            'quotalane.v1.Account'],
           ["/api/v1/account-groups/$group->{id}", { description => 'd' },
            'quotalane.v1.AccountGroup'],
           ["/api/v1/plans/$plan->{id}", { description => 'd' },
            'quotalane.v1.Plan'],
           ["/api/v1/subscriptions/$sub->{id}", { autoRenew => \1 },
            'quotalane.v1.Subscription'],
           ["/api/v1/webhooks/$hook->{id}", { enabled => \0 },
            'quotalane.v1.Webhook']) {
    my ($path, $body, $name) = @$p;
    my $res = api('PATCH', $path, $body);
    is($res->{status}, 200, "PATCH $path") or diag($res->{content});
    shape_ok($res->{json}, $name, "PATCH $path answer");
}

# the login answer and an error answer
$res = $stack->request('POST', $stack->admin_url . '/api/v1/auth/login', {},
                       { username => 'bob', password => 'bob-password' });
shape_ok($res->{json}, 'quotalane.v1.LoginResponse', 'login answer');
shape_ok(api('GET', '/api/v1/users/999999')->{json},
         'quotalane.v1.ErrorResponse', 'a 404 answer');
shape_ok(api('POST', '/api/v1/users', '{"username":')->{json},
         'quotalane.v1.ErrorResponse', 'a 400 answer');

$stack->finish;
