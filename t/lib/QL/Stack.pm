package QL::Stack;

# Starts a complete QuotaLane stack for one test file: real redis-server,
# real MariaDB (mariadbd), real admind, the mock AI upstream and the stock
# nginx loading our module, each on free loopback ports in a temp dir.
# Everything is torn down when the object goes away; the temp dir (with all
# logs) is kept when a test failed.

use strict;
use warnings;

use Cwd qw(abs_path);
use Digest::SHA qw(sha256_hex);
use Fcntl qw(:flock);
use File::Basename qw(dirname basename);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Test::More ();
use Time::HiRes qw(sleep time);

our $REPO = abs_path(dirname(__FILE__) . '/../../..');
our $JSON = JSON::PP->new->canonical->allow_nonref;

my @live;    # stacks still running, stopped at END

sub repo { $REPO }

# Options:
#   services => [qw(redis mariadb admind mock nginx)]  (default: all)
#   nginx_conf => template path (default conf/nginx.conf.in)
#   nginx_http => extra text placed in the http block (via @EXTRA_HTTP@)
#   nginx_server => extra text placed in the server block (@EXTRA_SERVER@)
#   admind_conf => extra "key = value" lines for admind.conf
sub new {
    my ($class, %opt) = @_;

    my $name = basename($0, '.t');
    my $base = "$REPO/build/t";
    make_path($base);

    my $self = bless {
        owner    => $$,
        opt      => \%opt,
        dir      => tempdir("$name-XXXXXX", DIR => $base),
        procs    => [],
        services => { map { $_ => 1 }
                      @{ $opt{services} || [qw(redis mariadb admind mock
                                                nginx)] } },
    }, $class;

    push @live, $self;

    for my $d (qw(run log data tmp)) {
        make_path("$self->{dir}/$d");
    }

    # nginx workers run as nobody: let them write sanitizer logs
    chmod 0755, $self->{dir};
    chmod 01777, "$self->{dir}/log";

    $self->{http} = HTTP::Tiny->new(timeout => 30, keep_alive => 0);

    # Shared by admind (seals credentials) and nginx (opens them).
    $self->{master_key_file} = "$self->{dir}/run/master.key";
    write_file($self->{master_key_file}, random_hex(32), 0600);

    # Reserved even when the mock does not run: admind allowlists exactly
    # this loopback port, and admin tests point accounts at it.
    $self->{mock_port} = free_port();
    $self->make_redis_users;

    $self->start_redis   if $self->{services}{redis};
    $self->start_mariadb if $self->{services}{mariadb};
    $self->start_mock    if $self->{services}{mock};
    $self->start_admind  if $self->{services}{admind};
    $self->start_nginx   if $self->{services}{nginx};

    return $self;
}

sub dir { $_[0]{dir} }

# A loopback port nobody listens on right now.
sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or die "free_port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub spawn {
    my ($self, $name, $log, @cmd) = @_;

    my $pid = fork();
    die "fork: $!" unless defined $pid;

    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log or die "$log: $!";
        open STDERR, '>&', \*STDOUT;
        setpgrp(0, 0);
        exec @cmd or die "exec $cmd[0]: $!";
    }

    my $proc = { name => $name, pid => $pid, cmd => \@cmd, log => $log };
    push @{ $self->{procs} }, $proc;
    return $proc;
}

sub wait_for {
    my ($self, $what, $timeout, $check) = @_;

    my $deadline = time + $timeout;
    while (time < $deadline) {
        return 1 if $check->();
        sleep 0.05;
    }
    die "timed out waiting for $what (logs in $self->{dir}/log)\n";
}

# whether check comes true within seconds (for a test's ok(), not a die)
sub eventually {
    my ($self, $seconds, $check) = @_;

    my $deadline = time + $seconds;
    while (time < $deadline) {
        return 1 if $check->();
        sleep 0.1;
    }
    return $check->() ? 1 : 0;
}

sub port_open {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 1);
    return 0 unless $s;
    close $s;
    return 1;
}

# Redis runs with the ACL users of conf/redis-acl.conf: the default user
# is off; the module, admind and the tests' own checks (the admin user)
# each log in with a password from a 0600 file.
our %REDIS_USERS = (gateway => 'quotalane-gateway',
                    admind  => 'quotalane-admind',
                    admin   => 'quotalane-admin');

sub make_redis_users {
    my ($self) = @_;
    my %vars = (PREFIX => 'ql:{main}:');
    for my $role (sort keys %REDIS_USERS) {
        my $pw = random_hex(16);
        $self->{redis_password}{$role} = $pw;
        $self->{redis_password_file}{$role} =
            "$self->{dir}/run/redis-$role.password";
        write_file($self->{redis_password_file}{$role}, "$pw\n", 0600);
        $vars{ uc($role) . '_PASSWORD_HASH' } = sha256_hex($pw);
    }
    open my $fh, '<', "$REPO/conf/redis-acl.conf" or die $!;
    my $text = do { local $/; <$fh> };
    close $fh;
    $self->{redis_conf} = "$self->{dir}/run/redis.conf";
    write_file($self->{redis_conf}, render_template($text, \%vars), 0600);
}

sub redis_user { $REDIS_USERS{ $_[1] } }
sub redis_password { $_[0]{redis_password}{ $_[1] } }

sub start_redis {
    my ($self) = @_;
    $self->{redis_port} = free_port();
    $self->_spawn_redis;
}

sub _spawn_redis {
    my ($self) = @_;
    $self->{redis_proc} = $self->spawn('redis', "$self->{dir}/log/redis.log",
        'redis-server', $self->{redis_conf}, '--port', $self->{redis_port},
        '--bind', '127.0.0.1', '--dir', "$self->{dir}/data",
        '--save', '', '--appendonly', 'no',
        '--enable-debug-command', 'local');
    $self->wait_for('redis', 10, sub {
        port_open($self->{redis_port}) && $self->redis_cmd('PING') eq 'PONG';
    });
}

sub stop_redis {
    my ($self) = @_;
    delete $self->{redis_sock};
    $self->stop_proc($self->{redis_proc});
}

# Restarts redis on the same port (its data is gone: persistence is off).
sub restart_redis {
    my ($self) = @_;
    $self->stop_redis;
    $self->_spawn_redis;
}

# A new RESP connection, logged in as the ACL user of $role (gateway,
# admind, admin) unless $role is undef.
sub redis_connect {
    my ($self, $role) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $self->{redis_port},
                                  Proto => 'tcp') or die "redis: $!";
    binmode $s;
    if (defined $role) {
        my $ok = resp_command($s, 'AUTH', $self->redis_user($role),
                              $self->redis_password($role));
        die "redis: AUTH as $role: $ok\n" unless $ok eq 'OK';
    }
    return $s;
}

# One command on a connection; returns the reply (arrays as array refs,
# errors as "ERR ..." strings).
sub resp_command {
    my ($s, @args) = @_;
    my $cmd = '*' . @args . "\r\n";
    $cmd .= '$' . length($_) . "\r\n$_\r\n" for @args;
    print $s $cmd;
    return resp_read($s);
}

# One command as the admin user over a kept-open connection.
sub redis {
    my ($self, @args) = @_;
    my $s = $self->{redis_sock};
    if (!$s || !$s->connected) {
        $s = $self->{redis_sock} = $self->redis_connect('admin');
    }
    return resp_command($s, @args);
}

sub resp_read {
    my ($s) = @_;
    my $line = <$s>;
    die "redis: connection closed\n" unless defined $line;
    $line =~ s/\r\n\z//;
    my ($t, $v) = (substr($line, 0, 1), substr($line, 1));
    return $v if $t eq '+' || $t eq ':';
    return $v if $t eq '-';
    if ($t eq '$') {
        return undef if $v < 0;
        my $buf = '';
        read($s, $buf, $v + 2) == $v + 2 or die "redis: short read\n";
        return substr($buf, 0, $v);
    }
    if ($t eq '*') {
        return undef if $v < 0;
        return [ map { resp_read($s) } 1 .. $v ];
    }
    die "redis: bad reply $line\n";
}

# redis-cli as the admin user (the password goes by the environment,
# not the command line): the argv, with REDISCLI_AUTH set by the caller
# from redis_password('admin').
sub redis_cli_argv {
    my ($self, @args) = @_;
    return ('redis-cli', '-h', '127.0.0.1', '-p', $self->{redis_port},
            '--user', $self->redis_user('admin'), @args);
}

# Runs one command through redis-cli and returns its raw output.
sub redis_cmd {
    my ($self, @args) = @_;
    my $out = '';
    local $ENV{REDISCLI_AUTH} = $self->redis_password('admin');
    open my $fh, '-|', $self->redis_cli_argv(@args) or return '';
    local $/;
    $out = <$fh> // '';
    close $fh;
    $out =~ s/\s+\z//;
    return $out;
}

# A pristine MariaDB data dir is made once per build and copied per test:
# mariadb-install-db takes seconds, a copy takes milliseconds.
sub mariadb_template {
    my $tpl = "$REPO/build/mariadb-template";
    return $tpl if -f "$tpl/.complete";

    open my $lock, '>', "$REPO/build/mariadb-template.lock" or die $!;
    flock($lock, LOCK_EX) or die $!;
    if (!-f "$tpl/.complete") {
        remove_tree($tpl);
        make_path($tpl);
        my $rc = system("mariadb-install-db --no-defaults --user=root "
                        . "--datadir=$tpl --auth-root-authentication-method="
                        . "normal --skip-test-db --skip-name-resolve "
                        . "> $REPO/build/mariadb-template.log 2>&1");
        die "mariadb-install-db failed, see build/mariadb-template.log\n"
            if $rc != 0;
        open my $ok, '>', "$tpl/.complete" or die $!;
        close $ok;
    }
    close $lock;
    return $tpl;
}

sub start_mariadb {
    my ($self) = @_;

    my $tpl = mariadb_template();
    my $data = "$self->{dir}/data/mysql";
    system('cp', '-a', $tpl, $data) == 0 or die "copy of $tpl failed";

    $self->{db_socket} = "$self->{dir}/run/mysqld.sock";
    $self->{db_name} = 'quotalane';
    $self->{db_user} = 'quotalane';
    $self->{db_password} = random_hex(16);
    $self->_spawn_mariadb;

    $self->sql_root("CREATE DATABASE quotalane CHARACTER SET utf8mb4; "
        . "CREATE USER 'quotalane'\@'localhost' IDENTIFIED BY "
        . "'$self->{db_password}'; GRANT ALL ON quotalane.* TO "
        . "'quotalane'\@'localhost'");
}

sub _spawn_mariadb {
    my ($self) = @_;
    $self->{mariadb_proc} = $self->spawn('mariadb',
        "$self->{dir}/log/mariadb.log",
        'mariadbd', '--no-defaults', '--user=root',
        "--datadir=$self->{dir}/data/mysql",
        "--socket=$self->{db_socket}",
        "--pid-file=$self->{dir}/run/mysqld.pid",
        '--skip-networking', '--skip-name-resolve',
        '--innodb-buffer-pool-size=32M', '--innodb-log-file-size=16M',
        '--innodb-flush-log-at-trx-commit=2', '--performance-schema=OFF',
        '--skip-log-bin');
    $self->wait_for('mariadb', 60, sub {
        -S $self->{db_socket} && system("mariadb-admin --no-defaults "
            . "-uroot -S $self->{db_socket} ping >/dev/null 2>&1") == 0;
    });
}

sub stop_mariadb {
    my ($self) = @_;
    $self->stop_proc($self->{mariadb_proc});
}

sub start_mariadb_again {
    my ($self) = @_;
    $self->_spawn_mariadb;
}

# Runs SQL as root; returns the tab-separated output rows.
sub sql_root {
    my ($self, $sql) = @_;
    my $file = "$self->{dir}/tmp/query.sql";
    open my $fh, '>', $file or die $!;
    print $fh $sql;
    close $fh;
    my $db = $sql =~ /^CREATE DATABASE/ ? '' : 'quotalane';
    my $cmd = "mariadb --no-defaults -uroot -S $self->{db_socket} -N -B "
        . "$db < $file 2>&1";
    my $out = `$cmd`;
    die "sql failed: $out" if $? != 0;
    return $out;
}

# The usage records of a key once admind wrote $n of them (or what is
# there after 20 s), oldest first, as hashes of the named columns.
sub usage_rows {
    my ($self, $key_id, $n, @cols) = @_;
    @cols = qw(platform model input_tokens output_tokens
               cache_read_input_tokens cost_micros account_id status)
        unless @cols;
    my $deadline = Time::HiRes::time() + 20;
    my @rows;
    while (1) {
        my $out = $self->sql_root('SELECT ' . join(', ', @cols)
            . " FROM usage_records WHERE api_key_id = $key_id ORDER BY id");
        @rows = map { my %r; @r{@cols} = split /\t/; \%r }
                split /\n/, $out;
        last if @rows >= $n || Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.1);
    }
    return @rows;
}

sub start_mock {
    my ($self) = @_;

    $self->{mock_proc} = $self->spawn('mock', "$self->{dir}/log/mock.log",
        'python3', "$REPO/t/mock/mock_upstream.py",
        '--listen', "127.0.0.1:$self->{mock_port}");
    $self->wait_for('mock upstream', 20, sub {
        port_open($self->{mock_port})
            && $self->{http}->get($self->mock_url . "/__mock/health")
                   ->{status} == 200;
    });
}

sub mock_url { "http://127.0.0.1:$_[0]{mock_port}" }

sub mock_port { $_[0]{mock_port} }

sub mock_requests {
    my ($self) = @_;
    my $res = $self->{http}->get($self->mock_url . '/__mock/requests');
    die "mock requests: $res->{status}" unless $res->{success};
    return $JSON->decode($res->{content})->{requests};
}

# the mock OAuth provider's state; with a spec, set it first
# (t/mock/README.md: /__mock/oauth)
sub mock_oauth {
    my ($self, $spec) = @_;
    my $url = $self->mock_url . '/__mock/oauth';
    return $self->request(defined $spec ? ('POST', $url, {}, $spec)
                                        : ('GET', $url))->{json};
}

sub mock_clear {
    my ($self) = @_;
    $self->{http}->request('DELETE', $self->mock_url . '/__mock/requests');
    $self->{http}->request('DELETE', $self->mock_url . '/__mock/rules');
    $self->{http}->request('DELETE', $self->mock_url . '/__mock/stats');
}

sub random_hex {
    my ($n) = @_;
    open my $fh, '<:raw', '/dev/urandom' or die $!;
    read($fh, my $buf, $n) == $n or die "urandom";
    close $fh;
    return unpack('H*', $buf);
}

# Whether a sanitizer log holds a real report.  nginx 1.22 itself drops
# its PCRE2 compile context (72 bytes, allocated through ngx_alloc, whose
# caller the fast unwinder cannot see) in every process, once per
# configuration cycle (k of them after k - 1 reloads); and a worker that
# exits on a reload may drop its connection and event arrays (3 blocks,
# worker_connections 4096 x (240 + 96 + 96) bytes, from
# ngx_event_process_init).  Those are not ours and are ignored; any other
# leak or memory error counts.
sub slurp_conf {
    open my $fh, '<', "$REPO/conf/nginx.conf.in" or return '';
    return do { local $/; <$fh> };
}

sub sanitizer_report {
    my ($path) = @_;
    open my $fh, '<', $path or return 0;
    my $text = do { local $/; <$fh> };
    close $fh;
    return 1 if $text =~ /ERROR: AddressSanitizer/;
    my $ngx_alloc = qr/\s+#0 .*malloc.*\n\s+#1 .* in ngx_alloc .*\n\n/;
    my $pcre = qr/^Direct leak of (\d+) byte\(s\) in (\d+) object\(s\)/m;
    $text =~ s/$pcre .*\n$ngx_alloc/$1 == 72 * $2 ? '' : $&/ge;
    # a worker's connection and event arrays, sized by worker_connections
    my ($conns) = slurp_conf() =~ /^\s*worker_connections\s+(\d+);/m;
    my $events = ($conns // 4096) * (240 + 96 + 96);
    my $arrays = qr/^Indirect leak of $events byte\(s\) in 3 object\(s\)/m;
    $text =~ s/$arrays .*\n$ngx_alloc//g;
    return $text =~ /(Direct|Indirect) leak of/ ? 1 : 0;
}

sub file_has {
    my ($path, $re) = @_;
    open my $fh, '<', $path or return 0;
    local $/;
    my $text = <$fh>;
    close $fh;
    return $text =~ $re;
}

sub write_file {
    my ($path, $content, $mode) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $content;
    close $fh;
    chmod($mode, $path) if defined $mode;
}

sub start_admind {
    my ($self) = @_;

    my $dir = $self->{dir};
    $self->{admind_port} = free_port();
    $self->{admin_user} = 'admin';
    $self->{admin_password} = random_hex(12);

    write_file("$dir/run/admin_password", $self->{admin_password}, 0600);
    write_file("$dir/run/db_password", $self->{db_password}, 0600);
    write_file("$dir/run/jwt.secret", random_hex(32), 0600);

    write_file("$dir/admind.conf", <<"CONF", 0600);
listen = 127.0.0.1:$self->{admind_port}
db_socket = $self->{db_socket}
db_user = $self->{db_user}
db_password_file = $dir/run/db_password
db_name = $self->{db_name}
redis = 127.0.0.1:$self->{redis_port}
redis_user = @{[ $self->redis_user('admind') ]}
redis_password_file = $self->{redis_password_file}{admind}
migrations_dir = $REPO/admind/migrations
console_dir = $REPO/build/console
master_key_file = $dir/run/master.key
jwt_secret_file = $dir/run/jwt.secret
bootstrap_admin_user = $self->{admin_user}
bootstrap_admin_password_file = $dir/run/admin_password
log_level = debug
# the mock upstream's port (localhost may resolve to either loopback
# address), and nothing else on loopback or private networks
outbound_allow = 127.0.0.1:$self->{mock_port}, [::1]:$self->{mock_port}
CONF
    if (defined $self->{opt}{admind_conf}) {
        (my $extra = $self->{opt}{admind_conf}) =~ s/\@MOCK_URL\@/$self->mock_url/ge;
        open my $fh, '>>', "$dir/admind.conf" or die $!;
        print $fh "$extra\n";
        close $fh;
    }

    $self->_spawn_admind;
}

sub _spawn_admind {
    my ($self) = @_;
    my @pre = $ENV{QL_ADMIND_WRAPPER} ? split(' ', $ENV{QL_ADMIND_WRAPPER})
                                       : ();
    $self->{admind_proc} = $self->spawn('admind',
        "$self->{dir}/log/admind.log",
        @pre, "$REPO/build/admind", '-c', "$self->{dir}/admind.conf");
    $self->wait_for('admind', 60, sub {
        port_open($self->{admind_port})
            && $self->{http}->get($self->admin_url . '/healthz')
                   ->{status} == 200;
    });
}

sub admin_url { "http://127.0.0.1:$_[0]{admind_port}" }

# A second admind on the same database and Redis (as a second host would
# run), with extra admind.conf lines if given; returns its URL.
sub start_another_admind {
    my ($self, $extra) = @_;
    my $port = free_port();
    open my $in, '<', "$self->{dir}/admind.conf" or die $!;
    my $conf = do { local $/; <$in> };
    close $in;
    $conf =~ s/^listen = .*$/listen = 127.0.0.1:$port/m;
    $conf .= "$extra\n" if defined $extra;
    write_file("$self->{dir}/admind-2.conf", $conf, 0600);
    $self->spawn('admind-2', "$self->{dir}/log/admind-2.log",
                 "$REPO/build/admind", '-c', "$self->{dir}/admind-2.conf");
    $self->wait_for('admind-2', 60, sub {
        port_open($port)
            && $self->{http}->get("http://127.0.0.1:$port/healthz")
                   ->{status} == 200;
    });
    return "http://127.0.0.1:$port";
}

sub admind_proc { $_[0]{admind_proc} }

sub stop_admind {
    my ($self) = @_;
    return $self->stop_proc($self->{admind_proc});
}

sub render_template {
    my ($text, $vars) = @_;
    # twice: a test's extra lines (EXTRA_HTTP) may name placeholders too
    for (1 .. 2) {
        $text =~ s{\@([A-Z_]+)\@}{
            exists $vars->{$1} ? $vars->{$1}
                               : die "template: no value for $1\n"
        }ge;
    }
    return $text;
}

sub nginx_vars {
    my ($self) = @_;
    my $dir = $self->{dir};
    return {
        MODULE_PATH    => $ENV{QL_ASAN}
            ? "$REPO/build/nginx-asan/ngx_http_quotalane_module.so"
            : "$REPO/build/nginx/ngx_http_quotalane_module.so",
        RUN_DIR        => "$dir/run",
        LOG_DIR        => "$dir/log",
        REDIS_ADDR     => "127.0.0.1:" . ($self->{redis_port} // 6379),
        REDIS_USER     => $self->redis_user('gateway'),
        REDIS_PASSWORD_FILE => $self->{redis_password_file}{gateway},
        MOCK_ADDR      => "127.0.0.1:" . ($self->{mock_port} // 9),
        GATEWAY_LISTEN => "127.0.0.1:$self->{gateway_port}",
        MASTER_KEY_FILE => $self->{master_key_file},
        CONF_DIR       => "$REPO/conf",
        KEY_CACHE_TTL  => $self->{opt}{key_cache_ttl} // '5s',
        WORKERS        => $self->{opt}{workers} // 2,
        EXTRA_HTTP     => $self->{opt}{nginx_http} // '',
        EXTRA_SERVER   => $self->{opt}{nginx_server} // '',
    };
}

# Writes nginx.conf from a template; returns its path.
sub write_nginx_conf {
    my ($self, $template) = @_;

    $template //= $self->{opt}{nginx_conf} // "$REPO/conf/nginx.conf.in";
    $self->{gateway_port} //= free_port();

    open my $fh, '<', $template or die "$template: $!";
    my $text = do { local $/; <$fh> };
    close $fh;

    make_path(map { "$self->{dir}/run/nginx-tmp/$_" }
              qw(body proxy fastcgi uwsgi scgi));

    my $conf = "$self->{dir}/nginx.conf";
    write_file($conf, render_template($text, $self->nginx_vars));
    return $conf;
}

# Runs `nginx -t` on a config text; returns (exit ok, output).
sub nginx_test_config {
    my ($self, $text) = @_;
    $self->{gateway_port} //= free_port();
    make_path("$self->{dir}/run/nginx-tmp");
    my $conf = "$self->{dir}/nginx-t.conf";
    write_file($conf, render_template($text, $self->nginx_vars));
    my $out = `nginx -p $self->{dir} -c $conf -t 2>&1`;
    return ($? == 0, $out);
}

sub start_nginx {
    my ($self) = @_;
    # QL_ASAN=1: the module built with ASan (make module-asan) is loaded
    # into the stock nginx with the runtime preloaded; reports land in
    # log/asan.* and fail the test file at the end.
    local $ENV{LD_PRELOAD} = asan_runtime() if $ENV{QL_ASAN};
    local $ENV{ASAN_OPTIONS} = 'detect_leaks=0' if $ENV{QL_ASAN};

    # as scripts/stack.sh: logs are created 0644 less the umask (and
    # nginx -t creates them already)
    my $umask = umask 027;
    my $conf = $self->write_nginx_conf;
    my $out = `nginx -p $self->{dir} -c $conf -t 2>&1`;
    if ($? != 0) {
        umask $umask;
        die "nginx -t failed:\n$out";
    }

    local $ENV{ASAN_OPTIONS} = "detect_leaks=1:"
        . "log_path=$self->{dir}/log/asan" if $ENV{QL_ASAN};
    local $ENV{LSAN_OPTIONS} = "suppressions=$REPO/t/lsan.supp"
        if $ENV{QL_ASAN};

    $self->{nginx_proc} = $self->spawn('nginx', "$self->{dir}/log/nginx.log",
        'nginx', '-p', $self->{dir}, '-c', $conf, '-g', 'daemon off;');
    umask $umask;
    $self->wait_for('nginx', 20, sub { port_open($self->{gateway_port}) });
}

sub asan_runtime {
    my $lib = `gcc -print-file-name=libasan.so`;
    chomp $lib;
    return $lib;
}

sub gateway_url { "http://127.0.0.1:$_[0]{gateway_port}" }

sub nginx_pid { $_[0]{nginx_proc}{pid} }

sub reload_nginx {
    my ($self) = @_;
    kill 'HUP', $self->{nginx_proc}{pid};
}

sub stop_proc {
    my ($self, $proc) = @_;
    return unless $proc && !$proc->{done};

    kill 'TERM', $proc->{pid};
    my $deadline = time + 15;
    while (time < $deadline) {
        my $r = waitpid($proc->{pid}, WNOHANG);
        if ($r == $proc->{pid} || $r == -1) {
            $proc->{done} = 1;
            $proc->{status} = $?;
            return $proc->{status};
        }
        sleep 0.05;
    }
    Test::More::diag("$proc->{name} ignored SIGTERM; killing it");
    kill 'KILL', -$proc->{pid};
    kill 'KILL', $proc->{pid};
    waitpid($proc->{pid}, 0);
    $proc->{done} = 1;
    $proc->{status} = $?;
    return $proc->{status};
}

# HTTP helpers. Headers: hashref. Body: string or a reference to encode.
sub request {
    my ($self, $method, $url, $headers, $body) = @_;
    my %opt = (headers => $headers || {});
    if (defined $body) {
        $opt{content} = ref $body ? $JSON->encode($body) : $body;
        $opt{headers}{'content-type'} //= 'application/json';
    }
    my $res = $self->{http}->request($method, $url, \%opt);
    $res->{json} = eval { $JSON->decode($res->{content}) }
        if length($res->{content} // '');
    return $res;
}

sub gateway {
    my ($self, $method, $path, $headers, $body) = @_;
    return $self->request($method, $self->gateway_url . $path, $headers,
                          $body);
}

sub admin {
    my ($self, $method, $path, $body, $token) = @_;
    $token //= $self->admin_token;
    return $self->request($method, $self->admin_url . $path,
        { $token ? (authorization => "Bearer $token") : () }, $body);
}

# Logs in as the bootstrapped admin once and caches the token.
sub admin_token {
    my ($self) = @_;
    return $self->{admin_token} if $self->{admin_token};
    my $res = $self->request('POST', $self->admin_url . '/api/v1/auth/login',
        {}, { username => $self->{admin_user},
              password => $self->{admin_password} });
    return undef unless $res->{status} == 200 && $res->{json};
    return $self->{admin_token} = $res->{json}{token};
}

# Stops everything (checking sanitizer reports) and closes the test plan.
sub finish {
    my ($self) = @_;
    $self->check_redis_acl_log;
    $self->stop_all;
    Test::More::done_testing();
}

# Every command the module and admind sent was allowed by their ACL users
# (conf/redis-acl.conf): Redis logs each denial, also inside scripts.
# Tests that provoke denials on purpose clear the log (ACL LOG RESET).
sub check_redis_acl_log {
    my ($self) = @_;
    my $proc = $self->{redis_proc};
    return unless $proc && !$proc->{done};
    my $log = eval { $self->redis('ACL', 'LOG') };
    return unless ref $log;
    my @denied = map { my %e = @$_; "$e{username}: $e{reason} $e{object}" }
                 @$log;
    Test::More::ok(!@denied, 'Redis ACL denied nothing')
        or Test::More::diag(join("\n", @denied));
}

# Fixtures through admind's API, as an operator would make them.
sub make_or_die {
    my ($self, $path, $body) = @_;
    my $res = $self->admin('POST', $path, $body);
    die "POST $path: $res->{status} $res->{content}\n"
        unless $res->{status} == 201 || $res->{status} == 200;
    return $res->{json};
}

sub make_user {
    my ($self, %o) = @_;
    return $self->make_or_die('/api/v1/users', {
        username => 'user-' . random_hex(4), password => random_hex(8),
        role => 'user', %o });
}

sub make_key {
    my ($self, %o) = @_;
    $o{userId} //= ($self->{fixture_user} //= $self->make_user)->{id};
    return $self->make_or_die('/api/v1/api-keys',
                              { name => 'key-' . random_hex(4), %o });
}

# One Messages request with key, each its own conversation (no sticky
# session binds it to an account); headers and stream => 1 optional.
my $conversation = 0;
sub message {
    my ($self, $key, %o) = @_;
    $conversation++;
    return $self->gateway('POST', '/v1/messages',
        { 'x-api-key' => $key->{key}, %{ $o{headers} || {} } },
        { model => 'claude-sonnet-4-5', max_tokens => 8,
          stream => $o{stream} ? JSON::PP::true : JSON::PP::false,
          messages => [ { role => 'user',
                          content => "hello $conversation" } ] });
}

sub make_account {
    my ($self, %o) = @_;
    my %body = (name => 'account-' . random_hex(4), type => 'claude-console',
                baseUrl => $self->mock_url, %o);
    $body{apiKey} //= 'sk-ant-' . random_hex(8)
        if $body{type} eq 'claude-console';
    return $self->make_or_die('/api/v1/accounts', \%body);
}

# For several stacks in one file (subtests): stop and check, no plan.
sub finish_quietly {
    my ($self) = @_;
    $self->check_redis_acl_log;
    $self->stop_all;
}

# A well-formed key nobody created.
sub random_key {
    return 'cr_' . random_hex(32);
}

sub stop_all {
    my ($self) = @_;
    # forked test clients share this object: only its creator stops it
    return if $$ != $self->{owner} || $self->{stopped}++;
    for my $proc (reverse @{ $self->{procs} }) {
        $self->stop_proc($proc);
    }

    if ($ENV{QL_ASAN}) {
        my @reports = grep { sanitizer_report($_) }
                      glob("$self->{dir}/log/asan.*");
        Test::More::ok(!@reports, 'no AddressSanitizer report')
            or Test::More::diag(`cat @reports | head -60`);
    }

    my $ok = Test::More->builder->is_passing;
    if ($ok && !$ENV{QL_KEEP}) {
        remove_tree($self->{dir});
    } else {
        Test::More::diag("stack files and logs kept in $self->{dir}");
    }
}

sub DESTROY {
    my ($self) = @_;
    local ($?, $@);
    $self->stop_all;
}

END {
    local $?;
    $_->stop_all for @live;
}

1;
