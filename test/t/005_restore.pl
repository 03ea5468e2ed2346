# A restored or copied database acts on nothing until an operator enables it:
# pg_restore (default mode, CREATE EXTENSION committed first) of a database
# whose jobs are all due, while the worker runs, changes no membership, runs
# no job and hands out no message; CREATE DATABASE ... TEMPLATE likewise.
# A restore without the job owners' roles loads every campaign (owners are
# names) and crm.enable_sending names the missing roles.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('restore');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'crm_marketing'
crm_marketing.naptime = 1
});
$node->start;

$node->safe_psql('postgres', q{CREATE ROLE marketer; CREATE DATABASE shop});
$node->safe_psql('shop', q{
	CREATE EXTENSION crm_marketing;
	GRANT USAGE ON SCHEMA crm TO marketer;
	GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA crm TO marketer;
	CREATE TABLE customers AS SELECT i AS customer_id, i % 2 = 0 AS active FROM generate_series(1, 200) i;
	GRANT SELECT ON customers TO marketer;
	SELECT crm.create_segment('active', 'SELECT customer_id FROM customers WHERE active', '1 second');
	SET ROLE marketer;
	SELECT crm.create_campaign('welcome', 'SELECT customer_id FROM customers WHERE active', 'email',
	                           run_every => '1 second', holdout_percent => 0);
});
ok($node->poll_query_until('shop', q{SELECT count(*) = 100 FROM crm.outbox}), 'the worker ran the campaign');
ok($node->poll_query_until('shop', q{SELECT count(*) = 100 FROM crm.segment_members}), 'and the segment');
# every job is due when the dump is taken: the worker's next tick would run them
$node->safe_psql('shop', q{UPDATE crm.campaigns SET next_run_at = now() - interval '1 hour'; UPDATE crm.segments SET next_refresh_at = now() - interval '1 hour'});

my $dump = "${PostgreSQL::Test::Utils::tmp_check}/shop.dump";
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('shop') ], 'pg_dump');
my $partial = "${PostgreSQL::Test::Utils::tmp_check}/shop_partial.dump";
$node->command_ok([ 'pg_dump', '-Fc', '--exclude-table-data=customers', '-f', $partial, '-d', $node->connstr('shop') ],
	'pg_dump without the customers');

sub state_of
{
	my $db = shift;
	return $node->safe_psql($db, q{
		SELECT (SELECT count(*) FROM crm.job_runs) || ' runs, '
		    || (SELECT count(*) FROM crm.segment_membership WHERE exited_at IS NULL) || ' members, '
		    || (SELECT count(*) FROM crm.outbox WHERE status = 'queued') || ' queued, '
		    || (SELECT string_agg(status, ',' ORDER BY name) FROM crm.campaigns)});
}

# the customers table comes in empty: a worker acting on partial data would exit every member
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('restored'), $partial ], 'pg_restore');
my $before = state_of('restored');
ok($node->poll_query_until('restored', q{SELECT last_tick > now() - interval '1 second' AND NOT sending_enabled FROM crm.worker_status WHERE database = 'restored'}),
	'the restored database\'s worker ticks, with sending not enabled');
sleep 3;
is(state_of('restored'), $before, 'in the restored copy no job ran, no member left, nothing changed');
my ($out, $err) = ('', '');
$node->psql('restored', q{SELECT * FROM crm.claim_messages('email')}, stdout => \$out, stderr => \$err);
like($err, qr/sending is not enabled in this database/, 'a restored copy hands out no message');
$node->psql('restored', q{SELECT * FROM crm.run_campaign('welcome')}, stdout => \$out, stderr => \$err);
like($err, qr/sending is not enabled/, 'nor runs a campaign by hand');

# the operator enables it: the jobs run again
$node->safe_psql('restored', q{INSERT INTO customers SELECT i, i % 2 = 0 FROM generate_series(1, 200) i});
$node->safe_psql('restored', q{SELECT crm.enable_sending()});
ok($node->poll_query_until('restored', q{SELECT count(*) > 0 FROM crm.job_runs WHERE started_at > (SELECT enabled_at FROM crm.sending_enabled_in)}),
	'after crm.enable_sending() the worker runs the jobs');
is($node->safe_psql('restored', q{SELECT count(*) FROM crm.claim_messages('email', 1000)}), '100', 'and the messages are handed out');

# a copy made with CREATE DATABASE ... TEMPLATE is off too
$node->safe_psql('postgres', 'CREATE DATABASE copied TEMPLATE shop');
is($node->safe_psql('copied', q{SELECT crm.sending_enabled()}), 'f', 'a database copied with TEMPLATE is not enabled');
is($node->safe_psql('shop', q{SELECT crm.sending_enabled()}), 't', 'while its original stays enabled');

# a restore without the owner roles, into another cluster: every campaign is loaded, and the
# missing owner is named when sending is enabled
my $other = PostgreSQL::Test::Cluster->new('other');
$other->init;
$other->start;
$other->safe_psql('postgres', 'CREATE DATABASE shop');
$other->command_ok([ 'pg_restore', '--no-owner', '--no-privileges', '-d', $other->connstr('shop'), $dump ],
	'pg_restore --no-owner into a cluster without the roles');
is($other->safe_psql('shop', q{SELECT string_agg(name || ':' || owner, ',') FROM crm.campaigns}), 'welcome:marketer',
	'the campaign of a missing role is restored, not dropped');
is($other->safe_psql('shop', q{SELECT crm.sending_enabled()}), 'f', 'another cluster is not enabled');
$other->psql('shop', q{SELECT crm.enable_sending()}, stdout => \$out, stderr => \$err);
like($err, qr/owner roles of some campaigns or segments do not exist: marketer/, 'enabling it names the missing owner');
$other->psql('shop', q{SELECT count(*) FROM crm.claim_messages('email', 1000)}, stdout => \$out, stderr => \$err);
is($out, '0', 'and the missing owner\'s messages are not handed out');
$other->stop;
$node->stop;
done_testing();
