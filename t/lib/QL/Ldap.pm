package QL::Ldap;

# A real OpenLDAP directory (slapd, mdb backend) for the tests of LDAP
# login: people under ou=people of a base, loaded with slapadd into the
# stack's temp dir, served on a loopback port.

use strict;
use warnings;
use File::Path qw(make_path);
use QL::Stack;

# Whether slapd and slapadd are there (a reason to skip when not).
sub missing {
    for my $bin (qw(slapd slapadd)) {
        return "$bin is not installed (make deps installs slapd)"
            unless -x "/usr/sbin/$bin";
    }
    return undef;
}

# Writes the directory: base, ou=people and one inetOrgPerson per entry
# of people ({ uid, cn, sn, password }); slapadd's exit status.
sub load {
    my ($stack, %o) = @_;
    my $dir = $stack->dir;
    my $base = $o{base};

    make_path("$dir/ldap/db");
    QL::Stack::write_file("$dir/ldap/slapd.conf", <<"CONF");
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $dir/run/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 10485760
suffix "$base"
rootdn "cn=admin,$base"
directory $dir/ldap/db
CONF

    my $ldif = <<"LDIF";
dn: $base
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,$base
objectClass: organizationalUnit
ou: people
LDIF
    for my $p (@{ $o{people} }) {
        $ldif .= "\ndn: uid=$p->{uid},ou=people,$base\n"
               . "objectClass: inetOrgPerson\nuid: $p->{uid}\n"
               . "cn: $p->{cn}\nsn: $p->{sn}\n"
               . "userPassword: $p->{password}\n";
    }
    QL::Stack::write_file("$dir/ldap/data.ldif", $ldif);

    return system("slapadd -f $dir/ldap/slapd.conf -l $dir/ldap/data.ldif "
                  . ">$dir/log/slapadd.log 2>&1");
}

# slapd on 127.0.0.1:port, once it listens; the process, for stop_proc.
sub start {
    my ($stack, $port) = @_;
    my $dir = $stack->dir;
    my $proc = $stack->spawn('slapd', "$dir/log/slapd.log", 'slapd',
        '-f', "$dir/ldap/slapd.conf", '-h', "ldap://127.0.0.1:$port/",
        '-d', '0');
    $stack->wait_for('slapd', 20, sub { QL::Stack::port_open($port) });
    return $proc;
}

1;
