#!/usr/bin/perl
# Logging in: attempts limited per username and address and per address
# (429 with Retry-After, counters in Redis with a TTL, a success clears
# the name's counts); failures from one address never lock the user out
# from another (issue 11, item 8 h), a name guessed from many addresses
# is only slowed to one attempt per pace; LDAP bind login against a real slapd started here (users
# created and given ldap_user_role on success, a directory outage is 503
# and costs no attempt); and the first admin, which exists only with a
# password the operator chose.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use HTTP::Tiny;
use Digest::SHA qw(sha1);
use MIME::Base64 qw(encode_base64);
use QL::Stack;
use QL::Ldap;

if (my $why = QL::Ldap::missing()) {
    plan skip_all => $why;
}

my $ldap_port = QL::Stack::free_port();
my $BASE = 'dc=example,dc=org';

# read by admind at start (QL_ADMIND_<KEY> overrides the file)
local $ENV{QL_ADMIND_LDAP_URL} = "ldap://127.0.0.1:$ldap_port/";
local $ENV{QL_ADMIND_LDAP_BIND_DN_TEMPLATE} = "uid=%s,ou=people,$BASE";
local $ENV{QL_ADMIND_LDAP_USER_ROLE} = 'user';
local $ENV{QL_ADMIND_LDAP_TIMEOUT_MS} = 2000;
local $ENV{QL_ADMIND_LOGIN_MAX_FAILURES} = 5;
local $ENV{QL_ADMIND_LOGIN_MAX_FAILURES_PER_ADDR} = 20;
local $ENV{QL_ADMIND_LOGIN_MAX_FAILURES_PER_USER} = 12;
local $ENV{QL_ADMIND_LOGIN_USER_PACE_SECONDS} = 4;
local $ENV{QL_ADMIND_LOGIN_FAILURE_WINDOW_SECONDS} = 300;

my $stack = QL::Stack->new(services => [qw(redis mariadb admind)]);
my $dir = $stack->dir;

sub api { $stack->admin(@_) }

sub login {
    my ($user, $password) = @_;
    return $stack->request('POST', $stack->admin_url . '/api/v1/auth/login',
        {}, { username => $user, password => $password });
}

# the same from another loopback address (admind sees the socket's peer)
sub login_from {
    my ($addr, $user, $password) = @_;
    local $stack->{http} = HTTP::Tiny->new(timeout => 30,
                                           local_address => $addr);
    return login($user, $password);
}

sub status_is {
    my ($res, $status, $name) = @_;
    is($res->{status}, $status, $name)
        or diag($res->{content} // '');
}

my $PREFIX = 'ql:{main}:login:fail:';

# ---- the directory ----

sub ssha {
    my ($password) = @_;
    my $salt = QL::Stack::random_hex(4);
    return '{SSHA}' . encode_base64(sha1($password . $salt) . $salt, '');
}

my $carol_pw = ssha('carol-directory-pw');
is(QL::Ldap::load($stack, base => $BASE, people => [
       { uid => 'carol', cn => 'Carol', sn => 'C', password => $carol_pw },
       { uid => 'dan', cn => 'Dan', sn => 'D',
         password => 'dan-directory-pw' } ]), 0, 'directory loaded');

sub start_slapd { QL::Ldap::start($stack, $ldap_port) }

my $slapd = start_slapd();

# ---- the first admin ----

status_is(login('admin', $stack->{admin_password}), 200,
          'the bootstrapped admin logs in with the configured password');
for my $guess ('admin', 'password', 'changeme', 'quotalane') {
    status_is(login('admin', $guess), 401, "not with \"$guess\"");
}
$stack->redis('DEL', "${PREFIX}pair:127.0.0.1|admin",
              "${PREFIX}user:admin");

# ---- attempts per username and address ----

$stack->make_user(username => 'dave', password => 'dave-pw-123');
$stack->make_user(username => 'erin', password => 'erin-pw-123');

for my $n (1 .. 5) {
    status_is(login('dave', "wrong-$n"), 401, "dave: wrong password $n");
}
my $res = login('dave', 'wrong-6');
status_is($res, 429, 'the sixth failure in the window is 429');
is($res->{json}{error}{code}, 'too_many_requests', '... too_many_requests');
my $retry = $res->{headers}{'retry-after'} // 0;
ok($retry > 250 && $retry <= 300, "... Retry-After is the window's rest "
   . "($retry s)");
status_is(login('dave', 'dave-pw-123'), 429,
          'even the right password waits for the window');
status_is(login('DAVE ', 'dave-pw-123'), 429,
          'another spelling of the same name shares the count');
my $ttl = $stack->redis('TTL', "${PREFIX}pair:127.0.0.1|dave");
ok($ttl > 0 && $ttl <= 300, "the count lives in Redis with a TTL ($ttl)");
status_is(login('erin', 'erin-pw-123'), 200, 'other users log in');

# the failures came from 127.0.0.1: dave himself, elsewhere, is not locked
# out, and still cannot be guessed from there either
status_is(login_from('127.0.0.2', 'dave', 'wrong-7'), 401,
          'from another address a wrong password is 401, not 429');
status_is(login_from('127.0.0.2', 'dave', 'dave-pw-123'), 200,
          'the right password from another address logs dave in');
is($stack->redis('EXISTS', "${PREFIX}user:dave"), 0,
   "... and clears the name's count");
status_is(login('dave', 'dave-pw-123'), 429,
          'the guessing address stays refused for dave');

# a success clears the name's count
for my $n (1 .. 4) {
    login('erin', "wrong-$n");
}
status_is(login('erin', 'erin-pw-123'), 200, 'erin after 4 failures');
is($stack->redis('EXISTS', "${PREFIX}pair:127.0.0.1|erin"), 0,
   '... clears her count');
for my $n (1 .. 5) {
    status_is(login('erin', "again-$n"), 401,
              "erin fails again ($n), still 401");
}
$stack->redis('DEL', "${PREFIX}pair:127.0.0.1|erin", "${PREFIX}user:erin");

# ---- a name guessed from many addresses: slowed, never blocked ----
# (a 4 s pace: the bcrypt check between two attempts may take a second
# on a loaded machine)

$stack->make_user(username => 'frank', password => 'frank-pw-123');
my $failures = 0;
for my $a (3 .. 5) {
    for my $n (1 .. 4) {
        $failures++
            if login_from("127.0.0.$a", 'frank', "w-$a-$n")->{status} == 401;
    }
}
is($failures, 12, '12 failures from 3 addresses: each 401');
status_is(login_from('127.0.0.6', 'frank', 'w-6-1'), 401,
          'past login_max_failures_per_user, one attempt goes on');
$res = login_from('127.0.0.7', 'frank', 'frank-pw-123');
status_is($res, 429, '... the next within the pace is 429');
is($res->{headers}{'retry-after'}, 4, '... with Retry-After: the pace');
sleep 5;
status_is(login_from('127.0.0.7', 'frank', 'frank-pw-123'), 200,
          'after the pace the right password logs frank in');
is($stack->redis('EXISTS', "${PREFIX}user:frank"), 0,
   "... and clears the name's count");
$stack->redis('DEL', map { "${PREFIX}addr:127.0.0.$_" } 2 .. 7);

# the window ends: dave may try again
$stack->redis('EXPIRE', "${PREFIX}pair:127.0.0.1|dave", 1);
sleep 2;
status_is(login('dave', 'dave-pw-123'), 200, 'after the window dave is in');

# ---- attempts per address ----

my $addr_key = "${PREFIX}addr:127.0.0.1";
my $failed = $stack->redis('GET', $addr_key) // 0;
ok($failed >= 10, "the address's failures add up ($failed)");
my $n401 = 0;
my $i = 0;
while (++$i < 40) {
    $res = login("nobody-$i", 'whatever');
    last if $res->{status} != 401;
    $n401++;
}
is($n401, 20 - $failed, 'failures from one address, any names: 401 up to '
   . 'login_max_failures_per_addr');
status_is($res, 429, 'then 429');
ok(($res->{headers}{'retry-after'} // 0) > 0, '... with Retry-After');
status_is(login('admin', $stack->{admin_password}), 429,
          'for every name from that address');
$stack->redis('DEL', $addr_key);
status_is(login('admin', $stack->{admin_password}), 200,
          'until the window ends');

# ---- LDAP ----

$res = login('carol', 'carol-directory-pw');
status_is($res, 200, 'a directory user logs in');
my $carol = api('GET', '/api/v1/users/me', undef, $res->{json}{token})
            ->{json};
is($carol->{username}, 'carol', '... as a local user created for her');
is($carol->{authSource}, 'ldap', '... from LDAP');
is($carol->{role}, 'user', '... with ldap_user_role');
is($stack->sql_root("SELECT password_hash IS NULL FROM users "
                    . "WHERE username = 'carol'"), "1\n",
   'no password of hers is stored');

status_is(login('carol', 'wrong'), 401, 'a wrong directory password');
status_is(login('carol', ''), 400, 'an empty password never binds');
status_is(login('dan', 'dan-directory-pw'), 200,
          'a directory user with a clear-text userPassword');
status_is(login('zed', 'anything'), 401, 'a name in neither place');
status_is(login('carol,ou=people', 'carol-directory-pw'), 401,
          'a name that is no username is refused');
status_is(login('*', 'x'), 401, 'neither is a wildcard');
status_is(login('dave', 'dave-pw-123'), 200, 'local users still log in');
status_is(login('dave', 'dan-directory-pw'), 401,
          '... with their own password only');

# admins manage directory users like others; the role comes from config
api('PATCH', "/api/v1/users/$carol->{id}", { role => 'admin' });
$res = login('carol', 'carol-directory-pw');
status_is($res, 200, 'carol again');
is(api('GET', '/api/v1/users/me', undef, $res->{json}{token})->{json}{role},
   'user', 'ldap_user_role applies at every login');
api('PATCH', "/api/v1/users/$carol->{id}", { status => 'disabled' });
$res = login('carol', 'carol-directory-pw');
status_is($res, 401, 'a disabled directory user cannot log in');
like($res->{json}{error}{message}, qr/disabled/, '... and is told so');
api('PATCH', "/api/v1/users/$carol->{id}", { status => 'active' });

# the directory goes away
$stack->stop_proc($slapd);
my $before = $stack->redis('GET', "${PREFIX}user:carol") // 0;
$res = login('carol', 'carol-directory-pw');
status_is($res, 503, 'the directory down is 503');
is($res->{json}{error}{code}, 'unavailable', '... unavailable');
is($stack->redis('GET', "${PREFIX}user:carol") // 0, $before,
   '... and costs no attempt');
status_is(login('dave', 'dave-pw-123'), 200, 'local users are not '
          . 'affected');
$slapd = start_slapd();
status_is(login('carol', 'carol-directory-pw'), 200,
          'the directory back: carol logs in');

unlike(do { local (@ARGV, $/) = "$dir/log/admind.log"; <> },
       qr/carol-directory-pw|dave-pw-123/, 'no password in the admind log');

$stack->finish_quietly;

# ---- no admin without a chosen password ----

{
    local $ENV{QL_ADMIND_BOOTSTRAP_ADMIN_PASSWORD_FILE} = '';
    my $bare = QL::Stack->new(services => [qw(redis mariadb admind)]);
    is($bare->sql_root('SELECT COUNT(*) FROM users'), "0\n",
       'without bootstrap_admin_password_file no user is created');
    for my $guess ('admin', 'password', '') {
        isnt($bare->request('POST', $bare->admin_url . '/api/v1/auth/login',
             {}, { username => 'admin', password => $guess })->{status},
             200, "and \"admin\" / \"$guess\" is no way in");
    }
    ok(QL::Stack::file_has($bare->dir . '/log/admind.log',
                           qr/no admin user exists/),
       'admind says how to create the first admin');

    # a password file too short to be a password is refused at start
    $bare->stop_admind;
    QL::Stack::write_file($bare->dir . '/run/admin_password', 'admin', 0600);
    local $ENV{QL_ADMIND_BOOTSTRAP_ADMIN_PASSWORD_FILE} =
        $bare->dir . '/run/admin_password';
    my $conf = $bare->dir . '/admind.conf';
    my $out = `timeout 60 ${\ QL::Stack::repo()}/build/admind -c $conf 2>&1`;
    isnt($? >> 8, 0, 'admind refuses a 5-byte admin password');
    like($out, qr/admin password must have 8 to 72 bytes/, '... saying why');
    $bare->finish_quietly;
}

done_testing();
