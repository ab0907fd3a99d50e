#!/usr/bin/perl
# admind applies versioned migrations once, bootstraps the first admin
# with a bcrypt hash, and answers errors in its JSON error shape.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use QL::Stack;

my $stack = QL::Stack->new(services => [qw(redis mariadb admind)]);

my @files = sort glob(QL::Stack::repo() . '/admind/migrations/*.sql');
ok(@files >= 1, 'migration files exist');

my $rows = $stack->sql_root('SELECT version FROM schema_migrations '
                            . 'ORDER BY version');
my @applied = split /\n/, $rows;
is(scalar @applied, scalar @files, 'every migration applied');

my $tables = $stack->sql_root('SHOW TABLES');
for my $t (qw(users api_keys accounts account_groups plans subscriptions
              usage_records audit_log)) {
    like($tables, qr/^\Q$t\E$/m, "table $t exists");
}

my $money = $stack->sql_root(
    "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE "
    . "TABLE_SCHEMA='quotalane' AND COLUMN_NAME LIKE '%micros'");
unlike($money, qr/float|double|decimal/i, 'money columns are integers');
like($money, qr/bigint/i, 'money columns are bigint micro-dollars');

my $admin = $stack->sql_root("SELECT username, role, password_hash FROM "
                             . "users WHERE role='admin'");
like($admin, qr/^admin\tadmin\t\$2b\$1[2-9]\$/m,
     'admin bootstrapped with bcrypt cost >= 12');
unlike($admin, qr/\Q$stack->{admin_password}\E/, 'password not stored');

# Restart: nothing applied twice, the admin not created again.
is($stack->stop_admind, 0, 'admind stops cleanly');
$stack->_spawn_admind;
$rows = $stack->sql_root('SELECT COUNT(*) FROM schema_migrations');
is($rows + 0, scalar @files, 'migrations not re-applied on restart');
is($stack->sql_root("SELECT COUNT(*) FROM users WHERE role='admin'") + 0, 1,
   'one admin after restart');

my $res = $stack->request('GET', $stack->admin_url . '/no/such/route');
is($res->{status}, 404, 'unknown route 404');
ok($res->{json}{error}{code} && $res->{json}{error}{message},
   'error shape {"error":{"code","message"}}');

$res = $stack->request('DELETE', $stack->admin_url . '/healthz');
is($res->{status}, 405, 'wrong method 405');
is(ref $res->{json}{error}, 'HASH', '405 in the error shape');

open my $log, '<', $stack->dir . '/log/admind.log' or die $!;
my @lines = <$log>;
close $log;
my $bad = grep { !eval { JSON::PP->new->decode($_); 1 } } @lines;
is($bad, 0, 'every admind log line is a JSON object');
ok((grep { /"msg":"listening"/ } @lines), 'listening logged');
my $leak = grep { /\Q$stack->{admin_password}\E|\Q$stack->{db_password}\E/ }
           @lines;
is($leak, 0, 'no secret in the logs');

$stack->finish;
