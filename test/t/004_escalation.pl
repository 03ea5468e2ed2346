# No role gains rights through the extension: a database owner who is not a
# superuser plants functions and operators in public and in a schema named
# after the bootstrap superuser (which "$user" finds first), and points the
# database's search_path at them; the worker (the bootstrap superuser) and the
# SECURITY DEFINER functions must never call them.  A job's query leaves the
# worker's session as it found it: no session advisory lock, no large object.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('escalation');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'crm_marketing'
crm_marketing.naptime = 1
});
$node->start;

my $bootstrap = $node->safe_psql('postgres', 'SELECT current_user');
$node->safe_psql('postgres', q{
	CREATE ROLE dbowner LOGIN;
	CREATE DATABASE shop OWNER dbowner;
});
$node->safe_psql('shop', q{
	CREATE EXTENSION crm_marketing;
	GRANT USAGE ON SCHEMA crm TO dbowner;
	GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA crm TO dbowner;
});

# the traps: each records who called it and, when that is a superuser, makes dbowner one
my $trap_body = q{
	INSERT INTO public.pwned VALUES (current_user, (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user), '%s');
	IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
		EXECUTE 'ALTER ROLE dbowner SUPERUSER';
	END IF;
};
my $traps = '';
for my $schema ('public', qq{"$bootstrap"})
{
	my $t = sub { sprintf($trap_body, "$schema.$_[0]") };
	$traps .= qq{
	CREATE FUNCTION $schema.trap_div(float8, integer) RETURNS float8 LANGUAGE plpgsql AS \$f\$
	BEGIN @{[ $t->('/') ]} RETURN \$1 OPERATOR(pg_catalog./) \$2::float8; END \$f\$;
	CREATE OPERATOR $schema./ (LEFTARG = float8, RIGHTARG = integer, FUNCTION = $schema.trap_div);
	CREATE FUNCTION $schema.trap_cat(text, integer) RETURNS text LANGUAGE plpgsql AS \$f\$
	BEGIN @{[ $t->('||') ]} RETURN \$1 OPERATOR(pg_catalog.||) \$2::text; END \$f\$;
	CREATE OPERATOR $schema.|| (LEFTARG = text, RIGHTARG = integer, FUNCTION = $schema.trap_cat);
	CREATE FUNCTION $schema.trap_cat8(bigint, text) RETURNS text LANGUAGE plpgsql AS \$f\$
	BEGIN @{[ $t->('||8') ]} RETURN \$1::text OPERATOR(pg_catalog.||) \$2; END \$f\$;
	CREATE OPERATOR $schema.|| (LEFTARG = bigint, RIGHTARG = text, FUNCTION = $schema.trap_cat8);
	CREATE FUNCTION $schema.trap_eq(text, text) RETURNS boolean LANGUAGE plpgsql AS \$f\$
	BEGIN @{[ $t->('=') ]} RETURN \$1 OPERATOR(pg_catalog.=) \$2; END \$f\$;
	CREATE OPERATOR $schema.= (LEFTARG = text, RIGHTARG = text, FUNCTION = $schema.trap_eq);
	CREATE FUNCTION $schema.unnest(text[]) RETURNS SETOF text LANGUAGE plpgsql AS \$f\$
	BEGIN @{[ $t->('unnest') ]} RETURN QUERY SELECT pg_catalog.unnest(\$1); END \$f\$;
	CREATE FUNCTION $schema.make_interval(days integer) RETURNS interval LANGUAGE plpgsql AS \$f\$
	BEGIN @{[ $t->('make_interval') ]} RETURN pg_catalog.make_interval(days => \$1); END \$f\$;
	CREATE FUNCTION $schema.now() RETURNS timestamptz LANGUAGE plpgsql AS \$f\$
	BEGIN @{[ $t->('now') ]} RETURN pg_catalog.now(); END \$f\$;
	CREATE FUNCTION $schema.length(text) RETURNS integer LANGUAGE plpgsql AS \$f\$
	BEGIN @{[ $t->('length') ]} RETURN pg_catalog.length(\$1); END \$f\$;
	CREATE FUNCTION $schema.octet_length(text) RETURNS integer LANGUAGE plpgsql AS \$f\$
	BEGIN @{[ $t->('octet_length') ]} RETURN pg_catalog.octet_length(\$1); END \$f\$;
	};
}
$node->safe_psql('shop', qq{
	SET ROLE dbowner;
	CREATE TABLE public.pwned (who name, superuser boolean, trap text);
	GRANT INSERT ON public.pwned TO PUBLIC;
	CREATE TABLE public.customers AS SELECT i::bigint AS customer_id, 'Europe/Berlin' AS time_zone FROM generate_series(1, 50) i;
	CREATE SCHEMA "$bootstrap";
	$traps
	ALTER DATABASE shop SET search_path = "\$user", public, pg_catalog;
});
is($node->safe_psql('shop', q{SELECT count(*) > 0 FROM pg_operator WHERE oprnamespace = 'public'::regnamespace AND oprname = '/'}),
	't', 'the traps are planted');
# from here on, the test's own queries as the superuser qualify their operators: the traps
# would catch them too.  The worker reconnects, so that it starts with the new search_path.
$node->safe_psql('shop', q{SELECT pg_terminate_backend(pid) FROM crm.worker_status WHERE database OPERATOR(pg_catalog.=) 'shop' AND pid IS NOT NULL});

# jobs of every shape, created by the database owner and by the superuser
$node->safe_psql('shop', q{
	SET ROLE dbowner;
	SELECT crm.create_frequency_cap('weekly', 3, '7 days', 'email');
	SELECT crm.create_campaign('capped', 'SELECT customer_id, time_zone FROM public.customers', 'email',
	                           run_every => '1 second', frequency_cap => 'weekly', quiet_start => '03:00', quiet_end => '03:00',
	                           search_path => 'public');
	SELECT crm.create_campaign('per_event', 'SELECT customer_id, customer_id::text AS event_key FROM public.customers', 'sms',
	                           run_every => '1 second', reentry => 'per_event_key', search_path => 'public');
	SELECT crm.create_campaign('cooling', 'SELECT customer_id FROM public.customers', 'push',
	                           run_every => '1 second', reentry => 'cooldown', cooldown => '1 day', search_path => 'public');
	CREATE TABLE public.no_such_table_yet (customer_id bigint);
	SELECT crm.create_campaign('failing', 'SELECT customer_id FROM public.no_such_table_yet', 'push',
	                           run_every => '1 second', search_path => 'public');
});
$node->safe_psql('shop', q{SET ROLE dbowner; SELECT crm.create_segment('everyone', 'SELECT customer_id FROM public.customers', '1 second', 'public')});
$node->safe_psql('shop', q{SET ROLE dbowner; DROP TABLE public.no_such_table_yet});
$node->safe_psql('shop', q{SELECT crm.create_campaign('by_superuser', 'SELECT customer_id FROM public.customers', 'email', run_every => '1 second', search_path => 'public')});

ok($node->poll_query_until('shop', q{SELECT count(DISTINCT job_name) >= 6 FROM crm.job_runs}),
	'the worker ran every job');
ok($node->poll_query_until('shop', q{SELECT status OPERATOR(pg_catalog.=) 'failed' FROM crm.campaigns WHERE name OPERATOR(pg_catalog.=) 'failing'}),
	'and recorded the failing one');
like(slurp_file($node->logfile), qr/LOG:  crm_marketing: campaign \d+ failed: relation "public.no_such_table_yet" does not exist/,
	'a failed job is in the server log');
is($node->safe_psql('shop', q{SELECT bool_and(started_at OPERATOR(pg_catalog.<) finished_at) FROM crm.job_runs WHERE status OPERATOR(pg_catalog.=) 'failed'}),
	't', 'a failed run records when it started, not when its failure was written');

# the manual paths, as the database owner and as the superuser
$node->safe_psql('shop', q{
	SET ROLE dbowner;
	SELECT crm.resume_campaign('capped');
	SELECT * FROM crm.run_campaign('capped');
	SELECT * FROM crm.refresh_segment('everyone');
	SELECT crm.report_delivery(m.message_id, 'unsubscribed') FROM crm.claim_messages('email', 5) m;
	SELECT crm.suppress('7', 'sms');
	SELECT * FROM crm.run_maintenance();
	SELECT crm.enable_sending();
	SELECT crm.pause_campaign('per_event');
	SELECT crm.drop_campaign('cooling');
});
$node->safe_psql('shop', q{
	SELECT * FROM crm.run_campaign('by_superuser');
	SELECT * FROM crm.refresh_segment('everyone');
	SELECT * FROM crm.claim_messages('sms', 5);
	SELECT * FROM crm.run_maintenance();
});
sleep 3;    # a few more ticks of the worker
is($node->safe_psql('shop', q{SELECT coalesce(string_agg(DISTINCT pg_catalog.format('%s:%s', who, trap), ', '), 'none') FROM public.pwned}),
	'none', 'no planted function or operator was ever called by the extension');
is($node->safe_psql('shop', q{SELECT rolsuper FROM pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'dbowner'}), 'f', 'the database owner is not a superuser');

# a job's query leaves the worker's session as it found it
$node->safe_psql('shop', q{
	SET ROLE dbowner;
	CREATE FUNCTION public.grab() RETURNS bigint LANGUAGE plpgsql AS
	$f$ BEGIN PERFORM pg_catalog.pg_advisory_lock(4242); RETURN 1; END $f$;
	SELECT crm.create_campaign('grabby', 'SELECT public.grab() AS customer_id', 'email', run_every => '1 second', search_path => 'public');
});
ok($node->poll_query_until('shop', q{SELECT count(*) > 0 FROM crm.job_runs WHERE job_name OPERATOR(pg_catalog.=) 'grabby'}), 'the grabbing campaign ran');
sleep 2;
is($node->safe_psql('shop', q{SELECT pg_try_advisory_lock(4242)}), 't', 'no session advisory lock stays in the worker');
my ($out, $err) = ('', '');
$node->psql('shop', q{SELECT * FROM crm.run_campaign('grabby'); SELECT count(*) FROM pg_locks WHERE pid OPERATOR(pg_catalog.=) pg_backend_pid() AND locktype OPERATOR(pg_catalog.=) 'advisory'},
	stdout => \$out, stderr => \$err);
like($out, qr/\n0$/, 'nor in a session that ran it by hand');
like($err, qr/left 1 session-level advisory lock/, 'with a warning that says so');

$node->stop;
done_testing();
